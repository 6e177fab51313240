//! The web portal under `/portal`: server-rendered pages for countries that
//! work without their own national system (track C) or beside it (track B).
//!
//! Every action goes through the same services, with the same rules and
//! events, as the JSON API: a portal user acts as a [`Caller`] of their
//! organisation with their roles. Pages work without JavaScript; every form
//! that changes anything carries the session's CSRF token.
//!
//! - [`session`]: login, logout, sessions, CSRF and login delays.
//! - [`documents`]: a CAB's documents: list, register, status, files.
//! - [`verify`]: verification by hub ID, PDF or photo of the QR code.
//! - [`admin`]: a national admin's organisations, accreditations, keys,
//!   users, tokens and event log; the hub operator's countries.

// Helpers return the error page as a `Response`. Boxing it would only add
// an allocation on the error path of a handler.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod documents;
pub mod session;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ecert_core::party::Role;
use ecert_web::i18n::Lang;
use ecert_web::{Value, context};

use crate::Hub;
use crate::auth::Caller;
use crate::error::ApiError;
pub use session::PortalUser;

/// The path every portal URL starts with.
pub const PORTAL_PATH: &str = "/portal";

/// Sessions, cookies and login delays.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after login, however active.
    pub session_lifetime: Duration,
    /// How long a browser stays known to an account after a login.
    pub device_lifetime: Duration,
    /// Marks cookies `Secure` and names them with the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Takes the client address from the last `X-Forwarded-For` entry, for
    /// nodes behind a load balancer that sets it.
    pub trust_forwarded_for: bool,
    /// Wrong passwords per account, from unknown browsers, before delays start.
    pub account_free_failures: u32,
    /// Wrong passwords per client address before delays start.
    pub address_free_failures: u32,
    /// The delay doubles with each failure up to this, per account.
    pub account_max_delay: Duration,
    /// The delay doubles with each failure up to this, per address.
    pub address_max_delay: Duration,
    /// Failures older than this are forgotten.
    pub failure_window: Duration,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            session_idle: Duration::from_secs(60 * 60),
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            device_lifetime: Duration::from_secs(90 * 24 * 60 * 60),
            secure_cookies: true,
            trust_forwarded_for: false,
            account_free_failures: 3,
            address_free_failures: 10,
            account_max_delay: Duration::from_secs(60),
            address_max_delay: Duration::from_secs(15 * 60),
            failure_window: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl PortalConfig {
    /// Picks `secure_cookies` for a hub reached at `public_base_url`:
    /// secure over HTTPS and on loopback (browsers accept secure cookies
    /// from `http://localhost`), not on plain HTTP elsewhere, where a
    /// browser would drop them and no login could last.
    pub fn for_base_url(public_base_url: &str) -> PortalConfig {
        let secure = match url::Url::parse(public_base_url) {
            Ok(url) if url.scheme() == "https" => true,
            Ok(url) => match url.host() {
                Some(url::Host::Domain(domain)) => domain == "localhost" || domain.ends_with(".localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            },
            Err(_) => true,
        };
        PortalConfig { secure_cookies: secure, ..PortalConfig::default() }
    }
}

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/", get(|| async { Redirect::to(PORTAL_PATH) }))
        .route("/portal/login", get(session::login_form).post(session::login))
        .route("/portal/logout", post(session::logout))
        .route("/portal/language", post(session::set_language))
        .route("/portal/account", get(session::account).post(session::change_password))
        .route("/portal/hs", get(documents::hs_lookup))
        .route("/portal/documents", get(documents::list).post(documents::create))
        .route("/portal/documents/new", get(documents::new_form))
        .route("/portal/documents/{hub_id}", get(documents::detail))
        .route("/portal/documents/{hub_id}/status", post(documents::change_status))
        .route("/portal/documents/{hub_id}/file.pdf", get(documents::original_file))
        .route("/portal/documents/{hub_id}/stamped.pdf", get(documents::stamped_file))
        .route("/portal/documents/{hub_id}/label", get(documents::label))
        .route("/portal/verify", get(verify::form).post(verify::upload))
        .merge(admin::router())
        .route("/portal/{*rest}", get(not_found))
}

/// Responds to an unknown portal path with an HTML page, not the API's JSON.
async fn not_found(axum::extract::State(hub): axum::extract::State<Arc<Hub>>, user: PortalUser) -> Response {
    user.error_page(&hub, &ApiError::not_found("this portal page"), PORTAL_PATH)
}

/// The content security policy of every portal page: no script at all,
/// only the hub's own stylesheet and images, forms posting to the hub.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Wraps HTML with the security headers every portal page carries. Pages
/// may show personal data and tokens, so no cache keeps them.
pub fn html_page(status: StatusCode, lang: Lang, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
    response
}

impl PortalUser {
    /// Renders a portal page for this user: the template's own context plus
    /// the layout (navigation, user, language switch, CSRF token).
    pub fn page(&self, hub: &Hub, status: StatusCode, template: &str, current: &str, ctx: Value) -> Response {
        let lang = self.lang;
        let nav: Vec<Value> = navigation(&self.caller)
            .into_iter()
            .map(|(href, id)| {
                let here = current.starts_with(href) && (href != PORTAL_PATH || current == PORTAL_PATH);
                context! { href => href, label => hub.pages.text(lang, id), current => here }
            })
            .collect();
        let lang_forms: Vec<Value> = Lang::ALL
            .iter()
            .map(|&target| context! { code => target.as_str(), name => target.native_name(), current => target == lang })
            .collect();
        let ctx = context! {
            ..ctx,
            ..context! {
                portal => true,
                user => context! {
                    display_name => &self.user.display_name,
                    username => &self.user.username,
                    org_name => &self.caller.org.name,
                    country => self.caller.org.country.map(|c| c.to_string()),
                },
                nav => nav,
                csrf => &self.session.csrf_token,
                current_path => current,
                lang_forms => lang_forms,
            }
        };
        html_page(status, lang, hub.pages.portal(lang, template, ctx))
    }

    /// Renders a page that reports an error of a service call.
    pub fn error_page(&self, hub: &Hub, error: &ApiError, current: &str) -> Response {
        let (code, user_id) = (error.detail.code.as_str(), self.user.id);
        if error.status.is_server_error() {
            tracing::error!(code, %user_id, page = current, message = %error.detail.message, "portal action failed");
        } else {
            tracing::info!(code, %user_id, page = current, status = error.status.as_u16(), "portal action rejected");
        }
        let ctx = context! { message => error_text(hub, self.lang, error), fix => error.detail.fix.clone() };
        self.page(hub, page_status(error), "portal_message.html", current, ctx)
    }
}

/// Lists the navigation entries of a caller's roles as `(path, message id)`.
fn navigation(caller: &Caller) -> Vec<(&'static str, &'static str)> {
    let mut items = vec![("/portal", "nav-home")];
    if caller.has(Role::CabIssuer) {
        items.push(("/portal/documents", "nav-documents"));
    } else if caller.has(Role::NationalAdmin) || caller.is_operator() || caller.has(Role::Viewer) {
        items.push(("/portal/documents", "nav-registry"));
    }
    items.push(("/portal/verify", "nav-verify"));
    if caller.has(Role::NationalAdmin) || caller.is_operator() {
        items.push(("/portal/admin/organisations", "nav-organisations"));
        items.push(("/portal/admin/events", "nav-events"));
    }
    if caller.is_operator() {
        items.push(("/portal/admin/countries", "nav-countries"));
    }
    items.push(("/portal/account", "nav-account"));
    items
}

/// Returns the status of a page that reports `error`: its own status, with
/// every server error shown as 500.
pub fn page_status(error: &ApiError) -> StatusCode {
    if error.status.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { error.status }
}

/// Translates a service error with the message `error-{code}` when the
/// catalog has one, else with a general sentence. Both include the English
/// detail where the message has a `detail` argument.
pub fn error_text(hub: &Hub, lang: Lang, error: &ApiError) -> String {
    let code = &error.detail.code;
    if error.status.is_server_error() {
        return hub.pages.text(lang, "error-internal");
    }
    let mut args = ecert_web::FluentArgs::new();
    args.set("detail", error.detail.message.clone());
    match hub.pages.try_text_with(lang, &format!("error-{code}"), &args) {
        Some(text) => text,
        None => hub.pages.text_with(lang, "error-general", &args),
    }
}

async fn home(axum::extract::State(hub): axum::extract::State<Arc<Hub>>, user: PortalUser) -> Response {
    let caller = &user.caller;
    let ctx = context! {
        is_issuer => caller.has(Role::CabIssuer),
        is_admin => caller.has(Role::NationalAdmin),
        is_customs => caller.has(Role::CustomsOfficer),
        is_operator => caller.is_operator(),
        roles => caller.roles.iter().map(|role| hub.pages.text(user.lang, &format!("role-{}", role.as_str()))).collect::<Vec<_>>(),
    };
    user.page(&hub, StatusCode::OK, "portal_home.html", PORTAL_PATH, ctx)
}

#[cfg(test)]
mod tests {
    use ecert_core::keys::{KeyPurpose, KeyStatus};
    use ecert_core::party::{AccreditationStatus, DataPolicy, OrgKind, Role, Track};
    use ecert_core::StatusAction;
    use ecert_web::i18n::Catalog;

    /// The portal's Rust sources, scanned for the message ids they use.
    const SOURCES: [(&str, &str); 5] = [
        ("mod.rs", include_str!("mod.rs")),
        ("session.rs", include_str!("session.rs")),
        ("documents.rs", include_str!("documents.rs")),
        ("verify.rs", include_str!("verify.rs")),
        ("admin.rs", include_str!("admin.rs")),
    ];

    /// String literals that look like message ids: lower-case words joined
    /// by `-`, starting with one of the portal's id prefixes.
    fn literal_ids(source: &str) -> Vec<String> {
        const PREFIXES: [&str; 12] =
            ["nav-", "login-", "error-", "form-", "account-", "document-", "documents-", "verify-", "done-", "org-", "status-", "trust-"];
        source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|literal| PREFIXES.iter().any(|p| literal.starts_with(p)))
            .filter(|literal| literal.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
            .filter(|literal| !literal.ends_with('-'))
            .map(str::to_owned)
            .collect()
    }

    fn assert_defined(catalog: &Catalog, ids: &[String], origin: &str) {
        for id in ids {
            for lang in ecert_web::Lang::ALL {
                assert!(catalog.has(lang, id), "{origin}: message {id} is missing in {}", lang.as_str());
            }
        }
    }

    #[test]
    fn code_ids_in_both_languages() {
        let catalog = Catalog::new().expect("catalog");
        let mut seen = 0;
        for (file, source) in SOURCES {
            let ids = literal_ids(source);
            seen += ids.len();
            assert_defined(&catalog, &ids, file);
        }
        assert!(seen > 40, "the scanner found only {seen} ids");
    }

    #[test]
    fn id_scanner_skips_other_strings() {
        let ids = literal_ids(r#"text(lang, "nav-home") "form-error-date" "/portal" "error-" "error-{code}" "not-an-id""#);
        assert_eq!(ids, ["nav-home", "form-error-date"]);
    }

    #[test]
    fn derived_ids_in_both_languages() {
        let catalog = Catalog::new().expect("catalog");
        let mut ids: Vec<String> = Vec::new();
        ids.extend(Role::ALL.iter().map(|r| format!("role-{}", r.as_str())));
        ids.extend(OrgKind::ALL.iter().map(|k| format!("orgkind-{}", k.as_str())));
        ids.extend(KeyPurpose::ALL.iter().map(|p| format!("keypurpose-{}", p.as_str())));
        ids.extend(KeyStatus::ALL.iter().map(|s| format!("keystatus-{}", s.as_str())));
        ids.extend(AccreditationStatus::ALL.iter().map(|s| format!("accstatus-{}", s.as_str())));
        ids.extend(Track::ALL.iter().map(|t| format!("track-{}", t.as_str())));
        ids.extend(DataPolicy::ALL.iter().map(|p| format!("datapolicy-{}", p.as_str())));
        for action in [StatusAction::Suspend, StatusAction::Reinstate, StatusAction::Withdraw, StatusAction::Supersede] {
            ids.push(format!("action-{}", action.as_str()));
        }
        for kind in ecert_store::EventKind::ALL {
            ids.push(format!("event-{}", kind.as_str().replace(['.', '_'], "-")));
        }
        assert_defined(&catalog, &ids, "derived ids");
    }
}
