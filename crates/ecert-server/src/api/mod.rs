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
