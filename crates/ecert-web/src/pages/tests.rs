use std::collections::BTreeMap;

use ecert_core::verify::Checks;
use ecert_core::{CheckName, HubId, TrustBasis};
use time::macros::datetime;

use super::*;

/// Every reason code the server emits, by check. The catalog must translate
/// each one in both languages.
const REASON_CODES: [(&str, &[&str]); 11] = [
    ("format", &["ok", "invalid_hub_id", "malformed_jws", "invalid_credential", "not_registered"]),
    ("key_known", &["ok", "unknown_key", "no_kid", "hub_key", "hub_key_unknown"]),
    (
        "signature",
        &[
            "ok",
            "bad_signature",
            "unsupported_algorithm",
            "key_algorithm_mismatch",
            "attestation_ok",
            "attestation_bad",
        ],
    ),
    ("key_valid", &["ok", "revoked", "retired", "expired", "not_yet_valid", "wrong_purpose", "hub_key_ok"]),
    ("issuer_scope", &["ok", "out_of_scope", "no_accreditation", "issuer_unknown"]),
    ("status", &["valid", "suspended", "withdrawn", "superseded", "not_yet_registered"]),
    ("validity_period", &["ok", "expired", "not_yet_valid"]),
    ("file_hash", &["original", "stamped", "mismatch", "not_given"]),
    ("agreement_coverage", &["not_given", "not_built"]),
    ("transparency_log", &["not_built"]),
    ("*", &["not_run", "earlier_failed"]),
];

const SENTINEL_REASON: &str = "<script>alert(\"sentinel-7d1\")</script>";
const NOW: OffsetDateTime = datetime!(2026-06-15 09:30 UTC);

/// `text` as the templates write it.
fn escaped(text: &str) -> String {
    let mut out = String::new();
    write_html_escaped(&mut out, text).unwrap();
    out
}

fn pages() -> Pages {
    Pages::new(Arc::new(Catalog::new().unwrap())).unwrap()
}

fn hub_id() -> HubId {
    HubId::new("UZ".parse().unwrap(), DocType::Certificate, 0x12_3456_789A)
}

/// Builds a result with one check of each outcome, including a code the
/// catalog does not know, whose English reason is the HTML sentinel.
fn mixed_result() -> VerificationResult {
    let mut checks = Checks::new();
    checks.pass(CheckName::Format, "ok", "hub ID UZ-CC syntax and check character are valid");
    checks.pass(CheckName::KeyKnown, "ok", "key thumbprint abc is registered to urn:ecert:org:UZ:CB-0042");
    checks.pass(CheckName::Signature, "ok", "ES256 signature verifies");
    checks.pass(CheckName::KeyValid, "ok", "key was active at 2026-05-01T10:00:00Z");
    checks.fail(CheckName::IssuerScope, "sentinel_code", SENTINEL_REASON);
    checks.pass(CheckName::Status, "valid", "status is valid");
    checks.pass(CheckName::ValidityPeriod, "ok", "2026-06-15 is within the validity period");
    checks.not_applicable(CheckName::FileHash, "not_given", "no file was given");
    checks.not_applicable(CheckName::AgreementCoverage, "not_given", "no verifying country was given");
    checks.not_checked(CheckName::TransparencyLog, "not_built", "the transparency log does not exist yet");
    checks.finish(Some(hub_id()), Some(TrustBasis::IssuerSignature), NOW, NOW)
}

fn all_passed_result() -> VerificationResult {
    let mut checks = Checks::new();
    for name in CheckName::ORDER {
        checks.pass(name, "ok", "ok");
    }
    checks.finish(Some(hub_id()), Some(TrustBasis::NationalSeal), NOW, NOW)
}

fn document_view() -> PublicDocumentView {
    PublicDocumentView {
        hub_id: hub_id().to_string(),
        doc_type: DocType::Certificate,
        national_number: "UZ.CB-0042.2026.001234".into(),
        issuer_name: "Example certification body".into(),
        issuer_country: "UZ".into(),
        product_name: BTreeMap::from([
            ("en".to_owned(), "Glazed ceramic tiles".to_owned()),
            ("ru".to_owned(), "Плитка керамическая глазурованная".to_owned()),
        ]),
        model: Some("GT-600".into()),
        hs_codes: vec!["690721".into(), "6907210000".into()],
        issued_at: datetime!(2026-05-01 00:00 UTC),
        valid_until: Some(datetime!(2029-04-30 23:59:59 UTC)),
        status: "valid".into(),
        superseded_by: None,
    }
}

/// Collects the first argument of every `t(…)` call in a template source.
/// Fails on a call whose first argument is not a string literal, because
/// such ids cannot be checked here.
fn template_ids(name: &str, source: &str) -> Vec<String> {
    let bytes = source.as_bytes();
    let mut ids = Vec::new();
    let mut start = 0;
    while let Some(offset) = source[start..].find("t(") {
        let at = start + offset;
        start = at + 2;
        let preceded_by_identifier = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if preceded_by_identifier {
            continue;
        }
        let rest = source[at + 2..].trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
        let Some(quote) = quote else {
            panic!("{name}: t( at byte {at} is not followed by a string literal id");
        };
        let literal = &rest[1..];
        let end = literal.find(quote).unwrap_or_else(|| panic!("{name}: unterminated id at byte {at}"));
        ids.push(literal[..end].to_owned());
    }
    ids
}

#[test]
fn template_ids_exist_in_both_languages() {
    let catalog = Catalog::new().unwrap();
    let mut seen = 0;
    for (name, source) in TEMPLATES {
        for id in template_ids(name, source) {
            seen += 1;
            for lang in Lang::ALL {
                assert!(catalog.has(lang, &id), "{name} uses {id:?}, missing in {}", lang.as_str());
            }
        }
    }
    assert!(seen > 30, "the template scanner found only {seen} ids");
}

#[test]
fn template_scanner_reads_both_quotes() {
    let ids = template_ids("inline", r#"{{ t("a-b") }} {{ t( 'c', count=2) }} {{ format(x) }} {{ not(y) }}"#);
    assert_eq!(ids, ["a-b", "c"]);
}

#[test]
fn derived_ids_exist_in_both_languages() {
    let catalog = Catalog::new().unwrap();
    let mut ids = Vec::new();
    for verdict in ["valid", "invalid", "indeterminate"] {
        ids.push(format!("verdict-{verdict}"));
        ids.push(format!("verdict-{verdict}-explanation"));
    }
    for basis in [TrustBasis::IssuerSignature, TrustBasis::NationalSeal, TrustBasis::HubAttestation] {
        ids.push(format!("trust-{}", basis.as_str()));
        ids.push(format!("trust-{}-explanation", basis.as_str()));
    }
    for outcome in [Outcome::Passed, Outcome::Failed, Outcome::NotApplicable, Outcome::NotChecked] {
        ids.push(format!("outcome-{}", outcome_code(outcome)));
    }
    for name in CheckName::ORDER {
        ids.push(format!("check-label-{}", name.as_str()));
    }
    for doc_type in [DocType::Certificate, DocType::TestReport] {
        ids.push(format!("doctype-{}", doc_type.code()));
    }
    for status in KNOWN_STATUSES {
        ids.push(format!("status-{status}"));
    }
    for country in ["UZ", "AZ", "KG", "PK", "TJ"] {
        ids.push(format!("country-{country}"));
    }
    for id in ["site-name", "page-render-failed"] {
        ids.push(id.to_owned());
    }
    for lang in Lang::ALL {
        for id in &ids {
            assert!(catalog.has(lang, id), "{id} is missing in {}", lang.as_str());
        }
    }
}

#[test]
fn every_reason_code_is_translated() {
    let pages = pages();
    for (check_name, codes) in REASON_CODES {
        let names: Vec<CheckName> = if check_name == "*" {
            CheckName::ORDER.to_vec()
        } else {
            CheckName::ORDER.into_iter().filter(|name| name.as_str() == check_name).collect()
        };
        assert!(!names.is_empty(), "{check_name} is not a check name");
        for name in names {
            for code in codes {
                let check =
                    Check { check: name, outcome: Outcome::Passed, code: (*code).to_owned(), reason: "x".into() };
                for lang in Lang::ALL {
                    assert!(
                        pages.check_reason(lang, &check).is_some(),
                        "{} {}/{code} has no translation",
                        lang.as_str(),
                        name.as_str()
                    );
                }
            }
        }
    }
}

#[test]
fn verification_shows_verdict_and_checks() {
    let pages = pages();
    let catalog = Catalog::new().unwrap();
    let result = mixed_result();
    for lang in Lang::ALL {
        let html = pages.verification(lang, &result, Some(&document_view()), "/v/UZ-CC-TEST");
        let tag = lang.as_str();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{tag}: html lang");
        assert!(html.contains(&escaped(&catalog.t(lang, "verdict-invalid", None))), "{tag}: verdict label");
        assert!(html.contains("verdict verdict-invalid"), "{tag}: verdict class");
        assert!(
            html.contains(&escaped(&catalog.t(lang, "trust-issuer_signature-explanation", None))),
            "{tag}: trust basis"
        );
        let mut position = 0;
        for check in &result.checks {
            let label = escaped(&catalog.t(lang, &format!("check-label-{}", check.check.as_str()), None));
            let found = html[position..].find(&format!("<h3>{label}</h3>"));
            let Some(offset) = found else {
                panic!("{tag}: check {} is missing or out of order", check.check.as_str());
            };
            position += offset;
            let outcome = escaped(&catalog.t(lang, &format!("outcome-{}", outcome_code(check.outcome)), None));
            assert!(html[position..].contains(&outcome), "{tag}: outcome of {}", check.check.as_str());
            if let Some(reason) = pages.check_reason(lang, check) {
                assert!(html[position..].contains(&escaped(&reason)), "{tag}: reason of {}", check.check.as_str());
            }
        }
    }
}

#[test]
fn verification_counts_use_plural_forms() {
    let html = pages().verification(Lang::Ru, &mixed_result(), None, "/v/x");
    assert!(html.contains("6 проверок пройдено"), "six passed checks");
    assert!(html.contains("1 проверка не пройдена"), "one failed check");
    assert!(html.contains("2 проверки неприменимы"), "two checks not applicable");
    assert!(html.contains("1 проверка не выполнена"), "one check not run");
}

#[test]
fn verification_escapes_check_reason() {
    let html = pages().verification(Lang::En, &mixed_result(), Some(&document_view()), "/v/x");
    assert!(html.contains("&lt;script&gt;alert(&quot;sentinel-7d1&quot;)&lt;/script&gt;"), "escaped sentinel");
    assert!(!html.contains(SENTINEL_REASON), "raw sentinel");
    assert!(!html.contains("<script"), "script element");
}

#[test]
fn untranslated_code_falls_back_to_reason() {
    let mut checks = Checks::new();
    checks.fail(CheckName::Signature, "future_code", "signature uses a curve from the future");
    let result = checks.finish(Some(hub_id()), None, NOW, NOW);
    let html = pages().verification(Lang::Ru, &result, None, "/v/x");
    assert!(html.contains("<p>signature uses a curve from the future</p>"));
}

#[test]
fn english_reason_shown_as_detail() {
    let html = pages().verification(Lang::Ru, &mixed_result(), None, "/v/x");
    assert!(html.contains("Подробности (на английском языке): <span lang=\"en\">ES256 signature verifies</span>"));
    let all_ok = pages().verification(Lang::En, &all_passed_result(), None, "/v/x");
    assert!(all_ok.contains("<span lang=\"en\">ok</span>"), "a reason that differs from the translation is kept");
}

#[test]
fn detail_omitted_when_reason_matches() {
    let pages = pages();
    let catalog = Catalog::new().unwrap();
    let mut checks = Checks::new();
    checks.pass(CheckName::Format, "ok", catalog.t(Lang::En, "check-format-ok", None));
    checks.pass(CheckName::KeyKnown, "ok", "the signing key is registered with the hub");
    let result = checks.finish(Some(hub_id()), None, NOW, NOW);
    let html = pages.verification(Lang::En, &result, None, "/v/x");
    assert!(html.contains("well formed."), "the format check is on the page");
    assert!(html.contains("This check did not run."), "the checks not run are on the page");
    assert!(!html.contains("class=\"detail\""), "a reason equal to the translation is not repeated");
}

#[test]
fn verification_shows_document_summary() {
    let mut view = document_view();
    view.status = "superseded".into();
    view.superseded_by = Some("UZ-CC-AAAA-BBBB-C".into());
    let ru = pages().verification(Lang::Ru, &all_passed_result(), Some(&view), "/v/x");
    for expected in [
        "Сертификат соответствия (CC)",
        "UZ.CB-0042.2026.001234",
        "Example certification body (Узбекистан)",
        "<dd>Плитка керамическая глазурованная</dd>",
        "GT-600",
        "690721, 6907210000",
        "<time datetime=\"2026-05-01\">01.05.2026</time>",
        "<time datetime=\"2029-04-30\">30.04.2029</time>",
        "Заменён исправленным документом",
        "href=\"/v/UZ-CC-AAAA-BBBB-C?lang=ru\"",
        "15.06.2026 09:30 UTC",
        "Национальная печать",
    ] {
        assert!(ru.contains(expected), "ru page lacks {expected:?}");
    }
    let en = pages().verification(Lang::En, &all_passed_result(), Some(&view), "/v/x");
    assert!(en.contains("<dd>Glazed ceramic tiles</dd>"));
    assert!(en.contains("<time datetime=\"2026-05-01\">2026-05-01</time>"));
    assert!(en.contains("verdict verdict-valid"));
}

#[test]
fn product_name_marks_other_language() {
    let mut view = document_view();
    view.product_name = BTreeMap::from([("ru".to_owned(), "Плитка".to_owned())]);
    let html = pages().verification(Lang::En, &all_passed_result(), Some(&view), "/v/x");
    assert!(html.contains("<dd lang=\"ru\">Плитка</dd>"));
}

#[test]
fn verification_has_no_applicant() {
    for lang in Lang::ALL {
        let html = pages().verification(lang, &mixed_result(), Some(&document_view()), "/v/x").to_lowercase();
        for word in ["applicant", "заявител", "issuedtoparty", "e-mail", "телефон"] {
            assert!(!html.contains(word), "{} page mentions {word:?}", lang.as_str());
        }
    }
}

#[test]
fn verification_without_document_or_trust() {
    let mut checks = Checks::new();
    checks.fail(CheckName::Format, "invalid_hub_id", "check character mismatch");
    let result = checks.finish(None, None, NOW, NOW);
    let html = pages().verification(Lang::En, &result, None, "/v/bad");
    assert!(html.contains("No trust basis was established"));
    assert!(!html.contains("id=\"document-heading\""));
    assert!(html.contains("This is not a valid hub ID."));
    assert!(html.contains("This check did not run."), "skipped checks use the any-check message");
}

#[test]
fn verification_indeterminate_verdict() {
    let mut checks = Checks::new();
    checks.pass(CheckName::Format, "ok", "ok");
    let result = checks.finish(Some(hub_id()), Some(TrustBasis::HubAttestation), NOW, NOW);
    let html = pages().verification(Lang::Ru, &result, None, "/v/x");
    assert!(html.contains("verdict verdict-indeterminate"));
    assert!(html.contains("<span class=\"mark\" aria-hidden=\"true\">?</span> Не определено"));
    assert!(html.contains("Заверение хаба"));
}

#[test]
fn language_links_on_every_page() {
    let pages = pages();
    let verification = pages.verification(Lang::En, &mixed_result(), None, "/v/UZ-CC-TEST?lang=en#x");
    assert!(verification.contains("href=\"/v/UZ-CC-TEST?lang=ru\""));
    assert!(verification.contains("href=\"/v/UZ-CC-TEST?lang=en\""));
    let unknown = pages.verification(Lang::En, &mixed_result(), None, "/v?id=UZ-CC-BAD");
    assert!(unknown.contains("href=\"/v?id=UZ-CC-BAD&amp;lang=ru\""), "the id survives a language switch");
    let lookup = pages.lookup_form(Lang::Ru, None);
    assert!(lookup.contains("href=\"/v?lang=en\""));
    assert!(lookup.contains("href=\"/v?lang=ru\""));
    let not_found = pages.not_found(Lang::En, "UZ-CC", "not registered");
    assert!(not_found.contains("href=\"?lang=ru\""));
    assert!(not_found.contains("href=\"?lang=en\""));
}

#[test]
fn page_path_cannot_leave_site() {
    let cases = [
        ("/v/UZ-CC-7Q3K-9XMP-H", "/v/UZ-CC-7Q3K-9XMP-H"),
        ("//evil.example/v", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        ("/v/a b\"<>", "/v/a%20b%22%3C%3E"),
        ("/v/\t/x", "/v/%09/x"),
        ("/v/Плитка", "/v/%D0%9F%D0%BB%D0%B8%D1%82%D0%BA%D0%B0"),
    ];
    for (input, expected) in cases {
        assert_eq!(local_path(input), expected, "input {input:?}");
    }
}

#[test]
fn language_link_keeps_query() {
    let cases = [
        ("/v/UZ-CC-7Q3K-9XMP-H", "/v/UZ-CC-7Q3K-9XMP-H?lang=ru"),
        ("/v/x?lang=en", "/v/x?lang=ru"),
        ("/v?id=UZ-CC-BAD", "/v?id=UZ-CC-BAD&lang=ru"),
        ("/v?lang=en&id=UZ%2DCC&as_of=2026-01-01#top", "/v?id=UZ%2DCC&as_of=2026-01-01&lang=ru"),
        ("/v?id=a\"b<c>&&", "/v?id=a%22b%3Cc%3E&lang=ru"),
        ("/v?id=a#b&lang=en", "/v?id=a&lang=ru"),
        ("//evil.example?id=1", "/?id=1&lang=ru"),
    ];
    for (input, expected) in cases {
        assert_eq!(language_link(input, Lang::Ru), expected, "input {input:?}");
    }
}

#[test]
fn not_found_escapes_and_truncates_input() {
    let pages = pages();
    let html = pages.not_found(Lang::En, "<b>UZ</b>", "No document with this hub ID is registered.");
    assert!(html.contains("&lt;b&gt;UZ&lt;/b&gt;"));
    assert!(!html.contains("<b>UZ"));
    assert!(html.contains("No document with this hub ID is registered."));
    assert!(html.contains("name=\"id\" value=\"&lt;b&gt;UZ&lt;/b&gt;\""));

    let long = "X".repeat(500);
    let html = pages.not_found(Lang::Ru, &long, "invalid");
    assert!(html.contains(&format!("{}…", "X".repeat(MAX_ECHO_CHARS))));
    assert!(!html.contains(&"X".repeat(MAX_ECHO_CHARS + 1)));
    assert!(html.contains("name=\"id\" value=\"\""), "text longer than the input allows is not prefilled");
    assert!(
        TEMPLATES[1].1.contains(&format!("maxlength=\"{MAX_INPUT_CHARS}\"")),
        "MAX_INPUT_CHARS matches the template"
    );
    assert!(html.contains("Документ не найден"));
}

#[test]
fn lookup_form_is_accessible() {
    let html = pages().lookup_form(Lang::Ru, None);
    assert!(html.contains("<form class=\"lookup\" method=\"get\" action=\"/v\">"));
    assert!(html.contains("<label for=\"hub-id\">Идентификатор хаба</label>"));
    assert!(html.contains("id=\"hub-id\" name=\"id\""));
    assert!(html.contains("<input type=\"hidden\" name=\"lang\" value=\"ru\">"));
    assert!(html.contains("<button type=\"submit\">Проверить</button>"));
    assert!(!html.contains("aria-invalid"));
}

#[test]
fn lookup_form_shows_error() {
    let html = pages().lookup_form(Lang::En, Some("Enter a hub ID such as <UZ-CC-7Q3K-9XMP-H>."));
    assert!(html.contains("Error: Enter a hub ID such as &lt;UZ-CC-7Q3K-9XMP-H&gt;."));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("aria-describedby=\"hub-id-hint hub-id-error\""));
}

#[test]
fn pages_are_light_and_self_contained() {
    let pages = pages();
    let rendered = [
        pages.verification(Lang::Ru, &mixed_result(), Some(&document_view()), "/v/x"),
        pages.verification(Lang::En, &all_passed_result(), Some(&document_view()), "/v/x"),
        pages.not_found(Lang::Ru, "UZ-CC-0000-0000-0", "not registered"),
        pages.lookup_form(Lang::En, Some("missing")),
    ];
    for html in rendered {
        assert!(html.len() < 100 * 1024, "page is {} bytes", html.len());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/hub.css\">"));
        assert!(!html.contains("<script"), "page has a script element");
        assert!(!html.contains("style="), "page has an inline style");
        assert!(!html.contains("<style"), "page has a style element");
        assert!(!html.contains("http://"), "page links another origin");
        assert!(!html.contains("https://"), "page links another origin");
        assert!(html.contains("<main id=\"main\""));
        assert!(!html.contains("page could not be displayed"), "template fell back");
    }
}

#[test]
fn render_failure_returns_fallback_page() {
    let html = pages().render(Lang::Ru, "verification.html", context! { lang => "ru" });
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("Не удалось показать эту страницу."));
}

#[test]
fn pages_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pages>();
}

/// Parses `--name: #rrggbb;` custom properties of the stylesheet.
fn css_colours() -> BTreeMap<String, [u8; 3]> {
    let mut colours = BTreeMap::new();
    for line in STYLESHEET.lines() {
        let line = line.trim();
        let Some((name, value)) = line.strip_prefix("--").and_then(|rest| rest.split_once(':')) else {
            continue;
        };
        let hex = value.trim().trim_end_matches(';').trim_start_matches('#');
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
        colours.insert(name.to_owned(), [channel(0), channel(2), channel(4)]);
    }
    colours
}

/// WCAG 2.2 contrast ratio of two sRGB colours.
fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let luminance = |rgb: [u8; 3]| {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn stylesheet_text_contrast_meets_aa() {
    let colours = css_colours();
    let pairs = [
        ("text", "background"),
        ("text", "panel"),
        ("muted", "background"),
        ("muted", "panel"),
        ("link", "background"),
        ("link", "panel"),
        ("valid-text", "valid-background"),
        ("valid-text", "panel"),
        ("invalid-text", "invalid-background"),
        ("invalid-text", "panel"),
        ("invalid-text", "background"),
        ("indeterminate-text", "indeterminate-background"),
        ("indeterminate-text", "panel"),
        ("neutral-text", "panel"),
        ("focus", "background"),
    ];
    for (text, background) in pairs {
        let ratio = contrast_ratio(colours[text], colours[background]);
        assert!(ratio >= 4.5, "--{text} on --{background} has contrast {ratio:.2}, below 4.5");
    }
}
