//! `ecert-hub hs import` and `hs search` as an operator runs them, on a new
//! SQLite hub in a temporary directory.
//!
//! The import test reads the published HS 2022 nomenclature from the shared
//! data checkout next to the workspace. Without that checkout it prints why
//! it is skipped and passes, unless `ECERT_REQUIRE_TEST_DATA=1` is set (CI
//! sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ecert-hub");
const HS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/hs/harmonized-system-2022.csv");
const REQUIRE_DATA_VAR: &str = "ECERT_REQUIRE_TEST_DATA";

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("RUST_LOG", "warn").env_remove("ECERT_DATABASE_URL").output().expect("run ecert-hub")
}

fn stdout_ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn stderr_err(args: &[&str]) -> String {
    let output = run(args);
    assert!(!output.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

/// Returns the path of the HS 2022 file, or `None` after printing why the
/// test is skipped. Panics instead when `ECERT_REQUIRE_TEST_DATA=1`.
fn hs_file() -> Option<PathBuf> {
    let path = Path::new(HS_FILE);
    if path.is_file() {
        return Some(path.to_path_buf());
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

/// Returns the codes of `hs search` output, one entry per line.
fn codes(output: &str) -> Vec<&str> {
    output.lines().map(|line| line.split_whitespace().next().unwrap_or_default()).collect()
}

#[test]
fn hs2022_imports_and_searches() {
    let Some(file) = hs_file() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    let imported = stdout_ok(&["hs", "--data-dir", data, "import", file.to_str().unwrap(), "--edition", "HS2022"]);
    assert_eq!(imported.trim(), "6936", "96 chapters, 1228 headings and 5612 subheadings");

    let by_code = stdout_ok(&["hs", "--data-dir", data, "search", "8544.4"]);
    assert_eq!(codes(&by_code), ["854442", "854449"]);
    let by_words = stdout_ok(&["hs", "--data-dir", data, "search", "--limit", "100", "OPTICAL fibre cables"]);
    assert_eq!(codes(&by_words), ["8536", "853670", "8544", "854470", "9001", "900110"]);
    let limited = stdout_ok(&["hs", "--data-dir", data, "search", "--limit", "3", "01"]);
    assert_eq!(codes(&limited), ["01", "0101", "010121"]);
    assert!(stdout_ok(&["hs", "--data-dir", data, "search", "77"]).is_empty(), "chapter 77 is reserved");

    // A second import replaces the catalog rather than adding to it.
    let small = dir.path().join("small.csv");
    std::fs::write(&small, "section,hscode,description,parent,level\nI,01,Animals; live,TOTAL,2\nI,0101,Horses,01,4\n").unwrap();
    assert_eq!(stdout_ok(&["hs", "--data-dir", data, "import", small.to_str().unwrap()]).trim(), "2");
    assert!(stdout_ok(&["hs", "--data-dir", data, "search", "8544"]).is_empty());
}

#[test]
fn hs_import_rejects_invalid_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "section,hscode,description,parent,level\nI,01,Animals; live,TOTAL,2\nI,0101,Horses,01,6\n").unwrap();

    let error = stderr_err(&["hs", "--data-dir", data, "import", file.to_str().unwrap()]);
    assert!(error.contains("line 3, column level"), "{error}");
    assert!(!dir.path().join("hub").exists(), "an invalid file created the hub's data directory");

    let error = stderr_err(&["hs", "--data-dir", data, "import", file.to_str().unwrap(), "--edition", "HS2020"]);
    assert!(error.contains("HS2017, HS2022 or HS2027"), "{error}");
}

#[test]
fn hs_search_needs_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let error = stderr_err(&["hs", "--data-dir", data, "search", "8544"]);
    assert!(error.contains("no hub database found"), "{error}");

    stdout_ok(&["migrate", "--data-dir", data]);
    let error = stderr_err(&["hs", "--data-dir", data, "search", "8544"]);
    assert!(error.contains("hs import"), "{error}");
}
