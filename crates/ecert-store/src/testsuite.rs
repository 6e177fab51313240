//! Scenarios of the storage contract that every backend must pass: the
//! transactions, conflicts, event log and paging that the service relies on.
//! Each backend's integration tests open a fresh store and call every
//! scenario here, so SQLite and PostgreSQL are held to the same behaviour.
//!
//! The scenarios panic on failure like any test. The fixtures (`seed_issuer`,
//! `sample_document`, `status_change`) are public so that a backend's own
//! tests can build on them.

use std::sync::Arc;

use ecert_core::document::parse_credential;
use ecert_core::jose::{Algorithm, PublicJwk};
use ecert_core::keys::{KeyPurpose, KeyStatus, KeyValidity};
use ecert_core::party::{Accreditation, AccreditationStandard, AccreditationStatus, DataPolicy, OrgKind, Role, Track};
use ecert_core::{CountryCode, DocType, DocumentStatus, HubId, StatusAction, TrustBasis};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::*;

mod hs;
mod portal;

pub use hs::*;
pub use portal::*;

fn uz() -> CountryCode {
    "UZ".parse().expect("UZ is a country code")
}

/// Registers the country UZ and a certification body `CB-0042` in it.
pub async fn seed_issuer(store: &dyn Store) -> Organisation {
    let country = Country { code: uz(), name: "Uzbekistan".into(), track: Track::A, data_policy: DataPolicy::Full };
    store.upsert_country(&country, Actor::SYSTEM).await.unwrap();
    let org = organisation(Some(uz()), "CB-0042");
    store.insert_organisation(&org, Actor::SYSTEM).await.unwrap();
    org
}

fn organisation(country: Option<CountryCode>, registration_number: &str) -> Organisation {
    Organisation {
        id: Uuid::now_v7(),
        country,
        kind: if country.is_some() { OrgKind::CertificationBody } else { OrgKind::HubOperator },
        registration_number: registration_number.into(),
        name: "Test body".into(),
        created_at: now(),
    }
}

/// Builds a valid, hub-attested certificate of `org` with the national
/// number `number`. `random` picks the hub ID.
pub fn sample_document(org: &Organisation, random: u64, number: &str, supersedes: Option<HubId>) -> DocumentRecord {
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
        hub_id: HubId::new(uz(), DocType::Certificate, random),
        doc_type: DocType::Certificate,
        country: uz(),
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

/// Builds a status change of `hub_id` whose reason names a person, so that
/// tests can check that the reason stays out of the event log.
pub fn status_change(hub_id: HubId, action: StatusAction, from: DocumentStatus, to: DocumentStatus) -> StatusChangeRecord {
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

fn conflict_message<T: std::fmt::Debug>(result: StoreResult<T>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn document_round_trips(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::org(org.id)).await.unwrap();
    let read = store.get_document(doc.hub_id).await.unwrap().unwrap();
    assert_eq!(read.content, doc.content);
    assert_eq!(read.payload, doc.payload);
    assert_eq!(read.registered_at, stored_precision(doc.registered_at));
    assert_eq!(read.status, DocumentStatus::Valid);
    assert_eq!(read.attestation.as_deref(), Some("attestation"));
    assert_eq!(store.find_document_by_payload(org.id, &doc.payload_sha256).await.unwrap().map(|d| d.hub_id), Some(doc.hub_id));
    assert_eq!(store.find_documents_by_number(org.id, "N-1").await.unwrap().len(), 1);
    assert!(store.get_document(HubId::new(uz(), DocType::Certificate, 99)).await.unwrap().is_none());
}

pub async fn duplicate_payload_is_a_conflict(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let mut twin = doc.clone();
    twin.hub_id = HubId::new(uz(), DocType::Certificate, 2);
    assert!(matches!(store.insert_document(&twin, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert!(store.get_document(twin.hub_id).await.unwrap().is_none());
}

/// The service retries a new hub ID on a `documents.hub_id` conflict, and it
/// distinguishes payload and national-number conflicts by these substrings.
pub async fn conflict_messages_name_the_column(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();

    let same_hub_id = sample_document(&org, 1, "N-2", None);
    let message = conflict_message(store.insert_document(&same_hub_id, Actor::SYSTEM).await);
    assert!(message.contains("documents.hub_id"), "hub ID conflict: {message}");

    // A real resubmission also repeats the national number, and which of the
    // two conflicts a backend reports first is unspecified: the service looks
    // the payload up before it reads the message. So only the payload repeats here.
    let mut same_payload = doc.clone();
    same_payload.hub_id = HubId::new(uz(), DocType::Certificate, 2);
    same_payload.national_number = "N-other".into();
    let message = conflict_message(store.insert_document(&same_payload, Actor::SYSTEM).await);
    assert!(message.contains("payload_sha256"), "payload conflict: {message}");
    assert!(!message.contains("documents.hub_id"), "payload conflict: {message}");

    let mut same_number = sample_document(&org, 3, "N-1", None);
    same_number.payload_sha256 = "1".repeat(64);
    let message = conflict_message(store.insert_document(&same_number, Actor::SYSTEM).await);
    assert!(message.contains("national_number"), "national number conflict: {message}");
    assert!(!message.contains("documents.hub_id"), "national number conflict: {message}");
}

pub async fn supersede_is_atomic_and_single(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let old = sample_document(&org, 1, "N-1", None);
    store.insert_document(&old, Actor::SYSTEM).await.unwrap();

    let first = sample_document(&org, 2, "N-1", Some(old.hub_id));
    store.insert_document(&first, Actor::SYSTEM).await.unwrap();
    let read = store.get_document(old.hub_id).await.unwrap().unwrap();
    assert_eq!(read.status, DocumentStatus::Superseded);
    assert_eq!(read.superseded_by, Some(first.hub_id));
    assert_eq!(store.find_documents_by_number(org.id, "N-1").await.unwrap().len(), 2);

    // A second re-issue of the same entry fails and leaves nothing behind.
    let mut second = sample_document(&org, 3, "N-1b", Some(old.hub_id));
    second.payload_sha256 = "0".repeat(64);
    assert!(matches!(store.insert_document(&second, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert!(store.get_document(second.hub_id).await.unwrap().is_none());
    let history = store.document_history(old.hub_id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, StatusAction::Supersede);
    assert_eq!(history[0].to, DocumentStatus::Superseded);
}

pub async fn stale_status_change_is_rejected(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let suspend = status_change(doc.hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    store.change_document_status(&suspend, Actor::SYSTEM).await.unwrap();

    // A second writer that still believes the document is valid loses.
    let withdraw = status_change(doc.hub_id, StatusAction::Withdraw, DocumentStatus::Valid, DocumentStatus::Withdrawn);
    assert!(matches!(store.change_document_status(&withdraw, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get_document(doc.hub_id).await.unwrap().unwrap().status, DocumentStatus::Suspended);
    assert_eq!(store.document_history(doc.hub_id).await.unwrap().len(), 1);

    let missing = status_change(HubId::new(uz(), DocType::Certificate, 99), StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    assert!(matches!(store.change_document_status(&missing, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));
}

pub async fn concurrent_status_changes_apply_once(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let hub_id = doc.hub_id;
        tasks.push(tokio::spawn(async move {
            let suspend = status_change(hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
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

pub async fn events_are_ordered_and_free_of_reasons(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let doc = sample_document(&org, 1, "N-1", None);
    store.insert_document(&doc, Actor::org(org.id)).await.unwrap();
    let suspend = status_change(doc.hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    store.change_document_status(&suspend, Actor::org(org.id)).await.unwrap();

    let events = store.list_events(Some(uz()), 0, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::CountryUpserted, EventKind::OrganisationCreated, EventKind::DocumentRegistered, EventKind::DocumentStatusChanged]
    );
    assert!(events.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert!(events.iter().all(|e| !e.data.to_string().contains("Jane")), "a reason leaked into the event log");
    assert_eq!(events[3].data["change_id"], suspend.id.to_string());
    assert_eq!(events[2].subject, doc.hub_id.to_string());
    assert_eq!(events[2].content_sha256.as_deref(), Some(doc.payload_sha256.as_str()));
    assert_eq!(events[2].actor_org_id, Some(org.id));
    assert_eq!(events[3].effective_at, stored_precision(suspend.effective_at));

    let after = store.list_events(Some(uz()), events[1].seq, 100).await.unwrap();
    assert_eq!(after.len(), 2);
    let limited = store.list_events(None, 0, 1).await.unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].seq, events[0].seq);
    assert!(store.list_events(Some("KG".parse().unwrap()), 0, 100).await.unwrap().is_empty());
}

pub async fn search_filters_and_pages(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    for i in 0..5u64 {
        store.insert_document(&sample_document(&org, 10 + i, &format!("N-{i}"), None), Actor::SYSTEM).await.unwrap();
    }
    let all = DocumentQuery::default();
    let first = store.search_documents(&all, PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let second = store.search_documents(&all, PageRequest { after: first.next.clone(), limit: 2 }).await.unwrap();
    let third = store.search_documents(&all, PageRequest { after: second.next.clone(), limit: 2 }).await.unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.next.is_none());
    let seen: Vec<HubId> = [first.items, second.items, third.items].concat().into_iter().map(|d| d.hub_id).collect();
    let expected: Vec<HubId> = (0..5u64).rev().map(|i| HubId::new(uz(), DocType::Certificate, 10 + i)).collect();
    assert_eq!(seen, expected, "newest first, each entry once");

    let count = |query: DocumentQuery| {
        let store = store.clone();
        async move { store.search_documents(&query, PageRequest::first(50)).await.unwrap().items.len() }
    };
    assert_eq!(count(DocumentQuery { hs_code: Some("690721".into()), ..Default::default() }).await, 5);
    assert_eq!(count(DocumentQuery { hs_code: Some("69072100".into()), ..Default::default() }).await, 5);
    assert_eq!(count(DocumentQuery { hs_code: Some("8544".into()), ..Default::default() }).await, 0);
    assert_eq!(count(DocumentQuery { national_number: Some("N-3".into()), ..Default::default() }).await, 1);
    assert_eq!(count(DocumentQuery { country: Some(uz()), doc_type: Some(DocType::Certificate), ..Default::default() }).await, 5);
    assert_eq!(count(DocumentQuery { doc_type: Some(DocType::TestReport), ..Default::default() }).await, 0);
    assert_eq!(count(DocumentQuery { issuer_org_id: Some(Uuid::now_v7()), ..Default::default() }).await, 0);
    assert_eq!(count(DocumentQuery { status: Some(DocumentStatus::Suspended), ..Default::default() }).await, 0);

    // Every sample document was issued on 2026-05-01.
    let issued = time::macros::datetime!(2026-05-01 0:00 UTC);
    let on_the_day = DocumentQuery { issued_from: Some(issued), issued_to: Some(issued), ..Default::default() };
    assert_eq!(count(on_the_day).await, 5);
    assert_eq!(count(DocumentQuery { issued_from: Some(issued + Duration::seconds(1)), ..Default::default() }).await, 0);
    assert_eq!(count(DocumentQuery { issued_to: Some(issued - Duration::seconds(1)), ..Default::default() }).await, 0);

    for cursor in ["x", "0", "-5"] {
        let bad_cursor = PageRequest { after: Some(cursor.into()), limit: 2 };
        let message = conflict_message(store.search_documents(&all, bad_cursor).await);
        assert!(message.contains("cursor"), "cursor {cursor:?}: {message}");
    }
}

pub async fn stamped_file_is_found_by_either_hash(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let mut doc = sample_document(&org, 1, "N-1", None);
    doc.file_sha256 = Some("a".repeat(64));
    store.insert_document(&doc, Actor::SYSTEM).await.unwrap();

    store.set_stamped_file(doc.hub_id, &"b".repeat(64), Actor::SYSTEM).await.unwrap();
    let by_original = store.find_documents_by_file(&"a".repeat(64)).await.unwrap();
    let by_stamped = store.find_documents_by_file(&"b".repeat(64)).await.unwrap();
    assert_eq!(by_original.iter().map(|d| d.hub_id).collect::<Vec<_>>(), [doc.hub_id]);
    assert_eq!(by_stamped.iter().map(|d| d.hub_id).collect::<Vec<_>>(), [doc.hub_id]);
    assert_eq!(by_stamped[0].stamped_sha256.as_deref(), Some("b".repeat(64).as_str()));
    assert!(store.find_documents_by_file(&"c".repeat(64)).await.unwrap().is_empty());

    // The stamped hash is written once. A missing document is a conflict too.
    assert!(matches!(store.set_stamped_file(doc.hub_id, &"c".repeat(64), Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let missing = HubId::new(uz(), DocType::Certificate, 99);
    assert!(matches!(store.set_stamped_file(missing, &"c".repeat(64), Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let events = store.list_events(Some(uz()), 0, 100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::DocumentFileStamped).count(), 1);
}

pub async fn countries_upsert_and_list(store: Arc<dyn Store>) {
    let mut country = Country { code: uz(), name: "Uzbekistan".into(), track: Track::A, data_policy: DataPolicy::Full };
    store.upsert_country(&country, Actor::SYSTEM).await.unwrap();
    country.track = Track::C;
    country.data_policy = DataPolicy::MetadataOnly;
    store.upsert_country(&country, Actor::SYSTEM).await.unwrap();
    let kyrgyzstan = Country { code: "KG".parse().unwrap(), name: "Kyrgyzstan".into(), track: Track::B, data_policy: DataPolicy::Full };
    store.upsert_country(&kyrgyzstan, Actor::SYSTEM).await.unwrap();

    assert_eq!(store.get_country(uz()).await.unwrap(), Some(country.clone()));
    assert_eq!(store.list_countries().await.unwrap(), [kyrgyzstan, country]);
    assert!(store.get_country("KZ".parse().unwrap()).await.unwrap().is_none());
    assert_eq!(store.list_events(Some(uz()), 0, 100).await.unwrap().len(), 2);
}

pub async fn registration_numbers_ignore_case(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    assert_eq!(store.get_organisation(org.id).await.unwrap(), Some(org.clone()));

    let lower = organisation(Some(uz()), "cb-0042");
    assert!(matches!(store.insert_organisation(&lower, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let found = store.find_organisation(Some(uz()), "cb-0042").await.unwrap();
    assert_eq!(found.map(|o| o.id), Some(org.id));

    // The same number is free in another country and for the hub operator.
    let kyrgyzstan = Country { code: "KG".parse().unwrap(), name: "Kyrgyzstan".into(), track: Track::B, data_policy: DataPolicy::Full };
    store.upsert_country(&kyrgyzstan, Actor::SYSTEM).await.unwrap();
    let elsewhere = organisation(Some(kyrgyzstan.code), "CB-0042");
    store.insert_organisation(&elsewhere, Actor::SYSTEM).await.unwrap();
    let operator = organisation(None, "CB-0042");
    store.insert_organisation(&operator, Actor::SYSTEM).await.unwrap();
    assert_eq!(store.find_organisation(None, "cb-0042").await.unwrap().map(|o| o.id), Some(operator.id));
    let second_operator = organisation(None, "Cb-0042");
    assert!(matches!(store.insert_organisation(&second_operator, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));

    // An organisation of a country the hub does not know is a conflict.
    let unknown_country = organisation(Some("KZ".parse().unwrap()), "CB-1");
    assert!(matches!(store.insert_organisation(&unknown_country, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    assert!(store.find_organisation(Some(uz()), "CB-9999").await.unwrap().is_none());
}

pub async fn organisations_page_by_cursor(store: Arc<dyn Store>) {
    let first_org = seed_issuer(store.as_ref()).await;
    let mut ids = vec![first_org.id];
    for i in 1..5 {
        let org = organisation(Some(uz()), &format!("CB-{i}"));
        store.insert_organisation(&org, Actor::SYSTEM).await.unwrap();
        ids.push(org.id);
    }
    let operator = organisation(None, "HUB");
    store.insert_organisation(&operator, Actor::SYSTEM).await.unwrap();

    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let result = store.list_organisations(Some(uz()), page.clone()).await.unwrap();
        assert!(result.items.len() <= 2);
        seen.extend(result.items.iter().map(|o| o.id));
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids, "oldest first, each organisation once");

    let everyone = store.list_organisations(None, PageRequest::first(50)).await.unwrap();
    assert_eq!(everyone.items.len(), 6);
    assert!(everyone.next.is_none());
    let message = conflict_message(store.list_organisations(None, PageRequest { after: Some("x".into()), limit: 2 }).await);
    assert!(message.contains("cursor"), "{message}");
}

pub async fn accreditations_keep_status_history(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let valid_from = time::macros::datetime!(2026-01-01 0:00 UTC);
    let record = AccreditationRecord {
        id: Uuid::now_v7(),
        org_id: org.id,
        accreditation: Accreditation {
            standard: AccreditationStandard::Iso17065,
            body: "UzAccr".into(),
            ilac_iaf_signatory: true,
            designated_types: vec![],
            hs_prefixes: vec!["6907".into()],
            standards: vec!["GOST 13996-2019".into()],
            valid_from,
            valid_until: Some(time::macros::datetime!(2030-01-01 0:00 UTC)),
            status_history: vec![(valid_from, AccreditationStatus::Active)],
        },
        created_at: now(),
    };
    store.insert_accreditation(&record, Actor::SYSTEM).await.unwrap();
    assert_eq!(store.get_accreditation(record.id).await.unwrap(), Some(record.clone()));

    let suspended_at = time::macros::datetime!(2026-06-01 0:00 UTC);
    let change = AccreditationStatusChange {
        id: record.id,
        to: AccreditationStatus::Suspended,
        effective_at: suspended_at,
        reason: "Audit by Jane Example".into(),
    };
    let changed = store.change_accreditation_status(&change, Actor::SYSTEM).await.unwrap();
    assert_eq!(
        changed.accreditation.status_history,
        [(valid_from, AccreditationStatus::Active), (suspended_at, AccreditationStatus::Suspended)]
    );
    assert_eq!(store.list_accreditations(org.id).await.unwrap(), [changed]);
    assert!(store.list_accreditations(Uuid::now_v7()).await.unwrap().is_empty());

    let missing = AccreditationStatusChange { id: Uuid::now_v7(), ..change };
    assert!(matches!(store.change_accreditation_status(&missing, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));
    let orphan = AccreditationRecord { id: Uuid::now_v7(), org_id: Uuid::now_v7(), ..record };
    assert!(matches!(store.insert_accreditation(&orphan, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));
    assert!(store.get_accreditation(orphan.id).await.unwrap().is_none());

    let events = store.list_events(Some(uz()), 0, 100).await.unwrap();
    assert!(events.iter().all(|e| !e.data.to_string().contains("Jane")), "a reason leaked into the event log");
}

fn key(org: &Organisation, kid: &str) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        org_id: org.id,
        jwk: PublicJwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
            y: None,
            n: None,
            e: None,
        },
        algorithm: Algorithm::EdDSA,
        validity: KeyValidity {
            purpose: KeyPurpose::DocumentSigning,
            status: KeyStatus::Active,
            valid_from: time::macros::datetime!(2026-01-01 0:00 UTC),
            valid_until: None,
            retired_at: None,
            compromised_at: None,
        },
        registered_by: None,
        created_at: now(),
    }
}

pub async fn key_status_changes_once(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let record = key(&org, "kid-1");
    store.insert_key(&record, Actor::SYSTEM).await.unwrap();
    assert_eq!(store.get_key("kid-1").await.unwrap(), Some(record.clone()));
    assert!(matches!(store.insert_key(&record, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let orphan = KeyRecord { org_id: Uuid::now_v7(), ..key(&org, "kid-2") };
    assert!(matches!(store.insert_key(&orphan, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));

    let retired_at = time::macros::datetime!(2026-03-01 0:00 UTC);
    let retire = KeyStatusChange {
        effective_now: false,
        kid: "kid-1".into(),
        expected: KeyStatus::Active,
        to: KeyStatus::Retired,
        effective_at: retired_at,
        reason: "rotation".into(),
    };
    let retired = store.change_key_status(&retire, Actor::SYSTEM).await.unwrap();
    assert_eq!(retired.validity.status, KeyStatus::Retired);
    assert_eq!(retired.validity.retired_at, Some(retired_at));

    // A writer that still believes the key is active loses.
    assert!(matches!(store.change_key_status(&retire, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));

    // Revoking a retired key keeps its retirement time.
    let compromised_at = time::macros::datetime!(2026-04-01 0:00 UTC);
    let revoke = KeyStatusChange { expected: KeyStatus::Retired, to: KeyStatus::Revoked, effective_at: compromised_at, ..retire.clone() };
    let revoked = store.change_key_status(&revoke, Actor::SYSTEM).await.unwrap();
    assert_eq!(revoked.validity.status, KeyStatus::Revoked);
    assert_eq!(revoked.validity.retired_at, Some(retired_at));
    assert_eq!(revoked.validity.compromised_at, Some(compromised_at));
    assert_eq!(store.list_keys(org.id).await.unwrap(), [revoked]);

    let missing = KeyStatusChange { kid: "kid-9".into(), ..retire };
    assert!(matches!(store.change_key_status(&missing, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));
    let kinds: Vec<EventKind> = store.list_events(Some(uz()), 0, 100).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::KeyStatusChanged).count(), 2);
}

pub async fn tokens_and_users_round_trip(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let token = ApiToken {
        id: Uuid::now_v7(),
        org_id: org.id,
        roles: vec![Role::CabIssuer, Role::Viewer],
        token_hash: "d".repeat(64),
        label: "ci".into(),
        created_at: now(),
        revoked_at: None,
    };
    store.insert_token(&token, Actor::SYSTEM).await.unwrap();
    assert_eq!(store.find_token(&token.token_hash).await.unwrap(), Some(token.clone()));
    assert_eq!(store.get_token(token.id).await.unwrap(), Some(token.clone()));
    let same_hash = ApiToken { id: Uuid::now_v7(), ..token.clone() };
    assert!(matches!(store.insert_token(&same_hash, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));

    store.revoke_token(token.id, Actor::SYSTEM).await.unwrap();
    assert!(store.get_token(token.id).await.unwrap().unwrap().revoked_at.is_some());
    assert!(matches!(store.revoke_token(Uuid::now_v7(), Actor::SYSTEM).await, Err(StoreError::NotFound(_))));
    assert!(store.find_token(&"e".repeat(64)).await.unwrap().is_none());

    let user = User {
        id: Uuid::now_v7(),
        org_id: org.id,
        username: "jane.example".into(),
        display_name: "Jane Example".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![Role::NationalAdmin],
        locale: Some("ru".into()),
        created_at: now(),
        disabled_at: None,
    };
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    assert_eq!(store.find_user("jane.example").await.unwrap(), Some(user.clone()));
    assert!(store.find_user("john.example").await.unwrap().is_none());
    let same_name = User { id: Uuid::now_v7(), ..user.clone() };
    assert!(matches!(store.insert_user(&same_name, Actor::SYSTEM).await, Err(StoreError::Conflict(_))));
    let orphan = User { id: Uuid::now_v7(), org_id: Uuid::now_v7(), username: "orphan".into(), ..user };
    assert!(matches!(store.insert_user(&orphan, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));

    let events = store.list_events(Some(uz()), 0, 100).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::TokenCreated));
    assert!(kinds.contains(&EventKind::TokenRevoked));
    assert!(kinds.contains(&EventKind::UserCreated));
    assert!(events.iter().all(|e| !e.data.to_string().contains("jane")), "a user name leaked into the event log");
}

/// Writes at least one row into every table, through the normal API.
/// Returns the issuer and the hub IDs of a valid, a superseded, a
/// re-issued and a suspended entry with a stamped file.
pub async fn seed_every_table(store: &dyn Store) -> (Organisation, [HubId; 4]) {
    let org = seed_issuer(store).await;
    let operator = organisation(None, "HUB-OPERATOR");
    store.insert_organisation(&operator, Actor::SYSTEM).await.unwrap();

    let valid_from = time::macros::datetime!(2026-01-01 0:00 UTC);
    let accreditation = AccreditationRecord {
        id: Uuid::now_v7(),
        org_id: org.id,
        accreditation: Accreditation {
            standard: AccreditationStandard::Iso17065,
            body: "UzAccr".into(),
            ilac_iaf_signatory: true,
            designated_types: vec![DocType::Certificate],
            hs_prefixes: vec!["6907".into()],
            standards: vec!["GOST 13996-2019".into()],
            valid_from,
            valid_until: Some(time::macros::datetime!(2030-01-01 0:00 UTC)),
            status_history: vec![(valid_from, AccreditationStatus::Active)],
        },
        created_at: now(),
    };
    store.insert_accreditation(&accreditation, Actor::SYSTEM).await.unwrap();
    let suspension = AccreditationStatusChange {
        id: accreditation.id,
        to: AccreditationStatus::Suspended,
        effective_at: time::macros::datetime!(2026-06-01 0:00 UTC),
        reason: "Audit by Jane Example".into(),
    };
    store.change_accreditation_status(&suspension, Actor::org(operator.id)).await.unwrap();

    store.insert_key(&key(&org, "kid-1"), Actor::org(operator.id)).await.unwrap();
    let retire = KeyStatusChange {
        effective_now: false,
        kid: "kid-1".into(),
        expected: KeyStatus::Active,
        to: KeyStatus::Retired,
        effective_at: time::macros::datetime!(2026-03-01 0:00 UTC),
        reason: "rotation".into(),
    };
    store.change_key_status(&retire, Actor::SYSTEM).await.unwrap();

    let token = ApiToken {
        id: Uuid::now_v7(),
        org_id: org.id,
        roles: vec![Role::CabIssuer, Role::Viewer],
        token_hash: "d".repeat(64),
        label: "ci".into(),
        created_at: now(),
        revoked_at: None,
    };
    store.insert_token(&token, Actor::SYSTEM).await.unwrap();
    store.revoke_token(token.id, Actor::SYSTEM).await.unwrap();
    let user = User {
        id: Uuid::now_v7(),
        org_id: org.id,
        username: "jane.example".into(),
        display_name: "Jane Example".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![Role::NationalAdmin],
        locale: Some("ru".into()),
        created_at: now(),
        disabled_at: None,
    };
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    let disabled = sample_user(&org, "john.example");
    store.insert_user(&disabled, Actor::SYSTEM).await.unwrap();
    store.set_user_disabled(disabled.id, Some(time::macros::datetime!(2026-04-01 0:00 UTC)), Actor::SYSTEM).await.unwrap();
    store.replace_hs_catalog(&sample_hs_catalog(), Actor::SYSTEM).await.unwrap();

    // Short-lived rows that a snapshot leaves out.
    store.insert_session(&sample_session(user.id, 's'), Actor::org(org.id)).await.unwrap();
    store.add_login_failure("account:jane", now(), now() - Duration::minutes(15)).await.unwrap();
    store.insert_login_device(&sample_login_device(user.id, 'v')).await.unwrap();

    let valid = sample_document(&org, 1, "N-1", None);
    store.insert_document(&valid, Actor::org(org.id)).await.unwrap();
    let original = sample_document(&org, 2, "N-2", None);
    store.insert_document(&original, Actor::org(org.id)).await.unwrap();
    let reissue = sample_document(&org, 3, "N-2", Some(original.hub_id));
    store.insert_document(&reissue, Actor::org(org.id)).await.unwrap();
    let mut suspended = sample_document(&org, 4, "N-4", None);
    suspended.file_sha256 = Some("a".repeat(64));
    store.insert_document(&suspended, Actor::org(org.id)).await.unwrap();
    let suspend = status_change(suspended.hub_id, StatusAction::Suspend, DocumentStatus::Valid, DocumentStatus::Suspended);
    store.change_document_status(&suspend, Actor::org(org.id)).await.unwrap();
    store.set_stamped_file(suspended.hub_id, &"b".repeat(64), Actor::org(org.id)).await.unwrap();

    (org, [valid.hub_id, original.hub_id, reissue.hub_id, suspended.hub_id])
}

/// Moves every table from `source` to the empty `target` and reads it back
/// through the normal API. New rows on the target continue the sequences.
pub async fn snapshot_round_trips(source: Arc<dyn Store>, target: Arc<dyn Store>) {
    let (org, hub_ids) = seed_every_table(source.as_ref()).await;
    let snapshot = source.export_snapshot().await.unwrap();
    for (table, rows) in snapshot.row_counts() {
        assert!(rows > 0, "the seeded source has no {table} rows");
    }
    assert_eq!(snapshot.referenced_blobs(), ["a".repeat(64), "b".repeat(64)]);

    target.import_snapshot(&snapshot).await.unwrap();
    let copy = target.export_snapshot().await.unwrap();
    assert_eq!(copy, snapshot);
    assert_eq!(copy.digest(), snapshot.digest());

    for hub_id in hub_ids {
        assert_eq!(target.get_document(hub_id).await.unwrap(), source.get_document(hub_id).await.unwrap());
        assert_eq!(target.document_history(hub_id).await.unwrap(), source.document_history(hub_id).await.unwrap());
    }
    assert_eq!(target.list_accreditations(org.id).await.unwrap(), source.list_accreditations(org.id).await.unwrap());
    assert_eq!(target.list_keys(org.id).await.unwrap(), source.list_keys(org.id).await.unwrap());
    assert_eq!(target.find_token(&"d".repeat(64)).await.unwrap(), source.find_token(&"d".repeat(64)).await.unwrap());
    assert_eq!(target.find_user("jane.example").await.unwrap(), source.find_user("jane.example").await.unwrap());
    let disabled = source.find_user("john.example").await.unwrap().unwrap();
    assert!(disabled.disabled_at.is_some());
    assert_eq!(target.get_user(disabled.id).await.unwrap(), Some(disabled));
    assert_eq!(target.hs_catalog_info().await.unwrap(), source.hs_catalog_info().await.unwrap());
    assert_eq!(target.search_hs("провода", 100).await.unwrap(), source.search_hs("провода", 100).await.unwrap());
    assert_eq!(target.search_hs("01", 100).await.unwrap(), source.search_hs("01", 100).await.unwrap());
    assert!(source.get_session(&sample_session(Uuid::nil(), 's').id_hash).await.unwrap().is_some());
    assert!(target.get_session(&sample_session(Uuid::nil(), 's').id_hash).await.unwrap().is_none(), "a session was copied");
    assert!(target.get_login_failures("account:jane").await.unwrap().is_none(), "a login failure counter was copied");
    assert!(target.find_login_device(&"v".repeat(64)).await.unwrap().is_none(), "a login device was copied");
    let source_events = source.list_events(None, 0, 1000).await.unwrap();
    assert_eq!(target.list_events(None, 0, 1000).await.unwrap(), source_events);

    // Page cursors of the source stay valid on the target.
    let source_page = source.list_organisations(None, PageRequest::first(1)).await.unwrap();
    let target_page = target.list_organisations(None, PageRequest::first(1)).await.unwrap();
    assert_eq!(target_page, source_page);
    let after = PageRequest { after: source_page.next.clone(), limit: 1 };
    assert_eq!(target.list_organisations(None, after.clone()).await.unwrap(), source.list_organisations(None, after).await.unwrap());
    let source_documents = source.search_documents(&DocumentQuery::default(), PageRequest::first(2)).await.unwrap();
    let target_documents = target.search_documents(&DocumentQuery::default(), PageRequest::first(2)).await.unwrap();
    assert_eq!(target_documents, source_documents);

    // New rows continue after the highest imported sequence number.
    let last_seq = source_events.last().unwrap().seq;
    let added = sample_document(&org, 5, "N-5", None);
    target.insert_document(&added, Actor::org(org.id)).await.unwrap();
    let new_events = target.list_events(None, last_seq, 10).await.unwrap();
    assert_eq!(new_events.iter().map(|e| e.seq).collect::<Vec<_>>(), [last_seq + 1]);
    let newest = target.search_documents(&DocumentQuery::default(), PageRequest::first(1)).await.unwrap();
    assert_eq!(newest.items[0].hub_id, added.hub_id, "the new document does not sort after the imported ones");
    let late_org = organisation(Some(uz()), "CB-0099");
    target.insert_organisation(&late_org, Actor::SYSTEM).await.unwrap();
    let mut all = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let result = target.list_organisations(None, page.clone()).await.unwrap();
        all.extend(result.items.into_iter().map(|o| o.id));
        let Some(next) = result.next else { break };
        page.after = Some(next);
    }
    assert_eq!(all.last(), Some(&late_org.id), "the new organisation does not page after the imported ones");
}

/// Checks that import into a database that has rows fails with a conflict
/// naming the tables and leaves the database unchanged.
pub async fn snapshot_import_requires_empty_database(source: Arc<dyn Store>, target: Arc<dyn Store>) {
    seed_every_table(source.as_ref()).await;
    let snapshot = source.export_snapshot().await.unwrap();
    seed_issuer(target.as_ref()).await;
    let before = target.export_snapshot().await.unwrap();

    let message = conflict_message(target.import_snapshot(&snapshot).await);
    assert!(message.contains("not empty"), "{message}");
    assert!(message.contains("countries (1 rows)"), "{message}");
    assert!(message.contains("events (2 rows)"), "{message}");
    assert_eq!(target.export_snapshot().await.unwrap(), before);
}

/// Checks that an invalid snapshot fails validation before anything is
/// written, and that a row the database rejects rolls back the rows
/// inserted before it.
pub async fn snapshot_import_is_all_or_nothing(source: Arc<dyn Store>, target: Arc<dyn Store>) {
    seed_every_table(source.as_ref()).await;
    let snapshot = source.export_snapshot().await.unwrap();

    let mut invalid = snapshot.clone();
    invalid.documents[0].status = "lost".into();
    let message = conflict_message(target.import_snapshot(&invalid).await);
    assert!(message.contains("column status contains \"lost\""), "{message}");

    // A status change of a document that the snapshot does not contain
    // breaks a foreign key after every other table was inserted.
    let mut dangling = snapshot.clone();
    dangling.status_changes[0].hub_id = HubId::new(uz(), DocType::Certificate, 99).to_string();
    assert!(target.import_snapshot(&dangling).await.is_err());
    let empty = target.export_snapshot().await.unwrap();
    for (table, rows) in empty.row_counts() {
        assert_eq!(rows, 0, "{table} kept rows of a failed import");
    }

    target.import_snapshot(&snapshot).await.unwrap();
    assert_eq!(target.export_snapshot().await.unwrap().digest(), snapshot.digest());
}
