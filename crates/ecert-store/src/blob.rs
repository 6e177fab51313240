//! Document files, addressed by the hex SHA-256 of their bytes.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("invalid blob id {0:?}: expected 64 lowercase hex characters")]
    InvalidId(String),
    #[error("blob storage error: {0}")]
    Io(#[from] std::io::Error),
    /// The blob store URL or its credentials are missing or invalid.
    #[error("{0}")]
    InvalidConfig(String),
    /// A request to the object store failed. `object` is the `s3://` URL of
    /// the object, and `source` the error text with credentials redacted.
    #[error("object store {operation} of {object} failed: {source}")]
    Remote {
        operation: &'static str,
        object: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The stored bytes do not hash to the id they are stored under.
    #[error("blob {expected} is corrupt: the stored bytes have SHA-256 {actual}")]
    Corrupt { expected: String, actual: String },
}

/// Storage for document files. Local directory by default; object storage
/// implements the same trait.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` and returns their SHA-256 (hex). Storing the same bytes
    /// twice is harmless.
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError>;
    async fn get(&self, sha256: &str) -> Result<Vec<u8>, BlobError>;
    async fn exists(&self, sha256: &str) -> Result<bool, BlobError>;
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn check_id(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(BlobError::InvalidId(sha256.to_owned()))
    }
}

/// Files in a local directory, fanned out by the first two hex characters.
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalBlobStore { root: root.into() }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let id = sha256_hex(bytes);
        let path = self.path(&id);
        if tokio::fs::try_exists(&path).await? {
            return Ok(id);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        // Write to a unique temporary name, then rename, so a reader never
        // sees a half-written file and concurrent writers do not collide.
        let temporary = dir.join(format!(".{id}.{}.tmp", uuid::Uuid::now_v7()));
        tokio::fs::write(&temporary, bytes).await?;
        tokio::fs::rename(&temporary, &path).await?;
        Ok(id)
    }

    async fn get(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        check_id(sha256)?;
        match tokio::fs::read(self.path(sha256)).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound(sha256.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        check_id(sha256)?;
        Ok(tokio::fs::try_exists(self.path(sha256)).await?)
    }
}

/// Environment variable that selects the blob store. [`open_blob_store`]
/// lists its accepted values.
pub const BLOB_URL_VARIABLE: &str = "ECERT_BLOB_URL";

const ACCEPTED_BLOB_URLS: &str =
    "file:///ABSOLUTE/DIR, a directory path, or s3://BUCKET/PREFIX?endpoint=URL&region=REGION&allow_http=true";

/// Opens the blob store that a value of `ECERT_BLOB_URL` names:
///
/// - `file:///abs/dir` or a plain path (anything without `://`): a
///   [`LocalBlobStore`] in that directory, created at the first `put`.
/// - `s3://BUCKET/PREFIX?…`: an [`S3BlobStore`](crate::blob_s3::S3BlobStore)
///   with credentials from the environment. [`crate::blob_s3`] describes
///   the URL.
///
/// Any other scheme is rejected. No request is sent, so an unreachable
/// server or missing bucket shows only at the first operation.
pub fn open_blob_store(url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    let Some((scheme, _)) = url.split_once("://") else {
        if url.is_empty() {
            return Err(BlobError::InvalidConfig(format!(
                "{BLOB_URL_VARIABLE} is empty; expected {ACCEPTED_BLOB_URLS}"
            )));
        }
        return Ok(Arc::new(LocalBlobStore::new(url)));
    };

    match scheme {
        "file" => {
            // The value is echoed only without a user part, which may contain a password.
            let echoed_value = if url.contains('@') { String::new() } else { format!(" {url:?}") };
            let invalid = || {
                BlobError::InvalidConfig(format!(
                    "{BLOB_URL_VARIABLE}{echoed_value} is not a local absolute path; expected file:///ABSOLUTE/DIR"
                ))
            };
            let parsed = url::Url::parse(url).map_err(|_| invalid())?;
            let root = parsed.to_file_path().map_err(|()| invalid())?;
            Ok(Arc::new(LocalBlobStore::new(root)))
        }
        "s3" => {
            let location = crate::blob_s3::S3Location::parse(url).map_err(|e| match e {
                BlobError::InvalidConfig(message) => {
                    BlobError::InvalidConfig(format!("{BLOB_URL_VARIABLE}: {message}"))
                }
                other => other,
            })?;
            let credentials = crate::blob_s3::S3Credentials::from_env()?;
            Ok(Arc::new(crate::blob_s3::S3BlobStore::new(location, credentials)?))
        }
        // Only the scheme is echoed, because the rest may contain a password.
        other => Err(BlobError::InvalidConfig(format!(
            "{BLOB_URL_VARIABLE} has the unsupported scheme {other:?}; expected {ACCEPTED_BLOB_URLS}"
        ))),
    }
}
