mod common;
mod api_support;

// Public keys of organisations and of the hub: registration under the chain
// of trust, reading, retirement and revocation, and what they mean for
// documents signed with them.

use api_support::{
    assert_error, assert_error_field, check, ed25519_thumbprint, get, hub_id_of, parse_time, post, register, rfc3339, sign, submit,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// Creates CAB `CB-0100` through the API and returns its id.
async fn create_cab(app: &common::TestApp, token: &str) -> String {
    let request = json!({"country": "UZ", "kind": "certification_body", "registration_number": "CB-0100", "name": "Certification body 0100"});
    let (status, body) = post(app, "/api/v1/organisations", Some(token), &request).await;
    assert_eq!(status, 201, "body: {body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn retire(app: &common::TestApp, token: &str, kid: &str, request: &Value) -> (reqwest::StatusCode, Value) {
    post(app, &format!("/api/v1/keys/{kid}/retire"), Some(token), request).await
}

async fn revoke(app: &common::TestApp, token: &str, kid: &str, request: &Value) -> (reqwest::StatusCode, Value) {
    post(app, &format!("/api/v1/keys/{kid}/revoke"), Some(token), request).await
}

#[tokio::test]
async fn key_register_by_national_admin() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let cab_id = create_cab(&app, &world.authority_token).await;
    let key = common::signing_key(21);

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{cab_id}/keys"),
        Some(&world.authority_token),
        &json!({"jwk": common::public_jwk(&key)}),
    )
    .await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["kid"], ed25519_thumbprint(&key), "kid is the RFC 7638 thumbprint; body: {body}");
    assert_eq!(body["org_id"], cab_id, "body: {body}");
    assert_eq!(body["algorithm"], "EdDSA", "body: {body}");
    assert_eq!(body["purpose"], "document_signing", "body: {body}");
    assert_eq!(body["status"], "active", "body: {body}");
    assert_eq!(body["jwk"], common::public_jwk(&key), "the public JWK is stored as sent; body: {body}");
    assert_eq!(body["registered_by"], world.authority.id.to_string(), "body: {body}");
}

#[tokio::test]
async fn key_valid_from_reads_back() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let cab_id = create_cab(&app, &world.authority_token).await;
    let (status, created) = post(
        &app,
        &format!("/api/v1/organisations/{cab_id}/keys"),
        Some(&world.authority_token),
        &json!({"jwk": common::public_jwk(&common::signing_key(21))}),
    )
    .await;
    assert_eq!(status, 201, "body: {created}");

    let (status, body) = get(&app, &format!("/api/v1/keys/{}", created["kid"].as_str().unwrap()), None).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["valid_from"], created["valid_from"], "GET body: {body}; 201 body: {created}");
}

#[tokio::test]
async fn key_register_private_jwk_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let cab_id = create_cab(&app, &world.authority_token).await;
    let key = common::signing_key(21);
    let mut jwk = common::public_jwk(&key);
    jwk["d"] = json!(ecert_core::jose::b64url(&key.to_bytes()));

    let (status, body) = post(&app, &format!("/api/v1/organisations/{cab_id}/keys"), Some(&world.authority_token), &json!({"jwk": jwk})).await;

    assert_error_field(status, &body, 422, "invalid_jwk", "jwk");
    let (_, keys) = get(&app, &format!("/api/v1/organisations/{cab_id}/keys"), None).await;
    assert_eq!(keys["items"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn key_register_algorithm_mismatch_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let cab_id = create_cab(&app, &world.authority_token).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{cab_id}/keys"),
        Some(&world.authority_token),
        &json!({"jwk": common::public_jwk(&common::signing_key(21)), "algorithm": "ES256"}),
    )
    .await;

    assert_error_field(status, &body, 422, "key_algorithm_mismatch", "algorithm");
}

#[tokio::test]
async fn key_register_twice_conflicts() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/keys", world.cab.org.id),
        Some(&world.authority_token),
        &json!({"jwk": common::public_jwk(&world.cab.key)}),
    )
    .await;

    assert_error(status, &body, 409, "key_exists");
    assert_eq!(body["error"]["context"]["kid"], world.cab.kid, "body: {body}");
}

#[tokio::test]
async fn key_register_by_cab_itself_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/keys", world.cab.org.id),
        Some(&world.cab.token),
        &json!({"jwk": common::public_jwk(&common::signing_key(22))}),
    )
    .await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn key_register_authority_key_needs_operator() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"jwk": common::public_jwk(&common::signing_key(23))});
    let path = format!("/api/v1/organisations/{}/keys", world.authority.id);

    let (status, body) = post(&app, &path, Some(&world.authority_token), &request).await;
    assert_error(status, &body, 403, "forbidden");

    let (status, body) = post(&app, &path, Some(&world.operator_token), &request).await;
    assert_eq!(status, 201, "the hub operator registers national authority keys; body: {body}");
}

#[tokio::test]
async fn key_register_unknown_org_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/keys", uuid::Uuid::now_v7()),
        Some(&world.authority_token),
        &json!({"jwk": common::public_jwk(&common::signing_key(21))}),
    )
    .await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn key_list_is_public() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}/keys", world.cab.org.id), None).await;

    assert_eq!(status, 200, "body: {body}");
    let keys = body["items"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "body: {body}");
    assert_eq!(keys[0]["kid"], world.cab.kid, "body: {body}");
    assert_eq!(keys[0]["status"], "active", "body: {body}");
}

#[tokio::test]
async fn key_list_bad_org_id_rejected() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/organisations/CB-0042/keys", None).await;

    assert_error_field(status, &body, 400, "invalid_id", "id");
}

#[tokio::test]
async fn key_get_returns_one() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/keys/{}", world.cab.kid), None).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["kid"], world.cab.kid, "body: {body}");
    assert_eq!(body["org_id"], world.cab.org.id.to_string(), "body: {body}");
    assert_eq!(body["kid"], ed25519_thumbprint(&world.cab.key), "body: {body}");
}

#[tokio::test]
async fn key_get_unknown_not_found() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/keys/{}", ed25519_thumbprint(&common::signing_key(99))), None).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn key_retire_then_retire_again() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "scheduled rotation"})).await;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["status"], "retired", "body: {body}");
    assert!(body["retired_at"].is_string(), "the retirement time is recorded; body: {body}");
    assert!(body["compromised_at"].is_null(), "body: {body}");

    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "scheduled rotation"})).await;
    assert_error(status, &body, 409, "invalid_transition");
}

#[tokio::test]
async fn key_retire_in_future_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let next_year = rfc3339(OffsetDateTime::now_utc() + time::Duration::days(365));

    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "rotation", "effective_at": next_year})).await;

    assert_error_field(status, &body, 422, "validation_failed", "effective_at");
}

#[tokio::test]
async fn key_retire_blank_reason_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": ""})).await;

    assert_error_field(status, &body, 422, "validation_failed", "reason");
}

#[tokio::test]
async fn key_retire_by_cab_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = retire(&app, &world.cab.token, &world.cab.kid, &json!({"reason": "rotation"})).await;

    assert_error(status, &body, 403, "forbidden");
    let (_, key) = get(&app, &format!("/api/v1/keys/{}", world.cab.kid), None).await;
    assert_eq!(key["status"], "active", "body: {key}");
}

#[tokio::test]
async fn key_retire_unknown_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let kid = ed25519_thumbprint(&common::signing_key(99));
    let (status, body) = retire(&app, &world.authority_token, &kid, &json!({"reason": "rotation"})).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn key_revoke_after_retire() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "scheduled rotation"})).await;
    assert_eq!(status, 200, "body: {body}");

    let (status, body) = revoke(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "private key leaked"})).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["status"], "revoked", "body: {body}");
    assert!(body["compromised_at"].is_string(), "the compromise time is recorded; body: {body}");

    let (status, body) = revoke(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "private key leaked"})).await;
    assert_error(status, &body, 409, "invalid_transition");
    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "rotation"})).await;
    assert_error(status, &body, 409, "invalid_transition");
}

#[tokio::test]
async fn retired_key_cannot_sign_new_documents() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let before = register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001")).await;
    let (status, body) = retire(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "scheduled rotation"})).await;
    assert_eq!(status, 200, "body: {body}");

    let jws = sign(&world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000002"));
    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;
    assert_error_field(status, &body, 422, "key_not_valid", "jws.header.kid");

    let (status, result) = get(&app, &format!("/api/v1/documents/{}/verification", hub_id_of(&before)), None).await;
    assert_eq!(status, 200, "body: {result}");
    assert_eq!(result["verdict"], "valid", "a retired key still verifies what it signed before; body: {result}");
}

#[tokio::test]
async fn backdated_revocation_invalidates_documents() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let document = register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001")).await;
    let registered_at = parse_time(&document["registered_at"]);
    let compromise = rfc3339(registered_at - time::Duration::hours(1));

    let (status, body) =
        revoke(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "key stolen", "effective_at": compromise})).await;
    assert_eq!(status, 200, "body: {body}");

    let (status, result) = get(&app, &format!("/api/v1/documents/{}/verification", hub_id_of(&document)), None).await;
    assert_eq!(status, 200, "body: {result}");
    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_eq!(check(&result, "key_valid")["outcome"], "failed", "body: {result}");
    assert_eq!(check(&result, "key_valid")["code"], "revoked", "body: {result}");
}

#[tokio::test]
async fn revocation_after_registration_keeps_documents() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let document = register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001")).await;

    let (status, body) = revoke(&app, &world.authority_token, &world.cab.kid, &json!({"reason": "key stolen"})).await;
    assert_eq!(status, 200, "body: {body}");

    let (_, result) = get(&app, &format!("/api/v1/documents/{}/verification", hub_id_of(&document)), None).await;
    assert_eq!(result["verdict"], "valid", "registered before the compromise time; body: {result}");
    let jws = sign(&world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000002"));
    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;
    assert_error(status, &body, 422, "key_not_valid");
}

#[tokio::test]
async fn hub_keys_lists_eddsa_key() {
    let app = common::spawn_app().await;

    let (status, body) = get(&app, "/api/v1/hub/keys", None).await;

    assert_eq!(status, 200, "body: {body}");
    let keys = body["keys"].as_array().unwrap_or_else(|| panic!("a JWK set; body: {body}"));
    assert!(!keys.is_empty(), "body: {body}");
    let key = &keys[0];
    assert_eq!(key["alg"], "EdDSA", "body: {body}");
    assert_eq!(key["kty"], "OKP", "body: {body}");
    assert_eq!(key["crv"], "Ed25519", "body: {body}");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "body: {body}");
    assert!(key.get("d").is_none(), "no private member is published; body: {body}");
}

#[tokio::test]
async fn key_list_pages_by_kid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let second = common::public_jwk(&common::signing_key(61));
    let path = format!("/api/v1/organisations/{}/keys", world.cab.org.id);
    let (status, body) = post(&app, &path, Some(&world.authority_token), &json!({"jwk": second})).await;
    assert_eq!(status, 201, "body: {body}");

    let (_, first) = get(&app, &format!("{path}?limit=1"), None).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1, "body: {first}");
    assert_eq!(first["next"], world.cab.kid, "body: {first}");
    let (_, rest) = get(&app, &format!("{path}?limit=1&after={}", world.cab.kid), None).await;
    assert_eq!(rest["items"][0]["kid"], body["kid"], "body: {rest}");
    assert!(rest["next"].is_null(), "body: {rest}");

    let (status, bad) = get(&app, &format!("{path}?after=no-such-kid"), None).await;
    assert_eq!(status, 400, "body: {bad}");
    assert_eq!(bad["error"]["code"], "invalid_cursor", "body: {bad}");
    assert_eq!(bad["error"]["field"], "after", "body: {bad}");
}
