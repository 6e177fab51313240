//! One JSON error shape for every endpoint:
//! `{"error": {"code", "message", "field", "fix", "details"}}`.
//!
//! Client mistakes get a 4xx naming the field and the fix. Internal errors
//! get a generic 500; the cause chain goes to the log, never to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ecert_core::FieldError;
use ecert_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `validation_failed`, `unknown_key`.
    pub code: String,
    /// Description of the problem, in English.
    pub message: String,
    /// The request field at fault, as a dotted path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Every invalid field when several are wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Extra facts, such as the hub ID of an existing entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed so that `Result<T, ApiError>` stays small on the happy path.
    pub detail: Box<ErrorDetail>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: Box::new(ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                field: None,
                fix: None,
                details: Vec::new(),
                context: None,
            }),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{} not found", what.into()))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required")
            .fix("send the header Authorization: Bearer <API token>")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error; the hub log has the details")
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let first = errors.first().cloned();
        let mut error = Self::unprocessable(
            "validation_failed",
            match &first {
                Some(e) => format!("{} {}", e.field, e.message),
                None => "the request is invalid".to_owned(),
            },
        );
        error.detail.field = first.map(|e| e.field);
        error.detail.details = errors;
        error
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.detail.fix = Some(fix.into());
        self
    }

    pub fn context(mut self, context: serde_json::Value) -> Self {
        self.detail.context = Some(context);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: *self.detail })).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(message) => ApiError::conflict("conflict", message),
            StoreError::Backend(cause) => {
                tracing::error!(error = %cause, "storage failed");
                ApiError::internal()
            }
        }
    }
}

impl From<ecert_store::blob::BlobError> for ApiError {
    fn from(error: ecert_store::blob::BlobError) -> Self {
        match error {
            ecert_store::blob::BlobError::NotFound(id) => ApiError::not_found(format!("file {id}")),
            ecert_store::blob::BlobError::InvalidId(id) => {
                ApiError::bad_request("invalid_sha256", format!("{id:?} is not a SHA-256 in hex"))
            }
            other => {
                tracing::error!(error = %other, "blob storage failed");
                ApiError::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
