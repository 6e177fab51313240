//! End to end on input written outside this project: UN/CEFACT UNTP
//! conformity credential samples, mapped into hub documents, signed by a
//! test CAB, submitted over HTTP and verified by hub ID, by QR code and by
//! JWS; then each way of breaking it must fail with its own check.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestApp, TestCab};
use ecert_core::party::{AccreditationStandard, OrgKind};
use serde_json::{Value, json};

/// The UNTP samples describe an EV battery and carry no HS code. Lithium-ion
/// accumulators are HS 2022 subheading 8507.60.
const BATTERY_HS: &str = "850760";

const SAMPLES: [&str; 3] = [
    "vc/untp/tests-untp/conformity-credential-simple.json",
    "vc/untp/spec-untp/untp-dcc-instance.json",
    "vc/untp/tests-untp/dcc-v0.6.0-example-data.json",
];

/// Maps a UNTP Digital Conformity Credential into a hub credential issued
/// by `issuer` (a registration number of a test CAB in UZ, which takes the
/// place of the UNTP issuer): dates, the party the attestation was issued
/// to, product, standards and conformance carry over; the national number
/// is the last segment of the attestation id.
fn map_untp(untp: &Value, issuer: &str) -> Value {
    let subject = &untp["credentialSubject"];
    let assessment = &subject["assessment"][0];
    let product = assessment["assessedProduct"][0]["product"]["name"].as_str().expect("UNTP product name");
    let mut standards: Vec<String> = subject["assessment"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["referenceStandard"]["name"].as_str().or(a["assessmentCriteria"][0]["name"].as_str()))
        .map(str::to_owned)
        .collect();
    standards.dedup();
    let attestation_id = subject["id"].as_str().expect("UNTP attestation id");
    let number = attestation_id.rsplit('/').next().unwrap_or(attestation_id);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "urn:ecert:context:v1"],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": format!("urn:ecert:org:UZ:{issuer}"), "name": format!("Test {issuer}")},
        "validFrom": untp["validFrom"],
        "validUntil": untp["validUntil"],
        "credentialSchema": {"id": "urn:ecert:schema:conformity:1", "type": "JsonSchema"},
        "credentialSubject": {
            "type": ["ConformityAttestation"],
            "attestationType": subject["attestationType"],
            "nationalNumber": format!("UNTP-{number}"),
            "issuedToParty": {"name": subject["issuedToParty"]["name"], "registeredId": subject["issuedToParty"]["registeredId"]},
            "product": {"name": {"en": product}, "hsCodes": [{"code": BATTERY_HS, "edition": "HS2022"}]},
            "referenceStandards": standards,
            "conformance": assessment["conformance"],
        }
    })
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app.client.post(format!("{}{path}", app.base)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Returns the outcome and code of one check of a verification response.
fn check<'a>(result: &'a Value, name: &str) -> (&'a str, &'a str) {
    let check = result["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no {name} check in {result:#}"));
    (check["outcome"].as_str().unwrap_or(""), check["code"].as_str().unwrap_or(""))
}

fn failed_checks(result: &Value) -> Vec<String> {
    result["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "failed")
        .map(|c| c["check"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn battery_cab(app: &TestApp, number: &str, seed: u8) -> TestCab {
    common::add_cab(&app.hub, "UZ", OrgKind::CertificationBody, number, AccreditationStandard::Iso17065, &["8507"], seed).await
}

async fn submit(app: &TestApp, cab: &TestCab, credential: &Value) -> (String, String) {
    let jws = common::sign_jws(&cab.key, &cab.kid, credential.to_string().as_bytes());
    let (status, body) = post(app, "/api/v1/documents", Some(&cab.token), &json!({"jws": jws})).await;
    assert_eq!(status, 201, "submission rejected: {body:#}");
    (body["hub_id"].as_str().expect("hub_id").to_owned(), jws)
}

#[tokio::test]
async fn untp_samples_register_and_verify_three_ways() {
    let app = common::spawn_app().await;
    let _world = common::world(&app.hub).await;
    let cab = battery_cab(&app, "CB-BATTERY", 21).await;

    for (index, sample) in SAMPLES.into_iter().enumerate() {
        let Some(path) = common::shared_data(sample) else { return };
        let untp: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("UNTP sample is JSON");
        let mut credential = map_untp(&untp, "CB-BATTERY");
        // The samples share one attestation id, so their numbers would clash.
        credential["credentialSubject"]["nationalNumber"] = format!("UNTP-{index}").into();
        let (hub_id, jws) = submit(&app, &cab, &credential).await;

        // (a) By hub ID.
        let (status, by_id) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id})).await;
        assert_eq!(status, 200);
        assert_eq!(by_id["verdict"], "valid", "{sample}: {by_id:#}");
        assert_eq!(by_id["trust_basis"], "issuer_signature");

        // (b) By the QR code: decode the PNG and follow the URL it holds.
        let png = app
            .client
            .get(format!("{}/api/v1/documents/{hub_id}/qr.png", app.base))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let image = image::load_from_memory(&png).expect("QR is a PNG").to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "{sample}: expected one QR code");
        let (_, url) = grids[0].decode().expect("QR decodes");
        assert_eq!(url, format!("{}/v/{hub_id}", app.base));
        let page = app.client.get(&url).header("Accept-Language", "en").send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("verdict-valid"), "{sample}: the public page does not show a valid verdict");
        assert!(html.contains(&hub_id));
        let applicant = untp["credentialSubject"]["issuedToParty"]["name"].as_str().unwrap();
        assert!(!html.contains(applicant), "{sample}: the public page shows the applicant {applicant}");

        // (c) By the JWS.
        let (_, by_jws) = post(&app, "/api/v1/verify", None, &json!({"jws": jws})).await;
        assert_eq!(by_jws["verdict"], "valid", "{sample}: {by_jws:#}");
        assert_eq!(by_jws["hub_id"], hub_id.as_str());
    }
}

#[tokio::test]
async fn broken_untp_documents_fail_their_own_check() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let Some(path) = common::shared_data(SAMPLES[0]) else { return };
    let untp: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let cab = battery_cab(&app, "CB-BATTERY", 21).await;
    let credential = map_untp(&untp, "CB-BATTERY");
    let (hub_id, jws) = submit(&app, &cab, &credential).await;

    // One byte of the payload changed: the signature fails, the key is known.
    let parts: Vec<&str> = jws.split('.').collect();
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let at = payload.windows(10).position(|w| w == b"EV battery").expect("product name in payload");
    payload[at] = b'F';
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(&payload), parts[2]);
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"jws": tampered})).await;
    assert_eq!(check(&result, "signature"), ("failed", "bad_signature"), "{result:#}");
    assert_eq!(check(&result, "key_known").0, "passed", "{result:#}");
    assert_eq!(result["verdict"], "invalid");

    // An unregistered key: "unknown key", not "bad signature".
    let stranger = common::signing_key(99);
    let stranger_kid = ecert_core::jose::PublicJwk::from_json(&common::public_jwk(&stranger)).unwrap().thumbprint().unwrap();
    let unknown = common::sign_jws(&stranger, &stranger_kid, credential.to_string().as_bytes());
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"jws": unknown})).await;
    assert_eq!(check(&result, "key_known"), ("failed", "unknown_key"), "{result:#}");
    assert_eq!(failed_checks(&result), ["key_known"], "{result:#}");
    assert_eq!(check(&result, "signature").0, "not_checked", "{result:#}");

    // A CAB outside its accreditation scope (ceramics, not batteries): the
    // hub refuses to register it, and verifying the JWS names the scope.
    let out_of_scope = map_untp(&untp, "CB-0042");
    let ceramics_jws = common::sign_jws(&world.cab.key, &world.cab.kid, out_of_scope.to_string().as_bytes());
    let (status, body) = post(&app, "/api/v1/documents", Some(&world.cab.token), &json!({"jws": ceramics_jws})).await;
    assert_eq!(status, 422, "{body:#}");
    assert_eq!(body["error"]["code"], "out_of_scope");
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"jws": ceramics_jws})).await;
    assert_eq!(check(&result, "issuer_scope"), ("failed", "out_of_scope"), "{result:#}");
    assert_eq!(check(&result, "signature").0, "passed", "{result:#}");

    // A hub ID with one mistyped character: a format error that suggests the real ID.
    let mut typo: Vec<char> = hub_id.chars().collect();
    typo[7] = if typo[7] == '7' { '8' } else { '7' };
    let typo: String = typo.into_iter().collect();
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"hub_id": typo})).await;
    assert_eq!(check(&result, "format"), ("failed", "invalid_hub_id"), "{result:#}");
    assert_eq!(result["did_you_mean"], json!([hub_id]), "{result:#}");

    // A suspended document: the status check fails, everything before passes.
    let (status, body) = post(
        &app,
        &format!("/api/v1/documents/{hub_id}/status"),
        Some(&cab.token),
        &json!({"action": "suspend", "reason": "Market surveillance found a nonconforming sample"}),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"hub_id": hub_id})).await;
    assert_eq!(check(&result, "status"), ("failed", "suspended"), "{result:#}");
    assert_eq!(failed_checks(&result), ["status"], "{result:#}");

    // A revoked key: compromised before the document was registered, so
    // the document no longer counts though its signature still verifies.
    let second_cab = battery_cab(&app, "CB-BATTERY-2", 22).await;
    let second = map_untp(&untp, "CB-BATTERY-2");
    let (second_id, _) = submit(&app, &second_cab, &second).await;
    let compromised_at = "2024-06-01T00:00:00Z";
    let (status, body) = post(
        &app,
        &format!("/api/v1/keys/{}/revoke", second_cab.kid),
        Some(&world.authority_token),
        &json!({"reason": "Private key leaked", "effective_at": compromised_at}),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let (_, result) = post(&app, "/api/v1/verify", None, &json!({"hub_id": second_id})).await;
    assert_eq!(check(&result, "key_valid"), ("failed", "revoked"), "{result:#}");
    assert_eq!(check(&result, "signature").0, "passed", "{result:#}");
    assert_eq!(failed_checks(&result), ["key_valid"], "{result:#}");
}
