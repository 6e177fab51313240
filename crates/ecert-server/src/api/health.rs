//! Liveness and readiness.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use crate::Hub;

/// Returns 200 when the database responds, 503 otherwise.
pub async fn healthz(State(hub): State<Arc<Hub>>) -> (StatusCode, &'static str) {
    match hub.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}
