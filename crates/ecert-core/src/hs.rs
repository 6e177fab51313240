//! Harmonized System codes as documents carry them: the 6-digit subheading,
//! the HS edition it belongs to, and optionally the national tariff code.
//! Also the reader of the HS nomenclature file that the hub imports
//! ([`parse_nomenclature_csv`]).
//!
//! Without an imported nomenclature the hub validates structure only: six
//! digits, a chapter from 01 to 97 other than 77 (reserved by the WCO).

use std::collections::HashMap;
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
        if !is_hs_chapter(chapter) {
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

/// Checks a 2-digit chapter number: 01 to 97, except 77, which the WCO
/// reserves for future use.
fn is_hs_chapter(chapter: u8) -> bool {
    (1..=97).contains(&chapter) && chapter != 77
}

/// One row of an HS nomenclature: a chapter (2 digits), heading (4) or
/// subheading (6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NomenclatureEntry {
    pub code: String,
    pub description: String,
    /// Code of the enclosing chapter or heading; `None` for a chapter.
    pub parent: Option<String>,
    /// Roman numeral of the HS section, such as `XVI`.
    pub section: String,
}

/// An HS nomenclature file that cannot be imported: the 1-based line where
/// the offending record starts, the column at fault when one is, and what
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NomenclatureError {
    pub line: u64,
    pub column: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for NomenclatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for NomenclatureError {}

/// Columns of a nomenclature file, in the order of the header of the
/// datasets/harmonized-system CSV (UN Comtrade data, "H6" for HS 2022).
pub const NOMENCLATURE_COLUMNS: [&str; 5] = ["section", "hscode", "description", "parent", "level"];

/// Rows of that file which are not HS codes: the section `TOTAL` (the grand
/// total row) and the codes 99, 9999 and 999999 ("commodities not specified
/// according to kind"), which UN Comtrade adds for trade statistics.
const NOT_HS_SECTION: &str = "TOTAL";
const NOT_HS_CODES: [&str; 3] = ["99", "9999", "999999"];

/// Reads an HS nomenclature in CSV (RFC 4180, with or without a UTF-8 byte
/// order mark) whose header names the columns `section`, `hscode`,
/// `description`, `parent` and `level`, in any order.
///
/// Rows of section `TOTAL` and the codes 99, 9999 and 999999 are skipped.
/// Every other row must have a code of 2, 4 or 6 digits in a real chapter
/// (01 to 97, not 77) and a `level` equal to the code's length. Its
/// description must not be empty, and its section must be a Roman numeral.
/// Its parent must be the code without its last two digits and appear in
/// the file, or be `TOTAL` or empty for a chapter. Codes must not repeat.
/// The entries keep the file's order.
pub fn parse_nomenclature_csv(text: &str) -> Result<Vec<NomenclatureEntry>, NomenclatureError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());

    let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let mut index = [0usize; NOMENCLATURE_COLUMNS.len()];
    for (slot, name) in index.iter_mut().zip(NOMENCLATURE_COLUMNS) {
        *slot = header.iter().position(|h| h.trim() == name).ok_or_else(|| NomenclatureError {
            line: 1,
            column: Some(name),
            message: format!(
                "the header has no column {name:?}; expected the columns {}",
                NOMENCLATURE_COLUMNS.join(",")
            ),
        })?;
    }
    let [section_at, code_at, description_at, parent_at, level_at] = index;

    let mut entries: Vec<(u64, NomenclatureEntry)> = Vec::new();
    let mut lines_by_code: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, 0))?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |at: usize, column: &'static str| {
            record.get(at).ok_or_else(|| NomenclatureError {
                line,
                column: Some(column),
                message: format!("the row has {} fields but the header has {}", record.len(), header.len()),
            })
        };
        let section = field(section_at, "section")?.trim();
        let code = field(code_at, "hscode")?.trim();
        if section == NOT_HS_SECTION || NOT_HS_CODES.contains(&code) {
            continue;
        }
        let entry = read_entry(
            line,
            section,
            code,
            field(description_at, "description")?,
            field(parent_at, "parent")?.trim(),
            field(level_at, "level")?.trim(),
        )?;
        if let Some(first) = lines_by_code.insert(entry.code.clone(), line) {
            return Err(NomenclatureError {
                line,
                column: Some("hscode"),
                message: format!("code {} repeats the row on line {first}", entry.code),
            });
        }
        entries.push((line, entry));
    }

    if entries.is_empty() {
        return Err(NomenclatureError {
            line: 1,
            column: None,
            message: "the file contains no HS codes; expected rows of chapters, headings and subheadings".into(),
        });
    }
    for (line, entry) in &entries {
        if let Some(parent) = &entry.parent
            && !lines_by_code.contains_key(parent)
        {
            return Err(NomenclatureError {
                line: *line,
                column: Some("parent"),
                message: format!("parent {parent} of code {} does not appear in the file", entry.code),
            });
        }
    }
    Ok(entries.into_iter().map(|(_, entry)| entry).collect())
}

/// Checks the fields of one row that is not skipped.
fn read_entry(
    line: u64,
    section: &str,
    code: &str,
    description: &str,
    parent: &str,
    level: &str,
) -> Result<NomenclatureEntry, NomenclatureError> {
    let error = |column: &'static str, message: String| NomenclatureError { line, column: Some(column), message };

    if !matches!(code.len(), 2 | 4 | 6) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error("hscode", format!("code {code:?} must have 2, 4 or 6 digits")));
    }
    let chapter: u8 = code[..2].parse().unwrap_or(0);
    if !is_hs_chapter(chapter) {
        return Err(error(
            "hscode",
            format!("code {code} is in chapter {chapter:02}, which is not an HS chapter (01-97, 77 is reserved)"),
        ));
    }
    if level != code.len().to_string() {
        return Err(error("level", format!("level {level:?} does not match code {code}, which has {} digits", code.len())));
    }
    if description.trim().is_empty() {
        return Err(error("description", format!("code {code} has an empty description")));
    }
    if section.is_empty() || !section.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C')) {
        return Err(error("section", format!("section {section:?} of code {code} is not a Roman numeral such as XVI")));
    }
    let parent = if code.len() == 2 {
        if !parent.is_empty() && parent != NOT_HS_SECTION {
            return Err(error("parent", format!("chapter {code} has parent {parent:?}; expected TOTAL or nothing")));
        }
        None
    } else {
        let enclosing = &code[..code.len() - 2];
        if parent != enclosing {
            return Err(error("parent", format!("parent {parent:?} of code {code} is not the enclosing code {enclosing}")));
        }
        Some(parent.to_owned())
    };

    Ok(NomenclatureEntry { code: code.to_owned(), description: description.to_owned(), parent, section: section.to_owned() })
}

/// Converts a CSV syntax error, taking the line from its position where it
/// has one.
fn csv_error(error: &csv::Error, fallback_line: u64) -> NomenclatureError {
    let line = error.position().map_or(fallback_line, csv::Position::line);
    NomenclatureError { line, column: None, message: format!("invalid CSV: {error}") }
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

    const SAMPLE: &str = "\u{feff}section,hscode,description,parent,level\r\n\
        I,01,Animals; live,TOTAL,2\r\n\
        I,0101,\"Horses, asses, mules and hinnies; live\",01,4\r\n\
        I,010121,\"Horses; live, \"\"pure-bred\"\" breeding animals\",0101,6\r\n\
        TOTAL,99,Commodities not specified according to kind,TOTAL,2\r\n\
        TOTAL,9999,Commodities not specified according to kind,99,4\r\n\
        TOTAL,TOTAL,Total of all HS2022 commodities,TOTAL,5\r\n";

    #[test]
    fn nomenclature_reads_quotes_and_skips_totals() {
        let entries = parse_nomenclature_csv(SAMPLE).unwrap();
        let codes: Vec<&str> = entries.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["01", "0101", "010121"]);
        assert_eq!(entries[0].parent, None);
        assert_eq!(entries[1].description, "Horses, asses, mules and hinnies; live");
        assert_eq!(entries[2].description, "Horses; live, \"pure-bred\" breeding animals");
        assert_eq!(entries[2].parent.as_deref(), Some("0101"));
        assert_eq!(entries[2].section, "I");
    }

    #[test]
    fn nomenclature_accepts_any_column_order_without_bom() {
        let text = "hscode,level,parent,section,description\n01,2,,I,Animals; live\n0101,4,01,I,Horses\n";
        let entries = parse_nomenclature_csv(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].description, "Horses");
    }

    #[test]
    fn nomenclature_errors_name_line_and_column() {
        let header = "section,hscode,description,parent,level\n";
        let chapter = "I,01,Animals; live,TOTAL,2\n";
        // Each case: the rows after the header, then the expected line,
        // column and part of the message.
        let cases: [(&str, u64, Option<&str>, &str); 12] = [
            ("I,0101,Horses,01,2\n", 3, Some("level"), "does not match code 0101"),
            ("I,0101,Horses,01,x\n", 3, Some("level"), "does not match code 0101"),
            ("I,010,Horses,01,3\n", 3, Some("hscode"), "2, 4 or 6 digits"),
            ("I,01a1,Horses,01,4\n", 3, Some("hscode"), "2, 4 or 6 digits"),
            ("XV,7701,Reserved,77,4\n", 3, Some("hscode"), "chapter 77"),
            ("I,0101,Horses,02,4\n", 3, Some("parent"), "not the enclosing code 01"),
            ("I,010121,Horses,0101,6\n", 3, Some("parent"), "parent 0101 of code 010121 does not appear"),
            ("I,0101,\"  \",01,4\n", 3, Some("description"), "empty description"),
            ("16,0101,Horses,01,4\n", 3, Some("section"), "not a Roman numeral"),
            ("I,0101,Horses\n", 3, Some("parent"), "has 3 fields but the header has 5"),
            ("I,0101,Horses,01,4\n\"I\",\"0101\",\"Horses again\",\"01\",\"4\"\n", 4, Some("hscode"), "repeats the row on line 3"),
            ("I,02,Meat,01,2\n", 3, Some("parent"), "chapter 02 has parent"),
        ];
        for (rows, line, column, message) in cases {
            let text = format!("{header}{chapter}{rows}");
            let error = parse_nomenclature_csv(&text).unwrap_err();
            assert_eq!(error.line, line, "{rows:?}: {error}");
            assert_eq!(error.column, column, "{rows:?}: {error}");
            assert!(error.message.contains(message), "{rows:?}: {error}");
        }
    }

    #[test]
    fn nomenclature_line_counts_quoted_newlines() {
        let text = "section,hscode,description,parent,level\nI,01,\"Animals;\nlive\",TOTAL,2\nI,0101,Horses,01,5\n";
        let error = parse_nomenclature_csv(text).unwrap_err();
        assert_eq!((error.line, error.column), (4, Some("level")), "{error}");
        assert_eq!(error.to_string(), "line 4, column level: level \"5\" does not match code 0101, which has 4 digits");
    }

    #[test]
    fn nomenclature_rejects_missing_column_and_empty_file() {
        let error = parse_nomenclature_csv("section,code,description,parent,level\nI,01,Animals,TOTAL,2\n").unwrap_err();
        assert_eq!((error.line, error.column), (1, Some("hscode")), "{error}");
        let error = parse_nomenclature_csv("section,hscode,description,parent,level\nTOTAL,TOTAL,Total,TOTAL,5\n").unwrap_err();
        assert_eq!((error.line, error.column), (1, None), "{error}");
        assert!(error.message.contains("no HS codes"), "{error}");
        assert!(parse_nomenclature_csv("").is_err());
    }
}
