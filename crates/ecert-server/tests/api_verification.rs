mod common;
mod api_support;

// Verification through the HTTP API and the public verification page of a
// real hub: by hub ID, JWS or file, as of a date, for a verifying country,
// and for suspended, unregistered and mistyped documents.

use api_support::{
    assert_error, assert_error_field, base64_standard, change_status, check, check_names, get, hub_id_of, mistype, parse_time, post,
    register, register_with_pdf, rfc3339, sign, unregistered_hub_id,
};
use ecert_core::DocType;
use serde_json::{Value, json};

const NUMBER: &str = "UZ.CB-0042.2026.000001";
const CHECK_ORDER: [&str; 10] = [
    "format",
    "key_known",
    "signature",
    "key_valid",
    "issuer_scope",
    "status",
    "validity_period",
    "file_hash",
    "agreement_coverage",
    "transparency_log",
];
const APPLICANT: &str = "Example Ceramics LLC";

fn coc() -> Value {
    common::credential("CB-0042", "CC", NUMBER)
}

async fn verify(app: &common::TestApp, request: &Value) -> Value {
    let (status, body) = post(app, "/api/v1/verify", None, request).await;
    assert_eq!(status, 200, "request {request}; body: {body}");
    body
}

#[track_caller]
fn assert_outcome(result: &Value, name: &str, outcome: &str, code: &str) {
    let found = check(result, name);
    assert_eq!(found["outcome"], outcome, "{name} outcome; body: {result}");
    assert_eq!(found["code"], code, "{name} code; body: {result}");
}

#[tokio::test]
async fn verify_by_hub_id_valid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let result = verify(&app, &json!({"hub_id": hub_id})).await;

    assert_eq!(result["verdict"], "valid", "body: {result}");
    assert_eq!(result["hub_id"], hub_id, "body: {result}");
    assert_eq!(result["trust_basis"], "issuer_signature", "body: {result}");
    assert_eq!(check_names(&result), CHECK_ORDER, "the ten checks in order; body: {result}");
    for name in ["format", "key_known", "signature", "key_valid", "issuer_scope", "status", "validity_period"] {
        assert_eq!(check(&result, name)["outcome"], "passed", "{name}; body: {result}");
    }
    assert_outcome(&result, "file_hash", "not_applicable", "not_given");
    assert_outcome(&result, "agreement_coverage", "not_applicable", "not_given");
    assert_eq!(check(&result, "transparency_log")["outcome"], "not_applicable", "never reported as passed; body: {result}");
    assert_eq!(result["document"]["hub_id"], hub_id, "body: {result}");
    assert_eq!(result["document"]["national_number"], NUMBER, "body: {result}");
    assert_eq!(result["document"]["status"], "valid", "body: {result}");
}

#[tokio::test]
async fn verify_response_omits_applicant() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let result = verify(&app, &json!({"hub_id": hub_id})).await;

    assert_eq!(result["verdict"], "valid", "body: {result}");
    assert!(!result.to_string().contains(APPLICANT), "the public result carries no applicant name; body: {result}");
}

#[tokio::test]
async fn verify_by_jws_valid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = sign(&world.cab, &coc());
    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &json!({"jws": jws})).await;
    assert_eq!(status, 201, "body: {body}");

    let result = verify(&app, &json!({"jws": jws})).await;

    assert_eq!(result["verdict"], "valid", "body: {result}");
    assert_eq!(result["hub_id"], body["hub_id"], "body: {result}");
    assert_eq!(check_names(&result), CHECK_ORDER, "body: {result}");
}

#[tokio::test]
async fn verify_unregistered_jws_invalid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let result = verify(&app, &json!({"jws": sign(&world.cab, &coc())})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "signature", "passed", "ok");
    assert_outcome(&result, "status", "failed", "not_registered");
    assert_eq!(check_names(&result), CHECK_ORDER, "body: {result}");
}

#[tokio::test]
async fn verify_by_pdf_matches_original() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("verify by file");
    let hub_id = hub_id_of(&register_with_pdf(&app, &world.cab, &coc(), &pdf).await);

    let result = verify(&app, &json!({"pdf_base64": base64_standard(&pdf)})).await;

    assert_eq!(result["verdict"], "valid", "body: {result}");
    assert_eq!(result["hub_id"], hub_id, "body: {result}");
    assert_outcome(&result, "file_hash", "passed", "original");
}

#[tokio::test]
async fn verify_hub_id_with_other_pdf_fails() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register_with_pdf(&app, &world.cab, &coc(), &common::tiny_pdf("original")).await);

    let result = verify(&app, &json!({"hub_id": hub_id, "pdf_base64": base64_standard(&common::tiny_pdf("forged"))})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "file_hash", "failed", "mismatch");
}

#[tokio::test]
async fn verify_unknown_pdf_not_registered() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let result = verify(&app, &json!({"pdf_base64": base64_standard(&common::tiny_pdf("never registered"))})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "format", "failed", "not_registered");
    assert!(result["document"].is_null(), "body: {result}");
}

#[tokio::test]
async fn verify_with_country_indeterminate() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let result = verify(&app, &json!({"hub_id": hub_id, "verifying_country": "KG"})).await;

    assert_eq!(result["verdict"], "indeterminate", "body: {result}");
    assert_eq!(check(&result, "agreement_coverage")["outcome"], "not_checked", "body: {result}");
}

#[tokio::test]
async fn verify_as_of_backdated_suspension() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let registered = register(&app, &world.cab, &coc()).await;
    let hub_id = hub_id_of(&registered);
    let registered_at = parse_time(&registered["registered_at"]);
    // The suspension is recorded after its effective time, so that both
    // probe times below lie in the past when the hub records it.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let effective_at = registered_at + time::Duration::seconds(1);
    let (status, body) = change_status(
        &app,
        &world.cab.token,
        &hub_id,
        &json!({"action": "suspend", "reason": "backdated finding", "effective_at": rfc3339(effective_at)}),
    )
    .await;
    assert_eq!(status, 200, "body: {body}");

    let before = rfc3339(registered_at + time::Duration::milliseconds(500));
    let result = verify(&app, &json!({"hub_id": hub_id, "as_of": before})).await;
    assert_eq!(result["verdict"], "valid", "before the suspension took effect; body: {result}");
    assert_outcome(&result, "status", "passed", "valid");

    let after = rfc3339(effective_at + time::Duration::milliseconds(500));
    let result = verify(&app, &json!({"hub_id": hub_id, "as_of": after})).await;
    assert_eq!(result["verdict"], "invalid", "after the suspension took effect; body: {result}");
    assert_outcome(&result, "status", "failed", "suspended");

    let (_, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    let change = &history["items"][0];
    assert!(
        parse_time(&change["recorded_at"]) > parse_time(&change["effective_at"]),
        "a backdated change records both times; body: {history}"
    );
}

#[tokio::test]
async fn verify_as_of_before_registration() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let registered = register(&app, &world.cab, &coc()).await;
    let before = rfc3339(parse_time(&registered["registered_at"]) - time::Duration::days(1));

    let result = verify(&app, &json!({"hub_id": hub_id_of(&registered), "as_of": before})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "status", "failed", "not_yet_registered");
}

#[tokio::test]
async fn verify_suspended_document_invalid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "audit pending"})).await;
    assert_eq!(status, 200, "body: {body}");

    let result = verify(&app, &json!({"hub_id": hub_id})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "status", "failed", "suspended");
    assert_eq!(result["document"]["status"], "suspended", "body: {result}");
}

#[tokio::test]
async fn verify_superseded_document_invalid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let old = hub_id_of(&register(&app, &world.cab, &coc()).await);
    let mut corrected = coc();
    corrected["credentialSubject"]["product"]["model"] = json!("GT-600A");
    corrected["credentialSubject"]["supersedes"] = json!(old);
    let new = hub_id_of(&register(&app, &world.cab, &corrected).await);

    let result = verify(&app, &json!({"hub_id": old})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "status", "failed", "superseded");
    assert!(check(&result, "status")["reason"].as_str().unwrap().contains(&new), "the reason names the re-issue; body: {result}");
    assert_eq!(result["document"]["superseded_by"], new, "body: {result}");
}

#[tokio::test]
async fn verify_mistyped_id_suggests_real() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let result = verify(&app, &json!({"hub_id": mistype(&hub_id)})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "format", "failed", "invalid_hub_id");
    let suggestions = result["did_you_mean"].as_array().unwrap_or_else(|| panic!("suggestions are listed; body: {result}"));
    assert!(suggestions.contains(&json!(hub_id)), "the registered ID is suggested; body: {result}");
    assert_eq!(check_names(&result), CHECK_ORDER, "body: {result}");
}

#[tokio::test]
async fn verify_swapped_characters_suggests_real() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);
    // Swap the first two neighbouring characters of the random part that differ.
    let mut chars: Vec<char> = hub_id.chars().collect();
    let position = [6, 7, 8, 11, 12, 13].into_iter().find(|&i| chars[i] != chars[i + 1]).expect("a random part with two different neighbours");
    chars.swap(position, position + 1);
    let swapped: String = chars.into_iter().collect();

    let result = verify(&app, &json!({"hub_id": swapped})).await;

    assert_outcome(&result, "format", "failed", "invalid_hub_id");
    assert!(result["did_you_mean"].as_array().is_some_and(|ids| ids.contains(&json!(hub_id))), "body: {result}");
}

#[tokio::test]
async fn backdated_accreditation_suspension_fails_scope() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);
    let (_, accreditations) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let accreditation_id = accreditations["items"][0]["id"].as_str().unwrap();
    // Suspended from before the issue date (validFrom 2026-05-01).
    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{accreditation_id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": "suspension recorded late", "effective_at": "2026-04-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "body: {body}");

    let result = verify(&app, &json!({"hub_id": hub_id})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "issuer_scope", "failed", "out_of_scope");
}

#[tokio::test]
async fn later_accreditation_suspension_keeps_scope() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);
    let (_, accreditations) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let accreditation_id = accreditations["items"][0]["id"].as_str().unwrap();
    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{accreditation_id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": "surveillance audit overdue"}),
    )
    .await;
    assert_eq!(status, 200, "body: {body}");

    let result = verify(&app, &json!({"hub_id": hub_id})).await;

    assert_eq!(result["verdict"], "valid", "scope is judged on the issue date; body: {result}");
    assert_outcome(&result, "issuer_scope", "passed", "ok");
}

#[tokio::test]
async fn verify_unknown_id_not_registered() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let result = verify(&app, &json!({"hub_id": unregistered_hub_id(DocType::Certificate)})).await;

    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_outcome(&result, "format", "failed", "not_registered");
    assert_eq!(check(&result, "signature")["outcome"], "not_checked", "body: {result}");
}

#[tokio::test]
async fn verify_without_subject_rejected() {
    let app = common::spawn_app().await;

    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"verifying_country": "KG"})).await;

    assert_error_field(status, &body, 400, "missing_subject", "hub_id");
}

#[tokio::test]
async fn verify_hub_id_and_jws_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = sign(&world.cab, &coc());

    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"hub_id": unregistered_hub_id(DocType::Certificate), "jws": jws})).await;

    assert_error_field(status, &body, 400, "ambiguous_subject", "jws");
}

#[tokio::test]
async fn verify_bad_as_of_rejected() {
    let app = common::spawn_app().await;

    let (status, body) = post(&app, "/api/v1/verify", None, &json!({"hub_id": "UZ-CC-0000-0000-0", "as_of": "yesterday"})).await;

    assert_error_field(status, &body, 422, "invalid_field", "as_of");
}

#[tokio::test]
async fn verification_get_returns_result() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let (status, result) = get(&app, &format!("/api/v1/documents/{hub_id}/verification"), None).await;

    assert_eq!(status, 200, "body: {result}");
    assert_eq!(result["verdict"], "valid", "body: {result}");
    assert_eq!(check_names(&result), CHECK_ORDER, "body: {result}");
}

#[tokio::test]
async fn verification_get_with_as_of() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let response = app
        .client
        .get(format!("{}/api/v1/documents/{hub_id}/verification", app.base))
        .query(&[("as_of", "2030-01-01T00:00:00Z")])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let result: Value = response.json().await.unwrap();

    assert_eq!(status, 200, "body: {result}");
    assert_eq!(result["as_of"], "2030-01-01T00:00:00Z", "body: {result}");
    assert_eq!(result["verdict"], "invalid", "after validUntil; body: {result}");
    assert_outcome(&result, "validity_period", "failed", "expired");
}

#[tokio::test]
async fn verification_get_bad_as_of_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let (status, body) = get(&app, &format!("/api/v1/documents/{hub_id}/verification?as_of=not-a-date"), None).await;

    assert_error(status, &body, 400, "invalid_query");
}

// ---- public verification page ----

struct Page {
    status: reqwest::StatusCode,
    csp: Option<String>,
    html: String,
}

async fn public_page(app: &common::TestApp, path: &str, accept_language: Option<&str>) -> Page {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(language) = accept_language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let csp = response.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
    let html = response.text().await.unwrap();
    Page { status, csp, html }
}

#[tokio::test]
async fn public_page_in_english() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let page = public_page(&app, &format!("/v/{hub_id}"), Some("en")).await;

    assert_eq!(page.status, 200, "body: {}", page.html);
    assert!(page.html.contains("<html lang=\"en\""), "body: {}", page.html);
    assert!(page.html.contains(&hub_id), "the page names the document; body: {}", page.html);
    assert!(page.csp.as_deref().is_some_and(|csp| csp.contains("default-src 'none'")), "CSP: {:?}", page.csp);
    assert!(!page.html.contains(APPLICANT), "no applicant name on the public page; body: {}", page.html);
}

#[tokio::test]
async fn public_page_in_russian() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc()).await);

    let page = public_page(&app, &format!("/v/{hub_id}?lang=ru"), Some("en")).await;

    assert_eq!(page.status, 200, "body: {}", page.html);
    assert!(page.html.contains("<html lang=\"ru\""), "?lang wins over Accept-Language; body: {}", page.html);
    assert!(page.csp.is_some(), "the page has a Content-Security-Policy header");
    assert!(!page.html.contains(APPLICANT), "no applicant name on the public page; body: {}", page.html);
}

#[tokio::test]
async fn public_page_unknown_document_404() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let page = public_page(&app, &format!("/v/{}", unregistered_hub_id(DocType::Certificate)), Some("en")).await;

    assert_eq!(page.status, 404, "body: {}", page.html);
    assert!(page.html.contains("<html lang=\"en\""), "an HTML page, not JSON; body: {}", page.html);
    assert!(page.csp.is_some(), "the error page has a Content-Security-Policy header");
}

/// Signs `payload` with the RFC 7520 cookbook RSA key as an RS256 JWS.
fn rs256_cookbook_jws(private: &Value, kid: &str, payload: &[u8]) -> String {
    use base64::Engine as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let part = |name: &str| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(private[name].as_str().unwrap()).unwrap();
        rsa::BoxedUint::from_be_slice_vartime(&bytes)
    };
    let key = rsa::PrivateKey::from_p_q(part("p"), part("q"), part("e")).expect("cookbook RSA key");
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let header = json!({"alg": "RS256", "typ": "vc+jwt", "kid": kid});
    let input = format!("{}.{}", ecert_core::jose::b64url(header.to_string().as_bytes()), ecert_core::jose::b64url(payload));
    let signature = signer.sign(input.as_bytes());
    format!("{input}.{}", ecert_core::jose::b64url(&signature.to_bytes()))
}

#[tokio::test]
async fn rsa_key_registered_for_ps256_rejects_rs256() {
    let Some(path) = common::shared_data("jose/rfc7520-cookbook/jwk/3_4.rsa_private_key.json") else { return };
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let private: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let public = json!({"kty": "RSA", "n": private["n"], "e": private["e"]});
    let (status, key) = post(
        &app,
        &format!("/api/v1/organisations/{}/keys", world.cab.org.id),
        Some(&world.authority_token),
        &json!({"jwk": public, "algorithm": "PS256", "valid_from": "2024-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "body: {key}");
    let kid = key["kid"].as_str().unwrap();

    let credential = common::credential("CB-0042", "CC", "UZ.CB-0042.2026.RSA");
    let jws = rs256_cookbook_jws(&private, kid, credential.to_string().as_bytes());
    let (status, body) = api_support::submit(&app, Some(&world.cab.token), &jws).await;
    assert_error_field(status, &body, 422, "key_algorithm_mismatch", "jws.header.alg");

    let (status, result) = post(&app, "/api/v1/verify", None, &json!({"jws": jws})).await;
    assert_eq!(status, 200, "body: {result}");
    assert_outcome(&result, "signature", "failed", "key_algorithm_mismatch");
    assert_eq!(result["verdict"], "invalid", "body: {result}");
}
