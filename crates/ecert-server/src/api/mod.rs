//! The JSON API under `/api/v1`, one module per resource. Handlers are thin:
//! they extract and validate the request, call a [`crate::Hub`] service and
//! shape the response.

pub mod countries;
pub mod documents;
pub mod events;
pub mod extract;
pub mod health;
pub mod keys;
pub mod organisations;
pub mod verification;

use std::sync::Arc;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::Hub;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "e-CERT Hub API",
        description = "Registration, exchange and verification of certificates of conformity (CoC) and test reports (TR). \
Every error has the shape {\"error\": {\"code\", \"message\", \"field\", \"fix\", \"details\"}}. \
Write endpoints need a bearer token bound to an organisation and its roles.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "documents", description = "Register CoCs and test reports, change their status, search"),
        (name = "verification", description = "Verify a document by hub ID, JWS or file; public"),
        (name = "parties", description = "Countries, organisations, accreditations, API tokens"),
        (name = "keys", description = "Public keys of organisations and of the hub"),
        (name = "events", description = "The event log of the caller's country"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("ecert_…").build()),
        );
    }
}

/// Builds the API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(countries::router())
        .merge(organisations::router())
        .merge(keys::router())
        .merge(documents::router())
        .merge(verification::router())
        .merge(events::router())
        .fallback(extract::api_not_found)
}

/// Paging parameters of the short lists that the store returns whole
/// (countries, an organisation's keys and accreditations, a document's
/// history). The cursor is the id of the last item of the previous page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next` value of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
}

impl PageQuery {
    /// Cuts one page out of `items`, which must be in a stable order.
    pub fn apply<T>(&self, items: Vec<T>, id: impl Fn(&T) -> String) -> crate::error::ApiResult<(Vec<T>, Option<String>)> {
        let limit = self.limit.unwrap_or(100).clamp(1, ecert_store::PageRequest::MAX_LIMIT) as usize;
        let start = match &self.after {
            None => 0,
            Some(cursor) => {
                let position = items.iter().position(|item| id(item) == *cursor).ok_or_else(|| {
                    crate::error::ApiError::bad_request("invalid_cursor", format!("cursor {cursor:?} matches no item of this list"))
                        .field("after")
                        .fix("pass the `next` value of the previous page")
                })?;
                position + 1
            }
        };
        let page: Vec<T> = items.into_iter().skip(start).take(limit + 1).collect();
        let more = page.len() > limit;
        let mut page = page;
        page.truncate(limit);
        let next = if more { page.last().map(&id) } else { None };
        Ok((page, next))
    }
}
