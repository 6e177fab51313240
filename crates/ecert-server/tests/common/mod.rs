//! Test helpers: a real hub served on port 0, with a small set of parties
//! and keys. The database is a SQLite file in a temporary directory, or with
//! `ECERT_TEST_BACKEND=postgres` a fresh PostgreSQL database on the server
//! named by `ECERT_TEST_DATABASE_URL`, dropped when the test ends.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use ecert_core::jose::b64url;
use ecert_core::keys::KeyPurpose;
use ecert_core::party::{Accreditation, AccreditationStandard, DataPolicy, OrgKind, Role, Track};
use ecert_server::service::keys::NewKey;
use ecert_server::{Hub, HubConfig, Principal};
use ecert_store::blob::LocalBlobStore;
use ecert_store::{Country, Organisation};
use ecert_store_sqlite::{SqliteOptions, SqliteStore};
use ed25519_dalek::{Signer as _, SigningKey};
use time::OffsetDateTime;
use time::macros::datetime;

pub struct TestApp {
    pub base: String,
    pub hub: Arc<Hub>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Drops the PostgreSQL test database; declared last so it drops last.
    _database: Option<ecert_store_postgres::test_hooks::TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a hub on a fresh database and a random local port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a hub like [`spawn_app`], with `adjust` applied to its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut HubConfig)) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (store, database): (Arc<dyn ecert_store::Store>, _) = match std::env::var("ECERT_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let database = ecert_store_postgres::test_hooks::TestDatabase::create("api test")
                .await
                .expect("ECERT_TEST_BACKEND=postgres needs ECERT_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres");
            let store = ecert_store_postgres::PgStore::connect(database.url(), ecert_store_postgres::PgOptions::default())
                .await
                .expect("connect to the PostgreSQL test database");
            (Arc::new(store), Some(database))
        }
        Ok("sqlite") | Err(_) => {
            let store = SqliteStore::open(&dir.path().join("hub.db"), SqliteOptions::default()).await.expect("open SQLite");
            (Arc::new(store), None)
        }
        Ok(other) => panic!("ECERT_TEST_BACKEND={other:?}: use sqlite or postgres"),
    };
    let blobs = LocalBlobStore::new(dir.path().join("blobs"));
    let keys = ecert_server::hub_keys::HubKeys::load_or_create(&dir.path().join("hub-keys")).expect("hub keys");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = HubConfig { public_base_url: base.clone(), ..HubConfig::default() };
    adjust(&mut config);
    let hub = Hub::new(store, Arc::new(blobs), keys, config).expect("hub");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ecert_server::serve(listener, hub.clone(), async move {
        let _ = rx.await;
    }));
    TestApp { base, hub, client: reqwest::Client::new(), dir, shutdown: Some(tx), _database: database }
}

/// A CAB with an Ed25519 signing key registered with the hub.
pub struct TestCab {
    pub org: Organisation,
    pub key: SigningKey,
    pub kid: String,
    pub token: String,
}

/// The parties most tests need: an operator, one country with its
/// authority, and a certification body and a laboratory with keys.
pub struct World {
    pub operator_token: String,
    pub authority: Organisation,
    pub authority_token: String,
    pub cab: TestCab,
    pub lab: TestCab,
}

pub fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn public_jwk(key: &SigningKey) -> serde_json::Value {
    serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(key.verifying_key().as_bytes())})
}

/// Signs `payload` as a compact JWS with `typ: vc+jwt`.
pub fn sign_jws(key: &SigningKey, kid: &str, payload: &[u8]) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": kid});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64url(&signature.to_bytes()))
}

pub async fn add_cab(
    hub: &Hub,
    country: &str,
    kind: OrgKind,
    number: &str,
    standard: AccreditationStandard,
    hs_prefixes: &[&str],
    seed: u8,
) -> TestCab {
    let system = Principal::System;
    let org = hub
        .create_organisation(system, Some(country.parse().unwrap()), kind, number.into(), format!("Test {number}"))
        .await
        .expect("create CAB");
    let accreditation = Accreditation {
        standard,
        body: "Test accreditation centre".into(),
        ilac_iaf_signatory: true,
        designated_types: vec![],
        hs_prefixes: hs_prefixes.iter().map(|s| s.to_string()).collect(),
        standards: vec![],
        valid_from: datetime!(2024-01-01 0:00 UTC),
        valid_until: Some(datetime!(2030-01-01 0:00 UTC)),
        status_history: vec![],
    };
    hub.add_accreditation(system, org.id, accreditation).await.expect("accreditation");
    let key = signing_key(seed);
    let new_key = NewKey {
        jwk: public_jwk(&key),
        algorithm: None,
        purpose: KeyPurpose::DocumentSigning,
        valid_from: Some(datetime!(2024-01-01 0:00 UTC)),
        valid_until: None,
    };
    let record = hub.register_key(system, org.id, new_key).await.expect("register key");
    let (_, token) = hub.create_token(system, org.id, vec![Role::CabIssuer], "test".into()).await.expect("token");
    TestCab { org, key, kid: record.kid, token }
}

pub async fn world(hub: &Hub) -> World {
    let system = Principal::System;
    let operator = hub
        .create_organisation(system, None, OrgKind::HubOperator, "HUB".into(), "Hub operator".into())
        .await
        .expect("operator");
    let (_, operator_token) = hub.create_token(system, operator.id, vec![Role::HubOperator], "ops".into()).await.unwrap();
    for (code, name) in [("UZ", "Uzbekistan"), ("KG", "Kyrgyzstan")] {
        let country = Country { code: code.parse().unwrap(), name: name.into(), track: Track::A, data_policy: DataPolicy::Full };
        hub.upsert_country(system, country).await.expect("country");
    }
    let authority = hub
        .create_organisation(system, Some("UZ".parse().unwrap()), OrgKind::StandardsBody, "NSB".into(), "Test standards body".into())
        .await
        .expect("authority");
    let (_, authority_token) = hub
        .create_token(system, authority.id, vec![Role::NationalAdmin, Role::CabIssuer], "nsb".into())
        .await
        .unwrap();
    let cab = add_cab(hub, "UZ", OrgKind::CertificationBody, "CB-0042", AccreditationStandard::Iso17065, &["6907", "2523"], 7).await;
    let lab = add_cab(hub, "UZ", OrgKind::TestingLaboratory, "LAB-0007", AccreditationStandard::Iso17025, &["6907"], 8).await;
    World { operator_token, authority, authority_token, cab, lab }
}

/// Builds a CoC (or TR) credential of `issuer` for HS 690721.
pub fn credential(issuer: &str, doc_type: &str, number: &str) -> serde_json::Value {
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": format!("urn:ecert:org:UZ:{issuer}"), "name": format!("Test {issuer}")},
        "validFrom": "2026-05-01T00:00:00Z",
        "validUntil": "2029-04-30T23:59:59Z",
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
        "credentialSubject": {
            "type": ["ConformityAttestation"],
            "attestationType": if doc_type == "TR" { "testing" } else { "certification" },
            "nationalNumber": number,
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

/// Where the shared public test data lives, or `None` (with a printed reason)
/// when it is absent and `ECERT_REQUIRE_TEST_DATA` is not set.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("ECERT_REQUIRE_TEST_DATA").is_ok_and(|v| v == "1") {
        panic!("test data {} is missing and ECERT_REQUIRE_TEST_DATA=1", path.display());
    }
    eprintln!("skipped: test data {} is absent (a fresh clone has no ../shared)", path.display());
    None
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Builds a small valid PDF for upload tests.
pub fn tiny_pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {marker}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

/// Builds a one-page PDF (A4, a black bar) with a correct cross-reference
/// table, which the hub can stamp. `marker` goes into a comment, so that
/// different markers give different files.
pub fn one_page_pdf(marker: &str) -> Vec<u8> {
    let content = "0 0 0 rg 72 720 300 24 re f\n";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut pdf = format!("%PDF-1.7\n% {marker}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    pdf
}
