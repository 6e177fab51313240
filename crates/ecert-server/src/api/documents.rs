//! Registering, reading, searching and changing the status of documents,
//! their QR codes, and the credential schema.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ecert_core::document::SCHEMA_JSON;
use ecert_core::{CountryCode, DocType, DocumentStatus, HubId, StatusAction, TrustBasis};
use ecert_store::{DocumentQuery, DocumentRecord, PageRequest, StatusChangeRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, ApiQuery, decode_base64, parse_hub_id};
use super::PageQuery;
use super::organisations::bad_cursor;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service::documents::FileInput;
use crate::{Hub, Principal};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new()
        .routes(routes!(search_documents, submit_signed))
        .routes(routes!(submit_unsigned))
        .routes(routes!(get_document))
        .routes(routes!(document_history))
        .routes(routes!(change_status))
        .routes(routes!(signed_original))
        .routes(routes!(document_file))
        .routes(routes!(qr_png))
        .routes(routes!(qr_svg))
        .routes(routes!(conformity_schema))
}

/// Links of a registered document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub verification: String,
    /// The public verification page the QR code encodes.
    pub public_page: String,
    pub qr_png: String,
    pub qr_svg: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentBody {
    #[schema(value_type = String, example = "UZ-CC-7Q3K-9XMP-H")]
    pub hub_id: HubId,
    pub doc_type: DocType,
    #[schema(value_type = String)]
    pub country: CountryCode,
    pub issuer_org_id: Uuid,
    pub national_number: String,
    /// Stored status. `expired` is true when `valid_until` has passed.
    pub status: DocumentStatus,
    pub expired: bool,
    pub trust_basis: TrustBasis,
    pub kid: Option<String>,
    pub file_sha256: Option<String>,
    pub stamped_sha256: Option<String>,
    pub file_url: Option<String>,
    #[schema(value_type = Option<String>)]
    pub supersedes: Option<HubId>,
    #[schema(value_type = Option<String>)]
    pub superseded_by: Option<HubId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: OffsetDateTime,
    /// The credential as registered (W3C VC 2.0).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    pub links: DocumentLinks,
}

impl DocumentBody {
    pub fn new(hub: &Hub, d: DocumentRecord) -> Self {
        let id = d.hub_id;
        let credential = serde_json::from_slice(&d.payload).unwrap_or_else(|_| d.content.to_credential());
        let expired = d.content.valid_until.is_some_and(|until| until < OffsetDateTime::now_utc());
        DocumentBody {
            hub_id: id,
            doc_type: d.doc_type,
            country: d.country,
            issuer_org_id: d.issuer_org_id,
            national_number: d.national_number,
            status: d.status,
            expired,
            trust_basis: d.trust_basis,
            kid: d.kid,
            file_sha256: d.file_sha256,
            stamped_sha256: d.stamped_sha256,
            file_url: d.file_url,
            supersedes: d.supersedes,
            superseded_by: d.superseded_by,
            registered_at: d.registered_at,
            credential,
            links: links(hub, id),
        }
    }
}

pub fn links(hub: &Hub, id: HubId) -> DocumentLinks {
    DocumentLinks {
        self_: format!("/api/v1/documents/{id}"),
        verification: format!("/api/v1/documents/{id}/verification"),
        public_page: hub.public_url(id),
        qr_png: format!("/api/v1/documents/{id}/qr.png"),
        qr_svg: format!("/api/v1/documents/{id}/qr.svg"),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedSubmission {
    /// Compact JWS, header `typ: "vc+jwt"`, `kid` = thumbprint of a registered key.
    pub jws: String,
    /// The PDF, base64. For countries whose policy is `metadata_only` only its hash is kept.
    pub pdf_base64: Option<String>,
    /// SHA-256 of the PDF (hex), when the file stays in the national system.
    pub file_sha256: Option<String>,
    /// URL at which the national system serves the file.
    pub file_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsignedSubmission {
    /// The credential JSON (same schema as a signed payload).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    pub pdf_base64: Option<String>,
    pub file_sha256: Option<String>,
    pub file_url: Option<String>,
}

fn file_input(pdf_base64: Option<String>, file_sha256: Option<String>, file_url: Option<String>) -> ApiResult<Option<FileInput>> {
    match (pdf_base64, file_sha256) {
        (Some(_), Some(_)) => Err(ApiError::bad_request("ambiguous_file", "send either pdf_base64 or file_sha256, not both").field("file_sha256")),
        (Some(pdf), None) => {
            let bytes = decode_base64("pdf_base64", &pdf)?;
            if bytes.is_empty() {
                return Err(ApiError::bad_request("empty_file", "pdf_base64 is empty").field("pdf_base64").fix("send the PDF's bytes in base64, or omit the field"));
            }
            Ok(Some(FileInput::Bytes(bytes)))
        }
        (None, Some(sha256)) => Ok(Some(FileInput::Reference { sha256, url: file_url })),
        (None, None) => Ok(None),
    }
}

/// Register a signed CoC or TR. Returns 201 with the new entry, or 200
/// with the existing one when the same payload was registered before.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])), request_body = SignedSubmission,
    responses((status = 201, body = DocumentBody), (status = 200, body = DocumentBody, description = "already registered"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_signed(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiJson(body): ApiJson<SignedSubmission>,
) -> ApiResult<(StatusCode, Json<DocumentBody>)> {
    let file = file_input(body.pdf_base64, body.file_sha256, body.file_url)?;
    let registered = hub.submit_signed(Principal::Caller(&caller), &body.jws, file).await?;
    let status = if registered.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(DocumentBody::new(&hub, registered.record))))
}

/// Register a document without a signature. The hub records the content and
/// the file hash and signs an attestation with its own key.
#[utoipa::path(post, path = "/api/v1/documents/unsigned", tag = "documents", security(("bearer" = [])), request_body = UnsignedSubmission,
    responses((status = 201, body = DocumentBody), (status = 200, body = DocumentBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_unsigned(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiJson(body): ApiJson<UnsignedSubmission>,
) -> ApiResult<(StatusCode, Json<DocumentBody>)> {
    let file = file_input(body.pdf_base64, body.file_sha256, body.file_url)?;
    let registered = hub.submit_unsigned(Principal::Caller(&caller), &body.credential, file).await?;
    let status = if registered.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(DocumentBody::new(&hub, registered.record))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentFilter {
    #[param(value_type = Option<String>)]
    pub country: Option<CountryCode>,
    #[param(value_type = Option<String>)]
    pub doc_type: Option<DocType>,
    /// Organisation id of the issuer.
    pub issuer: Option<Uuid>,
    pub national_number: Option<String>,
    /// HS code or prefix, 2 to 10 digits.
    pub hs_code: Option<String>,
    #[param(value_type = Option<String>)]
    pub status: Option<DocumentStatus>,
    /// Issued on or after (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub issued_from: Option<OffsetDateTime>,
    /// Issued on or before (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub issued_to: Option<OffsetDateTime>,
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentBody>,
    pub next: Option<String>,
}

/// Search documents, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])), params(DocumentFilter),
    responses((status = 200, body = DocumentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn search_documents(
    State(hub): State<Arc<Hub>>,
    _caller: Caller,
    ApiQuery(filter): ApiQuery<DocumentFilter>,
) -> ApiResult<Json<DocumentPage>> {
    if let Some(prefix) = &filter.hs_code
        && (!(2..=10).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::bad_request("invalid_query", "hs_code must be 2 to 10 digits").field("hs_code"));
    }
    let query = DocumentQuery {
        country: filter.country,
        doc_type: filter.doc_type,
        issuer_org_id: filter.issuer,
        national_number: filter.national_number,
        hs_code: filter.hs_code,
        status: filter.status,
        issued_from: filter.issued_from,
        issued_to: filter.issued_to,
    };
    let page = PageRequest { after: filter.after, limit: filter.limit.unwrap_or(50).clamp(1, PageRequest::MAX_LIMIT) };
    let page = hub.store.search_documents(&query, page).await.map_err(bad_cursor)?;
    Ok(Json(DocumentPage { items: page.items.into_iter().map(|d| DocumentBody::new(&hub, d)).collect(), next: page.next }))
}

/// Read a registered document.
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}", tag = "documents", security(("bearer" = [])),
    params(("hub_id" = String, Path, example = "UZ-CC-7Q3K-9XMP-H")),
    responses((status = 200, body = DocumentBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_document(State(hub): State<Arc<Hub>>, _caller: Caller, ApiPath(hub_id): ApiPath<String>) -> ApiResult<Json<DocumentBody>> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    Ok(Json(DocumentBody::new(&hub, document)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeBody {
    pub id: Uuid,
    pub action: StatusAction,
    pub from: DocumentStatus,
    pub to: DocumentStatus,
    /// Free text that may name people: shown to the document's own country
    /// and the hub operator only, `null` for other countries.
    pub reason: Option<String>,
    pub actor_org_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub effective_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
}

impl From<StatusChangeRecord> for StatusChangeBody {
    fn from(c: StatusChangeRecord) -> Self {
        StatusChangeBody {
            id: c.id,
            action: c.action,
            from: c.from,
            to: c.to,
            reason: Some(c.reason),
            actor_org_id: c.actor_org_id,
            effective_at: c.effective_at,
            recorded_at: c.recorded_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<StatusChangeBody>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// The status history of a document, in the order the changes were recorded.
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/history", tag = "documents", security(("bearer" = [])),
    params(("hub_id" = String, Path), PageQuery), responses((status = 200, body = HistoryPage), (status = 404, body = ErrorBody)))]
async fn document_history(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(hub_id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<HistoryPage>> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    let (items, next) = page.apply(hub.store.document_history(document.hub_id).await?, |c| c.id.to_string())?;
    let reasons_visible = caller.is_operator() || caller.country() == Some(document.country);
    let items = items
        .into_iter()
        .map(StatusChangeBody::from)
        .map(|mut change| {
            if !reasons_visible {
                change.reason = None;
            }
            change
        })
        .collect();
    Ok(Json(HistoryPage { items, next }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// `suspend`, `reinstate` or `withdraw`.
    pub action: StatusAction,
    pub reason: String,
    /// When the change takes effect; now when omitted. May be backdated, not set in the future.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_at: Option<OffsetDateTime>,
}

/// Suspend, reinstate or withdraw a document (the issuing CAB or a national admin of its country).
#[utoipa::path(post, path = "/api/v1/documents/{hub_id}/status", tag = "documents", security(("bearer" = [])),
    params(("hub_id" = String, Path)), request_body = StatusChangeRequest,
    responses((status = 200, body = DocumentBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_status(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(hub_id): ApiPath<String>,
    ApiJson(body): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<DocumentBody>> {
    let document = hub
        .change_status(Principal::Caller(&caller), parse_hub_id(&hub_id)?, body.action, body.reason, body.effective_at)
        .await?;
    Ok(Json(DocumentBody::new(&hub, document)))
}

/// The signed original as registered (compact JWS).
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/jws", tag = "documents", security(("bearer" = [])),
    params(("hub_id" = String, Path)),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = 404, body = ErrorBody)))]
async fn signed_original(State(hub): State<Arc<Hub>>, _caller: Caller, ApiPath(hub_id): ApiPath<String>) -> ApiResult<Response> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    let jws = document
        .jws
        .ok_or_else(|| ApiError::not_found(format!("signed original of {hub_id} (it was registered with a hub attestation)")))?;
    Ok(([(header::CONTENT_TYPE, "application/vc+jwt")], jws).into_response())
}

/// The document's PDF, when the hub keeps it.
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/file", tag = "documents", security(("bearer" = [])),
    params(("hub_id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn document_file(State(hub): State<Arc<Hub>>, _caller: Caller, ApiPath(hub_id): ApiPath<String>) -> ApiResult<Response> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    let sha = document.file_sha256.ok_or_else(|| ApiError::not_found(format!("file of {hub_id}")))?;
    let bytes = match hub.blobs.get(&sha).await {
        Ok(bytes) => bytes,
        Err(ecert_store::blob::BlobError::NotFound(_)) => {
            let location = document.file_url.map(|url| format!("; the issuer gives its location as {url}")).unwrap_or_default();
            return Err(ApiError::not_found(format!(
                "file of {hub_id}: the hub recorded only its SHA-256 {sha}{location}"
            )));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response())
}

/// The QR code of a document's public verification URL, as PNG (public).
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/qr.png", tag = "documents",
    params(("hub_id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn qr_png(State(hub): State<Arc<Hub>>, ApiPath(hub_id): ApiPath<String>) -> ApiResult<Response> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    let png = ecert_web::qr::qr_png(&hub.public_url(document.hub_id), 8).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        ApiError::internal()
    })?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], png).into_response())
}

/// The QR code of a document's public verification URL, as SVG (public).
#[utoipa::path(get, path = "/api/v1/documents/{hub_id}/qr.svg", tag = "documents",
    params(("hub_id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn qr_svg(State(hub): State<Arc<Hub>>, ApiPath(hub_id): ApiPath<String>) -> ApiResult<Response> {
    let document = hub.document(parse_hub_id(&hub_id)?).await?;
    let svg = ecert_web::qr::qr_svg(&hub.public_url(document.hub_id)).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        ApiError::internal()
    })?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg).into_response())
}

/// The JSON Schema of the credential payload (public).
#[utoipa::path(get, path = "/api/v1/schemas/conformity/1", tag = "documents",
    responses((status = 200, content_type = "application/schema+json", body = Object)))]
async fn conformity_schema() -> Response {
    ([(header::CONTENT_TYPE, "application/schema+json")], SCHEMA_JSON).into_response()
}
