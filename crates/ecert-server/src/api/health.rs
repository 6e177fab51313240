//! Liveness and readiness.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use ecert_store::{PoolBusy, StoreError, StoreResult};

use crate::Hub;

/// Longest time `/healthz` waits for the database, because load balancers
/// usually give a health check only a few seconds.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// Outcome of one health check.
#[derive(Debug, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// The database accepts connections, but every pooled connection of
    /// this node is in use.
    PoolBusy,
    Unreachable,
    TimedOut,
}

/// Returns 200 when the database responds within [`HEALTH_TIMEOUT`], also
/// when only this node's connection pool is busy, and 503 otherwise.
///
/// A busy pool counts as healthy because its usual cause, a writer that
/// holds the event-log lock, fills the pools of every node at once: failing
/// the check would take the whole hub out of the load balancer.
pub async fn healthz(State(hub): State<Arc<Hub>>) -> (StatusCode, &'static str) {
    match check(hub.store.ping(), HEALTH_TIMEOUT).await {
        Health::Ok => (StatusCode::OK, "ok\n"),
        Health::PoolBusy => (StatusCode::OK, "ok: database reachable, connection pool busy\n"),
        Health::Unreachable => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n"),
        Health::TimedOut => (StatusCode::SERVICE_UNAVAILABLE, "database timed out\n"),
    }
}

/// Runs `ping` with a time limit, logs every outcome other than
/// [`Health::Ok`] with its cause, and classifies it.
pub async fn check(ping: impl Future<Output = StoreResult<()>>, timeout: Duration) -> Health {
    match tokio::time::timeout(timeout, ping).await {
        Ok(Ok(())) => Health::Ok,
        Ok(Err(StoreError::Backend(source))) if source.downcast_ref::<PoolBusy>().is_some() => {
            tracing::warn!(error = %source, "health check: database reachable, but the connection pool is busy");
            Health::PoolBusy
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database unreachable");
            Health::Unreachable
        }
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "health check: the database did not respond in time");
            Health::TimedOut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn check_times_out_slow_database() {
        let started = std::time::Instant::now();

        let health = check(std::future::pending(), Duration::from_millis(100)).await;

        assert_eq!(health, Health::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(1), "the check took {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn check_tells_busy_pool_from_unreachable() {
        let busy = async { Err(StoreError::Backend(Box::new(PoolBusy { max_connections: 2 }))) };
        let refused = async { Err(StoreError::Backend("connection refused".into())) };

        assert_eq!(check(busy, HEALTH_TIMEOUT).await, Health::PoolBusy);
        assert_eq!(check(refused, HEALTH_TIMEOUT).await, Health::Unreachable);
        assert_eq!(check(async { Ok(()) }, HEALTH_TIMEOUT).await, Health::Ok);
    }
}
