//! Verification endpoints. Public: verifying needs no token, and the
//! response carries no natural person's name or contact details.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use ecert_core::document::pick_lang;
use ecert_core::{CountryCode, DocType, HubId, VerificationResult};
use ecert_store::DocumentRecord;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{ApiJson, ApiPath, ApiQuery, decode_base64};
use crate::Hub;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service::verification::{Request, Subject};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new().routes(routes!(verify)).routes(routes!(verify_hub_id))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Hub ID, e.g. `UZ-CC-7Q3K-9XMP-H` (case-insensitive, hyphens optional).
    pub hub_id: Option<String>,
    /// A compact JWS as registered.
    pub jws: Option<String>,
    /// A PDF, base64: alone it identifies the document by hash; with hub_id
    /// or jws it is compared with the registered file.
    pub pdf_base64: Option<String>,
    /// Judge status and validity as of this time, e.g. the import date.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<OffsetDateTime>,
    /// The country verifying, for the agreement coverage check.
    #[schema(value_type = Option<String>, example = "KZ")]
    pub verifying_country: Option<CountryCode>,
}

/// The document a verification concerns, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedDocument {
    #[schema(value_type = String)]
    pub hub_id: HubId,
    pub doc_type: DocType,
    pub national_number: String,
    pub issuer_name: String,
    pub issuer_id: String,
    pub product_name: String,
    pub model: Option<String>,
    pub hs_codes: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_until: Option<OffsetDateTime>,
    pub status: String,
    #[schema(value_type = Option<String>)]
    pub superseded_by: Option<HubId>,
}

impl VerifiedDocument {
    /// Builds the summary; `issuer_name` is the registered name of the issuer.
    pub fn new(d: &DocumentRecord, issuer_name: Option<&str>) -> Self {
        let expired = d.content.valid_until.is_some_and(|until| until < OffsetDateTime::now_utc());
        let status = if expired && d.status == ecert_core::DocumentStatus::Valid { "expired" } else { d.status.as_str() };
        VerifiedDocument {
            hub_id: d.hub_id,
            doc_type: d.doc_type,
            national_number: d.national_number.clone(),
            issuer_name: issuer_name.unwrap_or(&d.content.issuer_name).to_owned(),
            issuer_id: d.content.issuer.to_string(),
            product_name: pick_lang(&d.content.product.name, "en").to_owned(),
            model: d.content.product.model.clone(),
            hs_codes: d.content.product.hs_codes.iter().map(|h| h.code.to_string()).collect(),
            issued_at: d.content.issued_at,
            valid_until: d.content.valid_until,
            status: status.to_owned(),
            superseded_by: d.superseded_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    #[serde(flatten)]
    pub result: VerificationResult,
    pub document: Option<VerifiedDocument>,
    /// For a mistyped hub ID: registered hub IDs one typo away.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub did_you_mean: Vec<HubId>,
}

/// Verify a document by hub ID, by its JWS, or by its PDF (public).
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification", request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse), (status = 400, body = ErrorBody)))]
async fn verify(State(hub): State<Arc<Hub>>, ApiJson(body): ApiJson<VerifyRequest>) -> ApiResult<Json<VerifyResponse>> {
    let pdf = body.pdf_base64.as_deref().map(|b| decode_base64("pdf_base64", b)).transpose()?;
    if pdf.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::bad_request("empty_file", "pdf_base64 is empty").field("pdf_base64").fix("send the PDF's bytes in base64, or omit the field"));
    }
    let (subject, file) = match (body.hub_id, body.jws, pdf) {
        (Some(hub_id), None, file) => (Subject::HubId(hub_id), file),
        (None, Some(jws), file) => (Subject::Jws(jws), file),
        (None, None, Some(pdf)) => (Subject::File(pdf), None),
        (None, None, None) => {
            return Err(ApiError::bad_request("missing_subject", "give hub_id, jws or pdf_base64").field("hub_id"));
        }
        (Some(_), Some(_), _) => {
            return Err(ApiError::bad_request("ambiguous_subject", "give either hub_id or jws, not both").field("jws"));
        }
    };
    let outcome = hub
        .verify(Request { subject, file, as_of: body.as_of, verifying_country: body.verifying_country })
        .await?;
    Ok(Json(VerifyResponse {
        document: outcome.document.as_ref().map(|d| VerifiedDocument::new(d, outcome.issuer_name.as_deref())),
        result: outcome.result,
        did_you_mean: outcome.did_you_mean,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerificationQuery {
    /// Judge status and validity as of this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<OffsetDateTime>,
    #[param(value_type = Option<String>)]
    pub verifying_country: Option<CountryCode>,
}

/// Verify a document by its hub ID (public).
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/verification", tag = "verification",
    params(("hub_id" = String, Path), VerificationQuery),
    responses((status = 200, body = VerifyResponse), (status = 400, body = ErrorBody)))]
async fn verify_hub_id(
    State(hub): State<Arc<Hub>>,
    ApiPath(hub_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VerificationQuery>,
) -> ApiResult<Json<VerifyResponse>> {
    let outcome = hub
        .verify(Request { subject: Subject::HubId(hub_id), file: None, as_of: query.as_of, verifying_country: query.verifying_country })
        .await?;
    Ok(Json(VerifyResponse {
        document: outcome.document.as_ref().map(|d| VerifiedDocument::new(d, outcome.issuer_name.as_deref())),
        result: outcome.result,
        did_you_mean: outcome.did_you_mean,
    }))
}
