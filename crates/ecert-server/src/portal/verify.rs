//! Verification in the portal, as a customs officer does it at the border:
//! by hub ID, by uploading the document's PDF, or by uploading a photo of
//! its QR code, which the hub decodes. The page shows every check, as the
//! public page and the API do.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ecert_core::HubId;
use ecert_web::{Value, context};
use serde::Deserialize;

use super::PortalUser;
use crate::Hub;
use crate::error::ApiError;
use crate::service::verification::{Request, Subject};

const VERIFY_PATH: &str = "/portal/verify";

/// Photo decodes that may run at once on this node.
const DECODE_SLOTS: usize = 2;

fn decode_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(DECODE_SLOTS))
}

#[derive(Debug, Deserialize, Default)]
pub struct VerifyQuery {
    id: Option<String>,
    lang: Option<String>,
}

/// The subject of the officer's request, which the page repeats.
enum Asked {
    Nothing,
    HubId(String),
    Pdf,
    Photo(Vec<String>),
}

pub async fn form(State(hub): State<Arc<Hub>>, user: PortalUser, query: Result<Query<VerifyQuery>, QueryRejection>) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    match query.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        None => page(&hub, &user, StatusCode::OK, Asked::Nothing, None, None),
        Some(id) => verify_subject(&hub, &user, Subject::HubId(id.to_owned()), Asked::HubId(id.to_owned())).await,
    }
}

/// Finds the hub ID a QR code's text names: a verification URL ending in
/// `/v/{hub ID}`, or the bare hub ID.
pub fn hub_id_in_qr(text: &str) -> Option<HubId> {
    let text = text.trim();
    let candidate = match text.split_once("/v/") {
        Some((_, rest)) => rest.split(['?', '#', '/']).next().unwrap_or(""),
        None => text,
    };
    candidate.parse().ok()
}

pub async fn upload(State(hub): State<Arc<Hub>>, user: PortalUser, multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Response {
    let lang = user.lang;
    let mut csrf = String::new();
    let mut pdf = None;
    let mut photo = None;
    let read = async {
        let mut multipart = multipart.map_err(|r| r.body_text())?;
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            match field.name().unwrap_or_default() {
                "csrf" => csrf = field.text().await.map_err(|e| e.body_text())?,
                "pdf" => pdf = Some(field.bytes().await.map_err(|e| e.body_text())?.to_vec()).filter(|b| !b.is_empty()),
                "photo" => photo = Some(field.bytes().await.map_err(|e| e.body_text())?.to_vec()).filter(|b| !b.is_empty()),
                _ => {}
            }
        }
        Ok::<_, String>(())
    };
    if let Err(problem) = read.await {
        tracing::info!(problem, "verification upload could not be read");
        let message = hub.pages.text(lang, "form-error-upload");
        return page(&hub, &user, StatusCode::BAD_REQUEST, Asked::Nothing, None, Some(message));
    }
    if let Err(response) = user.check_csrf(&hub, &csrf) {
        return response;
    }
    match (pdf, photo) {
        (Some(pdf), _) => verify_subject(&hub, &user, Subject::File(pdf), Asked::Pdf).await,
        (None, Some(photo)) => {
            // Decoding a large photo takes a core for up to seconds, so at
            // most two run at once and further uploads wait their turn.
            let Ok(_slot) = decode_slots().acquire().await else {
                return user.error_page(&hub, &ApiError::internal(), VERIFY_PATH);
            };
            let decoded = tokio::task::spawn_blocking(move || ecert_pdf::decode_qr_photo(&photo)).await;
            let texts = match decoded {
                Ok(Ok(texts)) => texts,
                Ok(Err(error)) => {
                    tracing::info!(error = %error, "QR photo could not be decoded");
                    let message = hub.pages.text(lang, "verify-photo-unreadable");
                    return page(&hub, &user, StatusCode::UNPROCESSABLE_ENTITY, Asked::Photo(Vec::new()), None, Some(message));
                }
                Err(_) => return user.error_page(&hub, &ApiError::internal(), VERIFY_PATH),
            };
            match texts.iter().find_map(|text| hub_id_in_qr(text)) {
                Some(hub_id) => verify_subject(&hub, &user, Subject::HubId(hub_id.to_string()), Asked::Photo(texts)).await,
                None => {
                    let key = if texts.is_empty() { "verify-photo-unreadable" } else { "verify-photo-foreign" };
                    let message = hub.pages.text(lang, key);
                    page(&hub, &user, StatusCode::UNPROCESSABLE_ENTITY, Asked::Photo(texts), None, Some(message))
                }
            }
        }
        (None, None) => {
            let message = hub.pages.text(lang, "verify-nothing-uploaded");
            page(&hub, &user, StatusCode::UNPROCESSABLE_ENTITY, Asked::Nothing, None, Some(message))
        }
    }
}

async fn verify_subject(hub: &Hub, user: &PortalUser, subject: Subject, asked: Asked) -> Response {
    let lang = user.lang;
    let request = Request { subject, file: None, as_of: None, verifying_country: None };
    match hub.verify(request).await {
        Ok(outcome) => {
            let view = crate::public::public_view(&outcome);
            let result = hub.pages.verification_context(lang, &outcome.result, view.as_ref());
            let did_you_mean: Vec<String> = outcome.did_you_mean.iter().map(ToString::to_string).collect();
            let status = if outcome.document.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
            let ctx_result = context! { ..result, ..context! { did_you_mean => did_you_mean } };
            page(hub, user, status, asked, Some(ctx_result), None)
        }
        Err(error) => {
            let message = super::error_text(hub, lang, &error);
            let status = super::page_status(&error);
            page(hub, user, status, asked, None, Some(message))
        }
    }
}

fn page(hub: &Hub, user: &PortalUser, status: StatusCode, asked: Asked, result: Option<Value>, error: Option<String>) -> Response {
    let (asked_kind, asked_id, decoded) = match asked {
        Asked::Nothing => ("none", String::new(), Vec::new()),
        Asked::HubId(id) => ("hub_id", id, Vec::new()),
        Asked::Pdf => ("pdf", String::new(), Vec::new()),
        Asked::Photo(texts) => ("photo", String::new(), texts),
    };
    let ctx = context! {
        asked => asked_kind,
        hub_id_value => asked_id.chars().take(64).collect::<String>(),
        decoded => decoded,
        result => result,
        error => error,
    };
    user.page(hub, status, "portal_verify.html", VERIFY_PATH, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_text_yields_the_hub_id() {
        let country: ecert_core::CountryCode = "UZ".parse().expect("country code");
        let expected = HubId::new(country, ecert_core::DocType::Certificate, 0x1234_5678);
        let id = expected.to_string();
        let id = id.as_str();
        assert_eq!(hub_id_in_qr(&format!("https://verify.example/v/{id}")), Some(expected));
        assert_eq!(hub_id_in_qr(&format!("https://verify.example/v/{id}?lang=ru")), Some(expected));
        assert_eq!(hub_id_in_qr(id), Some(expected));
        assert_eq!(hub_id_in_qr("https://example.com/other"), None);
        assert_eq!(hub_id_in_qr("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH"), None);
    }
}
