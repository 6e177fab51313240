//! Runs the JWS verifier in `ecert_core::jose` against published vectors:
//! RFC 7515 appendix A.3 (ES256), RFC 8037 appendix A.4 (Ed25519), the RFC 7520
//! JOSE cookbook with its RFC 7797 examples, and Wycheproof (Ed25519, ECDSA
//! P-256 in IEEE P1363 form, JWS).
//!
//! The vectors are read at run time from the shared data checkout next to the
//! workspace. A fresh clone has no such checkout, so each test prints why it is
//! skipped and passes, unless `ECERT_REQUIRE_TEST_DATA=1` is set (CI sets it).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ecert_core::jose::{Algorithm, CompactJws, JoseError, PublicJwk};
use serde_json::Value;

const VECTOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/jose");
const REQUIRE_DATA_VAR: &str = "ECERT_REQUIRE_TEST_DATA";

/// Returns the vector directory, or `None` after printing why the test is
/// skipped. Panics instead when `ECERT_REQUIRE_TEST_DATA=1`, so that CI cannot
/// pass without running the vectors.
fn vector_dir() -> Option<PathBuf> {
    let dir = Path::new(VECTOR_DIR);
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    let required = std::env::var(REQUIRE_DATA_VAR).is_ok_and(|value| value == "1");
    assert!(
        !required,
        "JOSE test vectors not found at {}, and {REQUIRE_DATA_VAR}=1 requires them; check out the shared test data next to the workspace",
        dir.display()
    );
    eprintln!(
        "skipped: JOSE test vectors not found at {}; check out the shared test data next to the workspace to run this test, or set {REQUIRE_DATA_VAR}=1 to make the missing data a failure",
        dir.display()
    );
    None
}

/// The algorithm names the hub verifies, written out here so that the
/// expectations do not come from the code under test.
const HUB_ALGORITHMS: [&str; 5] = ["EdDSA", "ES256", "ES384", "RS256", "PS256"];

const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn read_json(dir: &Path, relative: &str) -> Value {
    let path = dir.join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

fn text<'a>(value: &'a Value, pointer: &str, file: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{file}: missing string at {pointer}"))
}

/// Copies a JWK without its private members, as a party would register it.
fn public_part(jwk: &Value) -> Value {
    let mut public = jwk.clone();
    let object = public.as_object_mut().expect("a JWK is a JSON object");
    for member in PRIVATE_JWK_MEMBERS {
        object.remove(member);
    }
    public
}

fn public_jwk(jwk: &Value, context: &str) -> PublicJwk {
    PublicJwk::from_json(jwk).unwrap_or_else(|e| panic!("{context}: the hub rejects the public JWK: {e}"))
}

fn hex_bytes(hex: &str, context: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "{context}: odd-length hex string {hex:?}");
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|e| panic!("{context}: invalid hex {hex:?}: {e}"))
        })
        .collect()
}

/// Reads `alg` from the first part of a compact JWS without the hub's parser.
/// Returns `None` when that part is not base64url-encoded JSON with a string `alg`.
fn header_alg(jws: &str) -> Option<String> {
    let header = jws.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    let json: Value = serde_json::from_slice(&bytes).ok()?;
    json.get("alg")?.as_str().map(str::to_owned)
}

fn parse_ok(jws: &str, context: &str) -> CompactJws {
    CompactJws::parse(jws).unwrap_or_else(|e| panic!("{context}: the hub cannot parse the compact JWS: {e}"))
}

// RFC 7515 appendix A.3: ES256 with a high-S signature and its low-S twin.

const RFC7515_A3: &str = "rfc7515-A3-es256.json";

#[test]
fn es256_high_and_low_s_verify() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC7515_A3);
    let key = public_jwk(&vector["jwk_public"], RFC7515_A3);
    let payload = text(&vector, "/payload_text", RFC7515_A3);

    for member in ["compact", "compact_low_s_equivalent"] {
        let context = format!("{RFC7515_A3} {member}");
        let jws = parse_ok(text(&vector, &format!("/{member}"), RFC7515_A3), &context);
        assert_eq!(jws.algorithm(), Ok(Algorithm::ES256), "{context}");
        assert_eq!(jws.payload, payload.as_bytes(), "{context}: decoded payload");
        assert_eq!(
            jws.verify(&key),
            Ok(()),
            "{context}: the hub accepts ECDSA signatures in high-S and low-S form"
        );
    }
}

#[test]
fn es256_twins_differ_only_in_s() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC7515_A3);
    let high = parse_ok(text(&vector, "/compact", RFC7515_A3), RFC7515_A3);
    let low = parse_ok(text(&vector, "/compact_low_s_equivalent", RFC7515_A3), RFC7515_A3);

    assert_eq!(
        high.signing_input, low.signing_input,
        "{RFC7515_A3}: both forms sign the same input"
    );
    assert_eq!(high.signature[..32], low.signature[..32], "{RFC7515_A3}: r is shared");
    assert_ne!(high.signature[32..], low.signature[32..], "{RFC7515_A3}: s differs");
    assert!(
        is_high_s_p256(&high.signature),
        "{RFC7515_A3}: the RFC signature has s > n/2"
    );
    assert!(!is_high_s_p256(&low.signature), "{RFC7515_A3}: the twin has s <= n/2");
}

#[test]
fn es256_tampered_signature_is_rejected() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC7515_A3);
    let key = public_jwk(&vector["jwk_public"], RFC7515_A3);

    for member in ["compact", "compact_low_s_equivalent"] {
        let mut jws = parse_ok(text(&vector, &format!("/{member}"), RFC7515_A3), RFC7515_A3);
        let last = jws.signature.len() - 1;
        jws.signature[last] ^= 0x01;
        assert_eq!(
            jws.verify(&key),
            Err(JoseError::BadSignature),
            "{RFC7515_A3} {member} with one bit flipped"
        );
    }
}

#[test]
fn es256_key_thumbprint_and_private_member() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC7515_A3);

    let private = PublicJwk::from_json(&vector["jwk_private"]);
    assert!(
        matches!(private, Err(JoseError::InvalidKey(_))),
        "{RFC7515_A3}: a JWK with \"d\" must be rejected, got {private:?}"
    );

    // RFC 7515 publishes no thumbprint for this key. The expected value was
    // computed with Python's hashlib over the RFC 7638 canonical JSON
    // {"crv":"P-256","kty":"EC","x":…,"y":…}.
    let key = public_jwk(&vector["jwk_public"], RFC7515_A3);
    assert_eq!(
        key.thumbprint(),
        Ok("oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U".to_owned()),
        "{RFC7515_A3}"
    );

    // Members outside the RFC 7638 required set must not change the thumbprint.
    let mut decorated = vector["jwk_public"].clone();
    decorated["kid"] = "some-key-id".into();
    decorated["use"] = "sig".into();
    decorated["alg"] = "ES256".into();
    assert_eq!(
        public_jwk(&decorated, RFC7515_A3).thumbprint(),
        key.thumbprint(),
        "{RFC7515_A3} with kid/use/alg"
    );
}

// RFC 8037 appendix A.4: Ed25519.

const RFC8037_ED25519: &str = "rfc8037-cfrg/ed25519-jws.json";

#[test]
fn ed25519_rfc8037_example_verifies() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC8037_ED25519);
    let key = public_jwk(&public_part(&vector["input"]["key"]), RFC8037_ED25519);
    let jws = parse_ok(text(&vector, "/output/compact", RFC8037_ED25519), RFC8037_ED25519);

    assert_eq!(jws.algorithm(), Ok(Algorithm::EdDSA), "{RFC8037_ED25519}");
    assert_eq!(
        jws.payload,
        text(&vector, "/input/payload", RFC8037_ED25519).as_bytes(),
        "{RFC8037_ED25519}"
    );
    assert_eq!(
        jws.signing_input,
        text(&vector, "/signing/sig-input", RFC8037_ED25519),
        "{RFC8037_ED25519}"
    );
    assert_eq!(jws.verify(&key), Ok(()), "{RFC8037_ED25519}");
}

#[test]
fn ed25519_rfc8037_key_thumbprint() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC8037_ED25519);

    let with_private = PublicJwk::from_json(&vector["input"]["key"]);
    assert!(
        matches!(with_private, Err(JoseError::InvalidKey(_))),
        "{RFC8037_ED25519}: a JWK with \"d\" must be rejected, got {with_private:?}"
    );

    // The vector file carries no thumbprint. The expected value was computed
    // with Python's hashlib over the RFC 7638 canonical JSON
    // {"crv":"Ed25519","kty":"OKP","x":…}.
    let key = public_jwk(&public_part(&vector["input"]["key"]), RFC8037_ED25519);
    assert_eq!(
        key.thumbprint(),
        Ok("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k".to_owned()),
        "{RFC8037_ED25519}"
    );
}

// RFC 7520 cookbook and RFC 7797 examples.

const COOKBOOK_RSA_PUBLIC: &str = "rfc7520-cookbook/jwk/3_3.rsa_public_key.json";
const COOKBOOK_RS256: &str = "rfc7520-cookbook/jws/4_1.rsa_v15_signature.json";
const COOKBOOK_PS384: &str = "rfc7520-cookbook/jws/4_2.rsa-pss_signature.json";
const COOKBOOK_ES512: &str = "rfc7520-cookbook/jws/4_3.ecdsa_signature.json";
const COOKBOOK_HS256: &str = "rfc7520-cookbook/jws/4_4.hmac-sha2_integrity_protection.json";
const COOKBOOK_DETACHED: &str = "rfc7520-cookbook/jws/4_5.signature_with_detached_content.json";
const COOKBOOK_SPECIFIC_FIELDS: &str = "rfc7520-cookbook/jws/4_6.protecting_specific_header_fields.json";
const COOKBOOK_CONTENT_ONLY: &str = "rfc7520-cookbook/jws/4_7.protecting_content_only.json";
const COOKBOOK_MULTIPLE: &str = "rfc7520-cookbook/jws/4_8.multiple_signatures.json";
const RFC7797_COMPACT: &str = "rfc7520-cookbook/rfc7797/hmac-sha2_b64_false.json";
const RFC7797_JSON_ONLY: &str = "rfc7520-cookbook/rfc7797/4.2.hmac-sha2_b64_false.json";

fn cookbook_rsa_key(dir: &Path) -> PublicJwk {
    public_jwk(&read_json(dir, COOKBOOK_RSA_PUBLIC), COOKBOOK_RSA_PUBLIC)
}

#[test]
fn cookbook_rs256_verifies() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, COOKBOOK_RS256);
    let key = cookbook_rsa_key(&dir);
    let jws = parse_ok(text(&vector, "/output/compact", COOKBOOK_RS256), COOKBOOK_RS256);

    assert_eq!(jws.algorithm(), Ok(Algorithm::RS256), "{COOKBOOK_RS256}");
    assert_eq!(
        jws.payload,
        text(&vector, "/input/payload", COOKBOOK_RS256).as_bytes(),
        "{COOKBOOK_RS256}"
    );
    assert_eq!(jws.verify(&key), Ok(()), "{COOKBOOK_RS256} with {COOKBOOK_RSA_PUBLIC}");
}

#[test]
fn cookbook_rsa_key_identity() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, COOKBOOK_RS256);
    let registered = read_json(&dir, COOKBOOK_RSA_PUBLIC);
    let key = cookbook_rsa_key(&dir);

    let with_private = PublicJwk::from_json(&vector["input"]["key"]);
    assert!(
        matches!(with_private, Err(JoseError::InvalidKey(_))),
        "{COOKBOOK_RS256}: the private RSA JWK must be rejected, got {with_private:?}"
    );

    // The signing key of 4.1, stripped of its private members, is the public
    // key of 3.3, and the header kid names it.
    let stripped = public_jwk(&public_part(&vector["input"]["key"]), COOKBOOK_RS256);
    assert_eq!(
        stripped.thumbprint(),
        key.thumbprint(),
        "{COOKBOOK_RS256} key vs {COOKBOOK_RSA_PUBLIC}"
    );
    let jws = parse_ok(text(&vector, "/output/compact", COOKBOOK_RS256), COOKBOOK_RS256);
    assert_eq!(
        jws.header.kid.as_deref(),
        registered["kid"].as_str(),
        "{COOKBOOK_RS256}: header kid"
    );
}

#[test]
fn cookbook_unsupported_algorithms_rejected() {
    let Some(dir) = vector_dir() else { return };
    let rsa_key = cookbook_rsa_key(&dir);

    for (file, alg) in [
        (COOKBOOK_PS384, "PS384"),
        (COOKBOOK_ES512, "ES512"),
        (COOKBOOK_HS256, "HS256"),
    ] {
        let vector = read_json(&dir, file);
        let jws = parse_ok(text(&vector, "/output/compact", file), file);
        assert_eq!(jws.header.alg, alg, "{file}: header alg");
        assert_eq!(
            jws.algorithm(),
            Err(JoseError::UnsupportedAlgorithm(alg.into())),
            "{file}"
        );
        // The algorithm is rejected before the key is looked at, even where the
        // key is the RSA key that produced the PS384 signature.
        assert_eq!(
            jws.verify(&rsa_key),
            Err(JoseError::UnsupportedAlgorithm(alg.into())),
            "{file}"
        );
    }
}

#[test]
fn cookbook_p521_key_is_rejected() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, COOKBOOK_ES512);
    let key = PublicJwk::from_json(&public_part(&vector["input"]["key"]));
    assert!(
        matches!(key, Err(JoseError::InvalidKey(_))),
        "{COOKBOOK_ES512}: P-521 is not a hub curve, got {key:?}"
    );
}

#[test]
fn cookbook_detached_payload_is_malformed() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, COOKBOOK_DETACHED);
    let compact = text(&vector, "/output/compact", COOKBOOK_DETACHED);

    assert!(
        compact.contains(".."),
        "{COOKBOOK_DETACHED}: expected an empty payload part in {compact:?}"
    );
    let result = CompactJws::parse(compact);
    assert!(
        matches!(result, Err(JoseError::Malformed(_))),
        "{COOKBOOK_DETACHED}: got {result:?}"
    );
}

#[test]
fn json_serializations_are_malformed() {
    let Some(dir) = vector_dir() else { return };
    let files = [
        RFC8037_ED25519,
        COOKBOOK_RS256,
        COOKBOOK_PS384,
        COOKBOOK_ES512,
        COOKBOOK_HS256,
        COOKBOOK_DETACHED,
        COOKBOOK_SPECIFIC_FIELDS,
        COOKBOOK_CONTENT_ONLY,
        COOKBOOK_MULTIPLE,
        RFC7797_COMPACT,
        RFC7797_JSON_ONLY,
    ];

    for file in files {
        let vector = read_json(&dir, file);
        // Multiple signatures have no flattened form, so 4.8 has only "json".
        let members: Vec<&str> = ["json", "json_flat"]
            .into_iter()
            .filter(|member| vector["output"].get(member).is_some())
            .collect();
        assert!(!members.is_empty(), "{file}: no JSON serialization in output");

        for member in members {
            let serialized = vector["output"][member].to_string();
            let result = CompactJws::parse(&serialized);
            assert!(
                matches!(result, Err(JoseError::Malformed(_))),
                "{file} output.{member}: got {result:?}"
            );
        }
    }
}

#[test]
fn cookbook_json_only_examples_rejected() {
    let Some(dir) = vector_dir() else { return };

    // 4.6 and 4.7 exist only in the JSON serializations, which the hub rejects
    // (see `json_serializations_are_malformed`), and both sign with HS256.
    for file in [COOKBOOK_SPECIFIC_FIELDS, COOKBOOK_CONTENT_ONLY] {
        let vector = read_json(&dir, file);
        assert!(
            vector["output"].get("compact").is_none(),
            "{file}: unexpected compact form"
        );
        assert_eq!(vector["input"]["alg"], "HS256", "{file}: input alg");
    }

    // 4.6 protects only "alg", so its protected header, payload and signature
    // still form a compact JWS, and the hub rejects that for its algorithm.
    let vector = read_json(&dir, COOKBOOK_SPECIFIC_FIELDS);
    let compact = format!(
        "{}.{}.{}",
        text(&vector, "/signing/protected_b64u", COOKBOOK_SPECIFIC_FIELDS),
        text(&vector, "/output/json/payload", COOKBOOK_SPECIFIC_FIELDS),
        text(&vector, "/signing/sig", COOKBOOK_SPECIFIC_FIELDS),
    );
    let jws = parse_ok(&compact, COOKBOOK_SPECIFIC_FIELDS);
    assert_eq!(
        jws.algorithm(),
        Err(JoseError::UnsupportedAlgorithm("HS256".into())),
        "{COOKBOOK_SPECIFIC_FIELDS}"
    );

    // 4.7 has no protected header at all, so its compact form would start with
    // an empty header part.
    let vector = read_json(&dir, COOKBOOK_CONTENT_ONLY);
    let compact = format!(
        ".{}.{}",
        text(&vector, "/output/json/payload", COOKBOOK_CONTENT_ONLY),
        text(&vector, "/signing/sig", COOKBOOK_CONTENT_ONLY),
    );
    let result = CompactJws::parse(&compact);
    assert!(
        matches!(result, Err(JoseError::Malformed(_))),
        "{COOKBOOK_CONTENT_ONLY}: got {result:?}"
    );
}

#[test]
fn cookbook_multiple_signatures_each_checked() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, COOKBOOK_MULTIPLE);
    let rsa_key = cookbook_rsa_key(&dir);
    let payload = text(&vector, "/output/json/payload", COOKBOOK_MULTIPLE);
    let signatures = vector["output"]["json"]["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("{COOKBOOK_MULTIPLE}: missing output.json.signatures"));
    assert_eq!(signatures.len(), 3, "{COOKBOOK_MULTIPLE}: signature count");

    // A signature with its protected header is a compact JWS on its own. The
    // RS256 one verifies and the HS256 one is rejected for its algorithm.
    for (index, signature) in signatures.iter().enumerate() {
        let context = format!("{COOKBOOK_MULTIPLE} signature {index}");
        let signature_b64 = text(signature, "/signature", &context);
        let Some(protected) = signature.get("protected").and_then(Value::as_str) else {
            // The ES512 signature carries "alg" only in the unprotected header,
            // so its compact form would start with an empty header part.
            assert_eq!(signature["header"]["alg"], "ES512", "{context}: unprotected alg");
            let result = CompactJws::parse(&format!(".{payload}.{signature_b64}"));
            assert!(
                matches!(result, Err(JoseError::Malformed(_))),
                "{context}: got {result:?}"
            );
            continue;
        };

        let jws = parse_ok(&format!("{protected}.{payload}.{signature_b64}"), &context);
        let expected = match jws.header.alg.as_str() {
            "RS256" => Ok(()),
            other => Err(JoseError::UnsupportedAlgorithm(other.into())),
        };
        assert_eq!(jws.verify(&rsa_key), expected, "{context} ({})", jws.header.alg);
    }
}

#[test]
fn rfc7797_unencoded_payload_rejected() {
    let Some(dir) = vector_dir() else { return };
    let vector = read_json(&dir, RFC7797_COMPACT);
    let compact = text(&vector, "/output/compact", RFC7797_COMPACT);

    let result = CompactJws::parse(compact);
    assert_eq!(
        result.err(),
        Some(JoseError::UnsupportedCritical("b64".into())),
        "{RFC7797_COMPACT}"
    );
}

// Wycheproof raw signature vectors.

const WYCHEPROOF_ED25519: &str = "wycheproof/ed25519_test.json";
const WYCHEPROOF_ECDSA_P256: &str = "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json";

/// Half the order n of P-256, big-endian: a signature is high-S when s > n/2.
const P256_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d,
    0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

fn is_high_s_p256(signature: &[u8]) -> bool {
    signature.len() == 64 && signature[32..] > P256_HALF_ORDER[..]
}

/// Builds a P-256 JWK from Wycheproof's hex coordinates `wx` and `wy`, which
/// may carry a leading zero byte (ASN.1 sign) or omit leading zero bytes.
fn p256_jwk_from_hex(public_key: &Value, context: &str) -> Value {
    let coordinate = |name: &str| {
        let bytes = hex_bytes(text(public_key, &format!("/{name}"), context), context);
        let significant: Vec<u8> = bytes.into_iter().skip_while(|&byte| byte == 0).collect();
        assert!(significant.len() <= 32, "{context}: {name} is longer than 32 bytes");
        let mut padded = vec![0; 32 - significant.len()];
        padded.extend(significant);
        URL_SAFE_NO_PAD.encode(padded)
    };
    serde_json::json!({"kty": "EC", "crv": "P-256", "x": coordinate("wx"), "y": coordinate("wy")})
}

/// Returns whether a Wycheproof test expects acceptance. Panics on a result
/// other than "valid" or "invalid". None of the vector files here has an
/// "acceptable" result, and the hub only accepts or rejects, so such a vector
/// needs a policy decision before it can be checked.
fn expects_valid(test: &Value, context: &str) -> bool {
    match test["result"].as_str() {
        Some("valid") => true,
        Some("invalid") => false,
        other => panic!("{context}: result {other:?} has no hub equivalent; decide the hub policy before adding it"),
    }
}

fn number_of_tests(vectors: &Value, file: &str) -> usize {
    let count = vectors["numberOfTests"]
        .as_u64()
        .unwrap_or_else(|| panic!("{file}: missing numberOfTests"));
    usize::try_from(count).expect("a test count fits in usize")
}

/// Totals of one Wycheproof raw-signature file.
#[derive(Debug, Default)]
struct RawTally {
    valid: usize,
    invalid: usize,
    valid_high_s: usize,
}

/// Feeds every test of a Wycheproof raw-signature file through
/// [`ecert_core::jose::Verifier::verify`] with the group's public key, and
/// asserts that the hub accepts exactly the vectors marked "valid".
fn run_raw_signature_file(dir: &Path, file: &str, alg: Algorithm) -> RawTally {
    let vectors = read_json(dir, file);
    let groups = vectors["testGroups"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: missing testGroups"));
    let mut tally = RawTally::default();

    for group in groups {
        // A few ECDSA groups give the key only as hex coordinates.
        let jwk = match group.get("publicKeyJwk") {
            Some(jwk) => jwk.clone(),
            None if alg == Algorithm::ES256 => p256_jwk_from_hex(&group["publicKey"], file),
            None => panic!("{file}: group without publicKeyJwk"),
        };
        let verifier = PublicJwk::from_json(&jwk).and_then(|key| key.verifier());
        let tests = group["tests"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: group without tests"));

        for test in tests {
            let context = format!(
                "{file} tcId {} ({}, flags {})",
                test["tcId"], test["comment"], test["flags"]
            );
            let expected_valid = expects_valid(test, &context);
            let message = hex_bytes(text(test, "/msg", &context), &context);
            let signature = hex_bytes(text(test, "/sig", &context), &context);

            let outcome = match &verifier {
                Ok(verifier) => verifier.verify(alg, &message, &signature),
                Err(key_error) => Err(key_error.clone()),
            };
            assert_eq!(
                outcome.is_ok(),
                expected_valid,
                "{context}: the hub returned {outcome:?}, Wycheproof expects {}",
                test["result"]
            );

            if expected_valid {
                tally.valid += 1;
                if alg == Algorithm::ES256 && is_high_s_p256(&signature) {
                    tally.valid_high_s += 1;
                }
            } else {
                tally.invalid += 1;
            }
        }
    }

    assert_eq!(
        tally.valid + tally.invalid,
        number_of_tests(&vectors, file),
        "{file}: tests run"
    );
    tally
}

#[test]
fn wycheproof_ed25519_results_match() {
    let Some(dir) = vector_dir() else { return };
    let tally = run_raw_signature_file(&dir, WYCHEPROOF_ED25519, Algorithm::EdDSA);
    eprintln!(
        "{WYCHEPROOF_ED25519}: {} valid and {} invalid vectors matched",
        tally.valid, tally.invalid
    );

    assert_eq!(tally.valid, 88, "{WYCHEPROOF_ED25519}: valid vectors");
    assert_eq!(tally.invalid, 63, "{WYCHEPROOF_ED25519}: invalid vectors");
}

#[test]
fn wycheproof_ecdsa_p256_results_match() {
    let Some(dir) = vector_dir() else { return };
    let tally = run_raw_signature_file(&dir, WYCHEPROOF_ECDSA_P256, Algorithm::ES256);
    eprintln!(
        "{WYCHEPROOF_ECDSA_P256}: {} valid ({} high-S) and {} invalid vectors matched",
        tally.valid, tally.valid_high_s, tally.invalid
    );

    assert_eq!(tally.valid, 173, "{WYCHEPROOF_ECDSA_P256}: valid vectors");
    assert_eq!(tally.invalid, 89, "{WYCHEPROOF_ECDSA_P256}: invalid vectors");
    // The hub accepts high-S signatures, and the loop above has checked that
    // each of these verified.
    assert_eq!(tally.valid_high_s, 70, "{WYCHEPROOF_ECDSA_P256}: valid high-S vectors");
}

// Wycheproof JWS vectors.

const WYCHEPROOF_JWS: &str = "wycheproof/json_web_signature_test.json";

/// Wycheproof tcIds that are invalid only because a JWK member beside the key
/// material forbids the use. In 353 and 354 `use` is "enc", and in 355 and 356
/// `key_ops` is ["encrypt"]: the hub rejects such a JWK as a signing key. In
/// 332 and 338 `alg` is PS512 while the token uses RS256 or PS256: the hub
/// ignores a JWK's `alg` member, because the registry record carries the
/// algorithm the key is registered for, so these signatures verify here and
/// the registered algorithm is enforced by the service.
const KEY_USE_REJECTED: [u64; 4] = [353, 354, 355, 356];
const KEY_METADATA_IGNORED: [u64; 6] = [332, 338, 353, 354, 355, 356];

/// Counts of hub outcomes over the Wycheproof JWS file.
#[derive(Debug, Default)]
struct JwsTally {
    verified: usize,
    bad_signature: usize,
    unsupported_algorithm: usize,
    malformed: usize,
    valid_but_malformed: usize,
    key_metadata_ignored: usize,
}

/// Runs a compact JWS through the hub's steps: parse, algorithm check, key
/// check, then signature check.
fn hub_outcome(jws: &str, key: &Result<PublicJwk, JoseError>) -> Result<(), JoseError> {
    let parsed = CompactJws::parse(jws)?;
    parsed.algorithm()?;
    let key = key.as_ref().map_err(Clone::clone)?;
    parsed.verify(key)
}

/// Returns whether `jws` has the compact form the hub parses: three parts,
/// a non-empty payload, and every part unpadded base64url.
fn is_well_formed_compact(jws: &str) -> bool {
    let parts: Vec<&str> = jws.split('.').collect();
    parts.len() == 3 && !parts[1].is_empty() && parts.iter().all(|part| URL_SAFE_NO_PAD.decode(part).is_ok())
}

#[test]
fn wycheproof_jws_results_match() {
    let Some(dir) = vector_dir() else { return };
    let vectors = read_json(&dir, WYCHEPROOF_JWS);
    let groups = vectors["testGroups"]
        .as_array()
        .unwrap_or_else(|| panic!("{WYCHEPROOF_JWS}: missing testGroups"));
    let mut tally = JwsTally::default();
    let mut tests_run = 0;

    for group in groups {
        // HMAC groups have no public key, and the P-521 key of the RFC 7520
        // group is not on a hub curve. Their tokens use algorithms the hub
        // rejects before it looks at a key.
        let key = match group.get("public") {
            Some(jwk) => PublicJwk::from_json(jwk),
            None => Err(JoseError::InvalidKey("the vector group has no public key".into())),
        };
        let tests = group["tests"]
            .as_array()
            .unwrap_or_else(|| panic!("{WYCHEPROOF_JWS}: group without tests"));

        for test in tests {
            tests_run += 1;
            let tc_id = test["tcId"]
                .as_u64()
                .unwrap_or_else(|| panic!("{WYCHEPROOF_JWS}: test without tcId"));
            let context = format!(
                "{WYCHEPROOF_JWS} tcId {tc_id} ({}, group {})",
                test["comment"], group["comment"]
            );
            let jws = text(test, "/jws", &context);
            let expected_valid = expects_valid(test, &context);
            let outcome = hub_outcome(jws, &key);

            // A token that is not a well-formed compact JWS with a readable
            // alg stops at the parser, before the algorithm check, so it is
            // Malformed whatever its alg.
            let alg = if is_well_formed_compact(jws) {
                header_alg(jws)
            } else {
                None
            };
            let Some(alg) = alg else {
                assert!(
                    matches!(outcome, Err(JoseError::Malformed(_))),
                    "{context}: got {outcome:?}, expected Malformed"
                );
                if expected_valid {
                    // Wycheproof marks valid a few tokens that the hub's strict
                    // parser rejects: tokens signed over an empty payload, which
                    // in compact form look like detached content, and HS256
                    // tokens with a stray character that lenient base64url
                    // decoders skip.
                    let empty_payload = jws.split('.').nth(1) == Some("");
                    let stray_character = jws
                        .chars()
                        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')));
                    assert!(
                        empty_payload || stray_character,
                        "{context}: valid token rejected as Malformed"
                    );
                    tally.valid_but_malformed += 1;
                } else {
                    tally.malformed += 1;
                }
                continue;
            };

            if !HUB_ALGORITHMS.contains(&alg.as_str()) {
                assert_eq!(outcome, Err(JoseError::UnsupportedAlgorithm(alg.clone())), "{context}");
                tally.unsupported_algorithm += 1;
            } else if KEY_METADATA_IGNORED.contains(&tc_id) {
                assert!(
                    !expected_valid,
                    "{context}: listed as a key-metadata case but Wycheproof marks it valid"
                );
                if KEY_USE_REJECTED.contains(&tc_id) {
                    assert!(
                        matches!(outcome, Err(JoseError::InvalidKey(_))),
                        "{context}: a JWK whose use or key_ops exclude verification is rejected; got {outcome:?}"
                    );
                } else {
                    assert_eq!(outcome, Ok(()), "{context}: the hub ignores the JWK's alg member");
                }
                tally.key_metadata_ignored += 1;
            } else if expected_valid {
                assert_eq!(outcome, Ok(()), "{context}");
                tally.verified += 1;
            } else {
                assert_eq!(outcome, Err(JoseError::BadSignature), "{context}");
                tally.bad_signature += 1;
            }
        }
    }

    eprintln!("{WYCHEPROOF_JWS}: {tally:?}");
    assert_eq!(
        tests_run,
        number_of_tests(&vectors, WYCHEPROOF_JWS),
        "{WYCHEPROOF_JWS}: tests run"
    );
    assert_eq!(
        tally.key_metadata_ignored,
        KEY_METADATA_IGNORED.len(),
        "{WYCHEPROOF_JWS}: key-metadata cases seen"
    );
}
