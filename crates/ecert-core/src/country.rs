//! ISO 3166-1 alpha-2 country codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 3166-1 alpha-2 code such as `UZ`, checked for shape only: two ASCII
/// capital letters. Whether the country takes part in the hub is a storage fact.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid country code {0:?}: expected two capital letters of ISO 3166-1 alpha-2, for example UZ")]
pub struct InvalidCountryCode(pub String);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII capital letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for CountryCode {
    type Err = InvalidCountryCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() == 2 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(CountryCode([bytes[0], bytes[1]]))
        } else {
            Err(InvalidCountryCode(s.to_owned()))
        }
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidCountryCode;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_two_capitals() {
        assert_eq!("UZ".parse::<CountryCode>().unwrap().as_str(), "UZ");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "U", "uz", "UZB", "U1", "ÜZ"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad:?} was accepted");
        }
    }
}
