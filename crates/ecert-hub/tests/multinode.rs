//! Three `ecert-hub serve` processes on one PostgreSQL database and one data
//! directory, as hub nodes run behind a load balancer.
//!
//! - `three_nodes_share_one_database` drives them concurrently with document
//!   submissions, status changes and key changes while a reader pages through
//!   the event log. Afterwards it checks that the registry, the status
//!   histories and the event log agree with every response the nodes gave.
//! - `withdrawal_races_status_cycle` withdraws documents on a busy node while
//!   the other nodes suspend and reinstate them, and checks the histories and
//!   the verification result.
//!
//! Both need `ECERT_TEST_DATABASE_URL`, a PostgreSQL server URL such as
//! postgres://postgres@127.0.0.1:5432/postgres. Without it they print why
//! and pass, unless `ECERT_REQUIRE_TEST_DATABASE=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ecert_core::jose::b64url;
use ecert_store_postgres::test_hooks::TestDatabase;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_ecert-hub");
const NODE_COUNT: usize = 3;

/// Documents per CAB that are submitted once each, concurrently.
const UNIQUE_PER_CAB: usize = 40;
/// Payloads per CAB that are submitted to all three nodes at the same time.
const DUPLICATE_GROUPS_PER_CAB: usize = 6;
/// National numbers per CAB that three different payloads claim at the same time.
const CLASH_GROUPS_PER_CAB: usize = 4;
/// Documents per CAB whose status is changed from all three nodes at once.
const STATUS_DOCUMENTS_PER_CAB: usize = 5;
/// Documents per CAB that two corrected re-issues supersede at the same time.
const REISSUE_TARGETS_PER_CAB: usize = 3;
/// Submissions signed with a key that is retired or revoked meanwhile.
const DOOMED_KEY_SUBMISSIONS: usize = 16;
/// Of those, the ones submitted only after the key change has returned.
const DOOMED_KEY_LATE_SUBMISSIONS: usize = 4;
/// Doomed-key submissions, of both keys together, that complete before the key changes start.
const DOOMED_KEY_SUBMISSIONS_BEFORE_CHANGE: usize = 12;
/// Documents per CAB that are withdrawn while other nodes cycle their status.
const WITHDRAWAL_RACE_DOCUMENTS_PER_CAB: usize = 12;
/// Concurrent readers that load node 0 during the withdrawal race.
const LOAD_READERS: usize = 24;
/// Requests in flight at once for the bulk submissions.
const BULK_CONCURRENCY: usize = 8;

// ---------------------------------------------------------------------------
// Processes

/// The running `serve` processes. Dropping the guard kills and reaps them,
/// also when an assertion fails, and then prints the end of their logs.
struct Nodes {
    children: Vec<Child>,
    bases: Vec<String>,
    logs: Vec<PathBuf>,
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for (log, base) in self.logs.iter().zip(&self.bases) {
                print_log_tail(log, base);
            }
        }
    }
}

fn print_log_tail(log: &Path, base: &str) {
    let Ok(file) = File::open(log) else { return };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    if lines.is_empty() {
        return;
    }
    eprintln!("--- last lines of the log of the node at {base} ---");
    for line in &lines[lines.len().saturating_sub(30)..] {
        eprintln!("{line}");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().unwrap().port()
}

/// Runs an `ecert-hub admin` subcommand on the shared data directory and
/// database, and returns its trimmed standard output.
fn admin(data_dir: &Path, database_url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", database_url])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run ecert-hub admin");
    assert!(
        output.status.success(),
        "ecert-hub admin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("admin output is UTF-8").trim().to_owned()
}

/// Starts the nodes, each on its own loopback port, with its log in `log_dir`.
fn start_nodes(log_dir: &Path, data_dir: &Path, database_url: &str) -> Nodes {
    let mut nodes = Nodes { children: Vec::new(), bases: Vec::new(), logs: Vec::new() };
    for index in 0..NODE_COUNT {
        let listen = format!("127.0.0.1:{}", free_port());
        let log = log_dir.join(format!("node-{index}.log"));
        let child = Command::new(BIN)
            .args(["serve", "--listen", &listen, "--data-dir"])
            .arg(data_dir)
            .args(["--database-url", database_url])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("create node log"))
            .spawn()
            .expect("start ecert-hub serve");
        nodes.children.push(child);
        nodes.bases.push(format!("http://{listen}"));
        nodes.logs.push(log);
    }
    nodes
}

/// Waits until every node returns 200 from /healthz, and fails early when a
/// node exits.
async fn wait_until_healthy(api: &Api, nodes: &mut Nodes) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for index in 0..NODE_COUNT {
        loop {
            if let Some(exit) = nodes.children[index].try_wait().expect("poll node process") {
                panic!("node {} exited with {exit} before it became healthy", nodes.bases[index]);
            }
            let healthy = api.client.get(format!("{}/healthz", nodes.bases[index])).send().await;
            if healthy.is_ok_and(|response| response.status() == 200) {
                break;
            }
            assert!(Instant::now() < deadline, "node {} did not answer /healthz within 30 s", nodes.bases[index]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP client

/// A response: the HTTP status and the JSON body (`Null` when not JSON).
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    /// Returns the `error.code` of an error response, or an empty string for a success.
    fn code(&self) -> String {
        self.body["error"]["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// A client of all nodes. `next_node` hands them out round-robin.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    bases: Arc<Vec<String>>,
    turn: Arc<AtomicUsize>,
}

impl Api {
    fn new(bases: Vec<String>) -> Api {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
        Api { client, bases: Arc::new(bases), turn: Arc::new(AtomicUsize::new(0)) }
    }

    fn next_node(&self) -> usize {
        self.turn.fetch_add(1, Ordering::Relaxed) % NODE_COUNT
    }

    async fn get(&self, node: usize, token: Option<&str>, path: &str) -> Reply {
        let mut request = self.client.get(format!("{}{path}", self.bases[node]));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(node, "GET", path, request).await
    }

    async fn post(&self, node: usize, token: &str, path: &str, body: &Value) -> Reply {
        let request = self.client.post(format!("{}{path}", self.bases[node])).bearer_auth(token).json(body);
        self.send(node, "POST", path, request).await
    }

    async fn send(&self, node: usize, method: &str, path: &str, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path} on node {} failed: {e}", self.bases[node]));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_else(|e| panic!("reading the response to {method} {path} failed: {e}"));
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status < 500, "{method} {path} on node {} returned {status}: {text}", self.bases[node]);
        Reply { status, body }
    }
}

// ---------------------------------------------------------------------------
// Parties

/// A CAB with its issuer token and its long-lived signing key.
struct Cab {
    org_id: String,
    country: &'static str,
    number: &'static str,
    doc_type: &'static str,
    token: String,
    key: SigningKey,
    kid: String,
}

struct Parties {
    operator_token: String,
    /// National admin tokens of UZ and KG, in the order of `cabs`.
    admin_tokens: Vec<String>,
    /// A certification body in UZ (CoCs) and a testing laboratory in KG (TRs).
    cabs: Vec<Cab>,
}

fn public_jwk(key: &SigningKey) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(key.verifying_key().as_bytes())})
}

/// Creates the first hub key, then registers the parties with `ecert-hub
/// admin`: two countries with a national admin each, the hub operator, and
/// one CAB per country with an accreditation for HS 6907, a signing key and
/// an issuer token. The key is created before the nodes start, because
/// nodes that start together on a directory without a key would each create
/// their own.
fn bootstrap(data_dir: &Path, database_url: &str, key_dir: &Path) -> Parties {
    let run = |args: &[&str]| admin(data_dir, database_url, args);
    run(&["rotate-hub-key"]);
    run(&["add-country", "--code", "UZ", "--name", "Uzbekistan", "--track", "A"]);
    run(&["add-country", "--code", "KG", "--name", "Kyrgyzstan", "--track", "A"]);

    let operator = run(&["add-org", "--kind", "hub_operator", "--number", "HUB", "--name", "Hub operator"]);
    let operator_token = run(&["create-token", "--org", &operator, "--role", "hub_operator"]);

    let cab_specs = [
        ("UZ", "certification_body", "CB-0042", "ISO/IEC 17065", "CC", 7u8),
        ("KG", "testing_laboratory", "LAB-0007", "ISO/IEC 17025", "TR", 8u8),
    ];
    let mut admin_tokens = Vec::new();
    let mut cabs = Vec::new();
    for (country, kind, number, standard, doc_type, seed) in cab_specs {
        let authority = run(&["add-org", "--country", country, "--kind", "standards_body", "--number", "NSB", "--name", "Standards body"]);
        admin_tokens.push(run(&["create-token", "--org", &authority, "--role", "national_admin"]));

        let org_id = run(&["add-org", "--country", country, "--kind", kind, "--number", number, "--name", &format!("Test {number}")]);
        run(&[
            "add-accreditation", "--org", &org_id, "--standard", standard, "--body", "Test accreditation centre",
            "--ilac-iaf-signatory", "--hs", "6907", "--valid-from", "2024-01-01T00:00:00Z",
        ]);
        let key = SigningKey::from_bytes(&[seed; 32]);
        let jwk_file = key_dir.join(format!("{number}.pub.jwk"));
        std::fs::write(&jwk_file, public_jwk(&key).to_string()).expect("write JWK file");
        let kid = run(&["add-key", "--org", &org_id, "--jwk", jwk_file.to_str().unwrap()]);
        let token = run(&["create-token", "--org", &org_id, "--role", "cab_issuer"]);
        cabs.push(Cab { org_id, country, number, doc_type, token, key, kid });
    }
    Parties { operator_token, admin_tokens, cabs }
}

// ---------------------------------------------------------------------------
// Credentials and submissions

/// Builds a credential of `cab` for HS 690721. `model` distinguishes payloads
/// with the same national number.
fn credential(cab: &Cab, national_number: &str, model: &str, supersedes: Option<&str>) -> Value {
    let mut credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": format!("urn:ecert:org:{}:{}", cab.country, cab.number), "name": format!("Test {}", cab.number)},
        "validFrom": "2026-05-01T00:00:00Z",
        "validUntil": "2029-04-30T23:59:59Z",
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
        "credentialSubject": {
            "type": ["ConformityAttestation"],
            "attestationType": if cab.doc_type == "TR" { "testing" } else { "certification" },
            "nationalNumber": national_number,
            "issuedToParty": {"name": "Example Ceramics LLC", "registeredId": "301234567"},
            "product": {
                "name": {"en": "Glazed ceramic tiles"},
                "model": model,
                "hsCodes": [{"code": "690721", "edition": "HS2022", "national": "6907210000"}]
            },
            "referenceStandards": ["GOST 13996-2019"],
            "conformance": true
        }
    });
    if let Some(old) = supersedes {
        credential["credentialSubject"]["supersedes"] = json!(old);
    }
    credential
}

/// Signs `payload` as a compact JWS with `typ: vc+jwt`. Ed25519 signatures
/// are deterministic, so the same payload and key give the same JWS.
fn sign_jws(key: &SigningKey, kid: &str, payload: &[u8]) -> String {
    let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": kid});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
    format!("{input}.{}", b64url(&key.sign(input.as_bytes()).to_bytes()))
}

/// What a submission was for, so that its outcome can be judged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Case {
    /// A payload submitted once (expected: 201).
    Unique,
    /// One payload submitted to every node at once (expected: one 201, the others 200).
    Duplicate(String),
    /// Different payloads with one national number (expected: one 201, the others 409).
    Clash(String),
    /// A corrected re-issue racing another one for the same entry.
    Reissue(String),
    /// Signed with a key that is retired or revoked while submissions run.
    DoomedKey { kid: String, late: bool },
}

#[derive(Debug, Clone)]
struct Submission {
    case: Case,
    node: usize,
    reply: Reply,
}

impl Submission {
    fn hub_id(&self) -> Option<String> {
        self.reply.body["hub_id"].as_str().map(str::to_owned)
    }
}

async fn submit(api: &Api, node: usize, token: &str, key: &SigningKey, kid: &str, credential: &Value, case: Case) -> Submission {
    let payload = serde_json::to_vec(credential).expect("serialize credential");
    let jws = sign_jws(key, kid, &payload);
    let reply = api.post(node, token, "/api/v1/documents", &json!({"jws": jws})).await;
    Submission { case, node, reply }
}

/// Submits the same payload to every node at the same time.
async fn submit_everywhere(api: &Api, cab: &Cab, credential: &Value, case: Case) -> Vec<Submission> {
    let (first, second, third) = tokio::join!(
        submit(api, 0, &cab.token, &cab.key, &cab.kid, credential, case.clone()),
        submit(api, 1, &cab.token, &cab.key, &cab.kid, credential, case.clone()),
        submit(api, 2, &cab.token, &cab.key, &cab.kid, credential, case.clone()),
    );
    vec![first, second, third]
}

async fn joined<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Submits `UNIQUE_PER_CAB` documents per CAB, round-robin over the nodes,
/// with `BULK_CONCURRENCY` requests in flight.
async fn submit_unique(api: Api, parties: Arc<Parties>) -> Vec<Submission> {
    let permits = Arc::new(Semaphore::new(BULK_CONCURRENCY));
    let mut handles = Vec::new();
    for cab_index in 0..parties.cabs.len() {
        for i in 0..UNIQUE_PER_CAB {
            let (api, parties, permits) = (api.clone(), parties.clone(), permits.clone());
            handles.push(tokio::spawn(async move {
                let _permit = permits.acquire().await.expect("semaphore open");
                let cab = &parties.cabs[cab_index];
                let credential = credential(cab, &format!("{}-U-{i:03}", cab.number), "GT-600", None);
                submit(&api, api.next_node(), &cab.token, &cab.key, &cab.kid, &credential, Case::Unique).await
            }));
        }
    }
    let mut submissions = Vec::new();
    for handle in handles {
        submissions.push(joined(handle).await);
    }
    submissions
}

/// Submits each duplicate payload to all three nodes at once.
async fn submit_duplicates(api: Api, parties: Arc<Parties>) -> Vec<Submission> {
    let mut handles = Vec::new();
    for cab_index in 0..parties.cabs.len() {
        for i in 0..DUPLICATE_GROUPS_PER_CAB {
            let (api, parties) = (api.clone(), parties.clone());
            handles.push(tokio::spawn(async move {
                let cab = &parties.cabs[cab_index];
                let number = format!("{}-D-{i:03}", cab.number);
                submit_everywhere(&api, cab, &credential(cab, &number, "GT-600", None), Case::Duplicate(number.clone())).await
            }));
        }
    }
    let mut submissions = Vec::new();
    for handle in handles {
        submissions.extend(joined(handle).await);
    }
    submissions
}

/// Submits three different payloads with one national number to the three
/// nodes at once.
async fn submit_clashes(api: Api, parties: Arc<Parties>) -> Vec<Submission> {
    let mut handles = Vec::new();
    for cab_index in 0..parties.cabs.len() {
        for i in 0..CLASH_GROUPS_PER_CAB {
            let (api, parties) = (api.clone(), parties.clone());
            handles.push(tokio::spawn(async move {
                let cab = &parties.cabs[cab_index];
                let number = format!("{}-C-{i:03}", cab.number);
                let case = Case::Clash(number.clone());
                let attempt = |node: usize| {
                    let credential = credential(cab, &number, &format!("GT-{node}"), None);
                    let case = case.clone();
                    let api = api.clone();
                    async move { submit(&api, node, &cab.token, &cab.key, &cab.kid, &credential, case).await }
                };
                let (first, second, third) = tokio::join!(attempt(0), attempt(1), attempt(2));
                vec![first, second, third]
            }));
        }
    }
    let mut submissions = Vec::new();
    for handle in handles {
        submissions.extend(joined(handle).await);
    }
    submissions
}

/// Submits two different corrected re-issues of each target to two nodes at once.
async fn submit_reissues(api: Api, parties: Arc<Parties>, targets: Vec<(usize, String, String)>) -> Vec<Submission> {
    let mut handles = Vec::new();
    for (cab_index, target, number) in targets {
        let (api, parties) = (api.clone(), parties.clone());
        handles.push(tokio::spawn(async move {
            let cab = &parties.cabs[cab_index];
            let case = Case::Reissue(target.clone());
            let attempt = |node: usize| {
                let credential = credential(cab, &number, &format!("GT-600-R{node}"), Some(&target));
                let case = case.clone();
                let api = api.clone();
                async move { submit(&api, node, &cab.token, &cab.key, &cab.kid, &credential, case).await }
            };
            let (first, second) = tokio::join!(attempt(1), attempt(2));
            vec![first, second]
        }));
    }
    let mut submissions = Vec::new();
    for handle in handles {
        submissions.extend(joined(handle).await);
    }
    submissions
}

// ---------------------------------------------------------------------------
// Key changes

/// A second signing key of a CAB that is retired or revoked mid-run.
#[derive(Clone)]
struct DoomedKey {
    cab_index: usize,
    key: SigningKey,
    kid: String,
}

/// Signals between the doomed-key submitters and the key changes.
#[derive(Default)]
struct KeyChangeProgress {
    /// Doomed-key submissions that have completed.
    completed: AtomicUsize,
    /// Set once every key change request has returned.
    changed: AtomicBool,
}

#[derive(Debug, Clone)]
struct KeyChange {
    kid: String,
    action: &'static str,
    reply: Reply,
}

/// Submits `DOOMED_KEY_SUBMISSIONS` documents signed with `doomed`, three at
/// a time. The last `DOOMED_KEY_LATE_SUBMISSIONS` wait until the key changes
/// have returned, so they must be rejected.
async fn submit_with_doomed_key(
    api: Api,
    parties: Arc<Parties>,
    doomed: DoomedKey,
    progress: Arc<KeyChangeProgress>,
) -> Vec<Submission> {
    let permits = Arc::new(Semaphore::new(3));
    let mut handles = Vec::new();
    for i in 0..DOOMED_KEY_SUBMISSIONS {
        let late = i >= DOOMED_KEY_SUBMISSIONS - DOOMED_KEY_LATE_SUBMISSIONS;
        let (api, parties, doomed, progress, permits) = (api.clone(), parties.clone(), doomed.clone(), progress.clone(), permits.clone());
        handles.push(tokio::spawn(async move {
            if late {
                while !progress.changed.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            let _permit = permits.acquire().await.expect("semaphore open");
            let cab = &parties.cabs[doomed.cab_index];
            let credential = credential(cab, &format!("{}-K-{i:03}", cab.number), "GT-600", None);
            let case = Case::DoomedKey { kid: doomed.kid.clone(), late };
            let submission = submit(&api, api.next_node(), &cab.token, &doomed.key, &doomed.kid, &credential, case).await;
            progress.completed.fetch_add(1, Ordering::SeqCst);
            submission
        }));
    }
    let mut submissions = Vec::new();
    for handle in handles {
        submissions.push(joined(handle).await);
    }
    submissions
}

/// Sends the same key change to all three nodes at once.
async fn change_key_everywhere(api: &Api, token: &str, kid: &str, action: &'static str) -> Vec<KeyChange> {
    let body = json!({"reason": format!("{action} test of concurrent key changes")});
    let path = format!("/api/v1/keys/{kid}/{action}");
    let (first, second, third) = tokio::join!(
        api.post(0, token, &path, &body),
        api.post(1, token, &path, &body),
        api.post(2, token, &path, &body),
    );
    [first, second, third].into_iter().map(|reply| KeyChange { kid: kid.to_owned(), action, reply }).collect()
}

/// Once `DOOMED_KEY_SUBMISSIONS_BEFORE_CHANGE` doomed-key submissions have
/// completed: retires the first key (national admin of UZ) and revokes the
/// second (national admin of KG) at the same time, then revokes the retired
/// key as the hub operator.
async fn change_keys(
    api: Api,
    parties: Arc<Parties>,
    retired: DoomedKey,
    revoked: DoomedKey,
    progress: Arc<KeyChangeProgress>,
) -> Vec<KeyChange> {
    while progress.completed.load(Ordering::SeqCst) < DOOMED_KEY_SUBMISSIONS_BEFORE_CHANGE {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (mut changes, revocations) = tokio::join!(
        change_key_everywhere(&api, &parties.admin_tokens[retired.cab_index], &retired.kid, "retire"),
        change_key_everywhere(&api, &parties.admin_tokens[revoked.cab_index], &revoked.kid, "revoke"),
    );
    changes.extend(revocations);
    changes.extend(change_key_everywhere(&api, &parties.operator_token, &retired.kid, "revoke").await);
    progress.changed.store(true, Ordering::SeqCst);
    changes
}

/// Registers a second Ed25519 key for a CAB through the API, as the national
/// admin of its country.
async fn register_doomed_key(api: &Api, parties: &Parties, cab_index: usize, seed: u8) -> DoomedKey {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let path = format!("/api/v1/organisations/{}/keys", parties.cabs[cab_index].org_id);
    let reply = api.post(api.next_node(), &parties.admin_tokens[cab_index], &path, &json!({"jwk": public_jwk(&key)})).await;
    assert_eq!(reply.status, 201, "registering a key failed: {}", reply.body);
    let kid = reply.body["kid"].as_str().expect("kid in key response").to_owned();
    DoomedKey { cab_index, key, kid }
}

// ---------------------------------------------------------------------------
// Status changes

#[derive(Debug, Clone)]
struct StatusRequest {
    hub_id: String,
    action: &'static str,
    reply: Reply,
}

/// Suspends, reinstates and withdraws each document. Every step goes to all
/// three nodes at once: twice with the CAB's token and once with its
/// national admin's, so exactly one of the three must succeed.
async fn race_status_changes(api: Api, parties: Arc<Parties>, documents: Vec<(usize, String)>) -> Vec<StatusRequest> {
    let mut handles = Vec::new();
    for (cab_index, hub_id) in documents {
        let (api, parties) = (api.clone(), parties.clone());
        handles.push(tokio::spawn(async move {
            let cab_token = parties.cabs[cab_index].token.as_str();
            let admin_token = parties.admin_tokens[cab_index].as_str();
            let path = format!("/api/v1/documents/{hub_id}/status");
            let mut requests = Vec::new();
            for action in ["suspend", "reinstate", "withdraw"] {
                let body = json!({"action": action, "reason": format!("{action} test of concurrent status changes")});
                let (first, second, third) = tokio::join!(
                    api.post(0, cab_token, &path, &body),
                    api.post(1, admin_token, &path, &body),
                    api.post(2, cab_token, &path, &body),
                );
                for reply in [first, second, third] {
                    requests.push(StatusRequest { hub_id: hub_id.clone(), action, reply });
                }
            }
            requests
        }));
    }
    let mut requests = Vec::new();
    for handle in handles {
        requests.extend(joined(handle).await);
    }
    requests
}

// ---------------------------------------------------------------------------
// Reading

/// Events the reader collected, and how many pages it read.
struct ReaderLog {
    events: Vec<Value>,
    pages: usize,
}

/// Pages through the event log from rotating nodes until `stop` is set and a
/// page read after that comes back empty. That last page is the catch-up
/// read, because every write had returned before it started.
async fn read_events_until_stopped(api: Api, token: String, stop: Arc<AtomicBool>) -> ReaderLog {
    let mut log = ReaderLog { events: Vec::new(), pages: 0 };
    let mut cursor = 0_i64;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let node = api.next_node();
        let page = api.get(node, Some(&token), &format!("/api/v1/events?after={cursor}&limit=25")).await;
        assert_eq!(page.status, 200, "reading events after {cursor} failed: {}", page.body);
        log.pages += 1;
        let events = page.body["events"].as_array().expect("events array").clone();
        let after = cursor;
        for event in &events {
            let seq = event["seq"].as_i64().expect("event seq");
            assert!(seq > cursor, "page after {after} from node {node} returned seq {seq} after seq {cursor}");
            cursor = seq;
        }
        assert_eq!(page.body["last_seq"].as_i64(), Some(cursor), "last_seq of the page after {after}");
        if events.is_empty() {
            if stopping {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        log.events.extend(events);
    }
}

/// Reads the whole event log from one node in one pass.
async fn read_full_log(api: &Api, token: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor = 0_i64;
    loop {
        let page = api.get(0, Some(token), &format!("/api/v1/events?after={cursor}&limit=1000")).await;
        assert_eq!(page.status, 200, "reading events after {cursor} failed: {}", page.body);
        let batch = page.body["events"].as_array().expect("events array").clone();
        let Some(last) = batch.last() else { return events };
        cursor = last["seq"].as_i64().expect("event seq");
        events.extend(batch);
    }
}

/// Lists every document, 37 per page, from rotating nodes.
async fn list_documents(api: &Api, token: &str) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut path = "/api/v1/documents?limit=37".to_owned();
    loop {
        let page = api.get(api.next_node(), Some(token), &path).await;
        assert_eq!(page.status, 200, "GET {path} failed: {}", page.body);
        documents.extend(page.body["items"].as_array().expect("items array").iter().cloned());
        match page.body["next"].as_str() {
            Some(next) => path = format!("/api/v1/documents?limit=37&after={next}"),
            None => return documents,
        }
    }
}

/// Reads a document's whole status history, two changes per page.
async fn read_history(api: &Api, token: &str, hub_id: &str) -> Vec<Value> {
    let mut changes = Vec::new();
    let mut path = format!("/api/v1/documents/{hub_id}/history?limit=2");
    loop {
        let page = api.get(api.next_node(), Some(token), &path).await;
        assert_eq!(page.status, 200, "GET {path} failed: {}", page.body);
        changes.extend(page.body["items"].as_array().expect("items array").iter().cloned());
        match page.body["next"].as_str() {
            Some(next) => path = format!("/api/v1/documents/{hub_id}/history?limit=2&after={next}"),
            None => return changes,
        }
    }
}

fn time_of(value: &Value, field: &str) -> OffsetDateTime {
    let text = value[field].as_str().unwrap_or_else(|| panic!("{field} missing in {value}"));
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{field} {text:?} is not RFC 3339: {e}"))
}

fn statuses(replies: &[&Reply]) -> Vec<u16> {
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    statuses
}

// ---------------------------------------------------------------------------
// The tests

/// Three nodes on a fresh database and a shared data directory, with the
/// parties of [`bootstrap`]. Fields drop in declaration order: the nodes
/// stop first, then the directory and the database go.
struct Cluster {
    _nodes: Nodes,
    _root: tempfile::TempDir,
    _database: TestDatabase,
    api: Api,
    parties: Arc<Parties>,
}

impl Cluster {
    /// Returns `None` when `TestDatabase::create` skips the test.
    async fn start(test: &str) -> Option<Cluster> {
        let database = TestDatabase::create(test).await?;
        let root = tempfile::tempdir().expect("temporary directory");
        let data_dir = root.path().join("data");
        let parties = Arc::new(bootstrap(&data_dir, database.url(), root.path()));
        let mut nodes = start_nodes(root.path(), &data_dir, database.url());
        let api = Api::new(nodes.bases.clone());
        wait_until_healthy(&api, &mut nodes).await;
        Some(Cluster { _nodes: nodes, _root: root, _database: database, api, parties })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_one_database() {
    let started = Instant::now();
    let Some(cluster) = Cluster::start("three_nodes_share_one_database").await else { return };
    let (api, parties) = (cluster.api.clone(), cluster.parties.clone());
    let operator = parties.operator_token.clone();
    eprintln!("bootstrap and node start took {:.1} s", started.elapsed().as_secs_f64());

    // 1. The reader runs from here until every write has returned.
    let stop_reader = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(read_events_until_stopped(api.clone(), operator.clone(), stop_reader.clone()));

    // 2. The documents whose status changes and that get superseded exist
    //    first, submitted concurrently round-robin.
    let mut seeds = Vec::new();
    for (cab_index, cab) in parties.cabs.iter().enumerate() {
        for i in 0..STATUS_DOCUMENTS_PER_CAB + REISSUE_TARGETS_PER_CAB {
            let number = format!("{}-S-{i:03}", cab.number);
            let credential = credential(cab, &number, "GT-600", None);
            let api = api.clone();
            let parties = parties.clone();
            seeds.push(tokio::spawn(async move {
                let cab = &parties.cabs[cab_index];
                let submission = submit(&api, api.next_node(), &cab.token, &cab.key, &cab.kid, &credential, Case::Unique).await;
                (cab_index, number, i, submission)
            }));
        }
    }
    let mut submissions = Vec::new();
    let mut status_documents = Vec::new();
    let mut reissue_targets = Vec::new();
    for seed in seeds {
        let (cab_index, number, i, submission) = joined(seed).await;
        assert_eq!(submission.reply.status, 201, "seed document {number}: {}", submission.reply.body);
        let hub_id = submission.hub_id().expect("hub_id of a 201");
        if i < STATUS_DOCUMENTS_PER_CAB {
            status_documents.push((cab_index, hub_id));
        } else {
            reissue_targets.push((cab_index, hub_id, number));
        }
        submissions.push(submission);
    }
    let retired_key = register_doomed_key(&api, &parties, 0, 17).await;
    let revoked_key = register_doomed_key(&api, &parties, 1, 18).await;

    // 3. Everything at once: bulk, duplicate, clashing and re-issue
    //    submissions, submissions with keys that change meanwhile, and
    //    status races.
    let writes_started = Instant::now();
    let progress = Arc::new(KeyChangeProgress::default());
    let unique = tokio::spawn(submit_unique(api.clone(), parties.clone()));
    let duplicates = tokio::spawn(submit_duplicates(api.clone(), parties.clone()));
    let clashes = tokio::spawn(submit_clashes(api.clone(), parties.clone()));
    let reissues = tokio::spawn(submit_reissues(api.clone(), parties.clone(), reissue_targets.clone()));
    let retired_stream = tokio::spawn(submit_with_doomed_key(api.clone(), parties.clone(), retired_key.clone(), progress.clone()));
    let revoked_stream = tokio::spawn(submit_with_doomed_key(api.clone(), parties.clone(), revoked_key.clone(), progress.clone()));
    let key_changes = tokio::spawn(change_keys(api.clone(), parties.clone(), retired_key.clone(), revoked_key.clone(), progress.clone()));
    let status_races = tokio::spawn(race_status_changes(api.clone(), parties.clone(), status_documents.clone()));

    submissions.extend(joined(unique).await);
    submissions.extend(joined(duplicates).await);
    submissions.extend(joined(clashes).await);
    submissions.extend(joined(reissues).await);
    submissions.extend(joined(retired_stream).await);
    submissions.extend(joined(revoked_stream).await);
    let key_changes = joined(key_changes).await;
    let status_requests = joined(status_races).await;
    let writes_took = writes_started.elapsed();

    stop_reader.store(true, Ordering::SeqCst);
    let reader_log = joined(reader).await;

    // 4. Submission outcomes, case by case.
    let created: Vec<&Submission> = submissions.iter().filter(|s| s.reply.status == 201).collect();
    let created_ids: BTreeSet<String> = created.iter().map(|s| s.hub_id().expect("hub_id of a 201")).collect();
    assert_eq!(created_ids.len(), created.len(), "two 201 responses carry the same hub ID");

    for submission in submissions.iter().filter(|s| s.case == Case::Unique) {
        assert_eq!(submission.reply.status, 201, "unique submission on node {}: {}", submission.node, submission.reply.body);
    }

    let mut groups: BTreeMap<Case, Vec<&Submission>> = BTreeMap::new();
    for submission in &submissions {
        if matches!(submission.case, Case::Duplicate(_) | Case::Clash(_) | Case::Reissue(_)) {
            groups.entry(submission.case.clone()).or_default().push(submission);
        }
    }
    let mut conflicts = 0;
    let mut superseded_by = BTreeMap::new();
    for (case, group) in &groups {
        let replies: Vec<&Reply> = group.iter().map(|s| &s.reply).collect();
        match case {
            Case::Duplicate(number) => {
                assert_eq!(statuses(&replies), [200, 200, 201], "identical payloads of {number} submitted at once: {replies:?}");
                let ids: BTreeSet<Option<String>> = group.iter().map(|s| s.hub_id()).collect();
                assert_eq!(ids.len(), 1, "identical payloads of {number} resolved to several entries: {ids:?}");
            }
            Case::Clash(number) => {
                assert_eq!(statuses(&replies), [201, 409, 409], "three payloads claiming {number} at once: {replies:?}");
                for reply in replies.iter().filter(|r| r.status == 409) {
                    assert_eq!(reply.code(), "national_number_taken", "clash on {number}: {}", reply.body);
                }
                conflicts += 2;
            }
            Case::Reissue(target) => {
                assert_eq!(statuses(&replies), [201, 409], "two re-issues of {target} at once: {replies:?}");
                let winner = group.iter().find(|s| s.reply.status == 201).and_then(|s| s.hub_id()).expect("winning re-issue");
                superseded_by.insert(target.clone(), winner);
                conflicts += 1;
            }
            Case::Unique | Case::DoomedKey { .. } => unreachable!("not grouped"),
        }
    }

    // 5. Key changes: exactly one of each set of concurrent identical
    //    requests succeeds. Documents signed before the change count, and
    //    those submitted after it are rejected.
    let mut key_change_counts: BTreeMap<String, usize> = BTreeMap::new();
    for kid in [&retired_key.kid, &revoked_key.kid] {
        for action in ["retire", "revoke"] {
            let replies: Vec<&Reply> = key_changes.iter().filter(|c| &c.kid == kid && c.action == action).map(|c| &c.reply).collect();
            if replies.is_empty() {
                continue;
            }
            assert_eq!(statuses(&replies), [200, 409, 409], "{action} of key {kid} sent to three nodes at once: {replies:?}");
            *key_change_counts.entry(kid.clone()).or_default() += 1;
            conflicts += 2;
        }
    }
    let mut keys = BTreeMap::new();
    for kid in [&retired_key.kid, &revoked_key.kid] {
        let key = api.get(api.next_node(), None, &format!("/api/v1/keys/{kid}")).await;
        assert_eq!(key.status, 200, "GET key {kid}: {}", key.body);
        keys.insert(kid.clone(), key.body);
    }
    assert_eq!(keys[&retired_key.kid]["status"], "revoked", "key retired, then revoked by the operator");
    assert_eq!(keys[&revoked_key.kid]["status"], "revoked");

    let mut doomed_accepted = 0;
    let mut doomed_rejected = 0;
    // Acceptances that the key change should have stopped. They are asserted
    // last, so that the other checks still run and report.
    let mut accepted_after_key_change = Vec::new();
    for submission in &submissions {
        let Case::DoomedKey { kid, late } = &submission.case else { continue };
        let key = &keys[kid];
        let cutoff = key["retired_at"].as_str().or(key["compromised_at"].as_str()).expect("key retired or revoked");
        let cutoff = OffsetDateTime::parse(cutoff, &Rfc3339).expect("RFC 3339 key time");
        match submission.reply.status {
            201 => {
                assert!(!late, "a submission sent after key {kid} changed was accepted: {}", submission.reply.body);
                doomed_accepted += 1;
                let hub_id = submission.hub_id().expect("hub_id of a 201");
                let registered = time_of(&submission.reply.body, "registered_at");
                let verification = api.get(api.next_node(), None, &format!("/api/v1/documents/{hub_id}/verification")).await;
                if registered < cutoff {
                    assert_eq!(verification.body["verdict"], "valid", "{hub_id} signed before key {kid} changed: {}", verification.body);
                    continue;
                }
                let key_check = verification.body["checks"]
                    .as_array()
                    .and_then(|checks| checks.iter().find(|c| c["check"] == "key_valid"))
                    .cloned()
                    .unwrap_or(Value::Null);
                accepted_after_key_change.push(format!(
                    "POST {}/api/v1/documents signed with key {kid} returned 201 {hub_id} registered_at {registered}, \
                     but the key was {} with retired_at {} and compromised_at {}; verification now says {} with key_valid {key_check}",
                    api.bases[submission.node], key["status"], key["retired_at"], key["compromised_at"], verification.body["verdict"],
                ));
            }
            422 => {
                assert_eq!(submission.reply.code(), "key_not_valid", "rejection of a submission with key {kid}: {}", submission.reply.body);
                doomed_rejected += 1;
            }
            other => panic!("submission with key {kid} returned {other}: {}", submission.reply.body),
        }
    }
    assert!(doomed_accepted >= DOOMED_KEY_SUBMISSIONS_BEFORE_CHANGE, "only {doomed_accepted} documents signed with the doomed keys were accepted");
    assert!(doomed_rejected >= 2 * DOOMED_KEY_LATE_SUBMISSIONS, "only {doomed_rejected} submissions with the changed keys were rejected");

    // 6. Status races: one success per step, and the success count per
    //    document is what its history must show.
    let mut transitions: BTreeMap<String, usize> = BTreeMap::new();
    for (_, hub_id) in &status_documents {
        for action in ["suspend", "reinstate", "withdraw"] {
            let replies: Vec<&Reply> =
                status_requests.iter().filter(|r| &r.hub_id == hub_id && r.action == action).map(|r| &r.reply).collect();
            assert_eq!(statuses(&replies), [200, 409, 409], "{action} of {hub_id} sent to three nodes at once: {replies:?}");
            conflicts += 2;
        }
        let succeeded = status_requests.iter().filter(|r| &r.hub_id == hub_id && r.reply.status == 200).count();
        transitions.insert(hub_id.clone(), succeeded);
    }
    for target in superseded_by.keys() {
        transitions.insert(target.clone(), 1);
    }

    // 7. The registry: every created entry listed once, and at most one
    //    entry per issuer and national number that is not superseded.
    let documents = list_documents(&api, &operator).await;
    let listed: Vec<String> = documents.iter().map(|d| d["hub_id"].as_str().expect("hub_id").to_owned()).collect();
    let listed_ids: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed_ids.len(), listed.len(), "the document list repeats a hub ID");
    assert_eq!(listed_ids, created_ids, "the document list differs from the 201 responses");

    let mut live_per_number: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for document in &documents {
        let hub_id = document["hub_id"].as_str().unwrap().to_owned();
        if document["status"] == "superseded" {
            assert_eq!(document["superseded_by"].as_str(), superseded_by.get(&hub_id).map(String::as_str), "successor of {hub_id}");
            continue;
        }
        let key = (document["issuer_org_id"].as_str().unwrap().to_owned(), document["national_number"].as_str().unwrap().to_owned());
        live_per_number.entry(key).or_default().push(hub_id);
    }
    for ((issuer, number), entries) in &live_per_number {
        assert_eq!(entries.len(), 1, "issuer {issuer} has several entries with national number {number}: {entries:?}");
    }
    assert_eq!(
        documents.iter().filter(|d| d["status"] == "superseded").count(),
        superseded_by.len(),
        "superseded entries"
    );

    // Every node reads the same final status.
    for (_, hub_id) in &status_documents {
        for node in 0..NODE_COUNT {
            let document = api.get(node, Some(&operator), &format!("/api/v1/documents/{hub_id}")).await;
            assert_eq!(document.body["status"], "withdrawn", "{hub_id} read from node {node}");
        }
    }

    // 8. Histories: a chain from valid to the current status, in effective
    //    order, with one entry per successful change.
    let mut history_change_ids = BTreeSet::new();
    let mut history_entries = 0;
    for document in &documents {
        let hub_id = document["hub_id"].as_str().unwrap();
        let history = read_history(&api, &operator, hub_id).await;
        assert_eq!(
            history.len(),
            transitions.get(hub_id).copied().unwrap_or(0),
            "history of {hub_id} against the successful changes: {history:?}"
        );
        let mut status = "valid";
        let mut effective = None;
        for change in &history {
            assert_eq!(change["from"], status, "history of {hub_id} breaks its chain: {history:?}");
            status = change["to"].as_str().expect("to");
            let at = time_of(change, "effective_at");
            assert!(effective.is_none_or(|previous| previous <= at), "effective times of {hub_id} go back: {history:?}");
            effective = Some(at);
            assert!(history_change_ids.insert(change["id"].as_str().expect("change id").to_owned()), "change id repeats: {change}");
        }
        assert_eq!(document["status"], status, "{hub_id}: the last change of its history is not its status");
        history_entries += history.len();
    }

    // 9. The event log: the reader saw exactly the log as read in one pass
    //     afterwards, and it records every registration and change once.
    let full_log = read_full_log(&api, &operator).await;
    let summary = |events: &[Value]| -> Vec<(i64, String, String)> {
        events
            .iter()
            .map(|e| (e["seq"].as_i64().unwrap(), e["kind"].as_str().unwrap().to_owned(), e["subject"].as_str().unwrap().to_owned()))
            .collect()
    };
    let full_summary = summary(&full_log);
    assert!(full_summary.windows(2).all(|pair| pair[0].0 < pair[1].0), "the full event log is not in strictly increasing seq order");
    let read_seqs: BTreeSet<i64> = reader_log.events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let full_seqs: BTreeSet<i64> = full_log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let missed: Vec<&i64> = full_seqs.difference(&read_seqs).collect();
    let unknown: Vec<&i64> = read_seqs.difference(&full_seqs).collect();
    assert!(missed.is_empty(), "the concurrent reader missed events {missed:?}");
    assert!(unknown.is_empty(), "the concurrent reader saw events absent from the final log: {unknown:?}");
    assert_eq!(read_seqs.len(), reader_log.events.len(), "the concurrent reader received an event twice");
    assert_eq!(summary(&reader_log.events), full_summary, "the concurrent reader's events differ from the final log");

    let mut registered_events: BTreeMap<String, usize> = BTreeMap::new();
    let mut status_event_ids = BTreeSet::new();
    let mut status_events_per_document: BTreeMap<String, usize> = BTreeMap::new();
    let mut key_events: BTreeMap<String, usize> = BTreeMap::new();
    for event in &full_log {
        let subject = event["subject"].as_str().unwrap().to_owned();
        match event["kind"].as_str().unwrap() {
            "document.registered" => *registered_events.entry(subject).or_default() += 1,
            "document.status_changed" => {
                let change_id = event["data"]["change_id"].as_str().expect("change_id of a status event").to_owned();
                assert!(status_event_ids.insert(change_id), "two status events name one change: {event}");
                *status_events_per_document.entry(subject).or_default() += 1;
            }
            "key.status_changed" => *key_events.entry(subject).or_default() += 1,
            _ => {}
        }
    }
    let registered_subjects: BTreeSet<String> = registered_events.keys().cloned().collect();
    assert_eq!(registered_subjects, created_ids, "document.registered events against the registered entries");
    for (hub_id, count) in &registered_events {
        assert_eq!(*count, 1, "{hub_id} has {count} document.registered events");
    }
    assert_eq!(status_event_ids, history_change_ids, "document.status_changed events against the histories");
    for (hub_id, expected) in &transitions {
        assert_eq!(status_events_per_document.get(hub_id).copied().unwrap_or(0), *expected, "status events of {hub_id}");
    }
    assert_eq!(key_events, key_change_counts, "key.status_changed events against the successful key changes");

    eprintln!(
        "{} submissions ({} created, {} conflicts or rejections), {} status requests, {} key change requests, {} conflicts (409) in all",
        submissions.len(),
        created.len(),
        submissions.len() - submissions.iter().filter(|s| matches!(s.reply.status, 200 | 201)).count(),
        status_requests.len(),
        key_changes.len(),
        conflicts,
    );
    eprintln!(
        "doomed keys: {doomed_accepted} accepted, {doomed_rejected} rejected; {history_entries} history entries; \
         {} events read by the concurrent reader in {} pages, {} in the final log",
        reader_log.events.len(),
        reader_log.pages,
        full_log.len(),
    );
    eprintln!(
        "concurrent writes took {:.1} s, the whole test {:.1} s",
        writes_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    // Key validity is judged at the registration time, so a document whose
    // registration time is at or after the key's retirement or compromise
    // time must be rejected, also when the key change commits meanwhile.
    assert!(
        accepted_after_key_change.is_empty(),
        "{} documents were registered after their key stopped counting:\n{}",
        accepted_after_key_change.len(),
        accepted_after_key_change.join("\n")
    );
}

/// Outcome of one document in the withdrawal race.
struct RaceOutcome {
    hub_id: String,
    /// Status changes that returned 200.
    succeeded: usize,
    /// Changes sent without effective_at that were rejected with 422 on it.
    stale_rejections: Vec<Reply>,
}

/// Sends a status change until it returns anything but a 422 on
/// effective_at, and records those rejections.
async fn change_status_retrying(
    api: &Api,
    node: usize,
    token: &str,
    hub_id: &str,
    action: &str,
    rejections: &mut Vec<Reply>,
) -> Reply {
    let path = format!("/api/v1/documents/{hub_id}/status");
    loop {
        let reply = api.post(node, token, &path, &json!({"action": action, "reason": format!("{action} in the withdrawal race")})).await;
        if reply.status == 422 && reply.body["error"]["field"] == "effective_at" {
            rejections.push(reply);
            continue;
        }
        return reply;
    }
}

/// Suspends and reinstates a document on nodes 1 and 2 in turn until it is
/// withdrawn or `cycles` rounds are done. Returns the number of successful
/// changes and the rejections on effective_at.
async fn cycle_status(api: Api, token: String, hub_id: String, cycles: usize) -> (usize, Vec<Reply>) {
    let mut succeeded = 0;
    let mut rejections = Vec::new();
    for _ in 0..cycles {
        for (node, action) in [(1, "suspend"), (2, "reinstate")] {
            let reply = change_status_retrying(&api, node, &token, &hub_id, action, &mut rejections).await;
            match reply.status {
                200 => succeeded += 1,
                409 => return (succeeded, rejections),
                other => panic!("{action} of {hub_id} returned {other}: {}", reply.body),
            }
        }
    }
    (succeeded, rejections)
}

/// Withdraws a document on node 0, retrying after each 409 until it succeeds.
async fn withdraw_until_done(api: Api, token: String, hub_id: String, delay: Duration) -> Vec<Reply> {
    tokio::time::sleep(delay).await;
    let mut rejections = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = change_status_retrying(&api, 0, &token, &hub_id, "withdraw", &mut rejections).await;
        match reply.status {
            200 => return rejections,
            409 => assert!(Instant::now() < deadline, "withdraw of {hub_id} kept returning 409 for 30 s: {}", reply.body),
            other => panic!("withdraw of {hub_id} returned {other}: {}", reply.body),
        }
    }
}

/// Withdraws documents on node 0, which concurrent readers keep busy, while
/// nodes 1 and 2 suspend and reinstate the same documents in a loop. Each
/// document must end with a history that is a chain in effective order,
/// ending at withdrawn, and verification must report it withdrawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withdrawal_races_status_cycle() {
    let started = Instant::now();
    let Some(cluster) = Cluster::start("withdrawal_races_status_cycle").await else { return };
    let (api, parties) = (cluster.api.clone(), cluster.parties.clone());
    let operator = parties.operator_token.clone();

    let mut documents = Vec::new();
    for cab in &parties.cabs {
        for i in 0..WITHDRAWAL_RACE_DOCUMENTS_PER_CAB {
            let credential = credential(cab, &format!("{}-W-{i:03}", cab.number), "GT-600", None);
            let submission = submit(&api, api.next_node(), &cab.token, &cab.key, &cab.kid, &credential, Case::Unique).await;
            assert_eq!(submission.reply.status, 201, "registering {i} of {}: {}", cab.number, submission.reply.body);
            documents.push((cab.token.clone(), submission.hub_id().expect("hub_id of a 201")));
        }
    }

    // Readers keep node 0's connection pool busy, so that its withdrawals
    // take longer between reading a document and updating it.
    let racing = Arc::new(AtomicBool::new(true));
    let mut load = Vec::new();
    for _ in 0..LOAD_READERS {
        let (api, token, racing) = (api.clone(), operator.clone(), racing.clone());
        load.push(tokio::spawn(async move {
            while racing.load(Ordering::SeqCst) {
                api.get(0, Some(&token), "/api/v1/documents?limit=50").await;
            }
        }));
    }

    let mut races = Vec::new();
    for (index, (token, hub_id)) in documents.into_iter().enumerate() {
        let delay = Duration::from_millis(5 * (index as u64 % 8));
        let cycle = tokio::spawn(cycle_status(api.clone(), token.clone(), hub_id.clone(), 30));
        let withdraw = tokio::spawn(withdraw_until_done(api.clone(), token, hub_id.clone(), delay));
        races.push((hub_id, cycle, withdraw));
    }
    let mut outcomes = Vec::new();
    for (hub_id, cycle, withdraw) in races {
        let (cycled, mut stale_rejections) = joined(cycle).await;
        stale_rejections.extend(joined(withdraw).await);
        outcomes.push(RaceOutcome { hub_id, succeeded: cycled + 1, stale_rejections });
    }
    racing.store(false, Ordering::SeqCst);
    for reader in load {
        joined(reader).await;
    }

    let mut broken_chains = Vec::new();
    let mut lost_changes = Vec::new();
    let mut wrong_verifications = Vec::new();
    for outcome in &outcomes {
        let hub_id = &outcome.hub_id;
        let history = read_history(&api, &operator, hub_id).await;
        let document = api.get(0, Some(&operator), &format!("/api/v1/documents/{hub_id}")).await;
        assert_eq!(document.body["status"], "withdrawn", "{hub_id} after its withdrawal returned 200");

        if history.len() != outcome.succeeded {
            lost_changes.push(format!("{hub_id}: {} successful changes, {} history entries", outcome.succeeded, history.len()));
        }
        let mut status = "valid";
        let mut effective = None;
        let mut chain = true;
        for change in &history {
            chain &= change["from"] == status;
            status = change["to"].as_str().expect("to");
            let at = time_of(change, "effective_at");
            chain &= effective.is_none_or(|previous| previous <= at);
            effective = Some(at);
        }
        if !chain || status != "withdrawn" {
            let entries: Vec<String> = history
                .iter()
                .map(|c| format!("{} {}->{} effective {} recorded {}", c["action"], c["from"], c["to"], c["effective_at"], c["recorded_at"]))
                .collect();
            broken_chains.push(format!("{hub_id}:\n    {}", entries.join("\n    ")));
        }

        let verification = api.get(1, None, &format!("/api/v1/documents/{hub_id}/verification")).await;
        let status_check = verification.body["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["check"] == "status"))
            .cloned()
            .unwrap_or(Value::Null);
        if status_check["code"] != "withdrawn" {
            wrong_verifications.push(format!("{hub_id}: verdict {}, status check {status_check}", verification.body["verdict"]));
        }
    }
    let stale_rejections: Vec<&Reply> = outcomes.iter().flat_map(|o| &o.stale_rejections).collect();
    for wrong in &wrong_verifications {
        eprintln!("wrong verification of {wrong}");
    }

    eprintln!(
        "withdrawal race on {} documents: {} status changes succeeded, {} broken histories, {} wrong verifications, \
         {} changes without effective_at rejected on effective_at; took {:.1} s",
        outcomes.len(),
        outcomes.iter().map(|o| o.succeeded).sum::<usize>(),
        broken_chains.len(),
        wrong_verifications.len(),
        stale_rejections.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(lost_changes.is_empty(), "histories differ from the successful changes:\n{}", lost_changes.join("\n"));
    assert!(
        broken_chains.is_empty(),
        "histories are not a chain from valid to withdrawn in effective order:\n{}",
        broken_chains.join("\n")
    );
    assert!(
        wrong_verifications.is_empty(),
        "verification does not report withdrawn documents as withdrawn:\n{}",
        wrong_verifications.join("\n")
    );
    // A change sent without effective_at takes effect when the hub records
    // it, so it must not be rejected for lying before an earlier change.
    assert!(
        stale_rejections.is_empty(),
        "{} status changes sent without effective_at were rejected on effective_at; the first: {}",
        stale_rejections.len(),
        stale_rejections[0].body
    );
}
