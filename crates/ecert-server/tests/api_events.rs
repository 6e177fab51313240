mod common;
mod api_support;

// The event log through the HTTP API of a real hub: order, paging by
// sequence number, per-country visibility, and no personal data.

use api_support::{assert_error, assert_error_field, change_status, get, hub_id_of, kyrgyz_authority, register};
use serde_json::{Value, json};

/// A status change reason that names a person, as real reasons may.
const PERSONAL_REASON: &str = "Inspector Dilnoza Karimova found cracked glaze";

fn events(page: &Value) -> &Vec<Value> {
    page["events"].as_array().unwrap_or_else(|| panic!("the page lists events; body: {page}"))
}

fn kinds(page: &Value) -> Vec<&str> {
    events(page).iter().filter_map(|e| e["kind"].as_str()).collect()
}

fn seqs(page: &Value) -> Vec<i64> {
    events(page).iter().filter_map(|e| e["seq"].as_i64()).collect()
}

async fn list(app: &common::TestApp, token: &str, query: &str) -> Value {
    let (status, body) = get(app, &format!("/api/v1/events?{query}"), Some(token)).await;
    assert_eq!(status, 200, "events?{query}; body: {body}");
    body
}

/// Registers one CoC and suspends it with a reason that names a person.
async fn document_with_status_change(app: &common::TestApp, world: &common::World) -> String {
    let hub_id = hub_id_of(&register(app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001")).await);
    let (status, body) = change_status(app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": PERSONAL_REASON})).await;
    assert_eq!(status, 200, "body: {body}");
    hub_id
}

#[tokio::test]
async fn events_listed_in_sequence_order() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = document_with_status_change(&app, &world).await;

    let page = list(&app, &world.authority_token, "after=0").await;

    let kinds = kinds(&page);
    for expected in ["organisation.created", "accreditation.added", "key.registered", "token.created", "document.registered", "document.status_changed"] {
        assert!(kinds.contains(&expected), "{expected} is listed; body: {page}");
    }
    let seqs = seqs(&page);
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "sequence numbers increase: {seqs:?}");
    assert_eq!(page["last_seq"], json!(seqs.last().copied().unwrap()), "body: {page}");
    assert!(events(&page).iter().all(|e| e["country"] == "UZ"), "only UZ events; body: {page}");

    let registered = events(&page).iter().find(|e| e["kind"] == "document.registered").unwrap();
    assert_eq!(registered["subject"], hub_id, "body: {page}");
    assert!(registered["content_sha256"].as_str().is_some_and(|h| h.len() == 64), "the payload hash is referenced; body: {page}");
    let registered_at = events(&page).iter().position(|e| e["kind"] == "document.registered").unwrap();
    let changed_at = events(&page).iter().position(|e| e["kind"] == "document.status_changed").unwrap();
    assert!(registered_at < changed_at, "the registration precedes the status change; body: {page}");
}

#[tokio::test]
async fn events_page_after_last_seq() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let first = list(&app, &world.authority_token, "after=0").await;
    let last_seq = first["last_seq"].as_i64().unwrap();
    assert!(last_seq > 0, "setup recorded events; body: {first}");

    let empty = list(&app, &world.authority_token, &format!("after={last_seq}")).await;
    assert_eq!(events(&empty).len(), 0, "nothing new yet; body: {empty}");
    assert_eq!(empty["last_seq"], last_seq, "an empty page keeps the cursor; body: {empty}");

    let hub_id = hub_id_of(&register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001")).await);
    let newer = list(&app, &world.authority_token, &format!("after={last_seq}")).await;

    assert_eq!(kinds(&newer), ["document.registered"], "only the newer event; body: {newer}");
    assert_eq!(events(&newer)[0]["subject"], hub_id, "body: {newer}");
    assert!(seqs(&newer).iter().all(|seq| *seq > last_seq), "body: {newer}");
}

#[tokio::test]
async fn events_page_by_limit() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    document_with_status_change(&app, &world).await;
    let all = seqs(&list(&app, &world.authority_token, "after=0").await);

    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = list(&app, &world.authority_token, &format!("after={after}&limit=2")).await;
        let page_seqs = seqs(&page);
        assert!(page_seqs.len() <= 2, "body: {page}");
        if page_seqs.is_empty() {
            break;
        }
        paged.extend(page_seqs);
        after = page["last_seq"].as_i64().unwrap();
    }

    assert_eq!(paged, all, "paging returns every event once, in order");
}

#[tokio::test]
async fn events_hidden_from_other_country() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    document_with_status_change(&app, &world).await;
    let (kyrgyz, kyrgyz_token) = kyrgyz_authority(&app).await;

    let page = list(&app, &kyrgyz_token, "after=0").await;

    assert!(events(&page).iter().all(|e| e["country"] == "KG"), "no UZ events for a KG caller; body: {page}");
    assert!(
        events(&page).iter().any(|e| e["kind"] == "organisation.created" && e["subject"] == kyrgyz.id.to_string()),
        "the caller's own country is listed; body: {page}"
    );
}

#[tokio::test]
async fn events_for_operator_span_countries() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    kyrgyz_authority(&app).await;

    let page = list(&app, &world.operator_token, "after=0").await;

    let countries: Vec<&Value> = events(&page).iter().map(|e| &e["country"]).collect();
    assert!(countries.contains(&&json!("UZ")), "body: {page}");
    assert!(countries.contains(&&json!("KG")), "body: {page}");
}

#[tokio::test]
async fn events_without_token_unauthorized() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/events?after=0", None).await;

    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test]
async fn events_negative_after_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/events?after=-1", Some(&world.authority_token)).await;

    assert_error_field(status, &body, 400, "invalid_query", "after");
}

#[tokio::test]
async fn events_non_numeric_after_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/events?after=latest", Some(&world.authority_token)).await;

    assert_error(status, &body, 400, "invalid_query");
}

#[tokio::test]
async fn events_omit_status_reason() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = document_with_status_change(&app, &world).await;
    let (_, accreditations) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let accreditation_id = accreditations["items"][0]["id"].as_str().unwrap();
    let (status, body) = api_support::post(
        &app,
        &format!("/api/v1/accreditations/{accreditation_id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": PERSONAL_REASON}),
    )
    .await;
    assert_eq!(status, 200, "body: {body}");
    let (status, body) =
        api_support::post(&app, &format!("/api/v1/keys/{}/revoke", world.lab.kid), Some(&world.authority_token), &json!({"reason": PERSONAL_REASON})).await;
    assert_eq!(status, 200, "body: {body}");

    let page = list(&app, &world.operator_token, "after=0").await;

    let (_, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    assert_eq!(history["items"][0]["reason"], PERSONAL_REASON, "the reason is kept outside the log; body: {history}");
    for kind in ["document.status_changed", "accreditation.status_changed", "key.status_changed"] {
        assert!(kinds(&page).contains(&kind), "{kind} is logged; body: {page}");
    }
    for event in events(&page) {
        let text = event.to_string();
        assert!(!text.contains(PERSONAL_REASON), "an event holds the reason text: {text}");
        assert!(!text.contains("Karimova"), "an event holds a person's name: {text}");
    }
}
