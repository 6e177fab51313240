//! Public verification pages: `/v/{hub_id}` is what a document's QR code
//! opens, in Russian or English (from `?lang=`, then Accept-Language). No
//! login, and no natural person's name or contact details.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use ecert_web::i18n::{Lang, negotiate};
use ecert_web::pages::{PublicDocumentView, STYLESHEET, STYLESHEET_PATH};
use serde::Deserialize;

use crate::Hub;
use crate::service::verification::{Request, Subject};

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/v") }))
        .route("/v", get(lookup))
        .route("/v/{hub_id}", get(verification_page))
        .route(STYLESHEET_PATH, get(stylesheet))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    id: Option<String>,
}

fn language(query: &PageQuery, headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    negotiate(query.lang.as_deref(), accept)
}

/// Wraps a page with the security headers every public page carries.
fn page(status: StatusCode, lang: Lang, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// Serves the lookup form, or redirects to the page of the typed hub ID.
/// Reads the page query; an unreadable one (such as a repeated `lang`) is
/// ignored rather than answered with a plain-text error.
fn page_query(query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>) -> PageQuery {
    query.map(|Query(q)| q).unwrap_or(PageQuery { lang: None, id: None })
}

async fn lookup(
    State(hub): State<Arc<Hub>>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let query = page_query(query);
    let lang = language(&query, &headers);
    match query.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        None => page(StatusCode::OK, lang, hub.pages.lookup_form(lang, None)),
        Some(id) => match id.parse::<ecert_core::HubId>() {
            Ok(hub_id) => Redirect::to(&format!("/v/{hub_id}?lang={}", lang.as_str())).into_response(),
            Err(_) => verification_response(&hub, lang, id.to_owned()).await,
        },
    }
}

async fn verification_page(
    State(hub): State<Arc<Hub>>,
    hub_id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let query = page_query(query);
    let lang = language(&query, &headers);
    match hub_id {
        Ok(Path(hub_id)) => verification_response(&hub, lang, hub_id).await,
        Err(rejection) => page(StatusCode::BAD_REQUEST, lang, hub.pages.not_found(lang, "", &rejection.body_text())),
    }
}

async fn verification_response(hub: &Hub, lang: Lang, hub_id: String) -> Response {
    let request = Request { subject: Subject::HubId(hub_id.clone()), file: None, as_of: None, verifying_country: None };
    let outcome = match hub.verify(request).await {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::warn!(code = %error.detail.code, "public verification failed");
            return page(error.status, lang, hub.pages.not_found(lang, &hub_id, &error.detail.message));
        }
    };
    let view = public_view(&outcome);
    let path = match &outcome.document {
        Some(d) => format!("/v/{}", d.hub_id),
        None => format!("/v?id={}", url::form_urlencoded::byte_serialize(hub_id.as_bytes()).collect::<String>()),
    };
    let status = if outcome.document.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    page(status, lang, hub.pages.verification(lang, &outcome.result, view.as_ref(), &path))
}

/// Builds the public part of a verified document, with the issuer's registered
/// name and `expired` for a valid document past its end date.
pub(crate) fn public_view(outcome: &crate::service::verification::Outcome) -> Option<PublicDocumentView> {
    outcome.document.as_ref().map(|d| {
        let expired = d.content.valid_until.is_some_and(|until| until < time::OffsetDateTime::now_utc());
        PublicDocumentView {
            hub_id: d.hub_id.to_string(),
            doc_type: d.doc_type,
            national_number: d.national_number.clone(),
            issuer_name: outcome.issuer_name.clone().unwrap_or_else(|| d.content.issuer_name.clone()),
            issuer_country: d.country.to_string(),
            product_name: d.content.product.name.clone(),
            model: d.content.product.model.clone(),
            hs_codes: d.content.product.hs_codes.iter().map(|h| h.code.to_string()).collect(),
            issued_at: d.content.issued_at,
            valid_until: d.content.valid_until,
            status: if expired && d.status == ecert_core::DocumentStatus::Valid { "expired".into() } else { d.status.as_str().into() },
            superseded_by: d.superseded_by.map(|id| id.to_string()),
        }
    })
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        STYLESHEET,
    )
        .into_response()
}
