//! `ecert-hub export` and `import` as an operator runs them. The demo hub
//! moves from SQLite to PostgreSQL and back with the same digest, the same
//! verification results, files and event log. An import that would
//! overwrite data or load a damaged archive is rejected before it writes.
//!
//! The PostgreSQL test creates its own database `ecert_test_<uuid>` on the
//! server named by `ECERT_TEST_DATABASE_URL` and skips without it, unless
//! `ECERT_REQUIRE_TEST_DATABASE=1`.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ecert_store_postgres::test_hooks::TestDatabase;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

const BIN: &str = env!("CARGO_BIN_EXE_ecert-hub");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("RUST_LOG", "warn").output().expect("run ecert-hub")
}

/// Runs a command that must succeed and returns its trimmed stdout.
fn run_ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "ecert-hub {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Runs a command that must fail and returns its stderr.
fn run_err(args: &[&str]) -> String {
    let output = run(args);
    assert!(!output.status.success(), "ecert-hub {} succeeded: {}", args.join(" "), String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo(dir: &Path) -> Value {
    run_ok(&["demo", "--no-serve", "--data-dir", path(dir)]);
    serde_json::from_slice(&std::fs::read(dir.join("demo-credentials.json")).unwrap()).unwrap()
}

/// A running `serve` process, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        let mut command = Command::new(BIN);
        command.args(["serve", "--listen", &listen, "--data-dir", path(data_dir)]);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let child = command.env("RUST_LOG", "warn").stderr(Stdio::null()).spawn().expect("start serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&listen).is_err() {
            assert!(Instant::now() < deadline, "serve did not start listening on {listen}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, base: format!("http://{listen}") }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn get_json(base: &str, path: &str, token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path} on {base}");
    response.json().await.unwrap()
}

async fn get_bytes(base: &str, path: &str, token: &str) -> Vec<u8> {
    let response = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path} on {base}");
    response.bytes().await.unwrap().to_vec()
}

/// Reads the whole event log through the API, page by page.
async fn all_events(base: &str, token: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = get_json(base, &format!("/api/v1/events?after={after}&limit=1000"), Some(token)).await;
        let items = page["events"].as_array().unwrap();
        if items.is_empty() {
            return events;
        }
        events.extend(items.iter().cloned());
        after = page["last_seq"].as_i64().unwrap();
    }
}

/// Verifies a document as of a fixed time, without the time of checking,
/// so that two hubs with the same content give equal results.
async fn verification(base: &str, hub_id: &str, as_of: &str) -> Value {
    let mut result = get_json(base, &format!("/api/v1/documents/{hub_id}/verification?as_of={as_of}"), None).await;
    result.as_object_mut().unwrap().remove("checked_at");
    result
}

/// Reads and parses every line of an archive.
fn archive_lines(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn write_archive(file: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(file, text).unwrap();
}

#[cfg(unix)]
fn assert_owner_only(file: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
}

#[cfg(not(unix))]
fn assert_owner_only(_file: &Path) {}

#[test]
fn demo_moves_to_postgres_and_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(database) = runtime.block_on(TestDatabase::create("demo_moves_to_postgres_and_back")) else { return };
    let root = tempfile::tempdir().unwrap();
    let (a, b, c) = (root.path().join("a"), root.path().join("b"), root.path().join("c"));
    let (archive_a, archive_b, archive_c) =
        (root.path().join("a.jsonl"), root.path().join("b.jsonl"), root.path().join("c.jsonl"));
    let credentials = demo(&a);
    let url = database.url();

    // 1. SQLite A -> PostgreSQL B -> SQLite C, with the digest printed by each step.
    assert_eq!(run_ok(&["migrate", "--data-dir", path(&b), "--database-url", url]), "2");
    let digest = run_ok(&["export", "--data-dir", path(&a), "--out", path(&archive_a)]);
    assert_eq!(digest.len(), 64, "{digest}");
    assert_owner_only(&archive_a);
    assert_eq!(run_ok(&["import", "--data-dir", path(&b), "--database-url", url, "--in", path(&archive_a)]), digest);
    assert!(!b.join("hub.db").exists(), "the import into PostgreSQL created a SQLite file");
    assert_eq!(run_ok(&["export", "--data-dir", path(&b), "--database-url", url, "--out", path(&archive_b)]), digest);
    assert_eq!(run_ok(&["import", "--data-dir", path(&c), "--in", path(&archive_b)]), digest);
    assert_eq!(run_ok(&["export", "--data-dir", path(&c), "--out", path(&archive_c)]), digest);

    // 2. The three archives carry the same files and hub keys.
    let payloads = |file: &Path| -> Vec<Value> {
        archive_lines(file).into_iter().filter(|line| line["type"] == "blob" || line["type"] == "hub_key").collect()
    };
    let files_a = payloads(&archive_a);
    assert!(files_a.iter().filter(|line| line["type"] == "blob").count() >= 20, "too few blobs in the archive");
    assert_eq!(files_a.iter().filter(|line| line["type"] == "hub_key").count(), 1);
    assert_eq!(payloads(&archive_b), files_a);
    assert_eq!(payloads(&archive_c), files_a);
    let header = &archive_lines(&archive_a)[0];
    assert_eq!(header["contains_secrets"], true);
    assert_eq!(header["source_backend"], "sqlite");
    assert_eq!(archive_lines(&archive_b)[0]["source_backend"], "postgres");

    // 3. Importing again into the now filled PostgreSQL database is rejected.
    let rejected = run_err(&["import", "--data-dir", path(&b), "--database-url", url, "--in", path(&archive_a)]);
    assert!(rejected.contains("not empty"), "{rejected}");

    // 4. A, B and C serve the same verification results, files and event log.
    let token = credentials["hub_operator_token"].as_str().unwrap();
    let server_a = Server::start(&a, None);
    let server_b = Server::start(&b, Some(url));
    let server_c = Server::start(&c, None);
    // One fixed time for all three hubs, rounded up to the next whole second
    // so that it never falls before a registration made in this second.
    let as_of = (time::OffsetDateTime::now_utc() + time::Duration::seconds(1)).replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap();
    let documents = credentials["documents"].as_array().unwrap();
    runtime.block_on(async {
        let mut samples: Vec<(&str, &str)> = Vec::new();
        for status in ["valid", "suspended", "withdrawn", "expired", "superseded"] {
            let document = documents.iter().find(|d| d["status"] == status).unwrap_or_else(|| panic!("no {status} demo document"));
            samples.push((document["hub_id"].as_str().unwrap(), status));
        }
        for basis in ["issuer_signature", "national_seal", "hub_attestation"] {
            let document = documents.iter().find(|d| d["trust_basis"] == basis && d["status"] == "valid").unwrap();
            samples.push((document["hub_id"].as_str().unwrap(), basis));
        }
        for (hub_id, label) in samples {
            let expected = verification(&server_a.base, hub_id, &as_of).await;
            let verdict = if matches!(label, "suspended" | "withdrawn" | "expired" | "superseded") { "invalid" } else { "valid" };
            assert_eq!(expected["verdict"], verdict, "{label} document {hub_id} on A: {expected}");
            assert_eq!(verification(&server_b.base, hub_id, &as_of).await, expected, "{label} document {hub_id} on B");
            assert_eq!(verification(&server_c.base, hub_id, &as_of).await, expected, "{label} document {hub_id} on C");

            let file = format!("/api/v1/documents/{hub_id}/file");
            let bytes = get_bytes(&server_a.base, &file, token).await;
            assert!(bytes.starts_with(b"%PDF-"), "{label} document {hub_id} has no PDF on A");
            assert_eq!(get_bytes(&server_c.base, &file, token).await, bytes, "file of {hub_id} on C");
        }

        let events = all_events(&server_a.base, token).await;
        assert!(events.len() > 50, "only {} events on A", events.len());
        assert_eq!(all_events(&server_b.base, token).await, events, "event log on B");
        assert_eq!(all_events(&server_c.base, token).await, events, "event log on C");
        let hub_keys = get_json(&server_a.base, "/api/v1/hub/keys", None).await;
        assert_eq!(get_json(&server_c.base, "/api/v1/hub/keys", None).await, hub_keys);

        // 5. A new write on C continues the event log after the imported events.
        let last_seq = events.last().unwrap()["seq"].as_i64().unwrap();
        run_ok(&["admin", "--data-dir", path(&c), "add-country", "--code", "KZ", "--name", "Kazakhstan", "--track", "B"]);
        let page = get_json(&server_c.base, &format!("/api/v1/events?after={last_seq}"), Some(token)).await;
        let new_events = page["events"].as_array().unwrap();
        assert_eq!(new_events.len(), 1, "{page}");
        assert_eq!(new_events[0]["seq"], last_seq + 1);
        assert_eq!(new_events[0]["kind"], "country.upserted");
    });
}

#[test]
fn import_rejects_non_empty_database() {
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("a");
    demo(&a);
    let archive = root.path().join("a.jsonl");
    let digest = run_ok(&["export", "--data-dir", path(&a), "--out", path(&archive)]);

    // The source itself: same hub keys, but its database has rows.
    let rejected = run_err(&["import", "--data-dir", path(&a), "--in", path(&archive)]);
    assert!(rejected.contains("the target database is not empty"), "{rejected}");
    let after = root.path().join("after.jsonl");
    assert_eq!(run_ok(&["export", "--data-dir", path(&a), "--out", path(&after)]), digest);

    // Another hub with its own hub key: the keys differ, so nothing is written.
    let other = root.path().join("other");
    run_ok(&["admin", "--data-dir", path(&other), "rotate-hub-key"]);
    run_ok(&["admin", "--data-dir", path(&other), "add-country", "--code", "UZ", "--name", "Uzbekistan", "--track", "A"]);
    let other_before = root.path().join("other-before.jsonl");
    let other_digest = run_ok(&["export", "--data-dir", path(&other), "--out", path(&other_before)]);
    let rejected = run_err(&["import", "--data-dir", path(&other), "--in", path(&archive)]);
    assert!(rejected.contains("hub key(s) that differ"), "{rejected}");
    assert!(!other.join("blobs").exists(), "the rejected import wrote blobs");
    let other_after = root.path().join("other-after.jsonl");
    assert_eq!(run_ok(&["export", "--data-dir", path(&other), "--out", path(&other_after)]), other_digest);

    // An existing archive file is never overwritten.
    let rejected = run_err(&["export", "--data-dir", path(&a), "--out", path(&archive)]);
    assert!(rejected.contains("already exists"), "{rejected}");
}

#[test]
fn import_rejects_damaged_archive() {
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("a");
    demo(&a);
    let archive = root.path().join("a.jsonl");
    run_ok(&["export", "--data-dir", path(&a), "--out", path(&archive)]);
    let lines = archive_lines(&archive);
    let first_blob = lines.iter().position(|line| line["type"] == "blob").unwrap();

    let mut blob_byte = lines.clone();
    let mut bytes = STANDARD.decode(blob_byte[first_blob]["base64"].as_str().unwrap()).unwrap();
    bytes[100] ^= 0x01;
    blob_byte[first_blob]["base64"] = STANDARD.encode(&bytes).into();

    let mut status = lines.clone();
    let withdrawn = status[1]["snapshot"]["documents"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|d| d["status"] == "withdrawn")
        .unwrap();
    withdrawn["status"] = "valid".into();

    let mut dropped_blob = lines.clone();
    dropped_blob.remove(first_blob);

    let mut foreign_blob = lines.clone();
    foreign_blob[first_blob]["sha256"] = blob_sha256(b"not a document file").into();
    foreign_blob[first_blob]["base64"] = STANDARD.encode(b"not a document file").into();

    let mut escaping_key = lines.clone();
    let key_line = escaping_key.iter().position(|line| line["type"] == "hub_key").unwrap();
    escaping_key[key_line]["file_name"] = "../outside.jwk".into();

    let cases = [
        ("one blob byte changed", blob_byte, "is corrupt: blob"),
        ("a document status changed", status, "the archive is corrupt: its snapshot has digest"),
        ("a blob line removed", dropped_blob, "truncated or edited"),
        ("a blob no document refers to", foreign_blob, "is not a file of any document"),
        ("a hub key outside the key directory", escaping_key, "file name \"../outside.jwk\" is invalid"),
    ];
    for (case, damaged, expected) in cases {
        let file = root.path().join("damaged.jsonl");
        write_archive(&file, &damaged);
        let target = root.path().join("target");
        let rejected = run_err(&["import", "--data-dir", path(&target), "--in", path(&file)]);
        assert!(rejected.contains(expected), "{case}: {rejected}");
        assert!(!target.exists(), "{case}: the rejected import wrote to the data directory");
        assert!(!root.path().join("outside.jwk").exists(), "{case}: a hub key was written outside the key directory");
    }
}

fn blob_sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex_lower(&sha2::Sha256::digest(bytes))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
