//! Opening a hub node on its data directory, and serving it until SIGINT
//! or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use ecert_server::hub_keys::HubKeys;
use ecert_server::{Hub, HubConfig};
use ecert_store::blob::{BlobStore, LocalBlobStore};
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

use crate::NodeArgs;

pub const DATABASE_FILE: &str = "hub.db";
/// Directory of the hub's private attestation keys, inside the data directory.
pub const HUB_KEYS_DIR: &str = "hub-keys";

/// Opens (creating and migrating if needed) the hub in `node.data_dir`.
pub async fn open(node: &NodeArgs, listen: Option<SocketAddr>) -> anyhow::Result<Arc<Hub>> {
    let dir = &node.data_dir;
    create_private_dir(dir).with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", dir.display()))?;
    let store = open_store(node).await?;
    let blobs = open_blobs(node)?;
    let keys = HubKeys::load_or_create(&dir.join(HUB_KEYS_DIR))?;

    let public_base_url = match &node.public_base_url {
        Some(url) => {
            let parsed = url::Url::parse(url)
                .with_context(|| format!("ECERT_PUBLIC_BASE_URL {url:?} is not a URL; use e.g. https://verify.example.org"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                anyhow::bail!("ECERT_PUBLIC_BASE_URL {url:?} must be an http:// or https:// URL with a host name");
            }
            if parsed.query().is_some() || parsed.fragment().is_some() {
                anyhow::bail!("ECERT_PUBLIC_BASE_URL {url:?} must not have a query or fragment, because QR codes append /v/{{hub ID}} to it");
            }
            url.trim_end_matches('/').to_owned()
        }
        None => format!("http://{}", listen.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:8080".into())),
    };
    let mut portal = ecert_server::portal::PortalConfig::for_base_url(&public_base_url);
    portal.trust_forwarded_for = node.trust_x_forwarded_for;
    if !portal.secure_cookies {
        tracing::warn!(
            %public_base_url,
            "portal cookies are not marked Secure because the public base URL is plain HTTP on a non-loopback host; serve the hub over HTTPS"
        );
    }
    let config = HubConfig { public_base_url, portal, ..HubConfig::default() };
    Hub::new(store, blobs, keys, config)
}

/// Opens the blob store of `--blob-url`, or the directory `{data dir}/blobs`.
pub fn open_blobs(node: &NodeArgs) -> anyhow::Result<Arc<dyn BlobStore>> {
    match &node.blob_url {
        Some(url) => ecert_store::blob::open_blob_store(url).context("cannot open the blob store (ECERT_BLOB_URL)"),
        None => Ok(Arc::new(LocalBlobStore::new(node.data_dir.join("blobs")))),
    }
}

/// Opens the database the URL's scheme names; any other scheme is rejected
/// rather than read as a file name.
pub async fn open_store(node: &NodeArgs) -> anyhow::Result<Arc<dyn ecert_store::Store>> {
    let timeout = std::time::Duration::from_secs(node.db_acquire_timeout);
    let url = node.database_url.clone().unwrap_or_default();
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        None if url.is_empty() => {
            let database = node.data_dir.join(DATABASE_FILE);
            let options = SqliteOptions { max_connections: node.db_max_connections, busy_timeout: timeout };
            let store = SqliteStore::open(&database, options)
                .await
                .with_context(|| format!("cannot open database {}", database.display()))?;
            Ok(Arc::new(store))
        }
        Some("sqlite") => {
            let options = SqliteOptions { max_connections: node.db_max_connections, busy_timeout: timeout };
            let store = SqliteStore::open_url(&url, options).await.context("cannot open the SQLite database of ECERT_DATABASE_URL")?;
            Ok(Arc::new(store))
        }
        Some("postgres" | "postgresql") => {
            let options = ecert_store_postgres::PgOptions {
                max_connections: node.db_max_connections,
                acquire_timeout: timeout,
                ..ecert_store_postgres::PgOptions::default()
            };
            // The message leaves out the URL, which may contain a password.
            let store = ecert_store_postgres::PgStore::connect(&url, options)
                .await
                .context("cannot connect to the PostgreSQL database of ECERT_DATABASE_URL")?;
            Ok(Arc::new(store))
        }
        _ => anyhow::bail!(
            "ECERT_DATABASE_URL has an unsupported scheme; use sqlite://PATH (for example sqlite://./ecert-data/hub.db) or postgres://USER@HOST/DATABASE"
        ),
    }
}

pub async fn serve(listen: SocketAddr, node: &NodeArgs) -> anyhow::Result<()> {
    let hub = open(node, Some(listen)).await?;
    run(listen, hub).await
}

pub async fn run(listen: SocketAddr, hub: Arc<Hub>) -> anyhow::Result<()> {
    // Signal handlers are installed before the port opens, so a signal sent
    // as soon as the hub responds still stops it gracefully.
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (ECERT_LISTEN)"))?;
    ecert_server::serve(listener, hub, shutdown).await?;
    Ok(())
}

/// Installs the SIGINT and SIGTERM handlers and returns a future that
/// completes on the first of them.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!(signal = "SIGINT", "shutting down"),
            _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!(signal = "Ctrl-C", "shutting down");
        }
    })
}

/// Creates `dir` readable by its owner only (mode 0700 on Unix), because it
/// contains the database, document files and the hub's private keys. An
/// existing directory keeps its mode.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes a file readable by its owner only (mode 0600 on Unix), replacing
/// any earlier file, for tokens and private keys.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}
