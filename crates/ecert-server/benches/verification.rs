//! Verification latency and submission throughput of a hub on SQLite and on
//! PostgreSQL, next to the raw Ed25519 signature check.
//!
//! For each backend the bench registers `BENCH_DOCS` (default 1000) signed
//! certificates of one CAB, then measures:
//! - each store read that `Hub::verify` makes for a document, and all four;
//! - `Hub::verify` by hub ID with 1, 2 and 8 concurrent tasks;
//! - `POST /api/v1/verify` against a server on 127.0.0.1, port 0, with 1 and
//!   8 concurrent requests;
//! - `Hub::submit_signed` of new signed documents with 1 and 8 concurrent
//!   tasks. These rows run last, so the verification rows above see exactly
//!   `BENCH_DOCS` documents.
//!
//! Once, on the SQLite hub's documents, it also measures the raw Ed25519
//! `verify_strict` over the JWS signing input (the floor), and
//! `CompactJws::parse` + `verify` with the registered JWK.
//!
//! SQLite runs on a file in a temporary directory. PostgreSQL runs on a fresh
//! `ecert_test_…` database on the server that `ECERT_TEST_DATABASE_URL`
//! names, which the bench drops at the end. Without that variable the bench
//! prints why it skips PostgreSQL, unless `ECERT_REQUIRE_TEST_DATABASE=1`
//! makes it fail.
//!
//! Each measurement runs a warm-up, then three timed runs of a fixed number
//! of operations, and reports the run with the median throughput. The last
//! table puts the submission and verification rows of both backends side by
//! side.
//!
//! Run:
//! `ECERT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p ecert-server --bench verification`

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ecert_core::jose::{CompactJws, PublicJwk, b64url};
use ecert_core::keys::KeyPurpose;
use ecert_core::party::{Accreditation, AccreditationStandard, DataPolicy, OrgKind, Track};
use ecert_core::{HubId, Verdict};
use ecert_server::hub_keys::HubKeys;
use ecert_server::service::keys::NewKey;
use ecert_server::service::verification::{Request, Subject};
use ecert_server::{Hub, HubConfig, Principal};
use ecert_store::blob::LocalBlobStore;
use ecert_store::{Country, Store};
use ecert_store_postgres::test_hooks::TestDatabase;
use ecert_store_postgres::{PgOptions, PgStore};
use ecert_store_sqlite::{SqliteOptions, SqliteStore};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use time::macros::datetime;
use uuid::Uuid;

const DEFAULT_DOCS: usize = 1000;
const TIMED_RUNS: usize = 3;
/// The raw signature loops pass over every JWS this many times per run, so
/// that a run lasts long enough to time reliably.
const RAW_PASSES: usize = 10;
const MAX_WARM_UP_OPS: usize = 200;
const CAB_NUMBER: &str = "CB-0042";
/// Concurrent tasks of the submission rows, after the sequential one.
const SUBMIT_TASKS: usize = 8;

fn main() {
    let docs = match std::env::var("BENCH_DOCS") {
        Err(_) => DEFAULT_DOCS,
        Ok(text) => match text.parse::<usize>() {
            Ok(count) if count > 0 => count,
            _ => panic!("BENCH_DOCS must be a positive integer, got {text:?}"),
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("failed to build the tokio runtime");
    runtime.block_on(run(docs));
}

async fn run(docs: usize) {
    print_machine();
    println!("each row: warm-up, then {TIMED_RUNS} timed runs; the row shows the run with the median docs/s");

    let sqlite = Fixture::new(Backend::Sqlite, docs).await.expect("the SQLite backend needs no server");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut signature_rows = vec![sqlite.bench_verify_strict(1)];
    if threads > 1 {
        signature_rows.push(sqlite.bench_verify_strict(threads));
    }
    signature_rows.push(sqlite.bench_jws_parse_verify());
    println!();
    println!("== signature check alone (no storage)");
    print_table(&signature_rows, signature_rows[0].docs_per_second);

    let floor = signature_rows[0].docs_per_second;
    let mut reports = vec![sqlite.bench_backend(floor).await];
    drop(sqlite);
    if let Some(postgres) = Fixture::new(Backend::Postgres, docs).await {
        reports.push(postgres.bench_backend(floor).await);
    }

    print_side_by_side(&reports);
    print_load_average("at end");
}

/// Prints the CPU model and the number of CPUs the process may use.
fn print_machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_else(|| "unknown (no model name in /proc/cpuinfo)".to_owned());
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("machine: {model}, {cpus} CPUs available");
    print_load_average("at start");
}

/// Prints the 1, 5 and 15 minute load averages, so that a reader can tell
/// whether other processes competed for the CPUs during the run.
fn print_load_average(when: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let averages: Vec<&str> = load.split_whitespace().take(3).collect();
    if averages.len() == 3 {
        println!("load average {when}: {} (1, 5, 15 min)", averages.join(" "));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// An open store and what the bench prints about it.
struct Storage {
    store: Arc<dyn Store>,
    description: String,
    /// Drops the PostgreSQL database when the fixture is dropped.
    database: Option<TestDatabase>,
}

/// Opens a SQLite file in `dir`, or a fresh PostgreSQL database. Returns
/// `None` when `ECERT_TEST_DATABASE_URL` is unset, after
/// `TestDatabase::create` has printed why.
async fn open_storage(backend: Backend, dir: &std::path::Path) -> Option<Storage> {
    match backend {
        Backend::Sqlite => {
            let options = SqliteOptions::default();
            let max_connections = options.max_connections;
            let store = SqliteStore::open(&dir.join("hub.db"), options).await.expect("failed to open the SQLite store");
            let description = format!(
                "SQLite file in a temporary directory, WAL mode, {max_connections} pooled connections (SqliteOptions::default())"
            );
            Some(Storage { store: Arc::new(store), description, database: None })
        }
        Backend::Postgres => {
            let database = TestDatabase::create("the PostgreSQL rows of the verification benchmark").await?;
            let options = PgOptions::default();
            let description = format!(
                "PostgreSQL database {}, {} pooled connections (PgOptions::default()), server: {}",
                database.name(),
                options.max_connections,
                postgres_settings(&database).await
            );
            let store = PgStore::connect(database.url(), options).await.expect("failed to connect to the benchmark database");
            Some(Storage { store: Arc::new(store), description, database: Some(database) })
        }
    }
}

/// Returns the server version and the settings that decide commit cost.
async fn postgres_settings(database: &TestDatabase) -> String {
    let mut connection = database.connect().await;
    let mut settings = Vec::new();
    for name in ["server_version", "fsync", "synchronous_commit", "shared_buffers"] {
        let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {name}")))
            .fetch_one(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("SHOW {name} failed: {error}"));
        settings.push(format!("{name}={value}"));
    }
    settings.join(" ")
}

/// A hub with one CAB and its registered documents, and the inputs every
/// measurement shares.
struct Fixture {
    backend: Backend,
    hub: Arc<Hub>,
    hub_ids: Arc<Vec<HubId>>,
    jws: Vec<String>,
    signing_key: SigningKey,
    kid: String,
    issuer_org_id: Uuid,
    jwk: PublicJwk,
    registration_time: Duration,
    /// Serial number of the next certificate to sign, so that every
    /// submission carries a national number not yet registered.
    next_serial: AtomicUsize,
    storage_description: String,
    /// Drops the PostgreSQL database after the hub's pool is gone, because
    /// fields drop in declaration order.
    _database: Option<TestDatabase>,
    /// Keeps the SQLite file, blobs and hub keys until the benchmark ends.
    _dir: tempfile::TempDir,
}

/// The rows of one backend, for the side-by-side table.
struct BackendReport {
    backend: Backend,
    rows: Vec<Row>,
}

impl Fixture {
    async fn new(backend: Backend, docs: usize) -> Option<Fixture> {
        let dir = tempfile::tempdir().expect("failed to create a temporary directory");
        let storage = open_storage(backend, dir.path()).await?;
        let blobs = LocalBlobStore::new(dir.path().join("blobs"));
        let hub_keys = HubKeys::load_or_create(&dir.path().join("hub-keys")).expect("failed to create the hub keys");
        let hub = Hub::new(storage.store, Arc::new(blobs), hub_keys, HubConfig::default()).expect("failed to build the hub");

        let signing_key = SigningKey::from_bytes(&[7; 32]);
        let (issuer_org_id, kid) = register_cab(&hub, &signing_key).await;

        let jws: Vec<String> = (1..=docs).map(|serial| sign_certificate(&signing_key, &kid, serial)).collect();

        let started = Instant::now();
        let mut hub_ids = Vec::with_capacity(docs);
        for text in &jws {
            let registered = hub
                .submit_signed(Principal::System, text, None)
                .await
                .unwrap_or_else(|error| panic!("failed to register a benchmark document: {error:?}"));
            hub_ids.push(registered.record.hub_id);
        }
        let registration_time = started.elapsed();

        let key = hub
            .store
            .get_key(&kid)
            .await
            .expect("failed to read the CAB key")
            .expect("the CAB key is not registered");
        Some(Fixture {
            backend,
            hub,
            hub_ids: Arc::new(hub_ids),
            jws,
            signing_key,
            kid,
            issuer_org_id,
            jwk: key.jwk,
            registration_time,
            next_serial: AtomicUsize::new(docs + 1),
            storage_description: storage.description,
            _database: storage.database,
            _dir: dir,
        })
    }

    fn docs(&self) -> usize {
        self.hub_ids.len()
    }

    /// Runs every storage-dependent row on this backend and prints its table.
    /// `floor` is the single-thread `verify_strict` rate for `x sig time`.
    async fn bench_backend(&self, floor: f64) -> BackendReport {
        let label = self.backend.label();
        println!();
        println!("== {label}: {}", self.storage_description);
        println!(
            "setup: registered {} signed documents sequentially with Hub::submit_signed in {:.2} s ({:.0} docs/s, one run)",
            self.docs(),
            self.registration_time.as_secs_f64(),
            self.docs() as f64 / self.registration_time.as_secs_f64(),
        );
        print_load_average(&format!("before the {label} rows"));

        let mut rows = Vec::new();
        for read in [StoreRead::Document, StoreRead::Key, StoreRead::Accreditations, StoreRead::History, StoreRead::All] {
            rows.push(self.bench_store_read(read).await);
        }
        for tasks in [1, 2, 8] {
            rows.push(self.bench_service(tasks).await);
        }

        let server = Server::start(self.hub.clone()).await;
        for tasks in [1, 8] {
            rows.push(self.bench_http(&server, tasks).await);
        }
        server.stop().await;

        for tasks in [1, SUBMIT_TASKS] {
            rows.push(self.bench_submit(tasks).await);
        }

        print_table(&rows, floor);
        BackendReport { backend: self.backend, rows }
    }

    /// Measures the floor: `verify_strict` over pre-decoded signing inputs,
    /// as `Verifier::verify` in ecert-core calls it for EdDSA, on `threads`
    /// threads that split the operations.
    fn bench_verify_strict(&self, threads: usize) -> Row {
        let inputs: Vec<(Vec<u8>, Signature)> = self
            .jws
            .iter()
            .map(|text| {
                let parsed = CompactJws::parse(text).expect("benchmark JWS failed to parse");
                let signature = Signature::from_slice(&parsed.signature).expect("benchmark signature is not 64 bytes");
                (parsed.signing_input.into_bytes(), signature)
            })
            .collect();
        let key: VerifyingKey = self.signing_key.verifying_key();
        let verify_range = |range: std::ops::Range<usize>| {
            for i in range {
                let (message, signature) = &inputs[i % inputs.len()];
                key.verify_strict(message, signature).expect("benchmark signature failed to verify");
            }
        };
        let run = |ops: usize| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for thread in 0..threads {
                    let range = (ops * thread / threads)..(ops * (thread + 1) / threads);
                    scope.spawn(move || verify_range(range));
                }
            });
            Run::without_latency(started.elapsed())
        };
        let name = format!("ed25519 verify_strict ({threads} thread{})", if threads == 1 { "" } else { "s" });
        measure_sync(name, threads, self.docs() * RAW_PASSES, run)
    }

    /// Measures `CompactJws::parse` + `CompactJws::verify`: base64url and
    /// header JSON decoding, building the Ed25519 key from the JWK, and the
    /// signature check.
    fn bench_jws_parse_verify(&self) -> Row {
        let run = |ops: usize| {
            let started = Instant::now();
            for i in 0..ops {
                let parsed = CompactJws::parse(&self.jws[i % self.jws.len()]).expect("benchmark JWS failed to parse");
                parsed.verify(&self.jwk).expect("benchmark JWS failed to verify");
            }
            Run::without_latency(started.elapsed())
        };
        measure_sync("CompactJws parse + verify".into(), 1, self.docs() * RAW_PASSES, run)
    }

    /// Measures one of the store reads of `Hub::verify` for a signed
    /// document by hub ID, or all four in its order, without the checks.
    async fn bench_store_read(&self, read: StoreRead) -> Row {
        let hub = self.hub.clone();
        let hub_ids = self.hub_ids.clone();
        let kid = Arc::new(self.kid.clone());
        let issuer = self.issuer_org_id;
        let operation = move |i: usize| {
            let hub = hub.clone();
            let hub_id = hub_ids[i % hub_ids.len()];
            let kid = kid.clone();
            async move { read.perform(&hub, hub_id, &kid, issuer).await }
        };
        measure_async(read.label().into(), 1, self.docs(), operation).await
    }

    /// Measures `Hub::verify` by hub ID with `tasks` verifications in flight.
    async fn bench_service(&self, tasks: usize) -> Row {
        let hub = self.hub.clone();
        let hub_ids = self.hub_ids.clone();
        let verify = move |i: usize| {
            let hub = hub.clone();
            let hub_id = hub_ids[i % hub_ids.len()];
            async move {
                let request = Request { subject: Subject::HubId(hub_id.to_string()), file: None, as_of: None, verifying_country: None };
                let outcome = hub.verify(request).await.unwrap_or_else(|error| panic!("Hub::verify of {hub_id} failed: {error:?}"));
                if outcome.result.verdict != Verdict::Valid {
                    panic!("Hub::verify of {hub_id} returned {:?}: {:?}", outcome.result.verdict, outcome.result.checks);
                }
            }
        };
        measure_async("Hub::verify by hub ID".into(), tasks, self.docs(), verify).await
    }

    /// Measures `POST /api/v1/verify` with a hub ID and `tasks` requests in
    /// flight over a shared reqwest connection pool.
    async fn bench_http(&self, server: &Server, tasks: usize) -> Row {
        let client = reqwest::Client::new();
        let url = Arc::new(format!("{}/api/v1/verify", server.base));
        let hub_ids = self.hub_ids.clone();
        let post = move |i: usize| {
            let client = client.clone();
            let url = url.clone();
            let hub_id = hub_ids[i % hub_ids.len()].to_string();
            async move {
                let response = client
                    .post(url.as_str())
                    .json(&serde_json::json!({"hub_id": hub_id}))
                    .send()
                    .await
                    .unwrap_or_else(|error| panic!("POST /api/v1/verify for {hub_id} failed: {error}"));
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("the verify response is not JSON");
                if status != reqwest::StatusCode::OK || body["verdict"] != "valid" {
                    panic!("POST /api/v1/verify for {hub_id} returned {status}: {body}");
                }
            }
        };
        measure_async("POST /api/v1/verify".into(), tasks, self.docs(), post).await
    }

    /// Measures `Hub::submit_signed` of new certificates with `tasks`
    /// submissions in flight. Every operation registers a document that is
    /// not in the store yet, so each one commits a new row and its event.
    /// The JWS are signed before the clock starts.
    async fn bench_submit(&self, tasks: usize) -> Row {
        let ops = self.docs();
        let needed = warm_up_ops(ops) + TIMED_RUNS * ops;
        let first_serial = self.next_serial.fetch_add(needed, Ordering::Relaxed);
        let jws: Arc<Vec<String>> = Arc::new(
            (first_serial..first_serial + needed)
                .map(|serial| sign_certificate(&self.signing_key, &self.kid, serial))
                .collect(),
        );
        let next_jws = Arc::new(AtomicUsize::new(0));
        let hub = self.hub.clone();
        let submit = move |_: usize| {
            let hub = hub.clone();
            let jws = jws.clone();
            let index = next_jws.fetch_add(1, Ordering::Relaxed);
            async move {
                let registered = hub
                    .submit_signed(Principal::System, &jws[index], None)
                    .await
                    .unwrap_or_else(|error| panic!("Hub::submit_signed of benchmark document {index} failed: {error:?}"));
                if !registered.created {
                    panic!("Hub::submit_signed found benchmark document {index} already registered");
                }
            }
        };
        measure_async("Hub::submit_signed (new document)".into(), tasks, ops, submit).await
    }
}

/// The store reads `Hub::verify` makes for a signed document by hub ID.
#[derive(Debug, Clone, Copy)]
enum StoreRead {
    Document,
    Key,
    /// One query for the accreditations, then one per accreditation for its
    /// status history.
    Accreditations,
    History,
    All,
}

impl StoreRead {
    fn label(self) -> &'static str {
        match self {
            StoreRead::Document => "store: get_document",
            StoreRead::Key => "store: get_key",
            StoreRead::Accreditations => "store: list_accreditations",
            StoreRead::History => "store: document_history",
            StoreRead::All => "store: all four reads",
        }
    }

    async fn perform(self, hub: &Hub, hub_id: HubId, kid: &str, issuer: Uuid) {
        let store = &hub.store;
        if matches!(self, StoreRead::Document | StoreRead::All) {
            store.get_document(hub_id).await.expect("get_document failed").expect("document not found");
        }
        if matches!(self, StoreRead::Key | StoreRead::All) {
            store.get_key(kid).await.expect("get_key failed").expect("key not found");
        }
        if matches!(self, StoreRead::Accreditations | StoreRead::All) {
            store.list_accreditations(issuer).await.expect("list_accreditations failed");
        }
        if matches!(self, StoreRead::History | StoreRead::All) {
            store.document_history(hub_id).await.expect("document_history failed");
        }
    }
}

/// Registers country UZ and an accredited certification body with an
/// Ed25519 document-signing key. Returns the CAB's id and the key's kid.
async fn register_cab(hub: &Hub, signing_key: &SigningKey) -> (Uuid, String) {
    let system = Principal::System;
    let country = Country { code: "UZ".parse().unwrap(), name: "Uzbekistan".into(), track: Track::A, data_policy: DataPolicy::Full };
    hub.upsert_country(system, country).await.expect("failed to add country UZ");
    let cab = hub
        .create_organisation(system, Some("UZ".parse().unwrap()), OrgKind::CertificationBody, CAB_NUMBER.into(), format!("Benchmark {CAB_NUMBER}"))
        .await
        .expect("failed to create the CAB");
    let accreditation = Accreditation {
        standard: AccreditationStandard::Iso17065,
        body: "Benchmark accreditation centre".into(),
        ilac_iaf_signatory: true,
        designated_types: vec![],
        hs_prefixes: vec!["6907".into()],
        standards: vec![],
        valid_from: datetime!(2024-01-01 0:00 UTC),
        valid_until: Some(datetime!(2030-01-01 0:00 UTC)),
        status_history: vec![],
    };
    hub.add_accreditation(system, cab.id, accreditation).await.expect("failed to add the accreditation");
    let new_key = NewKey {
        jwk: serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(signing_key.verifying_key().as_bytes())}),
        algorithm: None,
        purpose: KeyPurpose::DocumentSigning,
        valid_from: Some(datetime!(2024-01-01 0:00 UTC)),
        valid_until: None,
    };
    let key = hub.register_key(system, cab.id, new_key).await.expect("failed to register the CAB key");
    (cab.id, key.kid)
}

/// Builds a certificate of conformity of the benchmark CAB for HS 690721.
fn certificate(national_number: &str) -> serde_json::Value {
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": format!("urn:ecert:org:UZ:{CAB_NUMBER}"), "name": format!("Benchmark {CAB_NUMBER}")},
        "validFrom": "2026-05-01T00:00:00Z",
        "validUntil": "2029-04-30T23:59:59Z",
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
        "credentialSubject": {
            "type": ["ConformityAttestation"],
            "attestationType": "certification",
            "nationalNumber": national_number,
            "issuedToParty": {"name": "Example Ceramics LLC", "registeredId": "301234567"},
            "product": {
                "name": {"en": "Glazed ceramic tiles", "ru": "Плитка керамическая глазурованная"},
                "model": "GT-600",
                "hsCodes": [{"code": "690721", "edition": "HS2022", "national": "6907210000"}]
            },
            "referenceStandards": ["GOST 13996-2019"],
            "conformance": true
        }
    })
}

/// Signs the benchmark certificate with national number serial `serial`.
fn sign_certificate(key: &SigningKey, kid: &str, serial: usize) -> String {
    let payload = certificate(&format!("UZ.{CAB_NUMBER}.2026.{serial:06}"));
    sign_compact(key, kid, payload.to_string().as_bytes())
}

/// Signs `payload` as a compact JWS with `alg: EdDSA` and `typ: vc+jwt`.
fn sign_compact(key: &SigningKey, kid: &str, payload: &[u8]) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": kid});
    let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature.to_bytes()))
}

/// The hub's router served on 127.0.0.1 with a port the OS picks.
struct Server {
    base: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(hub: Arc<Hub>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("failed to bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("listener has no local address"));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(ecert_server::serve(listener, hub, async move {
            let _ = stopped.await;
        }));
        Server { base, shutdown, task }
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task.await.expect("server task panicked").expect("server failed");
    }
}

/// One timed run: its wall time and, for async operations, the latency of
/// each operation in ascending order.
struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn without_latency(elapsed: Duration) -> Run {
        Run { elapsed, latencies: Vec::new() }
    }

    /// Returns the nearest-rank percentile `p` (0-100) of the latencies.
    fn percentile(&self, p: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        Some(self.latencies[rank.clamp(1, self.latencies.len()) - 1])
    }
}

/// One line of the result table.
struct Row {
    name: String,
    concurrency: usize,
    ops: usize,
    docs_per_second: f64,
    p50: Option<Duration>,
    p99: Option<Duration>,
}

impl Row {
    fn from_median(name: String, concurrency: usize, ops: usize, mut runs: Vec<Run>) -> Row {
        runs.sort_by_key(|run| run.elapsed);
        let median = &runs[runs.len() / 2];
        Row {
            name,
            concurrency,
            ops,
            docs_per_second: ops as f64 / median.elapsed.as_secs_f64(),
            p50: median.percentile(50.0),
            p99: median.percentile(99.0),
        }
    }
}

fn warm_up_ops(ops: usize) -> usize {
    ops.min(MAX_WARM_UP_OPS)
}

/// Runs `run(ops)` once as a warm-up, then `TIMED_RUNS` times.
fn measure_sync(name: String, concurrency: usize, ops: usize, run: impl Fn(usize) -> Run) -> Row {
    run(warm_up_ops(ops));
    let runs = (0..TIMED_RUNS).map(|_| run(ops)).collect();
    Row::from_median(name, concurrency, ops, runs)
}

/// Runs `ops` calls of `operation(i)` with `tasks` tasks that each take the
/// next index until none is left: once as a warm-up, then `TIMED_RUNS` times.
async fn measure_async<F, Fut>(name: String, tasks: usize, ops: usize, operation: F) -> Row
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    drive(tasks, warm_up_ops(ops), operation.clone()).await;
    let mut runs = Vec::with_capacity(TIMED_RUNS);
    for _ in 0..TIMED_RUNS {
        runs.push(drive(tasks, ops, operation.clone()).await);
    }
    Row::from_median(name, tasks, ops, runs)
}

async fn drive<F, Fut>(tasks: usize, ops: usize, operation: F) -> Run
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let next = next.clone();
            let operation = operation.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ops {
                        return latencies;
                    }
                    let op_started = Instant::now();
                    operation(i).await;
                    latencies.push(op_started.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(ops);
    for handle in handles {
        latencies.extend(handle.await.expect("a benchmark task panicked"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Run { elapsed, latencies }
}

fn print_table(rows: &[Row], floor: f64) {
    println!(
        "{:<34} {:>5} {:>7} {:>10} {:>12} {:>11} {:>9} {:>9}",
        "measurement", "conc.", "ops", "docs/s", "wall us/doc", "x sig time", "p50 ms", "p99 ms"
    );
    for row in rows {
        println!(
            "{:<34} {:>5} {:>7} {:>10.0} {:>12.1} {:>11.1} {:>9} {:>9}",
            row.name,
            row.concurrency,
            row.ops,
            row.docs_per_second,
            1e6 / row.docs_per_second,
            floor / row.docs_per_second,
            millis(row.p50),
            millis(row.p99),
        );
    }
    println!("x sig time: wall time per document divided by that of one single-thread verify_strict.");
}

/// Prints the submission and verification rows of every backend next to each
/// other: docs/s, p50 and p99 per backend.
fn print_side_by_side(reports: &[BackendReport]) {
    let compared = |row: &Row| {
        row.name.starts_with("Hub::submit_signed") || row.name.starts_with("Hub::verify") || row.name.starts_with("POST ")
    };
    println!();
    println!("== side by side");
    if reports.len() < 2 {
        println!("(PostgreSQL skipped: set ECERT_TEST_DATABASE_URL to a server URL to compare it)");
    }
    let mut header = format!("{:<34} {:>5}", "measurement", "conc.");
    for report in reports {
        let label = report.backend.label();
        header.push_str(&format!(" | {:>10} {:>8} {:>8}", format!("{label} docs/s"), "p50 ms", "p99 ms"));
    }
    println!("{header}");
    for row in reports[0].rows.iter().filter(|row| compared(row)) {
        let mut line = format!("{:<34} {:>5}", row.name, row.concurrency);
        for report in reports {
            let matching = report.rows.iter().find(|other| other.name == row.name && other.concurrency == row.concurrency);
            match matching {
                Some(other) => line.push_str(&format!(
                    " | {:>w$.0} {:>8} {:>8}",
                    other.docs_per_second,
                    millis(other.p50),
                    millis(other.p99),
                    w = report.backend.label().len() + 7
                )),
                None => line.push_str(" | (not measured)"),
            }
        }
        println!("{line}");
    }
}

fn millis(latency: Option<Duration>) -> String {
    match latency {
        Some(latency) => format!("{:.3}", latency.as_secs_f64() * 1000.0),
        None => "-".to_owned(),
    }
}
