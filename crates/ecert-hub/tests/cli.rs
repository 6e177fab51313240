//! The `ecert-hub` binary as a user runs it: the demo, `serve` with a
//! graceful stop on SIGTERM, `verify` with its exit codes, `admin`,
//! `keygen` and `sign`.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecert-hub");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("RUST_LOG", "warn").output().expect("run ecert-hub")
}

/// Starts `serve` on a free port and waits until its port accepts connections.
fn serve(data_dir: &Path) -> (Child, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(BIN)
        .args(["serve", "--listen", &listen, "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let base = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if std::net::TcpStream::connect(&listen).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start listening on {listen}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, base)
}

fn demo(dir: &Path) -> serde_json::Value {
    let output = run(&["demo", "--no-serve", "--data-dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "demo failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&std::fs::read(dir.join("demo-credentials.json")).unwrap()).unwrap()
}

#[test]
fn demo_seeds_five_countries_and_all_states() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = demo(dir.path());

    let documents = credentials["documents"].as_array().unwrap();
    assert!(documents.len() >= 20, "only {} documents", documents.len());
    for status in ["valid", "suspended", "withdrawn", "expired", "superseded"] {
        assert!(documents.iter().any(|d| d["status"] == status), "no {status} document");
    }
    for basis in ["issuer_signature", "national_seal", "hub_attestation"] {
        assert!(documents.iter().any(|d| d["trust_basis"] == basis), "no {basis} document");
    }
    let countries: std::collections::BTreeSet<&str> =
        documents.iter().filter_map(|d| d["country"].as_str()).collect();
    assert_eq!(countries.into_iter().collect::<Vec<_>>(), ["AZ", "KG", "PK", "TJ", "UZ"]);

    let orgs = credentials["organisations"].as_array().unwrap();
    for country in ["UZ", "AZ", "KG", "PK", "TJ"] {
        let cabs = orgs
            .iter()
            .filter(|o| o["country"] == country && matches!(o["kind"].as_str(), Some("certification_body" | "testing_laboratory")))
            .count();
        assert!(cabs >= 2, "{country} has {cabs} CABs");
    }
    assert!(orgs.iter().all(|o| o["token"].as_str().is_some_and(|t| t.starts_with("ecert_"))));

    // One portal user per role and country, and the hub operator.
    let users = credentials["portal_users"].as_array().unwrap();
    assert_eq!(users.len(), 21);
    assert!(users.iter().any(|u| u["username"] == "operator" && u["role"] == "hub_operator" && u["country"].is_null()));
    for country in ["UZ", "AZ", "KG", "PK", "TJ"] {
        for role in ["national_admin", "cab_issuer", "customs_officer", "viewer"] {
            let found = users.iter().filter(|u| u["country"] == country && u["role"] == role).count();
            assert_eq!(found, 1, "{country} {role}");
        }
    }
    for user in users {
        let password = user["password"].as_str().unwrap_or("");
        assert!(password.chars().count() >= 12, "{user}");
    }
    let passwords: std::collections::BTreeSet<&str> = users.iter().filter_map(|u| u["password"].as_str()).collect();
    assert_eq!(passwords.len(), users.len(), "every demo password differs");
}

#[test]
fn demo_refuses_existing_hub_without_reset() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let again = run(&["demo", "--no-serve", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--reset"));
    let reset = run(&["demo", "--no-serve", "--reset", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(reset.status.success(), "{}", String::from_utf8_lossy(&reset.stderr));
}

#[test]
fn verify_exit_codes_follow_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = demo(dir.path());
    let (mut child, base) = serve(dir.path());

    let by_status = |status: &str| -> String {
        credentials["documents"].as_array().unwrap().iter().find(|d| d["status"] == status).unwrap()["hub_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let valid = run(&["verify", &by_status("valid"), "--hub", &base]);
    let suspended = run(&["verify", &by_status("suspended"), "--hub", &base]);
    let typo = run(&["verify", "UZ-CC-0000-0000-1", "--hub", &base]);
    let unreachable = run(&["verify", &by_status("valid"), "--hub", &format!("http://127.0.0.1:{}", free_port())]);
    child.kill().ok();
    child.wait().ok();

    assert_eq!(valid.status.code(), Some(0), "{}", String::from_utf8_lossy(&valid.stdout));
    assert!(String::from_utf8_lossy(&valid.stdout).contains("VALID"));
    assert_eq!(suspended.status.code(), Some(1), "{}", String::from_utf8_lossy(&suspended.stdout));
    assert!(String::from_utf8_lossy(&suspended.stdout).contains("suspended"));
    assert_eq!(typo.status.code(), Some(1), "{}", String::from_utf8_lossy(&typo.stdout));
    assert_eq!(unreachable.status.code(), Some(3), "{}", String::from_utf8_lossy(&unreachable.stderr));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach the hub"));
}

#[cfg(unix)]
#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _base) = serve(dir.path());
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "serve exited with {exit}");
    let log: Vec<String> = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok).collect();
    let log = log.join("\n");
    assert!(log.contains("e-CERT Hub listening"), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(log.contains("e-CERT Hub stopped"), "{log}");
}

#[test]
fn admin_bootstraps_and_keys_sign() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let ok = |output: std::process::Output| -> String {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };

    ok(run(&["admin", "--data-dir", data, "add-country", "--code", "UZ", "--name", "Uzbekistan", "--track", "A"]));
    let cab = ok(run(&[
        "admin", "--data-dir", data, "add-org", "--country", "UZ", "--kind", "certification_body", "--number", "CB-9", "--name", "Test body",
    ]));
    ok(run(&[
        "admin", "--data-dir", data, "add-accreditation", "--org", &cab, "--standard", "ISO/IEC 17065", "--body", "Test centre",
        "--hs", "6907", "--valid-from", "2024-01-01T00:00:00Z",
    ]));
    let key_file = dir.path().join("cab.jwk");
    let kid = ok(run(&["keygen", "--out", key_file.to_str().unwrap()]));
    let registered = ok(run(&[
        "admin", "--data-dir", data, "add-key", "--org", &cab, "--jwk", dir.path().join("cab.pub.jwk").to_str().unwrap(),
    ]));
    assert_eq!(registered, kid);
    let token = ok(run(&["admin", "--data-dir", data, "create-token", "--org", &cab, "--role", "cab_issuer"]));
    assert!(token.starts_with("ecert_"));

    let bad_role = run(&["admin", "--data-dir", data, "create-token", "--org", &cab, "--role", "national_admin"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("does not suit"));
    let bad_country = run(&["admin", "--data-dir", data, "add-country", "--code", "uz", "--name", "x", "--track", "A"]);
    assert!(!bad_country.status.success());

    let credential = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": "urn:ecert:org:UZ:CB-9", "name": "Test body"},
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
        "credentialSubject": {
            "attestationType": "certification", "nationalNumber": "N-1",
            "issuedToParty": {"name": "Buyer LLC"},
            "product": {"name": "Tiles", "hsCodes": [{"code": "690721", "edition": "HS2022"}]},
            "conformance": true
        }
    });
    let credential_file = dir.path().join("credential.json");
    std::fs::write(&credential_file, credential.to_string()).unwrap();
    let jws = ok(run(&["sign", "--key", key_file.to_str().unwrap(), credential_file.to_str().unwrap()]));
    let parsed = ecert_core::jose::CompactJws::parse(&jws).unwrap();
    assert_eq!(parsed.header.kid.as_deref(), Some(kid.as_str()));
    assert_eq!(parsed.header.typ.as_deref(), Some("vc+jwt"));
    let jwk: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("cab.pub.jwk")).unwrap()).unwrap();
    parsed.verify(&ecert_core::jose::PublicJwk::from_json(&jwk).unwrap()).unwrap();
}

#[cfg(unix)]
#[test]
fn demo_secrets_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    demo(&dir);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("demo-credentials.json")), 0o600);
    for entry in std::fs::read_dir(dir.join("demo-keys")).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }
}

#[test]
fn sign_rejects_invalid_credential() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.jwk");
    assert!(run(&["keygen", "--out", key.to_str().unwrap()]).status.success());
    let credential = dir.path().join("bad.json");
    std::fs::write(&credential, r#"{"credentialSubject": {}}"#).unwrap();
    let refused = run(&["sign", "--key", key.to_str().unwrap(), credential.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("credentialSubject.nationalNumber"));
    let forced = run(&["sign", "--force", "--key", key.to_str().unwrap(), credential.to_str().unwrap()]);
    assert!(forced.status.success());
    assert_eq!(String::from_utf8_lossy(&forced.stdout).trim().split('.').count(), 3);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_despite_stalled_client() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve(dir.path());
    let address = base.trim_start_matches("http://");
    let mut stalled = std::net::TcpStream::connect(address).unwrap();
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let started = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "serve still runs 30 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "serve exited with {exit}");
    drop(stalled);
}

#[test]
fn usage_errors_exit_with_three() {
    let bad_flag = run(&["verify", "--bogus-flag"]);
    assert_eq!(bad_flag.status.code(), Some(3));
    let help = run(&["verify", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("2 indeterminate"));
}

#[test]
fn public_base_url_rejects_query() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(dir.path())
        .args(["--public-base-url", "https://verify.example.org/path?q=1#frag"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("must not have a query or fragment"));
}

#[test]
fn unknown_database_scheme_names_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(dir.path())
        .args(["--database-url", "mysql://root@127.0.0.1/hub"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ECERT_DATABASE_URL"), "{stderr}");
    assert!(!dir.path().join("hub.db").exists(), "a mistyped URL must not create an empty SQLite database");
}

#[test]
fn admin_and_serve_share_postgres() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(database) = runtime.block_on(ecert_store_postgres::test_hooks::TestDatabase::create("admin_and_serve_share_postgres")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let added = Command::new(BIN)
        .args(["admin", "--data-dir", data, "--database-url", database.url(), "add-country", "--code", "UZ", "--name", "Uzbekistan", "--track", "A"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(!dir.path().join("hub.db").exists(), "no SQLite file when a PostgreSQL URL is given");

    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir", data, "--database-url", database.url()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve on PostgreSQL did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let health = runtime.block_on(async { reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.unwrap().status() });
    child.kill().ok();
    child.wait().ok();
    assert_eq!(health, 200);
}

#[test]
fn log_settings_checked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let migrate = |name: &str, value: &str| {
        let output = Command::new(BIN).args(["migrate", "--data-dir", data]).env_remove("RUST_LOG").env(name, value).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    let stderr = migrate("ECERT_LOG_FORMAT", "JSON");
    assert!(stderr.lines().all(|line| line.starts_with('{')), "{stderr}");
    let stderr = migrate("ECERT_LOG_FORMAT", "xml");
    assert!(stderr.contains(r#"ECERT_LOG_FORMAT="xml" is invalid"#), "{stderr}");
    assert!(stderr.contains("schema"), "the log goes on in plain text: {stderr}");
    let stderr = migrate("RUST_LOG", "info,[bad");
    assert!(stderr.contains(r#"RUST_LOG="info,[bad" is invalid"#), "{stderr}");
}
