//! Request helpers for the API integration tests: JSON calls that return the
//! HTTP status and the parsed body, assertions on the error shape, and
//! shortcuts that register documents through the API.
//!
//! Every test file that uses this module declares `mod common;` first,
//! because the shortcuts build on the parties and keys made there.
#![allow(dead_code)]

use base64::Engine as _;
use ecert_core::jose::b64url;
use ecert_core::party::{OrgKind, Role};
use ecert_core::{DocType, HubId};
use ecert_server::Principal;
use ecert_store::Organisation;
use ed25519_dalek::{Signer as _, SigningKey};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::{self, TestApp, TestCab};

/// Sends a request with an optional bearer token and JSON body. Returns the
/// status and the body as JSON, or as a JSON string when it is not JSON.
pub async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> (StatusCode, Value) {
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request reaches the test server");
    let status = response.status();
    let text = response.text().await.expect("response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    call(app, Method::GET, path, token, None).await
}

pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, token, Some(body)).await
}

/// Asserts the HTTP status and the `{"error": {"code", "message"}}` shape.
#[track_caller]
pub fn assert_error(status: StatusCode, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status.as_u16(), expected_status, "HTTP status; body: {body}");
    assert!(body["error"].is_object(), "the body has an error object; body: {body}");
    assert_eq!(body["error"]["code"], code, "error code; body: {body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "the error has a message; body: {body}"
    );
}

/// Asserts the error shape as [`assert_error`] does, and the field at fault.
#[track_caller]
pub fn assert_error_field(status: StatusCode, body: &Value, expected_status: u16, code: &str, field: &str) {
    assert_error(status, body, expected_status, code);
    assert_eq!(body["error"]["field"], field, "error field; body: {body}");
}

/// Signs `credential` with the CAB's registered key.
pub fn sign(cab: &TestCab, credential: &Value) -> String {
    common::sign_jws(&cab.key, &cab.kid, credential.to_string().as_bytes())
}

/// Builds a compact JWS with any protected header, signed with Ed25519.
pub fn sign_with_header(key: &SigningKey, header: &Value, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64url(&signature.to_bytes()))
}

pub async fn submit(app: &TestApp, token: Option<&str>, jws: &str) -> (StatusCode, Value) {
    post(app, "/api/v1/documents", token, &json!({"jws": jws})).await
}

/// Registers a signed credential with the CAB's own token and returns the
/// new entry, failing the test unless the hub returns 201.
pub async fn register(app: &TestApp, cab: &TestCab, credential: &Value) -> Value {
    let (status, body) = submit(app, Some(&cab.token), &sign(cab, credential)).await;
    assert_eq!(status, 201, "registration of {}; body: {body}", credential["credentialSubject"]["nationalNumber"]);
    body
}

/// Registers a signed credential with a PDF attached.
pub async fn register_with_pdf(app: &TestApp, cab: &TestCab, credential: &Value, pdf: &[u8]) -> Value {
    let request = json!({"jws": sign(cab, credential), "pdf_base64": base64_standard(pdf)});
    let (status, body) = post(app, "/api/v1/documents", Some(&cab.token), &request).await;
    assert_eq!(status, 201, "registration with a PDF; body: {body}");
    body
}

pub fn hub_id_of(document: &Value) -> String {
    document["hub_id"].as_str().unwrap_or_else(|| panic!("the entry has a hub_id; body: {document}")).to_owned()
}

/// Changes a document's status and returns the HTTP status and body.
pub async fn change_status(app: &TestApp, token: &str, hub_id: &str, request: &Value) -> (StatusCode, Value) {
    post(app, &format!("/api/v1/documents/{hub_id}/status"), Some(token), request).await
}

/// Creates a national standards body of Kyrgyzstan and returns it with a
/// `national_admin` and `cab_issuer` token, for cross-country checks.
pub async fn kyrgyz_authority(app: &TestApp) -> (Organisation, String) {
    let org = app
        .hub
        .create_organisation(Principal::System, Some("KG".parse().unwrap()), OrgKind::StandardsBody, "KG-NSB".into(), "Kyrgyz standards body".into())
        .await
        .expect("create the Kyrgyz authority");
    let (_, token) = app
        .hub
        .create_token(Principal::System, org.id, vec![Role::NationalAdmin, Role::CabIssuer], "kg".into())
        .await
        .expect("token of the Kyrgyz authority");
    (org, token)
}

/// Returns `hub_id` with its first random character replaced, so that the
/// check character no longer matches.
pub fn mistype(hub_id: &str) -> String {
    let mut chars: Vec<char> = hub_id.chars().collect();
    // In the canonical form `UZ-CC-7Q3K-9XMP-H` the random part starts at index 6.
    chars[6] = if chars[6] == 'X' { 'Y' } else { 'X' };
    let mistyped: String = chars.into_iter().collect();
    assert!(mistyped.parse::<HubId>().is_err(), "{mistyped} must fail the check character");
    mistyped
}

/// Returns a well-formed Uzbek hub ID that no test registers.
pub fn unregistered_hub_id(doc_type: DocType) -> String {
    HubId::new("UZ".parse().unwrap(), doc_type, 0x00AB_CDEF_0123).to_string()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn base64_standard(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Computes the RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of
/// the required members in lexicographic order, base64url without padding.
pub fn ed25519_thumbprint(key: &SigningKey) -> String {
    let x = b64url(key.verifying_key().as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    b64url(&Sha256::digest(canonical.as_bytes()))
}

#[track_caller]
pub fn parse_time(text: &Value) -> OffsetDateTime {
    let text = text.as_str().unwrap_or_else(|| panic!("{text} is not a string"));
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
}

pub fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).expect("format RFC 3339")
}

/// Lists the check names of a verification result, in the order returned.
pub fn check_names(result: &Value) -> Vec<String> {
    result["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("the result has checks; body: {result}"))
        .iter()
        .map(|c| c["check"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Finds one check of a verification result by name.
#[track_caller]
pub fn check<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("the result has a {name} check; body: {result}"))
}
