//! The storage contract on a real SQLite file: transactions, conflicts,
//! the append-only event log and paging. Written against `dyn Store` so the
//! same checks can run on every backend.

use std::sync::Arc;

use ecert_core::document::parse_credential;
use ecert_core::party::{DataPolicy, OrgKind, Track};
use ecert_core::{DocType, DocumentStatus, HubId, StatusAction, TrustBasis};
use ecert_store::*;
use ecert_store_sqlite::{SqliteOptions, SqliteStore};
use time::OffsetDateTime;
use uuid::Uuid;

async fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db"), SqliteOptions::default()).await.unwrap();
    (Arc::new(store), dir)
}

async fn cab(store: &dyn Store) -> Organisation {
    let country = Country { code: "UZ".parse().unwrap(), name: "Uzbekistan".into(), track: Track::A, data_policy: DataPolicy::Full };
    store.upsert_country(&country, Actor::SYSTEM).await.unwrap();
    let org = Organisation {
        id: Uuid::now_v7(),
        country: Some("UZ".parse().unwrap()),
        kind: OrgKind::CertificationBody,
        registration_number: "CB-0042".into(),
        name: "Test body".into(),
        created_at: OffsetDateTime::now_utc(),
    };
    store.insert_organisation(&org, Actor::SYSTEM).await.unwrap();
    org
}

fn document(org: &Organisation, random: u64, number: &str, supersedes: Option<HubId>) -> DocumentRecord {
    let mut credential = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": "urn:ecert:org:UZ:CB-0042", "name": "Test body"},
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1"},
        "credentialSubject": {
            "attestationType": "certification", "nationalNumber": number,
            "issuedToParty": {"name": "Buyer LLC"},
            "product": {"name": "Tiles", "hsCodes": [{"code": "690721", "edition": "HS2022", "national": "6907210000"}]},
            "conformance": true
        }
    });
    if let Some(old) = supersedes {
        credential["credentialSubject"]["supersedes"] = old.to_string().into();
    }
    let content = parse_credential(&credential).unwrap();
    let payload = credential.to_string().into_bytes();
    DocumentRecord {
        hub_id: HubId::new("UZ".parse().unwrap(), DocType::Certificate, random),
        doc_type: DocType::Certificate,
        country: "UZ".parse().unwrap(),
        issuer_org_id: org.id,
        national_number: number.into(),
        payload_sha256: blob::sha256_hex(&payload),
        payload,
        content,
        trust_basis: TrustBasis::HubAttestation,
        jws: None,
        kid: None,
        attestation: Some("attestation".into()),
        file_sha256: None,
        stamped_sha256: None,
        file_url: None,
        status: DocumentStatus::Valid,
        supersedes,
        superseded_by: None,
        registered_at: OffsetDateTime::now_utc(),
        registered_by: org.id,
    }
}

fn change(hub_id: HubId, action: StatusAction, from: DocumentStatus, to: DocumentStatus) -> StatusChangeRecord {
    let now = OffsetDateTime::now_utc();
    StatusChangeRecord {
        id: Uuid::now_v7(),
        hub_id,
        action,
        from,
        to,
        reason: "Reason naming Jane Example".into(),
        actor_org_id: None,
        effective_at: now,
        recorded_at: now,
    }
}

#[tokio::test]
async fn document_round_trips() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let doc = document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::org(org.id)).await.unwrap();
    let read = store.get_document(doc.hub_id).await.unwrap().unwrap();
    assert_eq!(read.content, doc.content);
    assert_eq!(read.payload, doc.payload);
    assert_eq!(read.registered_at.unix_timestamp(), doc.registered_at.unix_timestamp());
    assert_eq!(store.find_document_by_payload(org.id, &doc.payload_sha256).await.unwrap().map(|d| d.hub_id), Some(doc.hub_id));
    assert_eq!(store.find_documents_by_number(org.id, "N-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn duplicate_payload_is_a_conflict() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let doc = document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let mut twin = doc.clone();
    twin.hub_id = HubId::new("UZ".parse().unwrap(), DocType::Certificate, 2);
    assert!(matches!(store.insert_document(&twin, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert!(store.get_document(twin.hub_id).await.unwrap().is_none());
}

#[tokio::test]
async fn supersede_is_atomic_and_single() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let old = document(&org, 1, "N-1", None);
    store.insert_document(&old, Actor::SYSTEM).await.unwrap();

    let first = document(&org, 2, "N-1", Some(old.hub_id));
    store.insert_document(&first, Actor::SYSTEM).await.unwrap();
    let read = store.get_document(old.hub_id).await.unwrap().unwrap();
    assert_eq!(read.status, DocumentStatus::Superseded);
    assert_eq!(read.superseded_by, Some(first.hub_id));

    // A second re-issue of the same entry fails and leaves nothing behind.
    let mut second = document(&org, 3, "N-1b", Some(old.hub_id));
    second.payload_sha256 = "0".repeat(64);
    assert!(matches!(store.insert_document(&second, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert!(store.get_document(second.hub_id).await.unwrap().is_none());
    let history = store.document_history(old.hub_id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, StatusAction::Supersede);
}

#[tokio::test]
async fn stale_status_change_is_rejected() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let doc = document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let suspend = change(doc.hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    store.change_document_status(&suspend, Actor::SYSTEM).await.unwrap();
    // A second writer that still believes the document is valid loses.
    let withdraw = change(doc.hub_id, StatusAction::Withdraw, DocumentStatus::Valid, DocumentStatus::Withdrawn);
    assert!(matches!(store.change_document_status(&withdraw, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get_document(doc.hub_id).await.unwrap().unwrap().status, DocumentStatus::Suspended);
    assert_eq!(store.document_history(doc.hub_id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_status_changes_apply_once() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let doc = document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let hub_id = doc.hub_id;
        tasks.push(tokio::spawn(async move {
            let suspend = change(hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
            store.change_document_status(&suspend, Actor::SYSTEM).await
        }));
    }
    let mut applied = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => applied += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(store.document_history(doc.hub_id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn events_are_ordered_and_free_of_reasons() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    let doc = document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::org(org.id)).await.unwrap();
    let suspend = change(doc.hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    store.change_document_status(&suspend, Actor::org(org.id)).await.unwrap();

    let events = store.list_events(Some("UZ".parse().unwrap()), 0, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::CountryUpserted, EventKind::OrganisationCreated, EventKind::DocumentRegistered, EventKind::DocumentStatusChanged]
    );
    assert!(events.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert!(events.iter().all(|e| !e.data.to_string().contains("Jane")), "a reason leaked into the event log");
    assert_eq!(events[3].data["change_id"], suspend.id.to_string());

    let after = store.list_events(Some("UZ".parse().unwrap()), events[1].seq, 100).await.unwrap();
    assert_eq!(after.len(), 2);
    assert!(store.list_events(Some("KG".parse().unwrap()), 0, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn search_filters_and_pages() {
    let (store, _dir) = open().await;
    let org = cab(store.as_ref()).await;
    for i in 0..5u64 {
        store.insert_document(&document(&org, 10 + i, &format!("N-{i}"), None), Actor::SYSTEM).await.unwrap();
    }
    let all = DocumentQuery::default();
    let first = store.search_documents(&all, PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let second = store.search_documents(&all, PageRequest { after: first.next.clone(), limit: 2 }).await.unwrap();
    let third = store.search_documents(&all, PageRequest { after: second.next.clone(), limit: 2 }).await.unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.next.is_none());
    let mut seen: Vec<HubId> = [first.items, second.items, third.items].concat().into_iter().map(|d| d.hub_id).collect();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    let by_hs = DocumentQuery { hs_code: Some("690721".into()), ..Default::default() };
    assert_eq!(store.search_documents(&by_hs, PageRequest::first(50)).await.unwrap().items.len(), 5);
    let by_national = DocumentQuery { hs_code: Some("69072100".into()), ..Default::default() };
    assert_eq!(store.search_documents(&by_national, PageRequest::first(50)).await.unwrap().items.len(), 5);
    let other_hs = DocumentQuery { hs_code: Some("8544".into()), ..Default::default() };
    assert!(store.search_documents(&other_hs, PageRequest::first(50)).await.unwrap().items.is_empty());
    let by_number = DocumentQuery { national_number: Some("N-3".into()), ..Default::default() };
    assert_eq!(store.search_documents(&by_number, PageRequest::first(50)).await.unwrap().items.len(), 1);
    let bad_cursor = PageRequest { after: Some("x".into()), limit: 2 };
    assert!(matches!(store.search_documents(&all, bad_cursor).await, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn event_log_rejects_updates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    cab(&store).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let update = sqlx::query("UPDATE events SET kind = 'x'").execute(&pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn reopening_keeps_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    let version = store.schema_version().await.unwrap();
    assert!(version >= 1);
    drop(store);
    let reopened = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    assert_eq!(reopened.schema_version().await.unwrap(), version);
}
