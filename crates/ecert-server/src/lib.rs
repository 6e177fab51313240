//! The HTTP layer of the e-CERT Hub and the services behind it.
//!
//! - [`Hub`]: shared state (store, blobs, hub keys, configuration) and the
//!   services in [`service`], used by the API, the public pages and the CLI.
//! - [`api`]: JSON API under `/api/v1`, grouped by resource, with the
//!   OpenAPI 3.1 document at `/api/v1/openapi.json`.
//! - [`public`]: the public verification pages under `/v`.
//! - [`portal`]: the web portal under `/portal` for track B and C users:
//!   login, documents, verification, national and hub administration.
//! - [`serve`]: runs the router on a listener until a shutdown future ends.

pub mod api;
pub mod auth;
pub mod error;
pub mod hub_keys;
pub mod portal;
pub mod public;
pub mod service;
mod telemetry;

use std::sync::Arc;
use std::time::Duration;

use ecert_store::Store;
use ecert_store::blob::BlobStore;
use tokio::net::TcpListener;

pub use service::Principal;

/// Settings of a running hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Base of public verification URLs printed in QR codes, without a
    /// trailing slash, e.g. `https://verify.ecert-hub.org`. Set once per
    /// deployment to a name that outlives any server.
    pub public_base_url: String,
    /// How far a claimed issue date may lie ahead of the hub's clock.
    pub clock_skew: Duration,
    /// Largest request body accepted, in bytes (PDFs travel in the body).
    pub max_body_bytes: usize,
    /// Sessions, cookies and login delays of the web portal.
    pub portal: portal::PortalConfig,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            public_base_url: "http://127.0.0.1:8080".into(),
            clock_skew: Duration::from_secs(300),
            max_body_bytes: 25 * 1024 * 1024,
            portal: portal::PortalConfig::default(),
        }
    }
}

/// The shared state of a hub node.
pub struct Hub {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub hub_keys: hub_keys::HubKeys,
    pub config: HubConfig,
    pub pages: ecert_web::pages::Pages,
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        hub_keys: hub_keys::HubKeys,
        config: HubConfig,
    ) -> anyhow::Result<Arc<Self>> {
        let catalog = Arc::new(ecert_web::i18n::Catalog::new()?);
        let pages = ecert_web::pages::Pages::new(catalog)?;
        Ok(Arc::new(Hub { store, blobs, hub_keys, config, pages }))
    }

    /// Returns the public verification URL of a document, as encoded in its QR code.
    pub fn public_url(&self, hub_id: ecert_core::HubId) -> String {
        format!("{}/v/{hub_id}", self.config.public_base_url)
    }
}

/// Builds the full router: API, public pages, health check.
pub fn router(hub: Arc<Hub>) -> axum::Router {
    let max_body = hub.config.max_body_bytes;
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    axum::Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .merge(public::router())
        .merge(portal::router())
        .route("/healthz", axum::routing::get(api::health::healthz))
        .method_not_allowed_fallback(api::extract::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(hub)
        .layer(telemetry::layer())
}

/// How long requests in flight may run after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `hub` on `listener` until `shutdown` completes, then lets requests
/// in flight finish for at most [`SHUTDOWN_GRACE`], so a stalled client
/// cannot keep the node from stopping.
pub async fn serve(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, public_base_url = %hub.config.public_base_url, "e-CERT Hub listening");

    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    };
    let app = router(hub).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown).into_future();
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result?,
        () = deadline => tracing::warn!(%address, grace_s = SHUTDOWN_GRACE.as_secs(), "requests still running after the grace period; stopping anyway"),
    }
    tracing::info!(%address, "e-CERT Hub stopped");
    Ok(())
}
