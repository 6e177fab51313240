//! Input a careless or hostile client sends: times in the wrong order or
//! the future, files of another issuer, names the credential only claims,
//! unknown fields, portal-only countries and odd spellings of the scheme.

mod common;
mod api_support;

use api_support::{assert_error, assert_error_field, base64_standard, change_status, get, hub_id_of, post, register, register_with_pdf, rfc3339};
use ecert_core::party::{DataPolicy, Track};
use ecert_server::Principal;
use serde_json::json;
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn status_change_before_latest_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.H.1")).await);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let now = OffsetDateTime::now_utc();
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "audit", "effective_at": rfc3339(now)})).await;
    assert_eq!(status, 200, "body: {body}");
    let earlier = now - Duration::milliseconds(500);
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "reinstate", "reason": "cleared", "effective_at": rfc3339(earlier)})).await;
    assert_error_field(status, &body, 422, "validation_failed", "effective_at");

    let (_, document) = get(&app, &format!("/api/v1/documents/{hub_id}"), Some(&world.cab.token)).await;
    assert_eq!(document["status"], "suspended", "body: {document}");
}

#[tokio::test]
async fn future_effective_times_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let tomorrow = rfc3339(OffsetDateTime::now_utc() + Duration::days(1));
    let hub_id = hub_id_of(&register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.H.2")).await);

    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "x", "effective_at": tomorrow})).await;
    assert_error_field(status, &body, 422, "validation_failed", "effective_at");
    let (status, body) = post(&app, &format!("/api/v1/keys/{}/revoke", world.cab.kid), Some(&world.authority_token), &json!({"reason": "x", "effective_at": tomorrow})).await;
    assert_error_field(status, &body, 422, "validation_failed", "effective_at");
    let (_, accreditations) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let id = accreditations["items"][0]["id"].as_str().unwrap();
    let (status, body) =
        post(&app, &format!("/api/v1/accreditations/{id}/status"), Some(&world.authority_token), &json!({"status": "suspended", "reason": "x", "effective_at": tomorrow})).await;
    assert_error_field(status, &body, 422, "validation_failed", "effective_at");

    // A time within the clock skew counts as now, so the change shows at once.
    let soon = rfc3339(OffsetDateTime::now_utc() + Duration::minutes(2));
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "x", "effective_at": soon})).await;
    assert_eq!(status, 200, "body: {body}");
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id})).await;
    assert_eq!(result["verdict"], "invalid", "body: {result}");
}

#[tokio::test]
async fn operator_revokes_any_key() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, body) = post(&app, &format!("/api/v1/keys/{}/revoke", world.cab.kid), Some(&world.operator_token), &json!({"reason": "reported compromise"})).await;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["status"], "revoked", "body: {body}");
    let (status, body) = post(&app, &format!("/api/v1/keys/{}/retire", world.lab.kid), Some(&world.operator_token), &json!({"reason": "x"})).await;
    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn file_of_other_issuer_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("shared file");
    register_with_pdf(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.F.1"), &pdf).await;

    let report = common::credential("LAB-0007", "TR", "UZ.F.2");
    let jws = api_support::sign(&world.lab, &report);
    let (status, body) = post(&app, "/api/v1/documents", Some(&world.lab.token), &json!({"jws": jws, "pdf_base64": base64_standard(&pdf)})).await;
    assert_error_field(status, &body, 409, "file_registered_by_other_issuer", "pdf_base64");
}

#[tokio::test]
async fn verification_shows_registered_issuer_name() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = common::credential("CB-0042", "CC", "UZ.N.1");
    credential["issuer"]["name"] = "Mallory Impostor".into();
    let hub_id = hub_id_of(&register(&app, &world.cab, &credential).await);

    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id})).await;
    assert_eq!(result["document"]["issuer_name"], world.cab.org.name, "body: {result}");
    let page = app.client.get(format!("{}/v/{hub_id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Mallory"), "the public page shows the claimed issuer name");
    assert!(page.contains(&world.cab.org.name));
}

#[tokio::test]
async fn unknown_fields_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = api_support::sign(&world.cab, &common::credential("CB-0042", "CC", "UZ.U.1"));
    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &json!({"jws": jws, "pdf_base46": "JVBERi0="})).await;
    assert_error(status, &body, 422, "invalid_field");
    assert!(body["error"]["message"].as_str().unwrap().contains("pdf_base46"), "body: {body}");

    let (status, body) = get(&app, "/api/v1/documents?hscode=6907", Some(&world.cab.token)).await;
    assert_error(status, &body, 400, "invalid_query");
}

#[tokio::test]
async fn track_c_country_rejects_api_writes() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let country = ecert_store::Country { code: "UZ".parse().unwrap(), name: "Uzbekistan".into(), track: Track::C, data_policy: DataPolicy::Full };
    app.hub.upsert_country(Principal::System, country).await.unwrap();
    let jws = api_support::sign(&world.cab, &common::credential("CB-0042", "CC", "UZ.T.1"));
    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &json!({"jws": jws})).await;
    assert_error(status, &body, 403, "track_c_portal_only");
}

#[tokio::test]
async fn verifying_country_must_participate() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.V.1")).await);
    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id, "verifying_country": "XX"})).await;
    assert_error_field(status, &body, 422, "validation_failed", "verifying_country");
    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id, "verifying_country": "KG"})).await;
    assert_eq!(status, 200, "body: {body}");
    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id, "pdf_base64": ""})).await;
    assert_error_field(status, &body, 400, "empty_file", "pdf_base64");
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let response = app
        .client
        .get(format!("{}/api/v1/countries", app.base))
        .header("Authorization", format!("bearer {}", world.cab.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn look_alike_registration_numbers_collide() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, body) = post(
        &app,
        "/api/v1/organisations",
        Some(&world.authority_token),
        &json!({"country": "UZ", "kind": "certification_body", "registration_number": "cb-0042", "name": "Look-alike"}),
    )
    .await;
    assert_error_field(status, &body, 409, "organisation_exists", "registration_number");
    let (status, body) = post(
        &app,
        "/api/v1/organisations",
        Some(&world.authority_token),
        &json!({"country": "UZ", "kind": "certification_body", "registration_number": "../../x", "name": "Traversal"}),
    )
    .await;
    assert_error_field(status, &body, 422, "validation_failed", "registration_number");
}
