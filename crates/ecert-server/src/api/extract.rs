//! Request extractors that turn malformed input into the API's error shape
//! instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use ecert_core::HubId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON body. A syntax or type error names the path inside the body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON",
        )
        .fix("send the header Content-Type: application/json"),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::bad_request("invalid_json", e.body_text()).fix("send a syntactically valid JSON document")
        }
        JsonRejection::JsonDataError(e) => {
            // The message reads "Failed to deserialize …: path: problem".
            let text = e.body_text();
            let detail = text.split_once(": ").map(|(_, rest)| rest.to_owned()).unwrap_or(text);
            let field = detail.split_once(": ").map(|(path, _)| path.to_owned());
            let mut error = ApiError::unprocessable("invalid_field", detail)
                .fix("check the field against the request schema in /api/v1/openapi.json");
            if let Some(field) = field.filter(|f| !f.contains(' ')) {
                error = error.field(field);
            }
            error
        }
        JsonRejection::BytesRejection(e) => ApiError::new(e.status(), "body_rejected", e.body_text()),
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// Query string parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad_request(
                "invalid_query",
                e.body_text(),
            )
            .fix("check the query parameters against /api/v1/openapi.json")),
            Err(other) => Err(ApiError::bad_request("invalid_query", other.body_text())),
        }
    }
}

/// Path parameters. A segment that is not valid UTF-8 gets the JSON error
/// shape rather than axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => {
                // The message names the parameter in backticks, e.g. "Invalid UTF-8 in `hub_id`".
                let text = rejection.body_text();
                let field = text.split('`').nth(1).map(str::to_owned);
                let code = if field.as_deref() == Some("hub_id") { "invalid_hub_id" } else { "invalid_path" };
                let mut error = ApiError::bad_request(code, text)
                    .fix("path parameters are UTF-8 text, such as the hub ID UZ-CC-7Q3K-9XMP-H");
                if let Some(field) = field {
                    error = error.field(field);
                }
                Err(error)
            }
        }
    }
}

/// Parses a hub ID from a path segment with a helpful error.
pub fn parse_hub_id(text: &str) -> Result<HubId, ApiError> {
    text.parse::<HubId>().map_err(|e| {
        ApiError::bad_request("invalid_hub_id", e.to_string())
            .field("hub_id")
            .fix("a hub ID looks like UZ-CC-7Q3K-9XMP-H; copy it from the document or its QR code")
    })
}

/// Responds to a method a route does not take: with a JSON error for the
/// API, with a short HTML page for the portal and the public pages.
pub async fn method_not_allowed(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if uri.path().starts_with("/api/") {
        return ApiError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not accept this HTTP method")
            .fix("see /api/v1/openapi.json for the methods of each endpoint")
            .into_response();
    }
    let page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>405</title></head><body><p>This page does not accept this request method. / Эта страница не принимает такой метод запроса.</p></body></html>\n";
    crate::portal::html_page(axum::http::StatusCode::METHOD_NOT_ALLOWED, ecert_web::Lang::En, page.to_owned())
}

pub async fn api_not_found() -> ApiError {
    ApiError::not_found("endpoint").fix("see /api/v1/openapi.json for the endpoints")
}

/// Decodes standard base64 (with or without padding) for file uploads.
pub fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    use base64::Engine as _;
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned.trim_end_matches('='))
        .map_err(|e| ApiError::bad_request("invalid_base64", format!("{field} is not base64: {e}")).field(field))
}
