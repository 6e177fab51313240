//! Behaviour an operator relies on when following docs/OPERATIONS.md: a
//! clean stop leaves `hub.db` complete for a cold backup, an export does not
//! silently drop files or read an empty database, help text and errors do
//! not show the database password, invalid settings are rejected with a
//! message, and only commands that attest documents create a hub key.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ecert_store::Store as _;
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

const BIN: &str = env!("CARGO_BIN_EXE_ecert-hub");

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).env("RUST_LOG", "warn");
    for variable in ["ECERT_DATABASE_URL", "ECERT_BLOB_URL", "ECERT_DATA_DIR", "ECERT_DB_MAX_CONNECTIONS", "ECERT_DB_ACQUIRE_TIMEOUT"] {
        command.env_remove(variable);
    }
    command
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("run ecert-hub")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo(dir: &Path) {
    let output = run(&["demo", "--no-serve", "--data-dir", path(dir)]);
    assert!(output.status.success(), "demo failed: {}", stderr(&output));
}

/// Counts the countries in a copy of `database` made without its `-wal`
/// and `-shm` files, as a backup that copies only `hub.db` would.
async fn countries_in_copy(database: &Path) -> usize {
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("hub.db");
    std::fs::copy(database, &copy).unwrap();
    // Opening runs the migrations, which create empty tables in a copy
    // that lacks them, so an incomplete copy shows as zero countries.
    let options = SqliteOptions { create_if_missing: false, ..SqliteOptions::default() };
    let store = SqliteStore::open(&copy, options).await.unwrap();
    let count = store.list_countries().await.unwrap().len();
    store.close().await.unwrap();
    count
}

fn wal_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("hub.db-wal")).map_or(0, |metadata| metadata.len())
}

#[tokio::test]
async fn demo_leaves_complete_database_file() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());

    assert_eq!(wal_len(dir.path()), 0, "hub.db-wal still holds pages after demo --no-serve");
    assert_eq!(countries_in_copy(&dir.path().join("hub.db")).await, 5);
}

#[tokio::test]
async fn admin_leaves_complete_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["admin", "--data-dir", path(dir.path()), "add-country", "--code", "KG", "--name", "Kyrgyzstan", "--track", "B"]);
    assert!(output.status.success(), "admin failed: {}", stderr(&output));

    assert_eq!(wal_len(dir.path()), 0, "hub.db-wal still holds pages after admin");
    assert_eq!(countries_in_copy(&dir.path().join("hub.db")).await, 1);
}

#[test]
fn admin_creates_no_hub_key() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(&["admin", "--data-dir", path(dir.path()), "add-country", "--code", "KG", "--name", "Kyrgyzstan", "--track", "B"]);

    assert!(output.status.success(), "admin failed: {}", stderr(&output));
    let keys = dir.path().join("hub-keys");
    let count = std::fs::read_dir(&keys).map_or(0, |entries| entries.count());
    assert_eq!(count, 0, "admin add-country created a hub key in {}", keys.display());
}

/// `serve` on a new data directory creates one hub key in a directory of
/// mode 0700, logs its id, and after SIGTERM leaves no pages in the WAL.
#[cfg(unix)]
#[test]
fn serve_creates_private_key_and_checkpoints_on_stop() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = command(&["serve", "--listen", &listen, "--data-dir", path(dir.path())])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "serve did not start listening on {listen}");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();

    assert!(status.success(), "serve exited with {status}: {log}");
    assert_eq!(wal_len(dir.path()), 0, "hub.db-wal still holds pages after SIGTERM");
    let keys = dir.path().join("hub-keys");
    let mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "mode of {}", keys.display());
    let files: Vec<String> =
        std::fs::read_dir(&keys).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(log.contains("created a new one"), "{log}");
    assert!(log.contains("loaded hub keys"), "{log}");
    let kid = files[0].trim_end_matches(".jwk").split_once('-').unwrap().1;
    assert!(log.contains(kid), "the log does not name key {kid}: {log}");
}

#[test]
fn export_fails_when_files_are_missing() {
    let source = tempfile::tempdir().unwrap();
    demo(source.path());
    let work = tempfile::tempdir().unwrap();
    let wrong_blobs = work.path().join("no-blobs-here");
    let archive = work.path().join("archive.jsonl");

    let output = run(&[
        "export",
        "--data-dir",
        path(source.path()),
        "--blob-url",
        path(&wrong_blobs),
        "--out",
        path(&archive),
    ]);

    assert!(!output.status.success(), "export without the files succeeded");
    let message = stderr(&output);
    assert!(message.contains("document file(s) of countries with data policy `full` are missing"), "{message}");
    assert!(message.contains("ECERT_BLOB_URL"), "{message}");
    assert!(message.contains("--allow-missing-files"), "{message}");
    assert!(!archive.exists(), "a failed export left an archive");
}

#[test]
fn missing_files_pass_only_with_flag() {
    let source = tempfile::tempdir().unwrap();
    demo(source.path());
    let work = tempfile::tempdir().unwrap();
    let wrong_blobs = work.path().join("no-blobs-here");
    let archive = work.path().join("archive.jsonl");
    let export = run(&[
        "export",
        "--data-dir",
        path(source.path()),
        "--blob-url",
        path(&wrong_blobs),
        "--out",
        path(&archive),
        "--allow-missing-files",
    ]);
    assert!(export.status.success(), "export --allow-missing-files failed: {}", stderr(&export));

    let target = work.path().join("target");
    let rejected = run(&["import", "--data-dir", path(&target), "--in", path(&archive)]);
    let imported = run(&["import", "--data-dir", path(&target), "--in", path(&archive), "--allow-missing-files"]);

    assert!(!rejected.status.success(), "import of an archive without its files succeeded");
    assert!(stderr(&rejected).contains("--allow-missing-files"), "{}", stderr(&rejected));
    assert!(imported.status.success(), "import --allow-missing-files failed: {}", stderr(&imported));
    assert_eq!(stdout(&imported), stdout(&export), "digest of the target after the import");
}

/// The digest that `import` prints is read back from the target, so a fresh
/// export of the target prints the same value.
#[test]
fn import_digest_matches_target_export() {
    let source = tempfile::tempdir().unwrap();
    demo(source.path());
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive.jsonl");
    let exported = run(&["export", "--data-dir", path(source.path()), "--out", path(&archive)]);
    assert!(exported.status.success(), "{}", stderr(&exported));

    let target = work.path().join("target");
    let imported = run(&["import", "--data-dir", path(&target), "--in", path(&archive)]);
    let again = run(&["export", "--data-dir", path(&target), "--out", path(&work.path().join("again.jsonl"))]);

    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&imported), stdout(&exported));
    assert_eq!(stdout(&imported), stdout(&again));
}

#[test]
fn export_rejects_missing_database() {
    let work = tempfile::tempdir().unwrap();
    let typo = work.path().join("typo.db");
    let empty_dir = work.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();

    let by_url = run(&["export", "--database-url", &format!("sqlite://{}", path(&typo)), "--out", path(&work.path().join("a.jsonl"))]);
    let by_empty_variable = command(&["export", "--data-dir", path(&empty_dir), "--out", path(&work.path().join("b.jsonl"))])
        .env("ECERT_DATABASE_URL", "")
        .output()
        .unwrap();

    assert!(!by_url.status.success(), "export of a missing SQLite file succeeded");
    assert!(stderr(&by_url).contains(path(&typo)), "{}", stderr(&by_url));
    assert!(!typo.exists(), "export created {}", typo.display());
    assert!(!by_empty_variable.status.success(), "export with an empty ECERT_DATABASE_URL succeeded");
    assert!(stderr(&by_empty_variable).contains("no hub database found"), "{}", stderr(&by_empty_variable));
    assert!(!empty_dir.join("hub.db").exists(), "export created a database in {}", empty_dir.display());
}

#[test]
fn help_hides_database_password() {
    let url = "postgres://hub:s3cret-password@127.0.0.1:5432/hub";
    for subcommand in ["serve", "demo", "admin", "migrate", "export", "import", "hs"] {
        let output = command(&[subcommand, "--help"]).env("ECERT_DATABASE_URL", url).output().unwrap();

        let help = stdout(&output);
        assert!(help.contains("ECERT_DATABASE_URL"), "{subcommand} --help: {help}");
        assert!(!help.contains("s3cret-password"), "{subcommand} --help shows the password: {help}");
    }
}

#[test]
fn zero_numeric_settings_are_rejected() {
    for (variable, value) in
        [("ECERT_DB_MAX_CONNECTIONS", "0"), ("ECERT_DB_ACQUIRE_TIMEOUT", "0"), ("ECERT_DB_MAX_CONNECTIONS", "-1")]
    {
        let dir = tempfile::tempdir().unwrap();
        let output = command(&["migrate", "--data-dir", path(dir.path())]).env(variable, value).output().unwrap();

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{variable}={value}: {message}");
        assert!(message.contains("1.."), "{variable}={value}: {message}");
        assert!(!message.contains("panicked"), "{variable}={value}: {message}");
    }
}

#[test]
fn invalid_public_base_url_stops_serve() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let output = command(&["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir", path(dir.path())])
        .env("ECERT_PUBLIC_BASE_URL", " https://verify.example.org")
        .output()
        .unwrap();

    assert!(!output.status.success(), "serve started with a leading space in the URL");
    assert!(stderr(&output).contains("ECERT_PUBLIC_BASE_URL"), "{}", stderr(&output));
}

#[test]
fn unreachable_postgres_names_cause() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();

    let output = run(&["migrate", "--database-url", &format!("postgres://hub:pw-secret@127.0.0.1:{port}/hub")]);

    let message = stderr(&output);
    assert!(!output.status.success(), "migrate against a closed port succeeded");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(!message.contains("pool timed out"), "{message}");
    assert!(!message.contains("pw-secret"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(8), "migrate took {:?}", started.elapsed());
}
