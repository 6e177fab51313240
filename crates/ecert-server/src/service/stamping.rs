//! The stamped copy of an attested document's PDF: the hub ID and the QR
//! code of its verification page on the first page, appended as an
//! incremental update so the original bytes stay intact. The hub records
//! the stamped copy's SHA-256, so a verifier holding either copy finds the
//! document by its file.

use ecert_store::{DocumentRecord, StoreError};

use super::Principal;
use crate::Hub;
use crate::error::{ApiError, ApiResult};

/// The line printed under the stamp's QR code. The stamp font covers ASCII only.
const STAMP_CAPTION: &str = "Scan to verify at e-CERT Hub";

impl Hub {
    /// Returns the stamped copy of `document`'s PDF, making and recording
    /// it first when it does not exist yet. Only the issuer or a national
    /// admin of its country may cause the stamping, since it is recorded.
    pub async fn stamp_document(&self, who: Principal<'_>, document: &DocumentRecord) -> ApiResult<Vec<u8>> {
        if let Some(sha) = &document.stamped_sha256 {
            return Ok(self.blobs.get(sha).await?);
        }
        let issuer = self.organisation(document.issuer_org_id).await?;
        who.require_issuer_or_authority(&issuer)?;
        let sha = document.file_sha256.as_deref().ok_or_else(|| {
            ApiError::not_found(format!("file of {}", document.hub_id)).fix("only a document registered with its PDF can be stamped")
        })?;
        let original = match self.blobs.get(sha).await {
            Ok(bytes) => bytes,
            Err(ecert_store::blob::BlobError::NotFound(_)) => {
                return Err(ApiError::not_found(format!(
                    "file of {}: the hub recorded only its SHA-256, so it has nothing to stamp",
                    document.hub_id
                )));
            }
            Err(other) => return Err(other.into()),
        };
        let hub_id = document.hub_id.to_string();
        let url = self.public_url(document.hub_id);
        let stamped = tokio::task::spawn_blocking(move || {
            ecert_pdf::stamp_pdf(&original, &ecert_pdf::Stamp { hub_id: &hub_id, url: &url, caption: STAMP_CAPTION })
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            ApiError::unprocessable("pdf_not_stampable", format!("the PDF could not be stamped: {e}"))
                .fix("print the QR label and attach it to the paper copy instead")
        })?;
        let stamped_sha = self.blobs.put(&stamped).await?;
        match self.store.set_stamped_file(document.hub_id, &stamped_sha, who.actor()).await {
            Ok(()) => Ok(stamped),
            // Another request stamped it first: serve the recorded copy.
            Err(StoreError::Conflict(_)) => {
                let current = self.document(document.hub_id).await?;
                match current.stamped_sha256 {
                    Some(sha) => Ok(self.blobs.get(&sha).await?),
                    None => Err(ApiError::conflict("conflict", format!("document {} could not be stamped", document.hub_id))),
                }
            }
            Err(other) => Err(other.into()),
        }
    }
}
