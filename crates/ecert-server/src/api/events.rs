//! The event log of the caller's country.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use ecert_store::Event;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::ApiQuery;
use crate::Hub;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Return events with a sequence number greater than this (0 for the start).
    #[serde(default)]
    pub after: i64,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub seq: i64,
    /// e.g. `document.registered`, `document.status_changed`, `key.registered`.
    pub kind: String,
    pub country: Option<String>,
    pub actor_org_id: Option<Uuid>,
    pub subject: String,
    pub content_sha256: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub effective_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        EventBody {
            seq: e.seq,
            kind: e.kind.as_str().to_owned(),
            country: e.country.map(|c| c.to_string()),
            actor_org_id: e.actor_org_id,
            subject: e.subject,
            content_sha256: e.content_sha256,
            effective_at: e.effective_at,
            recorded_at: e.recorded_at,
            data: e.data,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventBody>,
    /// Pass as `after` for the next page.
    pub last_seq: i64,
}

/// Events of the caller's country (all countries for the hub operator), in
/// sequence order.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])), params(EventQuery),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_events(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<Json<EventPage>> {
    if query.after < 0 {
        return Err(ApiError::bad_request("invalid_query", "after must be 0 or a sequence number").field("after"));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let country = if caller.is_operator() { None } else { caller.country() };
    if country.is_none() && !caller.is_operator() {
        return Err(ApiError::forbidden("events are readable by their own country and the hub operator"));
    }
    let events: Vec<EventBody> = hub.store.list_events(country, query.after, limit).await?.into_iter().map(Into::into).collect();
    let last_seq = events.last().map(|e| e.seq).unwrap_or(query.after);
    Ok(Json(EventPage { events, last_seq }))
}
