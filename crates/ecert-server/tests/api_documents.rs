mod common;
mod api_support;

// Documents through the HTTP API of a real hub: signed and unsigned
// submission, search, reading, status changes, the signed original, the
// file, QR codes and the credential schema.

use api_support::{
    assert_error, assert_error_field, base64_standard, change_status, ed25519_thumbprint, get, hub_id_of, kyrgyz_authority, mistype,
    parse_time, post, register, register_with_pdf, rfc3339, sha256_hex, sign, sign_with_header, submit, unregistered_hub_id,
};
use ecert_core::DocType;
use ecert_core::jose::b64url;
use serde_json::{Value, json};

const NUMBER_A: &str = "UZ.CB-0042.2026.000001";
const NUMBER_B: &str = "UZ.CB-0042.2026.000002";
const NUMBER_TR: &str = "UZ.LAB-0007.2026.000001";

fn coc(number: &str) -> Value {
    common::credential("CB-0042", "CC", number)
}

fn test_report(number: &str) -> Value {
    common::credential("LAB-0007", "TR", number)
}

/// Builds a CoC of CB-0042 for Portland cement (HS 2523), issued on 15 June 2026.
fn cement_coc(number: &str) -> Value {
    let mut credential = coc(number);
    credential["validFrom"] = json!("2026-06-15T00:00:00Z");
    credential["credentialSubject"]["product"] = json!({
        "name": {"en": "Portland cement"},
        "model": "CEM I 42.5",
        "hsCodes": [{"code": "252329", "edition": "HS2022", "national": "2523290000"}]
    });
    credential
}

fn items(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page has items; body: {page}"))
        .iter()
        .map(|d| d["hub_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(app: &common::TestApp, token: &str, query: &str) -> Value {
    let (status, body) = get(app, &format!("/api/v1/documents?{query}"), Some(token)).await;
    assert_eq!(status, 200, "search {query}; body: {body}");
    body
}

/// The documents the search tests look for.
struct SearchFixture {
    /// Tile CoC of CB-0042, issued 1 May 2026, suspended.
    tiles: String,
    /// Cement CoC of CB-0042, issued 15 June 2026.
    cement: String,
    /// Test report of LAB-0007, issued 1 May 2026.
    report: String,
}

async fn search_fixture(app: &common::TestApp, world: &common::World) -> SearchFixture {
    let tiles = hub_id_of(&register(app, &world.cab, &coc(NUMBER_A)).await);
    let cement = hub_id_of(&register(app, &world.cab, &cement_coc(NUMBER_B)).await);
    let report = hub_id_of(&register(app, &world.lab, &test_report(NUMBER_TR)).await);
    let (status, body) = change_status(app, &world.cab.token, &tiles, &json!({"action": "suspend", "reason": "glaze test repeated"})).await;
    assert_eq!(status, 200, "body: {body}");
    SearchFixture { tiles, cement, report }
}

// ---- signed submission ----

#[tokio::test]
async fn signed_coc_returns_created() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let credential = coc(NUMBER_A);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_eq!(status, 201, "body: {body}");
    let hub_id = hub_id_of(&body);
    assert!(hub_id.starts_with("UZ-CC-"), "body: {body}");
    assert!(hub_id.parse::<ecert_core::HubId>().is_ok(), "the hub ID passes its check character; body: {body}");
    assert_eq!(body["doc_type"], "CC", "body: {body}");
    assert_eq!(body["country"], "UZ", "body: {body}");
    assert_eq!(body["status"], "valid", "body: {body}");
    assert_eq!(body["expired"], false, "body: {body}");
    assert_eq!(body["trust_basis"], "issuer_signature", "body: {body}");
    assert_eq!(body["kid"], world.cab.kid, "body: {body}");
    assert_eq!(body["issuer_org_id"], world.cab.org.id.to_string(), "body: {body}");
    assert_eq!(body["national_number"], NUMBER_A, "body: {body}");
    assert_eq!(body["credential"], credential, "the credential is returned as signed; body: {body}");
    assert_eq!(body["links"]["public_page"], format!("{}/v/{hub_id}", app.base), "body: {body}");
    assert_eq!(body["links"]["self"], format!("/api/v1/documents/{hub_id}"), "body: {body}");
}

#[tokio::test]
async fn signed_tr_by_laboratory_created() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let body = register(&app, &world.lab, &test_report(NUMBER_TR)).await;

    assert!(hub_id_of(&body).starts_with("UZ-TR-"), "body: {body}");
    assert_eq!(body["doc_type"], "TR", "body: {body}");
}

#[tokio::test]
async fn national_admin_submits_for_cab() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = submit(&app, Some(&world.authority_token), &sign(&world.cab, &coc(NUMBER_A))).await;

    assert_eq!(status, 201, "a national system submits for its CABs; body: {body}");
    assert_eq!(body["issuer_org_id"], world.cab.org.id.to_string(), "body: {body}");
    assert_eq!(body["trust_basis"], "issuer_signature", "body: {body}");
}

#[tokio::test]
async fn resubmitted_jws_returns_existing_entry() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = sign(&world.cab, &coc(NUMBER_A));
    let (status, first) = submit(&app, Some(&world.cab.token), &jws).await;
    assert_eq!(status, 201, "body: {first}");

    let (status, second) = submit(&app, Some(&world.cab.token), &jws).await;

    assert_eq!(status, 200, "body: {second}");
    assert_eq!(second["hub_id"], first["hub_id"], "the same payload maps to the same entry; body: {second}");
    let page = search(&app, &world.cab.token, &format!("national_number={NUMBER_A}")).await;
    assert_eq!(items(&page).len(), 1, "no second entry; body: {page}");
}

#[tokio::test]
async fn same_number_other_content_conflicts() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let first = register(&app, &world.cab, &coc(NUMBER_A)).await;
    let mut changed = coc(NUMBER_A);
    changed["credentialSubject"]["product"]["model"] = json!("GT-601");

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &changed)).await;

    assert_error_field(status, &body, 409, "national_number_taken", "credentialSubject.nationalNumber");
    assert_eq!(body["error"]["context"]["existing_hub_id"], first["hub_id"], "body: {body}");
}

#[tokio::test]
async fn corrected_reissue_supersedes_old_entry() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let old = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let mut corrected = coc(NUMBER_A);
    corrected["credentialSubject"]["product"]["model"] = json!("GT-600A");
    corrected["credentialSubject"]["supersedes"] = json!(old);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &corrected)).await;

    assert_eq!(status, 201, "body: {body}");
    let new = hub_id_of(&body);
    assert_ne!(new, old, "body: {body}");
    assert_eq!(body["supersedes"], old, "body: {body}");
    assert_eq!(body["status"], "valid", "body: {body}");

    let (status, old_entry) = get(&app, &format!("/api/v1/documents/{old}"), Some(&world.cab.token)).await;
    assert_eq!(status, 200, "body: {old_entry}");
    assert_eq!(old_entry["status"], "superseded", "body: {old_entry}");
    assert_eq!(old_entry["superseded_by"], new, "body: {old_entry}");

    let (status, history) = get(&app, &format!("/api/v1/documents/{old}/history"), Some(&world.cab.token)).await;
    assert_eq!(status, 200, "body: {history}");
    let changes = history["items"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "body: {history}");
    assert_eq!(changes[0]["action"], "supersede", "body: {history}");
    assert_eq!(changes[0]["from"], "valid", "body: {history}");
    assert_eq!(changes[0]["to"], "superseded", "body: {history}");
    assert_eq!(changes[0]["actor_org_id"], world.cab.org.id.to_string(), "body: {history}");
}

#[tokio::test]
async fn reissue_of_superseded_entry_conflicts() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let old = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let mut first_fix = coc(NUMBER_A);
    first_fix["credentialSubject"]["product"]["model"] = json!("GT-600A");
    first_fix["credentialSubject"]["supersedes"] = json!(old);
    register(&app, &world.cab, &first_fix).await;
    let mut second_fix = first_fix.clone();
    second_fix["credentialSubject"]["product"]["model"] = json!("GT-600B");

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &second_fix)).await;

    assert_error_field(status, &body, 409, "supersedes_not_valid", "credentialSubject.supersedes");
}

#[tokio::test]
async fn reissue_of_unknown_entry_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"]["supersedes"] = json!(unregistered_hub_id(DocType::Certificate));

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "supersedes_not_found", "credentialSubject.supersedes");
}

#[tokio::test]
async fn tampered_payload_bad_signature() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = sign(&world.cab, &coc(NUMBER_A));
    let parts: Vec<&str> = jws.split('.').collect();
    let mut forged = coc(NUMBER_A);
    forged["credentialSubject"]["conformance"] = json!(false);
    let tampered = format!("{}.{}.{}", parts[0], b64url(forged.to_string().as_bytes()), parts[2]);

    let (status, body) = submit(&app, Some(&world.cab.token), &tampered).await;

    assert_error_field(status, &body, 422, "bad_signature", "jws");
}

#[tokio::test]
async fn unknown_kid_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let stranger = common::signing_key(99);
    let jws = common::sign_jws(&stranger, &ed25519_thumbprint(&stranger), coc(NUMBER_A).to_string().as_bytes());

    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;

    assert_error_field(status, &body, 422, "unknown_key", "jws.header.kid");
}

#[tokio::test]
async fn key_of_other_cab_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = common::sign_jws(&world.lab.key, &world.lab.kid, coc(NUMBER_A).to_string().as_bytes());

    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;

    assert_error_field(status, &body, 422, "key_not_issuers", "jws.header.kid");
}

#[tokio::test]
async fn hs_code_outside_scope_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"]["product"]["hsCodes"] = json!([{"code": "847130", "edition": "HS2022"}]);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "out_of_scope", "credentialSubject");
}

#[tokio::test]
async fn laboratory_issuing_coc_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = submit(&app, Some(&world.lab.token), &sign(&world.lab, &common::credential("LAB-0007", "CC", NUMBER_TR))).await;

    assert_error_field(status, &body, 422, "out_of_scope", "credentialSubject");
}

#[tokio::test]
async fn hs256_header_unsupported_algorithm() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let header = json!({"alg": "HS256", "typ": "vc+jwt", "kid": world.cab.kid});
    let jws = sign_with_header(&world.cab.key, &header, coc(NUMBER_A).to_string().as_bytes());

    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;

    assert_error_field(status, &body, 422, "unsupported_algorithm", "jws");
}

#[tokio::test]
async fn wrong_typ_header_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": world.cab.kid});
    let jws = sign_with_header(&world.cab.key, &header, coc(NUMBER_A).to_string().as_bytes());

    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;

    assert_error_field(status, &body, 422, "invalid_typ", "jws.header.typ");
}

#[tokio::test]
async fn malformed_jws_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    for malformed in ["not-a-jws", "a.b", "!!!.###.$$$"] {
        let (status, body) = submit(&app, Some(&world.cab.token), malformed).await;

        assert_error_field(status, &body, 400, "malformed_jws", "jws");
    }
}

#[tokio::test]
async fn invalid_credential_names_field() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"].as_object_mut().unwrap().remove("nationalNumber");

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "validation_failed", "credentialSubject.nationalNumber");
}

#[tokio::test]
async fn future_issue_date_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    credential["validFrom"] = json!(rfc3339(tomorrow.replace_nanosecond(0).unwrap()));

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "issue_date_in_future", "validFrom");
}

#[tokio::test]
async fn submission_without_token_unauthorized() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = submit(&app, None, &sign(&world.cab, &coc(NUMBER_A))).await;

    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test]
async fn submission_by_other_cab_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = submit(&app, Some(&world.lab.token), &sign(&world.cab, &coc(NUMBER_A))).await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn submission_by_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let (status, body) = submit(&app, Some(&kyrgyz_token), &sign(&world.cab, &coc(NUMBER_A))).await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn pdf_and_hash_together_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("both");
    let request = json!({"jws": sign(&world.cab, &coc(NUMBER_A)), "pdf_base64": base64_standard(&pdf), "file_sha256": sha256_hex(&pdf)});

    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &request).await;

    assert_error_field(status, &body, 400, "ambiguous_file", "file_sha256");
}

// ---- test report references ----

#[tokio::test]
async fn coc_referencing_registered_tr() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let report = hub_id_of(&register(&app, &world.lab, &test_report(NUMBER_TR)).await);
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"]["testReports"] = json!([report]);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["credential"]["credentialSubject"]["testReports"], json!([report]), "body: {body}");
}

#[tokio::test]
async fn coc_referencing_unregistered_tr() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"]["testReports"] = json!([unregistered_hub_id(DocType::TestReport)]);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "validation_failed", "credentialSubject.testReports[0]");
}

#[tokio::test]
async fn coc_referencing_withdrawn_tr() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let report = hub_id_of(&register(&app, &world.lab, &test_report(NUMBER_TR)).await);
    let (status, body) = change_status(&app, &world.lab.token, &report, &json!({"action": "withdraw", "reason": "sample mix-up"})).await;
    assert_eq!(status, 200, "body: {body}");
    let mut credential = coc(NUMBER_A);
    credential["credentialSubject"]["testReports"] = json!([report]);

    let (status, body) = submit(&app, Some(&world.cab.token), &sign(&world.cab, &credential)).await;

    assert_error_field(status, &body, 422, "validation_failed", "credentialSubject.testReports[0]");
}

// ---- unsigned submission ----

#[tokio::test]
async fn unsigned_with_pdf_attested() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("unsigned");
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": base64_standard(&pdf)});

    let (status, body) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["trust_basis"], "hub_attestation", "body: {body}");
    assert_eq!(body["file_sha256"], sha256_hex(&pdf), "body: {body}");
    assert!(body["kid"].is_null(), "no signing key; body: {body}");

    let (status, result) = get(&app, &format!("/api/v1/documents/{}/verification", hub_id_of(&body)), None).await;
    assert_eq!(status, 200, "body: {result}");
    assert_eq!(result["verdict"], "valid", "the hub attestation verifies; body: {result}");
    assert_eq!(result["trust_basis"], "hub_attestation", "body: {result}");
}

#[tokio::test]
async fn unsigned_resubmission_returns_existing() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("unsigned");
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": base64_standard(&pdf)});
    let (status, first) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;
    assert_eq!(status, 201, "body: {first}");

    let (status, second) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;

    assert_eq!(status, 200, "body: {second}");
    assert_eq!(second["hub_id"], first["hub_id"], "body: {second}");
}

#[tokio::test]
async fn unsigned_without_file_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &json!({"credential": coc(NUMBER_A)})).await;

    assert_error_field(status, &body, 422, "validation_failed", "pdf_base64");
}

#[tokio::test]
async fn unsigned_non_pdf_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": base64_standard(b"GIF89a not a PDF")});

    let (status, body) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;

    assert_error_field(status, &body, 422, "validation_failed", "pdf_base64");
}

#[tokio::test]
async fn unsigned_bad_base64_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": "%%% not base64 %%%"});

    let (status, body) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;

    assert_error_field(status, &body, 400, "invalid_base64", "pdf_base64");
}

#[tokio::test]
async fn unsigned_without_token_unauthorized() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": base64_standard(&common::tiny_pdf("x"))});

    let (status, body) = post(&app, "/api/v1/documents/unsigned", None, &request).await;

    assert_error(status, &body, 401, "unauthorized");
}

// ---- search ----

#[tokio::test]
async fn search_by_national_number() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let page = search(&app, &world.cab.token, &format!("national_number={NUMBER_A}")).await;

    assert_eq!(items(&page), vec![fixture.tiles], "body: {page}");
}

#[tokio::test]
async fn search_by_hs_prefix() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let page = search(&app, &world.cab.token, "hs_code=6907").await;
    assert_eq!(items(&page), vec![fixture.report.clone(), fixture.tiles.clone()], "newest first; body: {page}");

    let page = search(&app, &world.cab.token, "hs_code=2523").await;
    assert_eq!(items(&page), vec![fixture.cement.clone()], "body: {page}");

    let page = search(&app, &world.cab.token, "hs_code=25232900").await;
    assert_eq!(items(&page), vec![fixture.cement], "a national tariff prefix matches; body: {page}");

    let page = search(&app, &world.cab.token, "hs_code=8471").await;
    assert_eq!(items(&page), Vec::<String>::new(), "body: {page}");
}

#[tokio::test]
async fn search_by_status() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let page = search(&app, &world.cab.token, "status=suspended").await;
    assert_eq!(items(&page), vec![fixture.tiles], "body: {page}");

    let page = search(&app, &world.cab.token, "status=valid").await;
    assert_eq!(items(&page), vec![fixture.report, fixture.cement], "body: {page}");
}

#[tokio::test]
async fn search_by_issue_dates() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let page = search(&app, &world.cab.token, "issued_from=2026-06-01T00:00:00Z").await;
    assert_eq!(items(&page), vec![fixture.cement.clone()], "body: {page}");

    let page = search(&app, &world.cab.token, "issued_to=2026-05-31T23:59:59Z").await;
    assert_eq!(items(&page), vec![fixture.report.clone(), fixture.tiles.clone()], "body: {page}");

    let page = search(&app, &world.cab.token, "issued_from=2026-05-01T00:00:00Z&issued_to=2026-06-15T00:00:00Z").await;
    assert_eq!(items(&page), vec![fixture.report, fixture.cement, fixture.tiles], "both bounds are inclusive; body: {page}");
}

#[tokio::test]
async fn search_by_issuer_and_type() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let page = search(&app, &world.cab.token, &format!("issuer={}", world.lab.org.id)).await;
    assert_eq!(items(&page), vec![fixture.report.clone()], "body: {page}");

    let page = search(&app, &world.cab.token, &format!("issuer={}", world.cab.org.id)).await;
    assert_eq!(items(&page), vec![fixture.cement, fixture.tiles], "body: {page}");

    let page = search(&app, &world.cab.token, "doc_type=TR").await;
    assert_eq!(items(&page), vec![fixture.report], "body: {page}");
}

#[tokio::test]
async fn search_pages_by_cursor() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;

    let first = search(&app, &world.cab.token, "limit=2").await;
    assert_eq!(items(&first), vec![fixture.report, fixture.cement], "body: {first}");
    let next = first["next"].as_str().unwrap_or_else(|| panic!("more pages follow; body: {first}"));

    let second = search(&app, &world.cab.token, &format!("limit=2&after={next}")).await;
    assert_eq!(items(&second), vec![fixture.tiles], "body: {second}");
    assert!(second["next"].is_null(), "last page; body: {second}");
}

#[tokio::test]
async fn search_by_other_country_allowed() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let fixture = search_fixture(&app, &world).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let page = search(&app, &kyrgyz_token, &format!("national_number={NUMBER_A}")).await;

    assert_eq!(items(&page), vec![fixture.tiles], "cross-border reads are allowed; body: {page}");
}

#[tokio::test]
async fn search_bad_hs_code_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    for bad in ["69x", "6", "69072100001"] {
        let (status, body) = get(&app, &format!("/api/v1/documents?hs_code={bad}"), Some(&world.cab.token)).await;

        assert_error_field(status, &body, 400, "invalid_query", "hs_code");
    }
}

#[tokio::test]
async fn search_bad_status_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/documents?status=broken", Some(&world.cab.token)).await;

    assert_error(status, &body, 400, "invalid_query");
}

#[tokio::test]
async fn search_bad_cursor_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/documents?after=yesterday", Some(&world.cab.token)).await;

    assert_error_field(status, &body, 400, "invalid_cursor", "after");
}

#[tokio::test]
async fn search_without_token_unauthorized() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/documents", None).await;

    assert_error(status, &body, 401, "unauthorized");
}

// ---- reading ----

#[tokio::test]
async fn document_get_returns_entry() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let registered = register(&app, &world.cab, &coc(NUMBER_A)).await;
    let hub_id = hub_id_of(&registered);

    let (status, body) = get(&app, &format!("/api/v1/documents/{hub_id}"), Some(&world.lab.token)).await;

    assert_eq!(status, 200, "body: {body}");
    let mut read = body.clone();
    let mut written = registered.clone();
    read.as_object_mut().unwrap().remove("registered_at");
    written.as_object_mut().unwrap().remove("registered_at");
    assert_eq!(read, written, "every field but registered_at reads back unchanged");
    let drift = parse_time(&body["registered_at"]) - parse_time(&registered["registered_at"]);
    assert!(drift.abs() < time::Duration::microseconds(1), "registered_at reads back to the microsecond; body: {body}");
}

#[tokio::test]
async fn registered_at_reads_back_unchanged() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let registered = register(&app, &world.cab, &coc(NUMBER_A)).await;

    let (status, body) = get(&app, &format!("/api/v1/documents/{}", hub_id_of(&registered)), Some(&world.cab.token)).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["registered_at"], registered["registered_at"], "GET body: {body}; 201 body: {registered}");
}

#[tokio::test]
async fn document_get_reads_typed_forms() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let typed = hub_id.replace('-', "").to_lowercase();

    let (status, body) = get(&app, &format!("/api/v1/documents/{typed}"), Some(&world.cab.token)).await;

    assert_eq!(status, 200, "lower case without hyphens; body: {body}");
    assert_eq!(body["hub_id"], hub_id, "body: {body}");
}

#[tokio::test]
async fn document_get_mistyped_id_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = get(&app, &format!("/api/v1/documents/{}", mistype(&hub_id)), Some(&world.cab.token)).await;

    assert_error_field(status, &body, 400, "invalid_hub_id", "hub_id");
}

#[tokio::test]
async fn document_get_unknown_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/documents/{}", unregistered_hub_id(DocType::Certificate)), Some(&world.cab.token)).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn document_get_without_token_unauthorized() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = get(&app, &format!("/api/v1/documents/{hub_id}"), None).await;

    assert_error(status, &body, 401, "unauthorized");
}

// ---- history and status ----

#[tokio::test]
async fn history_lists_status_changes() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "glaze test repeated"})).await;
    assert_eq!(status, 200, "body: {body}");

    let (status, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;

    assert_eq!(status, 200, "body: {history}");
    let changes = history["items"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "body: {history}");
    assert_eq!(changes[0]["action"], "suspend", "body: {history}");
    assert_eq!(changes[0]["from"], "valid", "body: {history}");
    assert_eq!(changes[0]["to"], "suspended", "body: {history}");
    assert_eq!(changes[0]["reason"], "glaze test repeated", "body: {history}");
    assert_eq!(changes[0]["actor_org_id"], world.cab.org.id.to_string(), "body: {history}");
    assert!(changes[0]["recorded_at"].is_string(), "body: {history}");
}

#[tokio::test]
async fn history_of_new_document_empty() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;

    assert_eq!(status, 200, "body: {history}");
    assert_eq!(history["items"], json!([]), "body: {history}");
}

#[tokio::test]
async fn history_unknown_document_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) =
        get(&app, &format!("/api/v1/documents/{}/history", unregistered_hub_id(DocType::Certificate)), Some(&world.cab.token)).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn status_suspend_reinstate_withdraw() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    for (action, expected) in [("suspend", "suspended"), ("reinstate", "valid"), ("withdraw", "withdrawn")] {
        let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": action, "reason": format!("{action} after audit")})).await;

        assert_eq!(status, 200, "{action}; body: {body}");
        assert_eq!(body["status"], expected, "{action}; body: {body}");
    }
    let (_, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    let actions: Vec<&str> = history["items"].as_array().unwrap().iter().filter_map(|c| c["action"].as_str()).collect();
    assert_eq!(actions, ["suspend", "reinstate", "withdraw"], "body: {history}");
}

#[tokio::test]
async fn reinstating_withdrawn_document_conflicts() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "withdraw", "reason": "issued in error"})).await;
    assert_eq!(status, 200, "body: {body}");

    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "reinstate", "reason": "second thoughts"})).await;

    assert_error_field(status, &body, 409, "invalid_transition", "action");
    let (_, entry) = get(&app, &format!("/api/v1/documents/{hub_id}"), Some(&world.cab.token)).await;
    assert_eq!(entry["status"], "withdrawn", "withdrawn is terminal; body: {entry}");
}

#[tokio::test]
async fn status_blank_reason_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "  "})).await;

    assert_error_field(status, &body, 422, "validation_failed", "reason");
}

#[tokio::test]
async fn status_missing_reason_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend"})).await;

    assert_error(status, &body, 422, "invalid_field");
    let (_, entry) = get(&app, &format!("/api/v1/documents/{hub_id}"), Some(&world.cab.token)).await;
    assert_eq!(entry["status"], "valid", "body: {entry}");
}

#[tokio::test]
async fn status_supersede_action_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = change_status(&app, &world.cab.token, &hub_id, &json!({"action": "supersede", "reason": "replaced"})).await;

    assert_error_field(status, &body, 422, "validation_failed", "action");
}

#[tokio::test]
async fn status_effective_before_registration_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let registered = register(&app, &world.cab, &coc(NUMBER_A)).await;
    let before = rfc3339(parse_time(&registered["registered_at"]) - time::Duration::days(1));

    let (status, body) = change_status(
        &app,
        &world.cab.token,
        &hub_id_of(&registered),
        &json!({"action": "suspend", "reason": "backdated too far", "effective_at": before}),
    )
    .await;

    assert_error_field(status, &body, 422, "validation_failed", "effective_at");
}

#[tokio::test]
async fn status_effective_in_future_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);
    let next_week = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(7));

    let (status, body) =
        change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "planned", "effective_at": next_week})).await;

    assert_error_field(status, &body, 422, "validation_failed", "effective_at");
}

#[tokio::test]
async fn status_by_other_cab_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = change_status(&app, &world.lab.token, &hub_id, &json!({"action": "suspend", "reason": "not mine"})).await;

    assert_error(status, &body, 403, "forbidden");
    let (_, entry) = get(&app, &format!("/api/v1/documents/{hub_id}"), Some(&world.cab.token)).await;
    assert_eq!(entry["status"], "valid", "body: {entry}");
}

#[tokio::test]
async fn status_by_national_admin_allowed() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) =
        change_status(&app, &world.authority_token, &hub_id, &json!({"action": "suspend", "reason": "market surveillance finding"})).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["status"], "suspended", "body: {body}");
    let (_, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    assert_eq!(history["items"][0]["actor_org_id"], world.authority.id.to_string(), "body: {history}");
}

#[tokio::test]
async fn status_mistyped_id_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = change_status(&app, &world.cab.token, &mistype(&hub_id), &json!({"action": "suspend", "reason": "typo"})).await;

    assert_error_field(status, &body, 400, "invalid_hub_id", "hub_id");
}

// ---- signed original and file ----

#[tokio::test]
async fn jws_returns_signed_original() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let jws = sign(&world.cab, &coc(NUMBER_A));
    let (status, body) = submit(&app, Some(&world.cab.token), &jws).await;
    assert_eq!(status, 201, "body: {body}");

    let response = app
        .client
        .get(format!("{}/api/v1/documents/{}/jws", app.base, hub_id_of(&body)))
        .bearer_auth(&world.lab.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();

    assert_eq!(status, 200, "body: {text}");
    assert_eq!(content_type.as_deref(), Some("application/vc+jwt"), "body: {text}");
    assert_eq!(text, jws, "the original JWS is returned byte for byte");
}

#[tokio::test]
async fn jws_of_attested_document_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"credential": coc(NUMBER_A), "pdf_base64": base64_standard(&common::tiny_pdf("attested"))});
    let (status, body) = post(&app, "/api/v1/documents/unsigned", Some(&world.cab.token), &request).await;
    assert_eq!(status, 201, "body: {body}");

    let (status, body) = get(&app, &format!("/api/v1/documents/{}/jws", hub_id_of(&body)), Some(&world.cab.token)).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn file_returns_same_pdf() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let pdf = common::tiny_pdf("original");
    let registered = register_with_pdf(&app, &world.cab, &coc(NUMBER_A), &pdf).await;
    assert_eq!(registered["file_sha256"], sha256_hex(&pdf), "body: {registered}");

    let response = app
        .client
        .get(format!("{}/api/v1/documents/{}/file", app.base, hub_id_of(&registered)))
        .bearer_auth(&world.cab.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap();

    assert_eq!(status, 200, "body: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(content_type.as_deref(), Some("application/pdf"));
    assert_eq!(bytes.as_ref(), pdf.as_slice(), "the stored file is returned unchanged");
}

#[tokio::test]
async fn file_absent_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = get(&app, &format!("/api/v1/documents/{hub_id}/file"), Some(&world.cab.token)).await;

    assert_error(status, &body, 404, "not_found");
}

// ---- QR codes ----

#[tokio::test]
async fn qr_png_decodes_to_public_url() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let response = app.client.get(format!("{}/api/v1/documents/{hub_id}/qr.png", app.base)).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let png = response.bytes().await.unwrap();

    assert_eq!(status, 200, "body: {}", String::from_utf8_lossy(&png));
    assert_eq!(content_type.as_deref(), Some("image/png"));
    let image = image::load_from_memory(&png).expect("the body is a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR symbol in the image");
    let (_, text) = grids[0].decode().expect("the QR symbol decodes");
    assert_eq!(text, format!("{}/v/{hub_id}", app.base));
}

#[tokio::test]
async fn qr_svg_returned() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let response = app.client.get(format!("{}/api/v1/documents/{hub_id}/qr.svg", app.base)).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let svg = response.text().await.unwrap();

    assert_eq!(status, 200, "body: {svg}");
    assert_eq!(content_type.as_deref(), Some("image/svg+xml"), "body: {svg}");
    assert!(svg.contains("<svg"), "body: {svg}");
}

#[tokio::test]
async fn qr_unknown_document_not_found() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;
    let unknown = unregistered_hub_id(DocType::Certificate);

    for format in ["png", "svg"] {
        let (status, body) = get(&app, &format!("/api/v1/documents/{unknown}/qr.{format}"), None).await;

        assert_error(status, &body, 404, "not_found");
    }
}

#[tokio::test]
async fn qr_mistyped_id_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let (status, body) = get(&app, &format!("/api/v1/documents/{}/qr.png", mistype(&hub_id)), None).await;

    assert_error_field(status, &body, 400, "invalid_hub_id", "hub_id");
}

// ---- schema ----

#[tokio::test]
async fn conformity_schema_published() {
    let app = common::spawn_app().await;

    let response = app.client.get(format!("{}/api/v1/schemas/conformity/1", app.base)).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();

    assert_eq!(status, 200, "body: {text}");
    assert_eq!(content_type.as_deref(), Some("application/schema+json"), "body: {text}");
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("the schema is JSON ({e}); body: {text}"));
    assert_eq!(schema["$id"], "urn:ecert:schema:conformity:1", "body: {text}");
    assert!(schema["$schema"].as_str().is_some_and(|s| s.contains("json-schema.org")), "body: {text}");
}

// ---- concurrent submissions ----

/// Submits every JWS at once from separate tasks and returns each HTTP
/// status with its body, in submission order.
async fn submit_concurrently(app: &common::TestApp, token: &str, jws_list: Vec<String>) -> Vec<(u16, Value)> {
    let tasks: Vec<_> = jws_list
        .into_iter()
        .map(|jws| {
            let request = app.client.post(format!("{}/api/v1/documents", app.base)).bearer_auth(token).json(&json!({"jws": jws}));
            tokio::spawn(async move {
                let response = request.send().await.expect("request reaches the test server");
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("JSON body");
                (status, body)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("submission task"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_submissions_one_entry() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    // The race is lost only in some rounds, so several rounds make a
    // failure likely when the bug is present.
    for round in 0..10 {
        let jws = sign(&world.cab, &coc(&format!("UZ.CB-0042.2026.1{round:05}")));

        let results = submit_concurrently(&app, &world.cab.token, vec![jws; 16]).await;

        let created = results.iter().filter(|(status, _)| *status == 201).count();
        assert_eq!(created, 1, "round {round}: exactly one submission creates the entry: {results:?}");
        let created_id = &results.iter().find(|(status, _)| *status == 201).unwrap().1["hub_id"];
        for (status, body) in &results {
            assert!(*status == 200 || *status == 201, "round {round}: body: {body}");
            assert_eq!(&body["hub_id"], created_id, "round {round}: every copy gets the same entry; body: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_same_number_one_entry() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let variants: Vec<String> = (0..8)
        .map(|i| {
            let mut credential = coc(NUMBER_A);
            credential["credentialSubject"]["product"]["model"] = json!(format!("GT-60{i}"));
            sign(&world.cab, &credential)
        })
        .collect();

    let results = submit_concurrently(&app, &world.cab.token, variants).await;

    let created = results.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "one national number, one entry: {results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "body: {body}");
        assert_eq!(body["error"]["code"], "national_number_taken", "body: {body}");
    }
    let page = search(&app, &world.cab.token, &format!("national_number={NUMBER_A}")).await;
    assert_eq!(items(&page).len(), 1, "body: {page}");
}

/// Signs `count` different corrected re-issues of `old`.
fn reissues(world: &common::World, old: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let mut corrected = coc(NUMBER_A);
            corrected["credentialSubject"]["product"]["model"] = json!(format!("GT-600-R{i}"));
            corrected["credentialSubject"]["supersedes"] = json!(old);
            sign(&world.cab, &corrected)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reissues_supersede_once() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let old = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let results = submit_concurrently(&app, &world.cab.token, reissues(&world, &old, 6)).await;

    let winners: Vec<&Value> = results.iter().filter(|(status, _)| *status == 201).map(|(_, body)| body).collect();
    assert_eq!(winners.len(), 1, "one re-issue replaces the entry: {results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "body: {body}");
    }
    let (_, old_entry) = get(&app, &format!("/api/v1/documents/{old}"), Some(&world.cab.token)).await;
    assert_eq!(old_entry["status"], "superseded", "body: {old_entry}");
    assert_eq!(old_entry["superseded_by"], winners[0]["hub_id"], "body: {old_entry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reissue_losers_get_stable_code() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let old = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let results = submit_concurrently(&app, &world.cab.token, reissues(&world, &old, 6)).await;

    for (status, body) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "body: {body}");
        assert_eq!(body["error"]["code"], "supersedes_not_valid", "body: {body}");
        assert_eq!(body["error"]["field"], "credentialSubject.supersedes", "body: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_suspensions_apply_once() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let hub_id = hub_id_of(&register(&app, &world.cab, &coc(NUMBER_A)).await);

    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let request = app
                .client
                .post(format!("{}/api/v1/documents/{hub_id}/status", app.base))
                .bearer_auth(&world.cab.token)
                .json(&json!({"action": "suspend", "reason": "parallel audit findings"}));
            tokio::spawn(async move {
                let response = request.send().await.expect("request reaches the test server");
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("JSON body");
                (status, body)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("status task"));
    }

    assert_eq!(results.iter().filter(|(status, _)| *status == 200).count(), 1, "one suspension applies: {results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 409, "body: {body}");
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(["invalid_transition", "status_changed_concurrently"].contains(&code), "body: {body}");
    }
    let (_, history) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "one recorded change; body: {history}");
}

// ---- files kept elsewhere and expiry ----

#[tokio::test]
async fn file_reference_registers_hash() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let sha = sha256_hex(&common::tiny_pdf("kept in the national system"));
    let request = json!({"jws": sign(&world.cab, &coc(NUMBER_A)), "file_sha256": sha, "file_url": "https://national.example/f.pdf"});

    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &request).await;
    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["file_sha256"], sha, "body: {body}");
    assert_eq!(body["file_url"], "https://national.example/f.pdf", "body: {body}");

    let (status, file) = get(&app, &format!("/api/v1/documents/{}/file", hub_id_of(&body)), Some(&world.cab.token)).await;
    assert_error(status, &file, 404, "not_found");
}

#[tokio::test]
async fn file_reference_bad_hash_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"jws": sign(&world.cab, &coc(NUMBER_A)), "file_sha256": "not-a-hash"});

    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &request).await;

    assert_error_field(status, &body, 422, "validation_failed", "file_sha256");
}

#[tokio::test]
async fn expired_document_flagged_and_invalid() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let mut credential = coc(NUMBER_A);
    credential["validFrom"] = json!("2024-02-01T00:00:00Z");
    credential["validUntil"] = json!("2024-12-31T23:59:59Z");

    let body = register(&app, &world.cab, &credential).await;

    assert_eq!(body["status"], "valid", "the stored status stays valid; body: {body}");
    assert_eq!(body["expired"], true, "body: {body}");
    let (_, result) = get(&app, &format!("/api/v1/documents/{}/verification", hub_id_of(&body)), None).await;
    assert_eq!(result["verdict"], "invalid", "body: {result}");
    assert_eq!(result["document"]["status"], "expired", "body: {result}");
}
