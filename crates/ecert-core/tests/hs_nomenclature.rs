//! Reads the published HS 2022 nomenclature (datasets/harmonized-system,
//! built from UN Comtrade data) with `ecert_core::hs::parse_nomenclature_csv`.
//!
//! The file is read at run time from the shared data checkout next to the
//! workspace. A fresh clone has no such checkout, so the test prints why it
//! is skipped and passes, unless `ECERT_REQUIRE_TEST_DATA=1` is set (CI sets it).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use ecert_core::hs::parse_nomenclature_csv;

const HS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/hs/harmonized-system-2022.csv");
const REQUIRE_DATA_VAR: &str = "ECERT_REQUIRE_TEST_DATA";

/// Returns the file's text, or `None` after printing why the test is
/// skipped. Panics instead when `ECERT_REQUIRE_TEST_DATA=1`.
fn read_hs_file() -> Option<String> {
    let path = Path::new(HS_FILE);
    if path.is_file() {
        return Some(std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())));
    }
    let required = std::env::var(REQUIRE_DATA_VAR).is_ok_and(|value| value == "1");
    assert!(
        !required,
        "HS nomenclature not found at {}, and {REQUIRE_DATA_VAR}=1 requires it; check out the shared test data next to the workspace",
        path.display()
    );
    eprintln!(
        "skipped: HS nomenclature not found at {}; check out the shared test data next to the workspace to run this test, or set {REQUIRE_DATA_VAR}=1 to make the missing data a failure",
        path.display()
    );
    None
}

#[test]
fn hs2022_file_parses_completely() {
    let Some(text) = read_hs_file() else { return };
    let entries = parse_nomenclature_csv(&text).unwrap_or_else(|e| panic!("{HS_FILE}: {e}"));

    // The data's README counts 97 chapters (96 and the non-HS 99), 1229
    // headings and 5613 subheadings, each including one row of the non-HS
    // codes 99, 9999 and 999999, which the reader skips.
    let mut by_length: BTreeMap<usize, usize> = BTreeMap::new();
    for entry in &entries {
        *by_length.entry(entry.code.len()).or_default() += 1;
    }
    assert_eq!(by_length.get(&2), Some(&96), "chapters");
    assert_eq!(by_length.get(&4), Some(&1228), "headings");
    assert_eq!(by_length.get(&6), Some(&5612), "subheadings");
    assert_eq!(entries.len(), 6936);

    let codes: HashSet<&str> = entries.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes.len(), entries.len(), "codes repeat");
    for code in ["99", "9999", "999999", "TOTAL"] {
        assert!(!codes.contains(code), "the non-HS code {code} was kept");
    }
    assert!(!entries.iter().any(|e| e.code.starts_with("77")), "chapter 77 is reserved");

    let cable = entries.iter().find(|e| e.code == "8544").expect("heading 8544");
    assert!(cable.description.starts_with("Insulated wire, cable and other electric conductors"), "{cable:?}");
    assert_eq!(cable.parent.as_deref(), Some("85"));
    assert_eq!(cable.section, "XVI");
    let horses = entries.iter().find(|e| e.code == "010121").expect("subheading 010121");
    assert_eq!(horses.description, "Horses; live, pure-bred breeding animals");
    assert_eq!(entries.first().map(|e| e.code.as_str()), Some("01"));
    assert_eq!(entries.last().map(|e| e.code.as_str()), Some("970690"));
}
