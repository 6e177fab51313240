//! Hub IDs: the registry identifier printed on paper, such as `UZ-CC-7Q3K-9XMP-H`.
//!
//! Layout: country, document type, eight random Crockford base32 characters
//! (40 bits) in two groups of four, and one check character. The check
//! character makes the weighted sum `sum(a^(n-i) * s_i)` over GF(32) zero, where
//! `a` is a primitive element (x modulo x^5 + x^2 + 1) and `s_i` are the symbol
//! values of every character before it. Because the weights are distinct and
//! non-zero and `a + 1 != 0`, every single wrong character and every swap of two
//! neighbouring characters changes the sum, which a plain sum modulo 32 cannot
//! guarantee. Country and type letters count as A=0 … Z=25; the random part and
//! the check character count by their Crockford value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::country::CountryCode;
use crate::document::DocType;

/// The Crockford base32 alphabet: digits and capitals without I, L, O and U.
pub const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const RANDOM_LEN: usize = 8;

/// A syntactically valid hub ID with a correct check character. Stored and
/// printed in canonical form (capitals, hyphens).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HubId {
    country: CountryCode,
    doc_type: DocType,
    random: [u8; RANDOM_LEN],
    check: u8,
}

/// The reason a text is not a hub ID. Each message includes the fix.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HubIdError {
    #[error(
        "a hub ID has the form CC-TT-XXXX-XXXX-C (country, CC or TR, eight characters, check character), for example UZ-CC-7Q3K-9XMP-H; got {got} characters"
    )]
    WrongLength { got: usize },
    #[error("{0:?} is not a country code; the hub ID starts with two letters such as UZ")]
    Country(String),
    #[error("{0:?} is not a document type; the second part of a hub ID is CC or TR")]
    DocType(String),
    #[error(
        "character {ch:?} at position {position} cannot appear in a hub ID; only digits and the letters A-Z without I, L, O and U are used (I and L read as 1, O as 0)"
    )]
    InvalidCharacter { position: usize, ch: char },
    #[error(
        "the check character does not match: one character of this hub ID is mistyped or two neighbouring characters are swapped; compare it with the document"
    )]
    CheckMismatch,
}

impl HubId {
    /// Builds a new hub ID from 40 random bits.
    pub fn new(country: CountryCode, doc_type: DocType, random_bits: u64) -> Self {
        let mut random = [0u8; RANDOM_LEN];
        for (i, slot) in random.iter_mut().enumerate() {
            let shift = 5 * (RANDOM_LEN - 1 - i);
            *slot = ((random_bits >> shift) & 0x1f) as u8;
        }
        let mut id = HubId { country, doc_type, random, check: 0 };
        id.check = gf32_mul(GENERATOR, id.partial_sum());
        id
    }

    pub fn country(&self) -> CountryCode {
        self.country
    }

    pub fn doc_type(&self) -> DocType {
        self.doc_type
    }

    fn symbols(&self) -> impl Iterator<Item = u8> + '_ {
        let country = self.country.as_str().bytes().map(|b| b - b'A');
        let doc_type = self.doc_type.code().bytes().map(|b| b - b'A');
        country.chain(doc_type).chain(self.random.iter().copied())
    }

    fn partial_sum(&self) -> u8 {
        self.symbols().fold(0, |sum, s| gf32_mul(GENERATOR, sum) ^ s)
    }

    /// Lists the valid hub IDs that differ from `input` by one character or by
    /// one swap of neighbouring characters in the random part and check
    /// character. The API filters them to registered documents to suggest a fix.
    pub fn near_misses(input: &str) -> Vec<HubId> {
        let Ok(raw) = RawHubId::parse(input) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut symbols = raw.tail;
        for position in 0..symbols.len() {
            let original = symbols[position];
            for candidate in 0..32u8 {
                if candidate != original {
                    symbols[position] = candidate;
                    if let Some(id) = raw.with_tail(&symbols) {
                        found.push(id);
                    }
                }
            }
            symbols[position] = original;
        }
        for position in 0..symbols.len() - 1 {
            if symbols[position] != symbols[position + 1] {
                symbols.swap(position, position + 1);
                if let Some(id) = raw.with_tail(&symbols) {
                    found.push(id);
                }
                symbols.swap(position, position + 1);
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

/// A hub ID split into parts before the check character is verified.
struct RawHubId {
    country: CountryCode,
    doc_type: DocType,
    /// The eight random symbols followed by the check symbol.
    tail: [u8; RANDOM_LEN + 1],
}

impl RawHubId {
    fn parse(input: &str) -> Result<Self, HubIdError> {
        let compact: Vec<char> = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
            .map(latin_look_alike)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.len() != 4 + RANDOM_LEN + 1 {
            return Err(HubIdError::WrongLength { got: compact.len() });
        }

        let country: String = compact[0..2].iter().collect();
        let country = country.parse().map_err(|_| HubIdError::Country(country))?;
        let doc_type: String = compact[2..4].iter().collect();
        let doc_type = doc_type.parse().map_err(|_| HubIdError::DocType(doc_type))?;

        let mut tail = [0u8; RANDOM_LEN + 1];
        for (i, ch) in compact[4..].iter().enumerate() {
            tail[i] = crockford_value(*ch).ok_or(HubIdError::InvalidCharacter {
                position: position_in_canonical(4 + i),
                ch: *ch,
            })?;
        }
        Ok(RawHubId { country, doc_type, tail })
    }

    fn with_tail(&self, tail: &[u8; RANDOM_LEN + 1]) -> Option<HubId> {
        let mut random = [0u8; RANDOM_LEN];
        random.copy_from_slice(&tail[..RANDOM_LEN]);
        let id = HubId { country: self.country, doc_type: self.doc_type, random, check: tail[RANDOM_LEN] };
        (gf32_mul(GENERATOR, id.partial_sum()) == id.check).then_some(id)
    }
}

/// Maps Cyrillic letters that look like Latin ones to those Latin letters,
/// because users with Russian keyboard layouts type hub IDs read from paper.
fn latin_look_alike(c: char) -> char {
    match c {
        'А' | 'а' => 'A',
        'В' | 'в' => 'B',
        'С' | 'с' => 'C',
        'Е' | 'е' => 'E',
        'К' | 'к' => 'K',
        'М' | 'м' => 'M',
        'Н' | 'н' => 'H',
        'О' | 'о' => 'O',
        'Р' | 'р' => 'P',
        'Т' | 'т' => 'T',
        'Х' | 'х' => 'X',
        other => other,
    }
}

/// Converts an index into the compact form (no hyphens) into a 1-based
/// position in the canonical form `UZ-CC-7Q3K-9XMP-H`.
fn position_in_canonical(compact_index: usize) -> usize {
    let hyphens_before = match compact_index {
        0..=1 => 0,
        2..=3 => 1,
        4..=7 => 2,
        8..=11 => 3,
        _ => 4,
    };
    compact_index + hyphens_before + 1
}

fn crockford_value(ch: char) -> Option<u8> {
    let ch = match ch {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    CROCKFORD.iter().position(|&c| c as char == ch).map(|p| p as u8)
}

/// x in GF(2^5) with the primitive polynomial x^5 + x^2 + 1.
const GENERATOR: u8 = 2;

fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0x25;
        }
    }
    product
}

impl FromStr for HubId {
    type Err = HubIdError;

    /// Parses case-insensitively, with or without hyphens, reading I and L as 1
    /// and O as 0 as Crockford base32 does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = RawHubId::parse(s)?;
        raw.with_tail(&raw.tail).ok_or(HubIdError::CheckMismatch)
    }
}

impl TryFrom<String> for HubId {
    type Error = HubIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<HubId> for String {
    fn from(id: HubId) -> String {
        id.to_string()
    }
}

impl fmt::Display for HubId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |v: u8| CROCKFORD[v as usize] as char;
        let r = &self.random;
        write!(
            f,
            "{}-{}-{}{}{}{}-{}{}{}{}-{}",
            self.country,
            self.doc_type.code(),
            c(r[0]),
            c(r[1]),
            c(r[2]),
            c(r[3]),
            c(r[4]),
            c(r[5]),
            c(r[6]),
            c(r[7]),
            c(self.check)
        )
    }
}

impl fmt::Debug for HubId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HubId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HubId {
        HubId::new("UZ".parse().unwrap(), DocType::Certificate, 0x12_3456_789a)
    }

    #[test]
    fn round_trips_through_text() {
        let id = sample();
        let text = id.to_string();
        assert_eq!(text.len(), 17);
        assert_eq!(text.parse::<HubId>().unwrap(), id);
        assert_eq!(text.to_lowercase().replace('-', "").parse::<HubId>().unwrap(), id);
    }

    #[test]
    fn reads_confusable_letters_as_digits() {
        let id = HubId::new("KG".parse().unwrap(), DocType::TestReport, 0);
        let text = id.to_string();
        assert!(text.starts_with("KG-TR-0000-0000-"));
        let typed = text.replacen("0000-0000", "OOOO-oooo", 1);
        assert_eq!(typed.parse::<HubId>().unwrap(), id);
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for seed in [0u64, 1, 0xff_ffff_ffff, 0x12_3456_789a, 0x0f_0f0f_0f0f] {
            let text = HubId::new("PK".parse().unwrap(), DocType::Certificate, seed).to_string();
            let chars: Vec<char> = text.chars().collect();
            for (i, &original) in chars.iter().enumerate() {
                if original == '-' {
                    continue;
                }
                let alphabet: Vec<char> = if i < 5 {
                    ('A'..='Z').collect()
                } else {
                    CROCKFORD.iter().map(|&b| b as char).collect()
                };
                for replacement in alphabet {
                    if replacement == original {
                        continue;
                    }
                    let mut typo = chars.clone();
                    typo[i] = replacement;
                    let typo: String = typo.into_iter().collect();
                    assert!(typo.parse::<HubId>().is_err(), "{typo} accepted in place of {text}");
                }
            }
        }
    }

    #[test]
    fn every_neighbour_swap_is_caught() {
        for seed in [1u64, 0x12_3456_789a, 0xfe_dcba_9876] {
            let id = HubId::new("AZ".parse().unwrap(), DocType::TestReport, seed);
            let compact: Vec<char> = id.to_string().chars().filter(|&c| c != '-').collect();
            for i in 0..compact.len() - 1 {
                if compact[i] == compact[i + 1] {
                    continue;
                }
                let mut swapped = compact.clone();
                swapped.swap(i, i + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(
                    swapped.parse::<HubId>() != Ok(id) && swapped.parse::<HubId>().is_err(),
                    "swap at {i} accepted: {swapped}"
                );
            }
        }
    }

    #[test]
    fn typo_gets_check_mismatch_and_near_miss() {
        let id = sample();
        let text = id.to_string();
        let typo = format!("{}{}", &text[..6], if &text[6..7] == "Z" { "Y" } else { "Z" }) + &text[7..];
        assert_eq!(typo.parse::<HubId>(), Err(HubIdError::CheckMismatch));
        assert!(HubId::near_misses(&typo).contains(&id));
    }

    #[test]
    fn reads_cyrillic_look_alikes_as_latin() {
        let id = HubId::new("UZ".parse().unwrap(), DocType::Certificate, 0x12_3456_789a);
        let typed: String = id.to_string().replace("CC", "СС").replace('C', "С");
        assert_ne!(typed, id.to_string());
        assert_eq!(typed.parse::<HubId>().unwrap(), id);
    }

    #[test]
    fn rejects_bad_shapes_with_their_own_errors() {
        assert_eq!("UZ-CC-7Q3K".parse::<HubId>(), Err(HubIdError::WrongLength { got: 8 }));
        assert!(matches!("U1-CC-7Q3K-9XMP-H".parse::<HubId>(), Err(HubIdError::Country(_))));
        assert!(matches!("UZ-XX-7Q3K-9XMP-H".parse::<HubId>(), Err(HubIdError::DocType(_))));
        assert_eq!(
            "UZ-CC-7Q3U-9XMP-H".parse::<HubId>(),
            Err(HubIdError::InvalidCharacter { position: 10, ch: 'U' })
        );
    }
}
