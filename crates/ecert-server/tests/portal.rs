//! The web portal over real HTTP: login, sessions, CSRF, login delays,
//! registering an attested document with its PDF, stamping, verification
//! by hub ID, PDF and QR photo, administration, and the same rules and
//! events as the API.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{TestApp, World, one_page_pdf, spawn_app, spawn_app_with, world};
use ecert_core::party::{AccreditationStandard, DataPolicy, OrgKind, Role, Track};
use ecert_server::Principal;
use ecert_store::Country;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};

const PASSWORD: &str = "correct horse battery staple";

/// A browser without JavaScript: keeps cookies, follows no redirects by itself.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    lang: &'static str,
}

/// A page as the browser received it.
struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Returns the value of the hidden `csrf` input.
    fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).unwrap_or_else(|| panic!("no csrf input in:\n{}", self.body)) + marker.len();
        self.body[start..].split('"').next().unwrap_or("").to_owned()
    }

    fn assert_healthy(&self) {
        assert!(!self.body.contains("<script"), "a portal page carries a script");
        assert!(self.body.len() < 100 * 1024, "page of {} bytes", self.body.len());
        for failed in ["This page could not be displayed", "Не удалось показать эту страницу"] {
            assert!(!self.body.contains(failed), "the template failed to render:\n{}", self.body);
        }
    }
}

impl Browser {
    fn new(app: &TestApp, lang: &'static str) -> Browser {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { client, base: app.base.clone(), cookies: BTreeMap::new(), lang }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = request.header(ACCEPT_LANGUAGE, self.lang).header(COOKIE, self.cookie_header());
        let response = request.send().await.expect("request");
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("cookie text");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Page { status, headers, body }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.client.post(format!("{}{path}", self.base)).form(fields);
        self.send(request).await
    }

    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let request = self.client.post(format!("{}{path}", self.base)).multipart(form);
        self.send(request).await
    }

    /// Logs in through the form and returns the response page.
    async fn try_login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/portal/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post_form("/portal/login", &[("username", username), ("password", password), ("csrf", &csrf), ("next", "/portal")]).await
    }

    async fn login(&mut self, username: &str, password: &str) {
        let page = self.try_login(username, password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "login of {username} failed:\n{}", page.body);
        assert_eq!(page.location(), "/portal");
    }
}

/// Creates a KG certification body without a signing key, as KG CABs are today.
async fn keyless_cab(app: &TestApp) -> ecert_store::Organisation {
    let system = Principal::System;
    let org = app
        .hub
        .create_organisation(system, Some("KG".parse().unwrap()), OrgKind::CertificationBody, "KG-CB-1".into(), "Орган по сертификации №1".into())
        .await
        .expect("KG CAB");
    let accreditation = ecert_core::party::Accreditation {
        standard: AccreditationStandard::Iso17065,
        body: "Kyrgyz accreditation centre".into(),
        ilac_iaf_signatory: true,
        designated_types: vec![],
        hs_prefixes: vec!["6907".into()],
        standards: vec![],
        valid_from: time::macros::datetime!(2024-01-01 0:00 UTC),
        valid_until: None,
        status_history: vec![],
    };
    app.hub.add_accreditation(system, org.id, accreditation).await.expect("accreditation");
    org
}

async fn add_user(app: &TestApp, org_id: uuid::Uuid, username: &str, role: Role) {
    app.hub
        .create_user(Principal::System, org_id, username.into(), format!("User {username}"), PASSWORD.into(), vec![role])
        .await
        .expect("user");
}

async fn org_by_number(app: &TestApp, country: &str, number: &str) -> ecert_store::Organisation {
    app.hub.store.find_organisation(Some(country.parse().unwrap()), number).await.unwrap().expect("organisation")
}

/// Returns the register form's fields for a CoC of the KG CAB.
fn coc_fields(number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("doc_type", "CC".into()),
        ("national_number", number.into()),
        ("issued_at", "2026-05-01".into()),
        ("valid_until", "2029-04-30".into()),
        ("applicant_name", "ОсОО «Керамика»".into()),
        ("applicant_id", "01234567890123".into()),
        ("applicant_country", "KG".into()),
        ("manufacturer_name", "ОсОО «Керамика»".into()),
        ("manufacturer_country", "kg".into()),
        ("product_name_ru", "Плитка керамическая глазурованная".into()),
        ("product_name_en", "".into()),
        ("model", "ПК-600".into()),
        ("hs_edition", "HS2022".into()),
        ("hs_codes", "690721 6907210000".into()),
        ("standards", "ГОСТ 13996-2019\nГОСТ 27180-2019".into()),
        ("regulations", "ТР ТС 010/2011".into()),
        ("test_reports", "".into()),
        ("test_results", "Образцы соответствуют требованиям.".into()),
        ("conformance", "yes".into()),
    ]
}

fn multipart(fields: &[(&'static str, String)], csrf: &str, pdf: Option<Vec<u8>>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf.to_owned());
    for (name, value) in fields {
        form = form.text(*name, value.clone());
    }
    if let Some(pdf) = pdf {
        let part = reqwest::multipart::Part::bytes(pdf).file_name("certificate.pdf").mime_str("application/pdf").unwrap();
        form = form.part("pdf", part);
    }
    form
}

async fn setup() -> (TestApp, World) {
    let app = spawn_app().await;
    let w = world(&app.hub).await;
    (app, w)
}

#[tokio::test]
async fn login_page_in_both_languages_with_security_headers() {
    let (app, _w) = setup().await;
    for (lang, heading) in [("en", "Log in to the portal"), ("ru", "Вход в портал")] {
        let mut browser = Browser::new(&app, lang);
        let page = browser.get("/portal/login").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(heading), "{lang}: {}", page.body);
        assert!(page.body.contains(&format!(r#"<html lang="{lang}">"#)));
        page.assert_healthy();
        let csp = page.headers.get(CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "{csp}");
        let cookie = page.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(cookie.starts_with("__Host-ecert_login="), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} missing in {cookie}");
        }
    }
    // The switch links keep the return path and change the language.
    let mut browser = Browser::new(&app, "en");
    let page = browser.get("/portal/login?lang=ru&next=/portal/verify").await;
    assert!(page.body.contains("Вход в портал"));
    assert!(page.body.contains(r#"href="/portal/login?lang=en&amp;next=%2Fportal%2Fverify""#), "{}", page.body);
}

#[tokio::test]
async fn login_and_logout_with_server_side_sessions() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut browser = Browser::new(&app, "en");

    // Not logged in: sent to the login page, which returns to the page asked for.
    let page = browser.get("/portal/documents?status=valid").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/portal/login?next=%2Fportal%2Fdocuments%3Fstatus%3Dvalid");

    let page = browser.try_login("uz.admin", "wrong password here").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("Wrong user name or password."));
    assert!(!browser.cookies.contains_key("__Host-ecert_session"));

    let page = browser.try_login("uz.admin", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let session_cookie = page.headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("__Host-ecert_session=")).expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session_cookie.contains(flag), "{flag} missing in {session_cookie}");
    }
    let secret = browser.cookies["__Host-ecert_session"].clone();
    // The database keeps only the hash of the cookie secret.
    let hash = ecert_store::blob::sha256_hex(secret.as_bytes());
    assert!(app.hub.store.get_session(&hash).await.unwrap().is_some());
    assert!(app.hub.store.get_session(&secret).await.unwrap().is_none());

    let home = browser.get("/portal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Welcome, User uz.admin"));
    home.assert_healthy();

    // Logout needs the session's CSRF token.
    let refused = browser.post_form("/portal/logout", &[("csrf", "forged")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.hub.store.get_session(&hash).await.unwrap().is_some());
    let page = browser.post_form("/portal/logout", &[("csrf", &home.csrf())]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("You have logged out."));
    assert!(app.hub.store.get_session(&hash).await.unwrap().is_none());

    // The old cookie no longer opens anything.
    browser.cookies.insert("__Host-ecert_session".into(), secret);
    assert_eq!(browser.get("/portal").await.status, StatusCode::SEE_OTHER);

    // Login and logout are in the country's event log, without the user name.
    let events = app.hub.store.list_events(Some("UZ".parse().unwrap()), 0, 500).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["user.login_failed", "user.logged_in", "user.logged_out"] {
        assert!(kinds.contains(&kind), "{kind} missing in {kinds:?}");
    }
    assert!(events.iter().all(|e| !e.subject.contains("uz.admin") && !e.data.to_string().contains("uz.admin")));
}

#[tokio::test]
async fn login_form_without_its_token_is_refused() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut browser = Browser::new(&app, "ru");
    let page = browser.post_form("/portal/login", &[("username", "uz.admin"), ("password", PASSWORD), ("csrf", "guess")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Форма входа устарела"));
    assert!(!browser.cookies.contains_key("__Host-ecert_session"));
}

#[tokio::test]
async fn login_delays_spare_known_browser() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;

    // The owner has logged in from this browser before.
    let mut owner = Browser::new(&app, "en");
    owner.login("uz.admin", PASSWORD).await;
    assert!(owner.cookies.contains_key("__Host-ecert_device"));
    owner.cookies.remove("__Host-ecert_session");

    // A guesser gets three free tries, then must wait before each try.
    let mut guesser = Browser::new(&app, "en");
    for attempt in 1..=4 {
        let page = guesser.try_login("uz.admin", &format!("guess number {attempt}")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let page = guesser.try_login("uz.admin", "guess number 5").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many wrong passwords. Wait 1 s"), "{}", page.body);
    // Even the right password waits in an unknown browser.
    let page = guesser.try_login("uz.admin", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);

    // The owner's browser is not slowed down.
    owner.login("uz.admin", PASSWORD).await;

    // After the wait, the right password works from anywhere, and the
    // next wrong password waits twice as long.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let page = guesser.try_login("uz.admin", "guess number 6").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let page = guesser.try_login("uz.admin", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Wait 2 s"), "{}", page.body);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    guesser.login("uz.admin", PASSWORD).await;
}

#[tokio::test]
async fn unknown_user_names_count_towards_the_address() {
    let app = spawn_app_with(|config| config.portal.address_free_failures = 2).await;
    let mut guesser = Browser::new(&app, "en");
    for name in ["nobody1", "nobody2", "nobody3"] {
        let page = guesser.try_login(name, "whatever password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{name}");
    }
    let page = guesser.try_login("nobody4", "whatever password").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
}

/// Registers a CoC through the portal, in Russian, as the KG CAB without a
/// key, and returns its hub ID and the browser.
async fn register_keyless_coc(app: &TestApp, number: &str, pdf: &[u8]) -> (ecert_core::HubId, Browser) {
    let cab = keyless_cab(app).await;
    add_user(app, cab.id, "kg.cab", Role::CabIssuer).await;
    let mut browser = Browser::new(app, "ru");
    browser.login("kg.cab", PASSWORD).await;
    let form = browser.get("/portal/documents/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Регистрация сертификата или протокола испытаний"));
    form.assert_healthy();
    let page = browser.post_multipart("/portal/documents", multipart(&coc_fields(number), &form.csrf(), Some(pdf.to_vec()))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().to_owned();
    assert!(location.ends_with("?registered=new"), "{location}");
    let hub_id: ecert_core::HubId = location.trim_start_matches("/portal/documents/").split('?').next().unwrap().parse().unwrap();
    (hub_id, browser)
}

async fn kg_country(app: &TestApp, track: Track) {
    let country = Country { code: "KG".parse().unwrap(), name: "Kyrgyzstan".into(), track, data_policy: DataPolicy::Full };
    app.hub.upsert_country(Principal::System, country).await.unwrap();
}

#[tokio::test]
async fn keyless_cab_gets_stamped_pdf() {
    let (app, _w) = setup().await;
    let pdf = one_page_pdf("KG-2026-0001");
    let (hub_id, mut browser) = register_keyless_coc(&app, "KG.CB.2026.0001", &pdf).await;
    assert_eq!(hub_id.country().as_str(), "KG");

    let page = browser.get(&format!("/portal/documents/{hub_id}?registered=new")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_healthy();
    for text in ["Документ зарегистрирован.", "Плитка керамическая глазурованная", "690721 (HS2022, 6907210000)", "ТР ТС 010/2011", "Заверение хаба"] {
        assert!(page.body.contains(text), "{text} missing:\n{}", page.body);
    }

    // What the portal registered, the API shows, with the same facts.
    let api: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/documents/{hub_id}", app.base))
        .bearer_auth(common_token(&app).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["trust_basis"], "hub_attestation", "{api}");
    assert_eq!(api["national_number"], "KG.CB.2026.0001");
    assert_eq!(api["file_sha256"], ecert_store::blob::sha256_hex(&pdf));
    let stamped_sha = api["stamped_sha256"].as_str().expect("the stamped copy is recorded at registration").to_owned();

    // The stamped copy: the original bytes, then an update with the stamp.
    let download = browser.client.get(format!("{}/portal/documents/{hub_id}/stamped.pdf", app.base)).header(COOKIE, browser.cookie_header()).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let stamped = download.bytes().await.unwrap().to_vec();
    assert!(stamped.starts_with(&pdf), "the stamped copy keeps the original bytes");
    assert!(stamped.len() > pdf.len(), "the stamp is appended");
    assert_eq!(ecert_store::blob::sha256_hex(&stamped), stamped_sha);

    // Either copy verifies by its file.
    for file in [&pdf, &stamped] {
        let result: serde_json::Value = app
            .client
            .post(format!("{}/api/v1/verify", app.base))
            .json(&serde_json::json!({ "pdf_base64": base64_encode(file) }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(result["verdict"], "valid", "{result}");
        assert_eq!(result["hub_id"], hub_id.to_string());
    }

    // The same events as the API writes.
    let events = app.hub.store.list_events(Some("KG".parse().unwrap()), 0, 500).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"document.registered"), "{kinds:?}");
    assert!(kinds.contains(&"document.file_stamped"), "{kinds:?}");
    let cab = org_by_number(&app, "KG", "KG-CB-1").await;
    assert!(events.iter().filter(|e| e.kind.as_str().starts_with("document.")).all(|e| e.actor_org_id == Some(cab.id)));

    // The printable label carries the QR code and the hub ID.
    let label = browser.get(&format!("/portal/documents/{hub_id}/label")).await;
    assert_eq!(label.status, StatusCode::OK);
    assert_has(&label.body, &["data:image/png;base64,", &hub_id.to_string()]);
    label.assert_healthy();
}

/// Asserts that `body` contains each of `parts`, naming the first missing one.
fn assert_has(body: &str, parts: &[&str]) {
    for part in parts {
        assert!(body.contains(part), "{part:?} missing in:\n{body}");
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Issues a token of a UZ customs organisation, for reads through the API.
async fn common_token(app: &TestApp) -> String {
    let org = match app.hub.store.find_organisation(Some("UZ".parse().unwrap()), "CUSTOMS-API").await.unwrap() {
        Some(org) => org,
        None => app
            .hub
            .create_organisation(Principal::System, Some("UZ".parse().unwrap()), OrgKind::Customs, "CUSTOMS-API".into(), "Customs".into())
            .await
            .unwrap(),
    };
    app.hub.create_token(Principal::System, org.id, vec![Role::CustomsOfficer], "read".into()).await.unwrap().1
}

#[tokio::test]
async fn form_errors_beside_fields() {
    let (app, _w) = setup().await;
    let cab = keyless_cab(&app).await;
    add_user(&app, cab.id, "kg.cab", Role::CabIssuer).await;
    let mut browser = Browser::new(&app, "ru");
    browser.login("kg.cab", PASSWORD).await;
    let form = browser.get("/portal/documents/new").await;
    let mut fields = coc_fields("KG.CB.2026.0002");
    for (name, value) in fields.iter_mut() {
        match *name {
            "applicant_name" | "product_name_ru" => value.clear(),
            "hs_codes" => *value = "6907".into(),
            "valid_until" => *value = "2020-01-01".into(),
            _ => {}
        }
    }
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), None)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_healthy();
    for (field, message) in [
        ("applicant_name", "Заполните это поле."),
        ("product_name_ru", "Введите наименование продукции на русском или английском."),
        ("hs_codes", "«6907» — не код ТН ВЭД / ГС"),
        ("valid_until", "Окончание срока действия раньше даты выдачи."),
        ("pdf", "Приложите PDF документа"),
    ] {
        let error = format!(r#"id="f-{field}-error">{}"#, escape(message));
        assert!(page.body.contains(&error), "{field}: {error} missing:\n{}", page.body);
        assert!(page.body.contains(&format!(r##"href="#f-{field}""##)), "{field} not in the summary");
    }
    // The entered values stay in the form.
    assert_has(&page.body, &["KG.CB.2026.0002", "ГОСТ 27180-2019"]);
    let stored = app.hub.store.find_documents_by_number(cab.id, "KG.CB.2026.0002").await.unwrap();
    assert!(stored.is_empty());

    // A file that is not a PDF.
    let fields = coc_fields("KG.CB.2026.0003");
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(b"GIF89a not a pdf".to_vec()))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Этот файл не является PDF."));

    // A forged CSRF token stores nothing either.
    let page = browser.post_multipart("/portal/documents", multipart(&fields, "forged", Some(one_page_pdf("x")))).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.hub.store.find_documents_by_number(cab.id, "KG.CB.2026.0003").await.unwrap().is_empty());
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[tokio::test]
async fn track_c_country_writes_through_the_portal_only() {
    let (app, _w) = setup().await;
    kg_country(&app, Track::C).await;
    let pdf = one_page_pdf("track C");
    let (hub_id, _browser) = register_keyless_coc(&app, "KG.CB.2026.0009", &pdf).await;
    assert_eq!(app.hub.document(hub_id).await.unwrap().national_number, "KG.CB.2026.0009");

    // The same CAB's API token is refused, naming the track.
    let cab = org_by_number(&app, "KG", "KG-CB-1").await;
    let (_, token) = app.hub.create_token(Principal::System, cab.id, vec![Role::CabIssuer], "api".into()).await.unwrap();
    let response = app
        .client
        .post(format!("{}/api/v1/documents/{hub_id}/status", app.base))
        .bearer_auth(token)
        .json(&serde_json::json!({"action": "suspend", "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "track_c_portal_only");
}

#[tokio::test]
async fn status_change_with_reason_and_history() {
    let (app, _w) = setup().await;
    let (hub_id, mut browser) = register_keyless_coc(&app, "KG.CB.2026.0004", &one_page_pdf("status")).await;
    let page = browser.get(&format!("/portal/documents/{hub_id}")).await;
    let csrf = page.csrf();
    let path = format!("/portal/documents/{hub_id}/status");

    let refused = browser.post_form(&path, &[("csrf", &csrf), ("action", "suspend"), ("reason", "  ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(r#"id="f-reason-error">Заполните это поле.</p>"#), "{}", refused.body);

    let done = browser.post_form(&path, &[("csrf", &csrf), ("action", "suspend"), ("reason", "Инспекционный контроль")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = browser.get(done.location()).await;
    assert_has(&page.body, &["Статус изменён.", "Инспекционный контроль", "Действие приостановлено"]);
    assert_eq!(app.hub.document(hub_id).await.unwrap().status.as_str(), "suspended");

    // A transition the status rules forbid is refused with the rule's reason.
    let again = browser.post_form(&path, &[("csrf", &csrf), ("action", "suspend"), ("reason", "twice")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("Такая смена статуса невозможна"));
}

#[tokio::test]
async fn roles_and_countries_are_enforced_in_the_portal() {
    let (app, w) = setup().await;
    let (hub_id, _kg) = register_keyless_coc(&app, "KG.CB.2026.0005", &one_page_pdf("rules")).await;
    let customs = app
        .hub
        .create_organisation(Principal::System, Some("UZ".parse().unwrap()), OrgKind::Customs, "CUSTOMS-UZ".into(), "UZ customs".into())
        .await
        .unwrap();
    add_user(&app, customs.id, "uz.customs", Role::CustomsOfficer).await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;

    // A customs officer registers nothing and changes no status.
    let mut officer = Browser::new(&app, "en");
    officer.login("uz.customs", PASSWORD).await;
    let page = officer.get("/portal/documents/new").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let csrf = officer.get("/portal").await.csrf();
    let page = officer.post_form(&format!("/portal/documents/{hub_id}/status"), &[("csrf", &csrf), ("action", "withdraw"), ("reason", "no")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(!officer.get("/portal").await.body.contains("/portal/admin/organisations"));

    // A UZ national admin cannot change a KG document or see KG's organisations.
    let mut admin = Browser::new(&app, "en");
    admin.login("uz.admin", PASSWORD).await;
    let csrf = admin.get("/portal").await.csrf();
    let page = admin.post_form(&format!("/portal/documents/{hub_id}/status"), &[("csrf", &csrf), ("action", "withdraw"), ("reason", "no")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let kg_cab = org_by_number(&app, "KG", "KG-CB-1").await;
    let page = admin.get(&format!("/portal/admin/organisations/{}", kg_cab.id)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = admin.post_form(&format!("/portal/admin/organisations/{}/users", kg_cab.id), &[("csrf", &csrf), ("user_username", "intruder"), ("user_display_name", "X"), ("user_password", PASSWORD), ("role_cab_issuer", "on")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.hub.store.find_user("intruder").await.unwrap().is_none());
    assert_eq!(app.hub.document(hub_id).await.unwrap().status.as_str(), "valid");
}

#[tokio::test]
async fn customs_verifies_id_pdf_photo() {
    let (app, _w) = setup().await;
    let pdf = one_page_pdf("verify");
    let (hub_id, _cab) = register_keyless_coc(&app, "KG.CB.2026.0006", &pdf).await;
    let customs = app
        .hub
        .create_organisation(Principal::System, Some("UZ".parse().unwrap()), OrgKind::Customs, "CUSTOMS-UZ".into(), "UZ customs".into())
        .await
        .unwrap();
    add_user(&app, customs.id, "uz.customs", Role::CustomsOfficer).await;
    let mut officer = Browser::new(&app, "ru");
    officer.login("uz.customs", PASSWORD).await;

    let page = officer.get(&format!("/portal/verify?id={}", hub_id.to_string().to_lowercase())).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_healthy();
    assert_has(&page.body, &["verdict-valid", "Заверение хаба"]);
    assert!(page.body.matches("class=\"check outcome-").count() >= 6, "every check is listed");

    let csrf = page.csrf();
    let pdf_form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part("pdf", reqwest::multipart::Part::bytes(pdf.clone()).file_name("doc.pdf"));
    let page = officer.post_multipart("/portal/verify", pdf_form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_has(&page.body, &["verdict-valid", &hub_id.to_string()]);

    // A photo of the QR code: the hub's own QR image, scaled up in a
    // larger grey picture, as a phone would take it.
    let qr = ecert_web::qr_png(&app.hub.public_url(hub_id), 4).unwrap();
    let photo = photo_of(&qr);
    let photo_form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part("photo", reqwest::multipart::Part::bytes(photo).file_name("photo.png"));
    let page = officer.post_multipart("/portal/verify", photo_form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_has(&page.body, &["В QR-коде на фотографии записано:", &app.hub.public_url(hub_id)]);
    assert!(page.body.contains("verdict-valid"));

    // A photo without a code, and a code of another site.
    let blank = photo_of(&ecert_web::qr_png("https://example.org/elsewhere", 4).unwrap());
    let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).part("photo", reqwest::multipart::Part::bytes(blank).file_name("p.png"));
    let page = officer.post_multipart("/portal/verify", form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("не ведёт к документу этого хаба"));
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part("photo", reqwest::multipart::Part::bytes(b"not an image".to_vec()).file_name("p.png"));
    let page = officer.post_multipart("/portal/verify", form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("не удалось прочитать QR-код"));
}

/// Puts a QR image, enlarged three times, on a grey background with noise,
/// and encodes it as PNG.
fn photo_of(qr_png: &[u8]) -> Vec<u8> {
    let qr = image::load_from_memory(qr_png).unwrap().to_luma8();
    let scale = 3;
    let (w, h) = (qr.width() * scale + 200, qr.height() * scale + 160);
    let mut photo = image::GrayImage::from_fn(w, h, |x, y| image::Luma([170 + ((x * 7 + y * 13) % 23) as u8]));
    for y in 0..qr.height() * scale {
        for x in 0..qr.width() * scale {
            let value = qr.get_pixel(x / scale, y / scale)[0];
            photo.put_pixel(x + 100, y + 80, image::Luma([if value < 128 { 30 } else { 235 }]));
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn national_admin_manages_organisations_users_and_tokens() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut admin = Browser::new(&app, "en");
    admin.login("uz.admin", PASSWORD).await;
    let page = admin.get("/portal/admin/organisations").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_healthy();
    let csrf = page.csrf();

    // A new CAB.
    let page = admin.post_form("/portal/admin/organisations", &[("csrf", &csrf), ("kind", "testing_laboratory"), ("registration_number", "UZ-LAB-77"), ("name", "Laboratory 77")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let org_path = page.location().split('?').next().unwrap().to_owned();
    let lab = org_by_number(&app, "UZ", "UZ-LAB-77").await;
    assert_eq!(lab.country.unwrap().as_str(), "UZ");

    // A bad registration number is shown next to its field.
    let page = admin.post_form("/portal/admin/organisations", &[("csrf", &csrf), ("kind", "testing_laboratory"), ("registration_number", "bad number!"), ("name", "X")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="f-registration_number-error""#), "{}", page.body);

    // Accreditation, user and token for it.
    let page = admin.post_form(&format!("{org_path}/accreditations"), &[("csrf", &csrf), ("acc_standard", "ISO/IEC 17025"), ("acc_body", "UZ accreditation centre"), ("acc_hs_prefixes", "6907, 8516"), ("acc_valid_from", "2025-01-01")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.hub.store.list_accreditations(lab.id).await.unwrap()[0].accreditation.hs_prefixes, ["6907", "8516"]);

    let page = admin.post_form(&format!("{org_path}/users"), &[("csrf", &csrf), ("user_username", "uz.lab"), ("user_display_name", "Lab issuer"), ("user_password", "short"), ("role_cab_issuer", "on")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="f-user_password-error""#), "{}", page.body);
    let page = admin.post_form(&format!("{org_path}/users"), &[("csrf", &csrf), ("user_username", "uz.lab"), ("user_display_name", "Lab issuer"), ("user_password", PASSWORD), ("role_cab_issuer", "on")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let mut lab_user = Browser::new(&app, "en");
    lab_user.login("uz.lab", PASSWORD).await;

    let page = admin.post_form(&format!("{org_path}/tokens"), &[("csrf", &csrf), ("token_label", "LIMS"), ("role_cab_issuer", "on")]).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let secret = page.body.split(r#"<code id="token-secret">"#).nth(1).unwrap().split('<').next().unwrap().to_owned();
    let response = app.client.get(format!("{}/api/v1/organisations/{}", app.base, lab.id)).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the token issued in the portal works on the API");

    // Disabling the user ends its session.
    let user = app.hub.store.find_user("uz.lab").await.unwrap().unwrap();
    let page = admin.post_form(&format!("/portal/admin/users/{}/status", user.id), &[("csrf", &csrf), ("to", "disabled")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(lab_user.get("/portal").await.status, StatusCode::SEE_OTHER);
    assert_eq!(lab_user.try_login("uz.lab", PASSWORD).await.status, StatusCode::UNAUTHORIZED);

    // The event log page lists the country's events.
    let page = admin.get("/portal/admin/events").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_healthy();
    for kind in ["organisation.created", "accreditation.added", "user.created", "token.created", "user.disabled"] {
        assert!(page.body.contains(&format!("<code>{kind}</code>")), "{kind} missing");
    }
}

#[tokio::test]
async fn operator_manages_countries_and_language_choice_is_kept() {
    let (app, _w) = setup().await;
    let operator = org_by_number_hub(&app).await;
    add_user(&app, operator.id, "operator", Role::HubOperator).await;
    let mut browser = Browser::new(&app, "en");
    browser.login("operator", PASSWORD).await;
    let page = browser.get("/portal/admin/countries").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let page = browser.post_form("/portal/admin/countries", &[("csrf", &csrf), ("code", "tj"), ("name", "Tajikistan"), ("track", "C"), ("data_policy", "metadata_only")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let tj = app.hub.country("TJ".parse().unwrap()).await.unwrap();
    assert_eq!((tj.track, tj.data_policy), (Track::C, DataPolicy::MetadataOnly));

    // The language switch is stored in the profile and wins over Accept-Language.
    let page = browser.post_form("/portal/language", &[("csrf", &csrf), ("lang", "ru"), ("next", "/portal/admin/countries?lang=en")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/portal/admin/countries");
    let page = browser.get("/portal/admin/countries").await;
    assert_has(&page.body, &["Страны-участницы", "C: только портал", "Только метаданные"]);
    assert!(!page.body.contains("track-"), "an untranslated id is shown:\n{}", page.body);
    assert!(!page.body.contains("datapolicy-"), "an untranslated id is shown:\n{}", page.body);
    // An off-site return path is not followed.
    let page = browser.post_form("/portal/language", &[("csrf", &csrf), ("lang", "en"), ("next", "https://evil.example/")]).await;
    assert_eq!(page.location(), "/portal");
}

async fn org_by_number_hub(app: &TestApp) -> ecert_store::Organisation {
    app.hub.store.find_organisation(None, "HUB").await.unwrap().expect("operator")
}

#[tokio::test]
async fn password_change_ends_every_session() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut first = Browser::new(&app, "en");
    first.login("uz.admin", PASSWORD).await;
    let mut second = Browser::new(&app, "en");
    second.login("uz.admin", PASSWORD).await;
    let csrf = first.get("/portal/account").await.csrf();
    let new_password = "a brand new long passphrase";
    let page = first.post_form("/portal/account", &[("csrf", &csrf), ("current", "wrong"), ("new_password", new_password), ("repeat", new_password)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("The current password is wrong."));
    let page = first.post_form("/portal/account", &[("csrf", &csrf), ("current", PASSWORD), ("new_password", new_password), ("repeat", new_password)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Your password has been changed."));
    assert_eq!(second.get("/portal").await.status, StatusCode::SEE_OTHER);
    assert_eq!(first.try_login("uz.admin", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    first.login("uz.admin", new_password).await;
}

#[tokio::test]
async fn hs_lookup_with_and_without_catalog() {
    let (app, _w) = setup().await;
    let cab = keyless_cab(&app).await;
    add_user(&app, cab.id, "kg.cab", Role::CabIssuer).await;
    let mut browser = Browser::new(&app, "en");
    browser.login("kg.cab", PASSWORD).await;
    let page = browser.get("/portal/hs?q=6907").await;
    assert!(page.body.contains("No HS nomenclature has been imported yet."));

    let catalog = ecert_store::HsCatalog {
        edition: ecert_core::hs::HsEdition::HS2022,
        entries: vec![
            ecert_store::HsEntry { code: "69".into(), description: "Ceramic products".into(), parent: None, section: "XIII".into() },
            ecert_store::HsEntry { code: "6907".into(), description: "Ceramic flags and paving, hearth or wall tiles".into(), parent: Some("69".into()), section: "XIII".into() },
            ecert_store::HsEntry { code: "690721".into(), description: "Tiles; water absorption not over 0.5%".into(), parent: Some("6907".into()), section: "XIII".into() },
        ],
    };
    app.hub.store.replace_hs_catalog(&catalog, ecert_store::Actor::SYSTEM).await.unwrap();
    let page = browser.get("/portal/hs?q=690").await;
    assert_has(&page.body, &["690721", "Tiles; water absorption"]);
    let page = browser.get("/portal/hs?q=paving").await;
    assert!(page.body.contains("6907"), "{}", page.body);
    assert!(!page.body.contains("690721</td>"), "{}", page.body);

    // With a catalog, an unknown code is refused next to the field.
    let form = browser.get("/portal/documents/new").await;
    let mut fields = coc_fields("KG.CB.2026.0010");
    for (name, value) in fields.iter_mut() {
        if *name == "hs_codes" {
            *value = "690799".into();
        }
    }
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("hs")))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("HS code 690799 is not in the imported nomenclature."), "{}", page.body);
}

/// Returns the ids of the form controls in `html` that a user fills in,
/// and the controls that have no id at all.
fn form_controls(html: &str) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut without_id = Vec::new();
    for tag in ["<input", "<select", "<textarea"] {
        for (start, _) in html.match_indices(tag) {
            let element = &html[start..start + html[start..].find('>').unwrap_or(0)];
            if element.contains(r#"type="hidden""#) {
                continue;
            }
            match element.split(r#" id=""#).nth(1).and_then(|rest| rest.split('"').next()) {
                Some(id) => ids.push(id.to_owned()),
                None => without_id.push(element.to_owned()),
            }
        }
    }
    (ids, without_id)
}

#[tokio::test]
async fn every_control_has_a_label() {
    let (app, w) = setup().await;
    let (hub_id, mut cab) = register_keyless_coc(&app, "KG.CB.2026.0011", &one_page_pdf("labels")).await;
    add_user(&app, org_by_number_hub(&app).await.id, "operator", Role::HubOperator).await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut operator = Browser::new(&app, "en");
    operator.login("operator", PASSWORD).await;
    let mut admin = Browser::new(&app, "ru");
    admin.login("uz.admin", PASSWORD).await;
    let mut anonymous = Browser::new(&app, "en");

    let mut pages = vec![anonymous.get("/portal/login").await];
    for path in ["/portal", "/portal/account", "/portal/documents", "/portal/documents/new", "/portal/hs", "/portal/verify"] {
        pages.push(cab.get(path).await);
    }
    pages.push(cab.get(&format!("/portal/documents/{hub_id}")).await);
    pages.push(cab.get(&format!("/portal/verify?id={hub_id}")).await);
    pages.push(admin.get(&format!("/portal/admin/organisations/{}", w.cab.org.id)).await);
    for path in ["/portal/admin/organisations", "/portal/admin/events", "/portal/admin/countries"] {
        pages.push(operator.get(path).await);
    }
    let mut controls = 0;
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_healthy();
        let (ids, without_id) = form_controls(&page.body);
        assert!(without_id.is_empty(), "controls without an id: {without_id:?}");
        for id in ids {
            controls += 1;
            assert!(page.body.contains(&format!(r#"for="{id}""#)), "no label for #{id} in:\n{}", page.body);
            assert_eq!(page.body.matches(&format!(r#" id="{id}""#)).count(), 1, "id {id} repeats");
        }
    }
    assert!(controls > 60, "only {controls} controls checked");
}

#[tokio::test]
async fn admin_resets_user_password() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    add_user(&app, w.cab.org.id, "uz.cab", Role::CabIssuer).await;
    let kg = keyless_cab(&app).await;
    add_user(&app, kg.id, "kg.cab", Role::CabIssuer).await;
    let mut cab = Browser::new(&app, "en");
    cab.login("uz.cab", PASSWORD).await;
    let mut admin = Browser::new(&app, "en");
    admin.login("uz.admin", PASSWORD).await;
    let csrf = admin.get("/portal").await.csrf();
    let target = app.hub.store.find_user("uz.cab").await.unwrap().unwrap();
    let path = format!("/portal/admin/users/{}/password", target.id);

    let page = admin.post_form(&path, &[("csrf", &csrf), ("password", "short")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new_password = "another long passphrase";
    let page = admin.post_form(&path, &[("csrf", &csrf), ("password", new_password)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = admin.get(page.location()).await;
    assert!(page.body.contains("The password has been set"), "{}", page.body);
    assert_eq!(cab.get("/portal").await.status, StatusCode::SEE_OTHER, "the user's session ended");
    assert_eq!(cab.try_login("uz.cab", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    cab.login("uz.cab", new_password).await;

    // Another country's user is out of reach.
    let other = app.hub.store.find_user("kg.cab").await.unwrap().unwrap();
    let page = admin.post_form(&format!("/portal/admin/users/{}/password", other.id), &[("csrf", &csrf), ("password", new_password)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut kg_cab = Browser::new(&app, "en");
    kg_cab.login("kg.cab", PASSWORD).await;
}

#[tokio::test]
async fn resubmission_with_other_pdf_rejected() {
    let (app, _w) = setup().await;
    let (hub_id, mut browser) = register_keyless_coc(&app, "KG.CB.2026.0012", &one_page_pdf("first")).await;
    let form = browser.get("/portal/documents/new").await;
    let fields = coc_fields("KG.CB.2026.0012");

    // The same content with the same PDF is the same entry.
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("first")))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), format!("/portal/documents/{hub_id}?registered=again"));

    // A different PDF is not dropped without a word.
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("second")))).await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page.body.contains(r#"id="f-pdf-error">Такие же данные уже зарегистрированы с другим файлом"#), "{}", page.body);
    let record = app.hub.document(hub_id).await.unwrap();
    assert_eq!(record.file_sha256.unwrap(), ecert_store::blob::sha256_hex(&one_page_pdf("first")));
}

#[tokio::test]
async fn english_product_name_error_placed() {
    let (app, _w) = setup().await;
    let cab = keyless_cab(&app).await;
    add_user(&app, cab.id, "kg.cab", Role::CabIssuer).await;
    let mut browser = Browser::new(&app, "en");
    browser.login("kg.cab", PASSWORD).await;
    let form = browser.get("/portal/documents/new").await;
    let mut fields = coc_fields("KG.CB.2026.0013");
    for (name, value) in fields.iter_mut() {
        if *name == "product_name_en" {
            *value = "Tiles \u{202E}reversed".into();
        }
    }
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("en name")))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="f-product_name_en-error""#), "{}", page.body);
    assert!(!page.body.contains(r#"id="f-product_name_ru-error""#), "{}", page.body);
}

#[tokio::test]
async fn status_reason_rejects_bidi_controls() {
    let (app, _w) = setup().await;
    let (hub_id, mut browser) = register_keyless_coc(&app, "KG.CB.2026.0014", &one_page_pdf("bidi")).await;
    let csrf = browser.get(&format!("/portal/documents/{hub_id}")).await.csrf();
    let path = format!("/portal/documents/{hub_id}/status");
    let page = browser.post_form(&path, &[("csrf", &csrf), ("action", "suspend"), ("reason", "audit \u{202E}detsil")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains(r#"id="f-reason-error""#), "{}", page.body);
    // Line breaks in a reason are fine.
    let page = browser.post_form(&path, &[("csrf", &csrf), ("action", "suspend"), ("reason", "Audit found:\r\nsamples fail")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

#[tokio::test]
async fn account_page_password_guessing_slowed() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut browser = Browser::new(&app, "en");
    browser.login("uz.admin", PASSWORD).await;
    let csrf = browser.get("/portal/account").await.csrf();
    let new_password = "a brand new long passphrase";
    for attempt in 1..=4 {
        let guess = format!("guess {attempt}");
        let page = browser.post_form("/portal/account", &[("csrf", &csrf), ("current", &guess), ("new_password", new_password), ("repeat", new_password)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    let page = browser.post_form("/portal/account", &[("csrf", &csrf), ("current", PASSWORD), ("new_password", new_password), ("repeat", new_password)]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.body.contains("Too many wrong passwords."), "{}", page.body);
}

#[tokio::test]
async fn unknown_portal_path_is_html() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut browser = Browser::new(&app, "ru");
    browser.login("uz.admin", PASSWORD).await;
    let page = browser.get("/portal/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.starts_with("<!DOCTYPE html>"), "{}", page.body);
    assert!(page.body.contains("Не найдено"), "{}", page.body);

    // The response to a method the page does not take is HTML too.
    let request = browser.client.put(format!("{}/portal", app.base));
    let page = browser.send(request).await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.body.starts_with("<!DOCTYPE html>"), "{}", page.body);
}

#[tokio::test]
async fn admin_manages_keys_accreditations_tokens() {
    let (app, w) = setup().await;
    add_user(&app, w.authority.id, "uz.admin", Role::NationalAdmin).await;
    let mut admin = Browser::new(&app, "en");
    admin.login("uz.admin", PASSWORD).await;
    let org_path = format!("/portal/admin/organisations/{}", w.cab.org.id);
    let csrf = admin.get(&org_path).await.csrf();

    // Upload a public key; a private key or garbage is refused beside the field.
    let key = common::signing_key(42);
    let jwk = common::public_jwk(&key).to_string();
    let page = admin.post_form(&format!("{org_path}/keys"), &[("csrf", &csrf), ("key_jwk", "not json"), ("key_purpose", "document_signing")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="f-key_jwk-error""#), "{}", page.body);
    let mut private = common::public_jwk(&key);
    private["d"] = "c2VjcmV0".into();
    let page = admin.post_form(&format!("{org_path}/keys"), &[("csrf", &csrf), ("key_jwk", &private.to_string()), ("key_purpose", "document_signing")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    let page = admin.post_form(&format!("{org_path}/keys"), &[("csrf", &csrf), ("key_jwk", &jwk), ("key_purpose", "document_signing"), ("key_valid_from", "2026-01-01")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let keys = app.hub.store.list_keys(w.cab.org.id).await.unwrap();
    let added = keys.iter().find(|k| k.kid != w.cab.kid).expect("the uploaded key");
    let page = admin.get(page.location()).await;
    assert_has(&page.body, &["The key has been registered.", &added.kid]);

    // Retire it.
    let page = admin.post_form(&format!("/portal/admin/keys/{}/status", added.kid), &[("csrf", &csrf), ("to", "retired"), ("reason", "replaced")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.hub.key(&added.kid).await.unwrap().validity.status.as_str(), "retired");

    // Suspend the CAB's accreditation.
    let accreditation = app.hub.store.list_accreditations(w.cab.org.id).await.unwrap()[0].id;
    let page = admin.post_form(&format!("/portal/admin/accreditations/{accreditation}/status"), &[("csrf", &csrf), ("to", "suspended"), ("reason", "surveillance")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let record = app.hub.store.get_accreditation(accreditation).await.unwrap().unwrap();
    assert_eq!(record.accreditation.status_history.last().unwrap().1.as_str(), "suspended");

    // Revoke the CAB's API token; the API then refuses it.
    let token = app.hub.store.list_tokens(w.cab.org.id).await.unwrap()[0].id;
    let page = admin.post_form(&format!("/portal/admin/tokens/{token}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let response = app.client.get(format!("{}/api/v1/countries", app.base)).bearer_auth(&w.cab.token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The same actions are in the event log, with the admin's organisation as actor.
    let events = app.hub.store.list_events(Some("UZ".parse().unwrap()), 0, 500).await.unwrap();
    for kind in ["key.registered", "key.status_changed", "accreditation.status_changed", "token.revoked"] {
        let event = events.iter().rev().find(|e| e.kind.as_str() == kind).unwrap_or_else(|| panic!("{kind} missing"));
        assert_eq!(event.actor_org_id, Some(w.authority.id), "{kind}");
    }
}

#[tokio::test]
async fn cab_with_key_uploads_signed_credential() {
    let (app, w) = setup().await;
    add_user(&app, w.cab.org.id, "uz.cab", Role::CabIssuer).await;
    let mut browser = Browser::new(&app, "en");
    browser.login("uz.cab", PASSWORD).await;
    let form = browser.get("/portal/documents/new").await;
    let credential = common::credential("CB-0042", "CC", "UZ.CB.2026.0777");
    let jws = common::sign_jws(&w.cab.key, &w.cab.kid, credential.to_string().as_bytes());
    let pdf = one_page_pdf("signed");
    let upload = reqwest::multipart::Form::new()
        .text("csrf", form.csrf())
        .part("jws_file", reqwest::multipart::Part::bytes(jws.into_bytes()).file_name("doc.jwt"))
        .part("pdf", reqwest::multipart::Part::bytes(pdf.clone()).file_name("doc.pdf"));
    let page = browser.post_multipart("/portal/documents", upload).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let hub_id: ecert_core::HubId = page.location().trim_start_matches("/portal/documents/").split('?').next().unwrap().parse().unwrap();
    let record = app.hub.document(hub_id).await.unwrap();
    assert_eq!(record.trust_basis.as_str(), "issuer_signature");
    assert_eq!(record.file_sha256.unwrap(), ecert_store::blob::sha256_hex(&pdf));
    assert!(record.stamped_sha256.is_none(), "a signed document is not stamped");

    // A JWS signed with an unregistered key is refused with the reason.
    let form = browser.get("/portal/documents/new").await;
    let credential = common::credential("CB-0042", "CC", "UZ.CB.2026.0778");
    let forged = common::sign_jws(&common::signing_key(99), &w.cab.kid, credential.to_string().as_bytes());
    let upload = reqwest::multipart::Form::new()
        .text("csrf", form.csrf())
        .part("jws_file", reqwest::multipart::Part::bytes(forged.into_bytes()).file_name("doc.jwt"));
    let page = browser.post_multipart("/portal/documents", upload).await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(page.body.contains("error-summary"), "{}", page.body);
    assert!(app.hub.store.find_documents_by_number(w.cab.org.id, "UZ.CB.2026.0778").await.unwrap().is_empty());
}

#[tokio::test]
async fn test_report_references_checked() {
    let (app, _w) = setup().await;
    let (coc, mut browser) = register_keyless_coc(&app, "KG.CB.2026.0015", &one_page_pdf("refs")).await;
    let form = browser.get("/portal/documents/new").await;
    let mut fields = coc_fields("KG.CB.2026.0016");
    for (name, value) in fields.iter_mut() {
        if *name == "test_reports" {
            *value = coc.to_string();
        }
    }
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("refs 2")))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let expected = format!(r#"id="f-test_reports-error">{coc} — не протокол испытаний"#);
    assert!(page.body.contains(&expected), "{}", page.body);

    for (name, value) in fields.iter_mut() {
        if *name == "doc_type" {
            *value = "TR".into();
        }
    }
    let page = browser.post_multipart("/portal/documents", multipart(&fields, &form.csrf(), Some(one_page_pdf("refs 3")))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="f-test_reports-error">На протоколы испытаний ссылается только сертификат"#), "{}", page.body);
}
