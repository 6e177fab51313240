use super::*;

fn sample() -> Value {
    serde_json::json!({
        "@context": [VC2_CONTEXT, HUB_CONTEXT],
        "type": ["VerifiableCredential", "DigitalConformityCredential"],
        "issuer": {"id": "urn:ecert:org:UZ:CB-0042", "name": "Example certification body"},
        "validFrom": "2026-05-01T00:00:00Z",
        "validUntil": "2029-04-30T23:59:59Z",
        "credentialSchema": {"id": SCHEMA_ID, "type": "JsonSchema"},
        "credentialSubject": {
            "type": ["ConformityAttestation"],
            "attestationType": "certification",
            "nationalNumber": "UZ.CB-0042.2026.001234",
            "issuedToParty": {"name": "Example Ceramics LLC", "registeredId": "301234567"},
            "product": {
                "name": {"en": "Glazed ceramic tiles", "ru": "Плитка керамическая глазурованная"},
                "model": "GT-600",
                "hsCodes": [{"code": "690721", "edition": "HS2022", "national": "6907210000"}]
            },
            "referenceStandards": ["GOST 13996-2019"],
            "conformance": true
        }
    })
}

#[test]
fn parses_design_example() {
    let content = parse_credential(&sample()).unwrap();
    assert_eq!(content.doc_type, DocType::Certificate);
    assert_eq!(content.issuer.to_string(), "urn:ecert:org:UZ:CB-0042");
    assert_eq!(content.product.hs_codes[0].code.as_str(), "690721");
    assert_eq!(pick_lang(&content.product.name, "ru"), "Плитка керамическая глазурованная");
}

#[test]
fn credential_round_trips() {
    let content = parse_credential(&sample()).unwrap();
    assert_eq!(parse_credential(&content.to_credential()).unwrap(), content);
}

#[test]
fn each_bad_field_is_named() {
    let cases: &[(&str, Value, &str)] = &[
        ("/issuer/id", Value::String("did:web:x".into()), "issuer.id"),
        ("/validFrom", Value::String("yesterday".into()), "validFrom"),
        ("/credentialSubject/attestationType", Value::String("inspection".into()), "credentialSubject.attestationType"),
        ("/credentialSubject/nationalNumber", Value::String(" ".into()), "credentialSubject.nationalNumber"),
        ("/credentialSubject/product/hsCodes/0/code", Value::String("7701".into()), "credentialSubject.product.hsCodes[0].code"),
        ("/credentialSubject/product/hsCodes/0/edition", Value::String("HS1996".into()), "credentialSubject.product.hsCodes[0].edition"),
        ("/credentialSubject/conformance", Value::String("yes".into()), "credentialSubject.conformance"),
        ("/credentialSchema/id", Value::String("urn:other".into()), "credentialSchema.id"),
    ];
    for (pointer, value, field) in cases {
        let mut credential = sample();
        *credential.pointer_mut(pointer).unwrap() = value.clone();
        let errors = parse_credential(&credential).unwrap_err();
        assert!(
            errors.iter().any(|e| e.field == *field),
            "{pointer}: expected an error on {field}, got {errors:?}"
        );
    }
}

#[test]
fn test_report_cannot_reference_reports() {
    let mut credential = sample();
    credential["credentialSubject"]["attestationType"] = "testing".into();
    credential["credentialSubject"]["testReports"] = serde_json::json!(["UZ-TR-0000-0000-0"]);
    let errors = parse_credential(&credential).unwrap_err();
    assert!(errors.iter().any(|e| e.field.starts_with("credentialSubject.testReports")), "{errors:?}");
}

#[test]
fn status_transitions_follow_the_rules() {
    use DocumentStatus::*;
    assert_eq!(Valid.apply(StatusAction::Suspend), Ok(Suspended));
    assert_eq!(Suspended.apply(StatusAction::Reinstate), Ok(Valid));
    assert_eq!(Suspended.apply(StatusAction::Withdraw), Ok(Withdrawn));
    assert!(Withdrawn.apply(StatusAction::Reinstate).is_err());
    assert!(Valid.apply(StatusAction::Reinstate).is_err());
    assert!(Superseded.apply(StatusAction::Suspend).is_err());
    assert!(Suspended.apply(StatusAction::Supersede).is_err());
}

#[test]
fn control_and_bidi_characters_are_rejected() {
    for (pointer, bad) in [
        ("/credentialSubject/product/name/en", "Tiles\u{1b}[2J"),
        ("/credentialSubject/nationalNumber", "UZ\u{202e}123"),
        ("/credentialSubject/issuedToParty/name", "Buyer\0LLC"),
        ("/credentialSubject/product/model", "GT\r\n600"),
    ] {
        let mut credential = sample();
        *credential.pointer_mut(pointer).unwrap() = Value::String(bad.into());
        let errors = parse_credential(&credential).unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("U+")), "{pointer}: {errors:?}");
    }
}

#[test]
fn oversized_text_is_rejected() {
    let mut credential = sample();
    credential["credentialSubject"]["product"]["name"]["en"] = Value::String("x".repeat(limits::PRODUCT_NAME + 1));
    credential["credentialSubject"]["referenceStandards"] = serde_json::json!(vec!["GOST 1"; limits::LIST_ENTRIES + 1]);
    let errors = parse_credential(&credential).unwrap_err();
    assert!(errors.iter().any(|e| e.field == "credentialSubject.product.name.en"), "{errors:?}");
    assert!(errors.iter().any(|e| e.field == "credentialSubject.referenceStandards"), "{errors:?}");
}

#[test]
fn registration_numbers_never_read_as_paths() {
    for good in ["CB-0042", "UZ.CB.1", "A/B", "x_1"] {
        assert!(is_registration_number(good), "{good} rejected");
    }
    for bad in ["", "../../x", ".hidden", "trailing/", "a..b", "with space", "ÜZ"] {
        assert!(!is_registration_number(bad), "{bad} accepted");
    }
}
