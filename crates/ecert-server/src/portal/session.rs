//! Portal login: Argon2id passwords, sessions stored in the database,
//! CSRF tokens, and growing delays after wrong passwords.
//!
//! Cookies hold only random secrets; the database keeps their SHA-256.
//! Three cookies exist: the session, a login-form token (CSRF protection
//! before a session exists) and a device token. A browser that has logged
//! in to an account before holds that account's device token and skips
//! the delays that wrong passwords from elsewhere put on the account, so
//! guessing slows the guesser without locking the owner out. Delays start
//! after a few free failures and double with each further one, per
//! account and per client address (an IPv6 client by its /64 network).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use ecert_store::{LoginDevice, Session, User, blob::sha256_hex};
use ecert_web::i18n::{Lang, negotiate};
use ecert_web::{Value, context};
use serde::Deserialize;

use super::{PORTAL_PATH, html_page};
use crate::Hub;
use crate::auth::{Caller, Via, hash_password, verify_password};
use crate::service::Principal;

/// A logged-in portal user: the caller the services authorise, the user
/// and session rows, and the page language.
#[derive(Debug, Clone)]
pub struct PortalUser {
    pub caller: Caller,
    pub user: User,
    pub session: Session,
    pub lang: Lang,
}

/// Sessions are touched at most this often, to spare the database a write
/// per request.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Bytes of randomness in every cookie secret.
const SECRET_BYTES: usize = 32;

fn random_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    ecert_core::jose::b64url(&bytes)
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Clone, Copy)]
enum CookieKind {
    Session,
    LoginForm,
    Device,
}

fn cookie_name(hub: &Hub, kind: CookieKind) -> &'static str {
    match (kind, hub.config.portal.secure_cookies) {
        (CookieKind::Session, true) => "__Host-ecert_session",
        (CookieKind::Session, false) => "ecert_session",
        (CookieKind::LoginForm, true) => "__Host-ecert_login",
        (CookieKind::LoginForm, false) => "ecert_login",
        (CookieKind::Device, true) => "__Host-ecert_device",
        (CookieKind::Device, false) => "ecert_device",
    }
}

/// Builds a `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure
/// when configured. `max_age` `None` makes a cookie that ends with the
/// browser session; zero deletes the cookie.
fn set_cookie(hub: &Hub, kind: CookieKind, value: &str, max_age: Option<Duration>) -> HeaderValue {
    let mut cookie = Cookie::build((cookie_name(hub, kind), value.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(hub.config.portal.secure_cookies)
        .path("/");
    if let Some(age) = max_age {
        cookie = cookie.max_age(cookie::time::Duration::seconds(i64::try_from(age.as_secs()).unwrap_or(i64::MAX)));
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| Cookie::split_parse(value.to_owned()))
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// Picks the page language: `?lang=`, then the user's profile, then Accept-Language.
fn page_lang(parts: &Parts, profile: Option<&str>) -> Lang {
    let query_lang = Query::<LangQuery>::try_from_uri(&parts.uri).ok().and_then(|Query(q)| q.lang);
    let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    match (query_lang.as_deref().and_then(Lang::from_tag), profile.and_then(Lang::from_tag)) {
        (Some(lang), _) | (None, Some(lang)) => lang,
        (None, None) => negotiate(None, accept),
    }
}

/// Redirects a user who is not logged in to the login page, which returns
/// to the requested page afterwards.
fn login_redirect(parts: &Parts) -> Response {
    let wanted = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or(PORTAL_PATH);
    let next = if parts.method == axum::http::Method::GET { safe_next(Some(wanted)) } else { PORTAL_PATH.to_owned() };
    let target = format!("/portal/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    Redirect::to(&target).into_response()
}

/// Accepts a return path only inside the portal, so the login form cannot
/// send anyone to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if (path == PORTAL_PATH || path.starts_with("/portal/") || path.starts_with("/portal?"))
                && !path.contains("//")
                && !path.contains('\\')
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => PORTAL_PATH.to_owned(),
    }
}

impl FromRequestParts<Arc<Hub>> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        let Some(secret) = read_cookie(&parts.headers, cookie_name(hub, CookieKind::Session)) else {
            return Err(login_redirect(parts));
        };
        let id_hash = sha256_hex(secret.as_bytes());
        let failure = |error: ecert_store::StoreError| {
            tracing::error!(error = %error, "session lookup failed");
            let lang = page_lang(parts, None);
            html_page(StatusCode::INTERNAL_SERVER_ERROR, lang, hub.pages.text(lang, "error-internal"))
        };
        let Some(session) = hub.store.get_session(&id_hash).await.map_err(failure)? else {
            return Err(login_redirect(parts));
        };
        let now = ecert_store::now();
        let idle = time::Duration::try_from(hub.config.portal.session_idle).unwrap_or(time::Duration::HOUR);
        if session.expires_at <= now || session.last_seen_at + idle <= now {
            let _ = hub.store.delete_session(&id_hash, ecert_store::Actor::SYSTEM).await;
            return Err(login_redirect(parts));
        }
        let Some(user) = hub.store.get_user(session.user_id).await.map_err(failure)? else {
            return Err(login_redirect(parts));
        };
        if user.disabled_at.is_some() {
            return Err(login_redirect(parts));
        }
        let Some(org) = hub.store.get_organisation(user.org_id).await.map_err(failure)? else {
            return Err(login_redirect(parts));
        };
        let touch = time::Duration::try_from(TOUCH_INTERVAL).unwrap_or(time::Duration::MINUTE);
        if session.last_seen_at + touch <= now
            && let Err(error) = hub.store.touch_session(&id_hash, now).await
        {
            tracing::warn!(error = %error, "session could not be touched");
        }
        let lang = page_lang(parts, user.locale.as_deref());
        let caller = Caller { org, roles: user.roles.clone(), via: Via::Portal { user_id: user.id } };
        Ok(PortalUser { caller, user, session, lang })
    }
}

impl PortalUser {
    pub fn principal(&self) -> Principal<'_> {
        Principal::Caller(&self.caller)
    }

    /// Checks a form's CSRF token against the session's.
    pub fn check_csrf(&self, hub: &Hub, token: &str) -> Result<(), Response> {
        if same_secret(token, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(self.page(
                hub,
                StatusCode::FORBIDDEN,
                "portal_message.html",
                PORTAL_PATH,
                context! { message => hub.pages.text(self.lang, "error-csrf"), fix => None::<String> },
            ))
        }
    }
}

/// The client's address as the login delays count it: the peer address,
/// or the last `X-Forwarded-For` entry behind a trusted load balancer. An
/// IPv6 address counts by its /64 network, which one client usually holds.
pub struct ClientAddress(pub String);

impl FromRequestParts<Arc<Hub>> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        let forwarded = hub
            .config
            .portal
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back())
            .flatten()
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let text = match forwarded.or(peer) {
            Some(IpAddr::V6(ip)) if ip.to_ipv4_mapped().is_none() => {
                let segments = ip.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
            }
            Some(IpAddr::V6(ip)) => ip.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
            Some(IpAddr::V4(ip)) => ip.to_string(),
            None => "unknown".to_owned(),
        };
        Ok(ClientAddress(text))
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    lang: Option<String>,
}

/// The message the login page shows above the form.
enum LoginNotice {
    None,
    WrongPassword,
    Wait(u64),
    FormExpired,
    LoggedOut,
    PasswordChanged,
}

fn anonymous_lang(headers: &HeaderMap, query_lang: Option<&str>) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    negotiate(query_lang, accept)
}

/// Renders the login page with a fresh login-form token.
fn login_page(hub: &Hub, lang: Lang, status: StatusCode, notice: LoginNotice, username: &str, next: &str) -> Response {
    let token = random_secret();
    let (notice_id, seconds) = match notice {
        LoginNotice::None => (None, 0),
        LoginNotice::WrongPassword => (Some("login-wrong"), 0),
        LoginNotice::Wait(seconds) => (Some("login-wait"), seconds),
        LoginNotice::FormExpired => (Some("login-form-expired"), 0),
        LoginNotice::LoggedOut => (Some("login-logged-out"), 0),
        LoginNotice::PasswordChanged => (Some("login-password-changed"), 0),
    };
    let notice_text = notice_id.map(|id| {
        let mut args = ecert_web::FluentArgs::new();
        args.set("seconds", seconds);
        hub.pages.text_with(lang, id, &args)
    });
    let is_error = !matches!(notice_id, Some("login-logged-out" | "login-password-changed") | None);
    let lang_links: Vec<Value> = Lang::ALL
        .iter()
        .map(|&target| {
            let href = format!(
                "/portal/login?lang={}&next={}",
                target.as_str(),
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            context! { code => target.as_str(), name => target.native_name(), href => href, current => target == lang }
        })
        .collect();
    let ctx = context! {
        csrf => &token,
        username => username,
        next => next,
        notice => notice_text,
        notice_is_error => is_error,
        lang_links => lang_links,
    };
    let mut response = html_page(status, lang, hub.pages.portal(lang, "portal_login.html", ctx));
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(hub, CookieKind::LoginForm, &token, None));
    response
}

pub async fn login_form(
    State(hub): State<Arc<Hub>>,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or(LoginQuery { next: None, lang: None });
    let lang = anonymous_lang(&headers, query.lang.as_deref());
    let next = safe_next(query.next.as_deref());
    login_page(&hub, lang, StatusCode::OK, LoginNotice::None, "", &next)
}

/// Builds counter keys. Names and addresses are hashed, so the table
/// contains no personal data in clear.
fn account_key(username: &str) -> String {
    format!("account:{}", sha256_hex(username.trim().to_lowercase().as_bytes()))
}

fn address_key(address: &str) -> String {
    format!("address:{}", sha256_hex(address.as_bytes()))
}

/// Computes the delay after `count` failures: none for the first `free`,
/// then one second, doubling with each failure up to `max`.
pub fn failure_delay(count: u32, free: u32, max: Duration) -> Duration {
    if count <= free {
        return Duration::ZERO;
    }
    let exponent = (count - free - 1).min(30);
    Duration::from_secs(1u64 << exponent).min(max)
}

/// Returns the whole seconds an attempt counted under `key` must still
/// wait, zero when it may go ahead.
async fn remaining_wait(hub: &Hub, key: &str, free: u32, max: Duration, now: time::OffsetDateTime) -> Result<u64, ecert_store::StoreError> {
    let window = time::Duration::try_from(hub.config.portal.failure_window).unwrap_or(time::Duration::DAY);
    let Some(failures) = hub.store.get_login_failures(key).await? else { return Ok(0) };
    if failures.last_at + window <= now {
        return Ok(0);
    }
    let until = failures.last_at + time::Duration::try_from(failure_delay(failures.count, free, max)).unwrap_or(time::Duration::ZERO);
    let wait = Duration::try_from(until - now).unwrap_or(Duration::ZERO);
    Ok(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

/// Returns a password hash to check unknown user names against, so that a
/// wrong name takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_secret()).unwrap_or_default())
}

pub async fn login(
    State(hub): State<Arc<Hub>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let lang = anonymous_lang(&headers, None);
        return login_page(&hub, lang, StatusCode::BAD_REQUEST, LoginNotice::FormExpired, "", PORTAL_PATH);
    };
    let lang = anonymous_lang(&headers, form.lang.as_deref());
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    let expected = read_cookie(&headers, cookie_name(&hub, CookieKind::LoginForm));
    if !expected.is_some_and(|token| same_secret(&token, &form.csrf)) {
        return login_page(&hub, lang, StatusCode::FORBIDDEN, LoginNotice::FormExpired, &username, &next);
    }
    match attempt_login(&hub, &address, &headers, &username, form.password).await {
        Ok(Attempt::Success { user, device }) => start_session(&hub, &user, device, &headers, &next).await,
        Ok(Attempt::Wait(seconds)) => {
            login_page(&hub, lang, StatusCode::TOO_MANY_REQUESTS, LoginNotice::Wait(seconds), &username, &next)
        }
        Ok(Attempt::Wrong) => login_page(&hub, lang, StatusCode::UNAUTHORIZED, LoginNotice::WrongPassword, &username, &next),
        Err(error) => {
            tracing::error!(error = %error, "login failed on a storage error");
            html_page(StatusCode::INTERNAL_SERVER_ERROR, lang, hub.pages.text(lang, "error-internal"))
        }
    }
}

enum Attempt {
    Success { user: User, device: bool },
    Wrong,
    Wait(u64),
}

async fn attempt_login(
    hub: &Hub,
    address: &str,
    headers: &HeaderMap,
    username: &str,
    password: String,
) -> Result<Attempt, ecert_store::StoreError> {
    let config = &hub.config.portal;
    let now = ecert_store::now();
    let window = time::Duration::try_from(config.failure_window).unwrap_or(time::Duration::DAY);
    let user = if username.is_empty() { None } else { hub.store.find_user(username).await? };

    // A browser that logged in to this account before skips the delays.
    let mut known_device = false;
    if let (Some(user), Some(secret)) = (&user, read_cookie(headers, cookie_name(hub, CookieKind::Device)))
        && let Some(device) = hub.store.find_login_device(&sha256_hex(secret.as_bytes())).await?
    {
        known_device = device.user_id == user.id && device.expires_at > now;
    }
    let account = account_key(username);
    let address = address_key(address);
    if !known_device {
        let wait = remaining_wait(hub, &account, config.account_free_failures, config.account_max_delay, now).await?.max(
            remaining_wait(hub, &address, config.address_free_failures, config.address_max_delay, now).await?,
        );
        if wait > 0 {
            return Ok(Attempt::Wait(wait));
        }
    }

    let hash = user.as_ref().map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    match user {
        Some(user) if matches && user.disabled_at.is_none() => {
            // A login from an unknown browser that waited out any delay resets
            // the account's count: the failures were the owner's typos, or
            // the password is known anyway. A known browser's login proves
            // nothing about failures elsewhere, so the count stays.
            if !known_device {
                hub.store.clear_login_failures(&account).await?;
            }
            Ok(Attempt::Success { user, device: known_device })
        }
        // A disabled account gets the same reply as a wrong password, and
        // its right password is not counted as a guess.
        Some(user) if matches => {
            tracing::info!(user_id = %user.id, "login rejected: the user is disabled");
            Ok(Attempt::Wrong)
        }
        user => {
            let reset_before = now - window;
            hub.store.add_login_failure(&account, now, reset_before).await?;
            hub.store.add_login_failure(&address, now, reset_before).await?;
            if let Some(user) = user {
                hub.store.record_failed_login(user.id).await?;
            }
            Ok(Attempt::Wrong)
        }
    }
}

async fn start_session(hub: &Hub, user: &User, known_device: bool, headers: &HeaderMap, next: &str) -> Response {
    let config = &hub.config.portal;
    let now = ecert_store::now();
    let to_time = |d: Duration| time::Duration::try_from(d).unwrap_or(time::Duration::HOUR);
    let secret = random_secret();
    let session = Session {
        id_hash: sha256_hex(secret.as_bytes()),
        user_id: user.id,
        csrf_token: random_secret(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + to_time(config.session_lifetime),
    };
    let result = async {
        // A session cookie from before this login is ended, so a planted
        // session id cannot outlive the login (session fixation).
        if let Some(old) = read_cookie(headers, cookie_name(hub, CookieKind::Session)) {
            hub.store.delete_session(&sha256_hex(old.as_bytes()), ecert_store::Actor::SYSTEM).await?;
        }
        hub.store.delete_stale_sessions(now, now - to_time(config.session_idle)).await?;
        hub.store.delete_old_login_failures(now - to_time(config.failure_window)).await?;
        let org = hub.store.get_organisation(user.org_id).await?;
        let actor = org.map_or(ecert_store::Actor::SYSTEM, |o| ecert_store::Actor::org(o.id));
        hub.store.insert_session(&session, actor).await?;
        let device = if known_device {
            None
        } else {
            let device_secret = random_secret();
            hub.store
                .insert_login_device(&LoginDevice {
                    token_hash: sha256_hex(device_secret.as_bytes()),
                    user_id: user.id,
                    created_at: now,
                    expires_at: now + to_time(config.device_lifetime),
                })
                .await?;
            Some(device_secret)
        };
        Ok::<_, ecert_store::StoreError>(device)
    }
    .await;
    let device = match result {
        Ok(device) => device,
        Err(error) => {
            tracing::error!(error = %error, "session could not be stored");
            let lang = anonymous_lang(headers, user.locale.as_deref());
            return html_page(StatusCode::INTERNAL_SERVER_ERROR, lang, hub.pages.text(lang, "error-internal"));
        }
    };
    tracing::info!(user_id = %user.id, "portal login");
    let mut response = Redirect::to(next).into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, set_cookie(hub, CookieKind::Session, &secret, None));
    cookies.append(header::SET_COOKIE, set_cookie(hub, CookieKind::LoginForm, "", Some(Duration::ZERO)));
    if let Some(device_secret) = device {
        cookies.append(header::SET_COOKIE, set_cookie(hub, CookieKind::Device, &device_secret, Some(config.device_lifetime)));
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(hub): State<Arc<Hub>>, user: PortalUser, form: Result<Form<CsrfForm>, FormRejection>) -> Response {
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if let Err(response) = user.check_csrf(&hub, &token) {
        return response;
    }
    let actor = ecert_store::Actor::org(user.caller.org.id);
    if let Err(error) = hub.store.delete_session(&user.session.id_hash, actor).await {
        tracing::error!(error = %error, "logout failed");
        return user.error_page(&hub, &crate::error::ApiError::internal(), PORTAL_PATH);
    }
    let lang = user.lang;
    let mut response = login_page(&hub, lang, StatusCode::OK, LoginNotice::LoggedOut, "", PORTAL_PATH);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&hub, CookieKind::Session, "", Some(Duration::ZERO)));
    response
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    next: Option<String>,
}

/// Stores the chosen language in the user's profile and returns to the page.
pub async fn set_language(State(hub): State<Arc<Hub>>, user: PortalUser, form: Result<Form<LanguageForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return user.check_csrf(&hub, "").err().unwrap_or_else(|| Redirect::to(PORTAL_PATH).into_response());
    };
    if let Err(response) = user.check_csrf(&hub, &form.csrf) {
        return response;
    }
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return Redirect::to(&safe_next(form.next.as_deref())).into_response();
    };
    if let Err(error) = hub.store.set_user_locale(user.user.id, Some(lang.as_str())).await {
        tracing::error!(error = %error, "language preference could not be stored");
        return user.error_page(&hub, &crate::error::ApiError::internal(), PORTAL_PATH);
    }
    Redirect::to(&strip_lang(&safe_next(form.next.as_deref()))).into_response()
}

/// Removes a `lang` query parameter, which would override the new choice.
fn strip_lang(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else { return path.to_owned() };
    let kept: Vec<&str> = query.split('&').filter(|p| !p.starts_with("lang=") && !p.is_empty()).collect();
    if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) }
}

/// Renders the account page: roles and the password change form.
pub async fn account(State(hub): State<Arc<Hub>>, user: PortalUser) -> Response {
    account_page(&hub, &user, StatusCode::OK, None)
}

fn account_page(hub: &Hub, user: &PortalUser, status: StatusCode, errors: Option<Value>) -> Response {
    let roles: Vec<String> = user.caller.roles.iter().map(|r| hub.pages.text(user.lang, &format!("role-{}", r.as_str()))).collect();
    let ctx = context! { roles => roles, errors => errors.unwrap_or_else(|| context! {}) };
    user.page(hub, status, "portal_account.html", "/portal/account", ctx)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat: String,
}

/// Changes the user's own password. Every session of the user ends,
/// including this one, and the user logs in again.
pub async fn change_password(State(hub): State<Arc<Hub>>, user: PortalUser, form: Result<Form<PasswordForm>, FormRejection>) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(_) => return user.check_csrf(&hub, "").err().unwrap_or_else(|| Redirect::to(PORTAL_PATH).into_response()),
    };
    if let Err(response) = user.check_csrf(&hub, &form.csrf) {
        return response;
    }
    let lang = user.lang;
    let config = &hub.config.portal;
    let now = ecert_store::now();
    // The current password is guessed no faster here than at the login form:
    // the same per-account counter and delays apply.
    let account = account_key(&user.user.username);
    let wait = match remaining_wait(&hub, &account, config.account_free_failures, config.account_max_delay, now).await {
        Ok(wait) => wait,
        Err(error) => {
            tracing::error!(error = %error, user_id = %user.user.id, "login failures could not be read");
            return user.error_page(&hub, &crate::error::ApiError::internal(), "/portal/account");
        }
    };
    let mut errors = std::collections::BTreeMap::new();
    if wait > 0 {
        let mut args = ecert_web::FluentArgs::new();
        args.set("seconds", wait);
        errors.insert("current", hub.pages.text_with(lang, "login-wait", &args));
        return account_page(&hub, &user, StatusCode::TOO_MANY_REQUESTS, Some(Value::from(errors)));
    }
    let hash = user.user.password_hash.clone();
    let current = form.current;
    let current_ok = tokio::task::spawn_blocking(move || verify_password(&current, &hash)).await.unwrap_or(false);
    if !current_ok {
        let window = time::Duration::try_from(config.failure_window).unwrap_or(time::Duration::DAY);
        if let Err(error) = hub.store.add_login_failure(&account, now, now - window).await {
            tracing::error!(error = %error, user_id = %user.user.id, "a failed password check could not be counted");
        }
        errors.insert("current", hub.pages.text(lang, "account-current-wrong"));
    }
    if form.new_password.chars().count() < crate::service::parties::MIN_PASSWORD_CHARS {
        errors.insert("new_password", hub.pages.text(lang, "account-password-short"));
    } else if form.new_password != form.repeat {
        errors.insert("repeat", hub.pages.text(lang, "account-password-mismatch"));
    }
    if !errors.is_empty() {
        return account_page(&hub, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(Value::from(errors)));
    }
    let new_password = form.new_password;
    let hashed = match crate::service::parties::hash_password_blocking(new_password).await {
        Ok(hashed) => hashed,
        Err(error) => return user.error_page(&hub, &error, "/portal/account"),
    };
    let actor = ecert_store::Actor::org(user.caller.org.id);
    if let Err(error) = hub.store.set_user_password(user.user.id, &hashed, actor).await {
        tracing::error!(error = %error, "password change failed");
        return user.error_page(&hub, &crate::error::ApiError::internal(), "/portal/account");
    }
    let mut response = login_page(&hub, lang, StatusCode::OK, LoginNotice::PasswordChanged, &user.user.username, PORTAL_PATH);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&hub, CookieKind::Session, "", Some(Duration::ZERO)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_free_failures_and_double() {
        let max = Duration::from_secs(60);
        assert_eq!(failure_delay(0, 3, max), Duration::ZERO);
        assert_eq!(failure_delay(3, 3, max), Duration::ZERO);
        assert_eq!(failure_delay(4, 3, max), Duration::from_secs(1));
        assert_eq!(failure_delay(5, 3, max), Duration::from_secs(2));
        assert_eq!(failure_delay(9, 3, max), Duration::from_secs(32));
        assert_eq!(failure_delay(10, 3, max), max);
        assert_eq!(failure_delay(u32::MAX, 3, max), max);
    }

    #[test]
    fn next_stays_inside_the_portal() {
        assert_eq!(safe_next(Some("/portal/documents?q=1")), "/portal/documents?q=1");
        assert_eq!(safe_next(Some("/portal")), "/portal");
        for hostile in ["https://evil.example/", "//evil.example", "/portal//evil", "/portal/\\evil", "/portalx", "/v/1", "/portal/a b"] {
            assert_eq!(safe_next(Some(hostile)), "/portal", "{hostile}");
        }
        assert_eq!(safe_next(None), "/portal");
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn lang_parameter_is_stripped() {
        assert_eq!(strip_lang("/portal/documents?lang=en&q=1"), "/portal/documents?q=1");
        assert_eq!(strip_lang("/portal?lang=ru"), "/portal");
        assert_eq!(strip_lang("/portal"), "/portal");
    }

    #[test]
    fn cookie_security_follows_the_base_url() {
        assert!(PortalConfig::for_base_url("https://hub.example").secure_cookies);
        assert!(PortalConfig::for_base_url("http://127.0.0.1:8080").secure_cookies);
        assert!(PortalConfig::for_base_url("http://localhost:8080").secure_cookies);
        assert!(!PortalConfig::for_base_url("http://10.0.0.5:8080").secure_cookies);
    }

    use super::super::PortalConfig;
}
