//! Harmonized System codes as documents carry them: the 6-digit subheading,
//! the HS edition it belongs to, and optionally the national tariff code.
//!
//! Without an imported nomenclature the hub validates structure only: six
//! digits, a chapter from 01 to 97 other than 77 (reserved by the WCO).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// An HS nomenclature edition. Each enters into force on 1 January of its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum HsEdition {
    HS2017,
    HS2022,
    HS2027,
}

impl HsEdition {
    pub fn as_str(self) -> &'static str {
        match self {
            HsEdition::HS2017 => "HS2017",
            HsEdition::HS2022 => "HS2022",
            HsEdition::HS2027 => "HS2027",
        }
    }

    /// Returns the date this edition entered (or enters) into force.
    pub fn in_force_from(self) -> Date {
        let year = match self {
            HsEdition::HS2017 => 2017,
            HsEdition::HS2022 => 2022,
            HsEdition::HS2027 => 2027,
        };
        Date::from_calendar_date(year, Month::January, 1).unwrap_or(Date::MIN)
    }
}

impl FromStr for HsEdition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "HS2017" => Ok(HsEdition::HS2017),
            "HS2022" => Ok(HsEdition::HS2022),
            "HS2027" => Ok(HsEdition::HS2027),
            other => Err(format!("unknown HS edition {other:?}: use HS2017, HS2022 or HS2027")),
        }
    }
}

/// A six-digit HS subheading, structurally valid.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HsSubheading(String);

impl HsSubheading {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks whether this code falls under `prefix` (2 to 10 digits of a scope entry).
    pub fn falls_under(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl FromStr for HsSubheading {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("HS code {s:?} must be the 6 digits of an HS subheading, for example 690721"));
        }
        let chapter: u8 = s[..2].parse().unwrap_or(0);
        if chapter == 0 || chapter > 97 || chapter == 77 {
            return Err(format!(
                "HS code {s:?} names chapter {chapter:02}, which is not an HS chapter (01-97, 77 is reserved)"
            ));
        }
        Ok(HsSubheading(s.to_owned()))
    }
}

impl TryFrom<String> for HsSubheading {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<HsSubheading> for String {
    fn from(c: HsSubheading) -> String {
        c.0
    }
}

impl fmt::Display for HsSubheading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HsSubheading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsSubheading({})", self.0)
    }
}

/// An HS code of a document: subheading, edition, optional national code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HsCode {
    #[schema(value_type = String, example = "690721")]
    pub code: HsSubheading,
    pub edition: HsEdition,
    /// National tariff code of 8 to 10 digits that extends `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "6907210000")]
    pub national: Option<String>,
}

impl HsCode {
    /// Checks the national code against the subheading and the edition
    /// against the issue date.
    pub fn validate(&self, issued_on: Date) -> Result<(), String> {
        if let Some(national) = &self.national {
            if !(8..=10).contains(&national.len()) || !national.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("national tariff code {national:?} must have 8 to 10 digits"));
            }
            if !national.starts_with(self.code.as_str()) {
                return Err(format!(
                    "national tariff code {national:?} does not extend HS subheading {}",
                    self.code
                ));
            }
        }
        if issued_on < self.edition.in_force_from() {
            return Err(format!(
                "{} enters into force on {}, after the issue date {issued_on}; use the edition in force on the issue date",
                self.edition.as_str(),
                self.edition.in_force_from()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn subheading_shapes() {
        assert!("690721".parse::<HsSubheading>().is_ok());
        for bad in ["69072", "6907210", "6907a1", "000000", "770100", "980000", ""] {
            assert!(bad.parse::<HsSubheading>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn national_code_must_extend_subheading() {
        let code = |national: &str| HsCode {
            code: "690721".parse().unwrap(),
            edition: HsEdition::HS2022,
            national: Some(national.into()),
        };
        assert!(code("6907210000").validate(date!(2026 - 05 - 01)).is_ok());
        assert!(code("6907220000").validate(date!(2026 - 05 - 01)).is_err());
        assert!(code("6907").validate(date!(2026 - 05 - 01)).is_err());
    }

    #[test]
    fn edition_must_be_in_force_on_issue_date() {
        let code = HsCode { code: "690721".parse().unwrap(), edition: HsEdition::HS2027, national: None };
        assert!(code.validate(date!(2026 - 12 - 31)).is_err());
        assert!(code.validate(date!(2027 - 01 - 01)).is_ok());
    }
}
