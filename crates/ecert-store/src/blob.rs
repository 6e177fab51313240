//! Document files, addressed by the hex SHA-256 of their bytes.

use std::path::PathBuf;

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

fn check_id(sha256: &str) -> Result<(), BlobError> {
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
