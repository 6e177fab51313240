//! Opening a hub node on its data directory, and serving it until SIGINT
//! or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use ecert_server::hub_keys::HubKeys;
use ecert_server::{Hub, HubConfig};
use ecert_store::Store;
use ecert_store::blob::{BlobStore, LocalBlobStore};
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

use crate::NodeArgs;

pub const DATABASE_FILE: &str = "hub.db";
/// Directory of the hub's private attestation keys, inside the data directory.
pub const HUB_KEYS_DIR: &str = "hub-keys";

/// Whether a command may create what it opens: the SQLite database file,
/// and for `serve` and `demo` a first hub key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// `serve` and `demo`: create the database and a first hub key.
    Serve,
    /// Bootstrap and migration commands: create the database, but load only
    /// the hub keys that exist, because these commands attest nothing.
    CreateDatabase,
    /// Commands that only read a hub: fail when the database is missing.
    Existing,
}

/// Opens (creating and migrating if needed) the hub in `node.data_dir`.
pub async fn open(node: &NodeArgs, listen: Option<SocketAddr>, mode: OpenMode) -> anyhow::Result<Arc<Hub>> {
    let dir = &node.data_dir;
    let public_base_url = match &node.public_base_url {
        Some(url) => parse_public_base_url(url)?,
        None => format!("http://{}", listen.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:8080".into())),
    };

    create_private_dir(dir).with_context(|| format!("cannot create data directory {} (ECERT_DATA_DIR)", dir.display()))?;
    let store = open_store(node, mode).await?;
    let blobs = open_blobs(node)?;
    let keys_dir = dir.join(HUB_KEYS_DIR);
    let keys = if mode == OpenMode::Serve { HubKeys::load_or_create(&keys_dir)? } else { HubKeys::load_existing(&keys_dir)? };

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

/// Checks a value of `ECERT_PUBLIC_BASE_URL` and returns its normalised
/// form without a trailing `/`, because QR codes append `/v/{hub ID}` to it
/// and the URL ends up on paper.
pub fn parse_public_base_url(text: &str) -> anyhow::Result<String> {
    const EXAMPLE: &str = "use e.g. https://verify.example.org";
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        anyhow::bail!("ECERT_PUBLIC_BASE_URL {text:?} contains a space or control character; {EXAMPLE}");
    }
    let parsed = url::Url::parse(text).with_context(|| format!("ECERT_PUBLIC_BASE_URL {text:?} is not a URL; {EXAMPLE}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        anyhow::bail!("ECERT_PUBLIC_BASE_URL {text:?} must be an http:// or https:// URL; {EXAMPLE}");
    }
    // The url crate reads `https:///path` as the host `path`, so the host is
    // checked in the text as written.
    let authority = text.split_once("://").map_or("", |(_, rest)| rest);
    if authority.starts_with('/') || parsed.host_str().is_none_or(str::is_empty) {
        anyhow::bail!("ECERT_PUBLIC_BASE_URL {text:?} has no host name; {EXAMPLE}");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // The value is not echoed, because it contains a password.
        anyhow::bail!("ECERT_PUBLIC_BASE_URL must not contain a user name or password; {EXAMPLE}");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        anyhow::bail!("ECERT_PUBLIC_BASE_URL {text:?} must not have a query or fragment, because QR codes append /v/{{hub ID}} to it");
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Opens the blob store of `--blob-url`, or the directory `{data dir}/blobs`.
pub fn open_blobs(node: &NodeArgs) -> anyhow::Result<Arc<dyn BlobStore>> {
    match &node.blob_url {
        Some(url) => ecert_store::blob::open_blob_store(url).context("cannot open the blob store (ECERT_BLOB_URL)"),
        None => Ok(Arc::new(LocalBlobStore::new(node.data_dir.join("blobs")))),
    }
}

/// Names the blob store of `node` for messages: the value of
/// `ECERT_BLOB_URL`, or the default directory.
pub fn describe_blobs(node: &NodeArgs) -> String {
    match &node.blob_url {
        Some(url) => format!("ECERT_BLOB_URL {url:?}"),
        None => format!("{} (the default, because ECERT_BLOB_URL is unset)", node.data_dir.join("blobs").display()),
    }
}

/// Opens the database the URL's scheme names; any other scheme is rejected
/// rather than read as a file name. With [`OpenMode::Existing`] a missing
/// SQLite file is an error instead of a new, empty database.
pub async fn open_store(node: &NodeArgs, mode: OpenMode) -> anyhow::Result<Arc<dyn Store>> {
    let timeout = std::time::Duration::from_secs(node.db_acquire_timeout);
    let url = node.database_url().unwrap_or_default();
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    let sqlite_options = SqliteOptions {
        max_connections: node.db_max_connections,
        busy_timeout: timeout,
        create_if_missing: mode != OpenMode::Existing,
    };
    match scheme.as_deref() {
        None if url.is_empty() => {
            let database = node.data_dir.join(DATABASE_FILE);
            if mode == OpenMode::Existing && !database.exists() {
                anyhow::bail!(
                    "no hub database found at {}; pass the --data-dir (ECERT_DATA_DIR) of an existing hub, or its --database-url (ECERT_DATABASE_URL)",
                    database.display()
                );
            }
            let store = SqliteStore::open(&database, sqlite_options)
                .await
                .with_context(|| format!("cannot open database {}", database.display()))?;
            Ok(Arc::new(store))
        }
        Some("sqlite") => {
            let store =
                SqliteStore::open_url(url, sqlite_options).await.context("cannot open the SQLite database of ECERT_DATABASE_URL")?;
            Ok(Arc::new(store))
        }
        Some("postgres" | "postgresql") => {
            let options = ecert_store_postgres::PgOptions {
                max_connections: node.db_max_connections,
                acquire_timeout: timeout,
                ..ecert_store_postgres::PgOptions::default()
            };
            // The message leaves out the URL, which may contain a password.
            let store = ecert_store_postgres::PgStore::connect(url, options)
                .await
                .context("cannot connect to the PostgreSQL database of ECERT_DATABASE_URL")?;
            Ok(Arc::new(store))
        }
        _ => anyhow::bail!(
            "ECERT_DATABASE_URL has an unsupported scheme; use sqlite://PATH (for example sqlite://./ecert-data/hub.db) or postgres://USER@HOST/DATABASE"
        ),
    }
}

/// Closes the store after a command and returns the command's outcome. A
/// failed close fails a successful command, because the SQLite file may then
/// be incomplete without its `-wal` file.
pub async fn finish<T>(store: &dyn Store, outcome: anyhow::Result<T>) -> anyhow::Result<T> {
    let closed = store.close().await;
    match (outcome, closed) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(error)) => Err(anyhow::Error::new(error).context("cannot close the database cleanly")),
        (Err(error), closed) => {
            if let Err(close_error) = closed {
                tracing::warn!(error = %close_error, "cannot close the database cleanly");
            }
            Err(error)
        }
    }
}

pub async fn serve(listen: SocketAddr, node: &NodeArgs) -> anyhow::Result<()> {
    let hub = open(node, Some(listen), OpenMode::Serve).await?;
    run(listen, hub).await
}

/// Serves `hub` until SIGINT or SIGTERM, then closes its database.
pub async fn run(listen: SocketAddr, hub: Arc<Hub>) -> anyhow::Result<()> {
    let store = hub.store.clone();
    finish(&*store, serve_until_signal(listen, hub).await).await
}

async fn serve_until_signal(listen: SocketAddr, hub: Arc<Hub>) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::parse_public_base_url;

    #[test]
    fn public_base_url_is_normalised() {
        assert_eq!(parse_public_base_url("https://verify.example.org/").unwrap(), "https://verify.example.org");
        assert_eq!(parse_public_base_url("HTTPS://Verify.Example.org/hub/").unwrap(), "https://verify.example.org/hub");
        assert_eq!(parse_public_base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
    }

    #[test]
    fn public_base_url_rejects_invalid_values() {
        let cases = [
            (" https://x.org", "space"),
            ("https://x.org ", "space"),
            ("https://verify.example.org/a b", "space"),
            ("https:///path", "no host"),
            ("https://user:pw@verify.example.org", "user name"),
            ("https://user@verify.example.org", "user name"),
            ("ftp://verify.example.org", "http://"),
            ("verify.example.org", "not a URL"),
            ("https://verify.example.org/?a=1", "query"),
        ];
        for (value, expected) in cases {
            let error = parse_public_base_url(value).expect_err(value).to_string();
            assert!(error.contains(expected), "{value:?}: {error}");
        }
    }

    #[test]
    fn public_base_url_error_hides_password() {
        let error = parse_public_base_url("https://user:secret@verify.example.org").unwrap_err().to_string();

        assert!(!error.contains("secret"), "{error}");
    }
}
