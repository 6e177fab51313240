//! Opening a hub node on its data directory, and serving it until SIGINT
//! or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use ecert_server::hub_keys::HubKeys;
use ecert_server::{Hub, HubConfig};
use ecert_store::blob::LocalBlobStore;
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

use crate::NodeArgs;

pub const DATABASE_FILE: &str = "hub.db";

/// Opens (creating and migrating if needed) the hub in `node.data_dir`.
pub async fn open(node: &NodeArgs, listen: Option<SocketAddr>) -> anyhow::Result<Arc<Hub>> {
    let dir = &node.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", dir.display()))?;
    let database = dir.join(DATABASE_FILE);
    let store = SqliteStore::open(&database, SqliteOptions::default())
        .await
        .with_context(|| format!("cannot open database {}", database.display()))?;
    let blobs = LocalBlobStore::new(dir.join("blobs"));
    let keys = HubKeys::load_or_create(&dir.join("hub-keys"))?;

    let public_base_url = match &node.public_base_url {
        Some(url) => {
            let parsed = url::Url::parse(url)
                .with_context(|| format!("ECERT_PUBLIC_BASE_URL {url:?} is not a URL; use e.g. https://verify.example.org"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                anyhow::bail!("ECERT_PUBLIC_BASE_URL {url:?} must start with http:// or https://");
            }
            url.trim_end_matches('/').to_owned()
        }
        None => format!("http://{}", listen.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:8080".into())),
    };
    let config = HubConfig { public_base_url, ..HubConfig::default() };
    Hub::new(Arc::new(store), Arc::new(blobs), keys, config)
}

pub async fn serve(listen: SocketAddr, node: &NodeArgs) -> anyhow::Result<()> {
    let hub = open(node, Some(listen)).await?;
    run(listen, hub).await
}

pub async fn run(listen: SocketAddr, hub: Arc<Hub>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (ECERT_LISTEN)"))?;
    ecert_server::serve(listener, hub, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!(signal = "SIGINT", "shutting down"),
        () = terminate => tracing::info!(signal = "SIGTERM", "shutting down"),
    }
}
