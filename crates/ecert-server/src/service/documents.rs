//! Registering documents and changing their status.
//!
//! A signed submission is a compact JWS whose payload is the credential; an
//! unsigned one is the credential plus a file or its hash, which the hub
//! attests with its own key. Both go through the same registration steps.

use ecert_core::document::{DocumentContent, parse_credential};
use ecert_core::jose::{CompactJws, JoseError};
use ecert_core::party::{check_scope, OrgKind};
use ecert_core::{DocType, DocumentStatus, FieldError, HubId, StatusAction, TrustBasis};
use ecert_store::blob::sha256_hex;
use ecert_store::{DocumentRecord, KeyRecord, Organisation, StatusChangeRecord, StoreError};
use rand::RngCore as _;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Principal;
use crate::Hub;
use crate::error::{ApiError, ApiResult};

/// A document file given with a submission.
pub enum FileInput {
    /// The PDF itself.
    Bytes(Vec<u8>),
    /// Only its SHA-256 (hex) and where the national system keeps it.
    Reference { sha256: String, url: Option<String> },
}

/// The result of a submission: the entry, and whether this call created it
/// (`false` when the same payload was registered before).
pub struct Registered {
    pub record: DocumentRecord,
    pub created: bool,
}

/// Returns the registered entry for a resubmission of the same content.
/// A resubmission with a different file is rejected, because the new file
/// would otherwise be dropped silently.
fn resubmission(existing: DocumentRecord, file: Option<&FileInput>) -> ApiResult<Registered> {
    let given = match file {
        Some(FileInput::Bytes(bytes)) => Some(sha256_hex(bytes)),
        Some(FileInput::Reference { sha256, .. }) => Some(sha256.to_ascii_lowercase()),
        None => None,
    };
    if let Some(given) = given {
        let known = [existing.file_sha256.as_deref(), existing.stamped_sha256.as_deref()];
        if !known.contains(&Some(given.as_str())) {
            return Err(ApiError::conflict(
                "registered_with_other_file",
                format!("this content is already registered as {} with another file, or without one", existing.hub_id),
            )
            .field("pdf_base64")
            .fix("to correct the document, register a re-issue whose credentialSubject.supersedes names the registered entry")
            .context(serde_json::json!({ "hub_id": existing.hub_id.to_string() })));
        }
    }
    Ok(Registered { record: existing, created: false })
}

/// Outcome of the signature check of a signed submission.
struct Signer {
    key: KeyRecord,
    trust_basis: TrustBasis,
}

impl Hub {
    /// Registers a signed document (compact JWS).
    pub async fn submit_signed(&self, who: Principal<'_>, jws: &str, file: Option<FileInput>) -> ApiResult<Registered> {
        let now = ecert_store::now();

        // 1. Structure and algorithm.
        let parsed = CompactJws::parse(jws).map_err(|e| jose_error(e, "jws"))?;
        parsed.algorithm().map_err(|e| jose_error(e, "jws"))?;
        if parsed.header.typ.as_deref() != Some("vc+jwt") {
            return Err(ApiError::unprocessable("invalid_typ", "the JWS header typ must be \"vc+jwt\"").field("jws.header.typ"));
        }
        let kid = parsed.header.kid.clone().ok_or_else(|| {
            ApiError::unprocessable("missing_kid", "the JWS header has no kid")
                .field("jws.header.kid")
                .fix("set kid to the RFC 7638 thumbprint of the registered signing key")
        })?;

        // 2. The credential inside.
        let credential: serde_json::Value = serde_json::from_slice(&parsed.payload)
            .map_err(|e| ApiError::unprocessable("invalid_payload", format!("the JWS payload is not JSON: {e}")).field("jws.payload"))?;
        let content = parse_credential(&credential).map_err(ApiError::validation)?;
        let issuer = self.issuer_of(&content).await?;
        who.require_issuer_or_authority(&issuer)?;
        self.require_api_track(who, content.issuer.country).await?;

        // 3. Key and signature, judged at registration time (now).
        let signer = self.check_signer(&parsed, &kid, &issuer, now).await?;

        // 4. Idempotency, conflicts and scope are shared with unsigned entries.
        let payload_sha256 = sha256_hex(&parsed.payload);
        if let Some(existing) = self.store.find_document_by_payload(issuer.id, &payload_sha256).await? {
            return resubmission(existing, file.as_ref());
        }
        let draft = Draft {
            content,
            issuer,
            payload: parsed.payload,
            payload_sha256,
            trust_basis: signer.trust_basis,
            jws: Some(jws.trim().to_owned()),
            kid: Some(signer.key.kid),
        };
        self.register(who, draft, file, now).await
    }

    /// Registers an unsigned document with a hub attestation. A file or its
    /// hash is required: the attestation binds the content to it.
    pub async fn submit_unsigned(
        &self,
        who: Principal<'_>,
        credential: &serde_json::Value,
        file: Option<FileInput>,
    ) -> ApiResult<Registered> {
        let now = ecert_store::now();
        if who.caller().is_none() && !matches!(who, Principal::System) {
            return Err(ApiError::unauthorized());
        }
        let content = parse_credential(credential).map_err(ApiError::validation)?;
        let issuer = self.issuer_of(&content).await?;
        who.require_issuer_or_authority(&issuer)?;
        self.require_api_track(who, content.issuer.country).await?;
        if file.is_none() {
            return Err(ApiError::validation(vec![FieldError::new(
                "pdf_base64",
                "an unsigned submission needs the document file (pdf_base64) or its hash (file_sha256)",
            )]));
        }

        // The stored payload is the credential as the hub reads it, so that
        // resubmitting the same content finds the same entry.
        let payload = serde_json::to_vec(&content.to_credential()).map_err(|_| ApiError::internal())?;
        let payload_sha256 = sha256_hex(&payload);
        if let Some(existing) = self.store.find_document_by_payload(issuer.id, &payload_sha256).await? {
            return resubmission(existing, file.as_ref());
        }
        let draft = Draft {
            content,
            issuer,
            payload,
            payload_sha256,
            trust_basis: TrustBasis::HubAttestation,
            jws: None,
            kid: None,
        };
        self.register(who, draft, file, now).await
    }

    async fn issuer_of(&self, content: &DocumentContent) -> ApiResult<Organisation> {
        let issuer = self
            .store
            .find_organisation(Some(content.issuer.country), &content.issuer.registration_number)
            .await?
            .ok_or_else(|| {
                ApiError::unprocessable("unknown_issuer", format!("issuer {} is not registered with the hub", content.issuer))
                    .field("issuer.id")
                    .fix("a national admin registers the CAB first")
            })?;
        if !issuer.kind.is_cab() && !issuer.kind.is_national_authority() {
            return Err(ApiError::unprocessable("not_an_issuer", format!("{} cannot issue documents", issuer.kind)).field("issuer.id"));
        }
        Ok(issuer)
    }

    async fn check_signer(&self, parsed: &CompactJws, kid: &str, issuer: &Organisation, now: OffsetDateTime) -> ApiResult<Signer> {
        let key = self.store.get_key(kid).await?.ok_or_else(|| {
            ApiError::unprocessable("unknown_key", format!("no key with kid {kid} is registered with the hub"))
                .field("jws.header.kid")
                .fix("register the public key first (POST /api/v1/organisations/{id}/keys)")
        })?;
        parsed.verify(&key.jwk).map_err(|e| jose_error(e, "jws"))?;
        if parsed.algorithm().ok() != Some(key.algorithm) {
            return Err(ApiError::unprocessable(
                "key_algorithm_mismatch",
                format!("key {kid} is registered for {}, but the JWS uses {}", key.algorithm, parsed.header.alg),
            )
            .field("jws.header.alg"));
        }
        key.validity
            .check_at(now)
            .map_err(|problem| ApiError::unprocessable("key_not_valid", problem.to_string()).field("jws.header.kid"))?;

        let trust_basis = if key.org_id == issuer.id {
            TrustBasis::IssuerSignature
        } else {
            let key_org = self.organisation(key.org_id).await?;
            // Only the bodies that run a national conformity system seal for
            // their CABs; customs and accreditation bodies do not issue.
            let seals = matches!(key_org.kind, OrgKind::StandardsBody | OrgKind::Regulator | OrgKind::SingleWindow);
            if seals && key_org.country == issuer.country {
                TrustBasis::NationalSeal
            } else {
                return Err(ApiError::unprocessable(
                    "key_not_issuers",
                    format!("key {kid} belongs to {}, which neither is the issuer nor seals for its country", key_org.name),
                )
                .field("jws.header.kid"));
            }
        };
        Ok(Signer { key, trust_basis })
    }

    async fn register(&self, who: Principal<'_>, draft: Draft, file: Option<FileInput>, now: OffsetDateTime) -> ApiResult<Registered> {
        let content = &draft.content;

        // 1. Dates: the claimed issue date may not lie in the future.
        let skew = time::Duration::try_from(self.config.clock_skew).unwrap_or(time::Duration::minutes(5));
        if content.issued_at > now + skew {
            return Err(ApiError::unprocessable(
                "issue_date_in_future",
                format!(
                    "validFrom {} lies after the hub's registration time {}",
                    ecert_core::keys::rfc3339(content.issued_at),
                    ecert_core::keys::rfc3339(now)
                ),
            )
            .field("validFrom"));
        }

        // 2. National number: a second document with the same number is a
        //    conflict unless it is a corrected re-issue of an entry.
        let same_number = self.store.find_documents_by_number(draft.issuer.id, &content.national_number).await?;
        match content.supersedes {
            None => {
                // A concurrent copy of this very payload may have committed
                // since the payload lookup: that is a resubmission, not a conflict.
                if let Some(existing) = same_number.iter().find(|d| d.payload_sha256 == draft.payload_sha256) {
                    return Ok(Registered { record: existing.clone(), created: false });
                }
                if let Some(existing) = same_number.first() {
                    return Err(ApiError::conflict(
                        "national_number_taken",
                        format!("{} already registered national number {} as {}", draft.issuer.name, content.national_number, existing.hub_id),
                    )
                    .field("credentialSubject.nationalNumber")
                    .fix("to correct that document, submit a re-issue with credentialSubject.supersedes set to its hub ID")
                    .context(serde_json::json!({"existing_hub_id": existing.hub_id.to_string()})));
                }
            }
            Some(old) => {
                let superseded = self.store.get_document(old).await?.ok_or_else(|| {
                    ApiError::unprocessable("supersedes_not_found", format!("document {old} is not registered"))
                        .field("credentialSubject.supersedes")
                })?;
                if superseded.issuer_org_id != draft.issuer.id {
                    return Err(ApiError::unprocessable("supersedes_other_issuer", format!("document {old} was issued by another organisation"))
                        .field("credentialSubject.supersedes"));
                }
                if superseded.status != DocumentStatus::Valid {
                    return Err(ApiError::conflict(
                        "supersedes_not_valid",
                        format!("document {old} is {}; only a valid entry can be superseded", superseded.status.as_str()),
                    )
                    .field("credentialSubject.supersedes"));
                }
                if let Some(other) = same_number.iter().find(|d| d.hub_id != old && d.status != DocumentStatus::Superseded) {
                    return Err(ApiError::conflict(
                        "national_number_taken",
                        format!("national number {} is also used by {}", content.national_number, other.hub_id),
                    )
                    .field("credentialSubject.nationalNumber"));
                }
            }
        }

        // 3. Accreditation scope on the issue date.
        let accreditations: Vec<_> = self
            .store
            .list_accreditations(draft.issuer.id)
            .await?
            .into_iter()
            .map(|r| r.accreditation)
            .collect();
        check_scope(&accreditations, content).map_err(|violation| {
            ApiError::unprocessable("out_of_scope", violation.to_string()).field("credentialSubject")
        })?;

        // 4. Test reports a CoC relies on must be registered and not withdrawn.
        let mut errors = Vec::new();
        for (i, tr) in content.test_reports.iter().enumerate() {
            let field = format!("credentialSubject.testReports[{i}]");
            match self.store.get_document(*tr).await? {
                None => errors.push(FieldError::new(field, format!("test report {tr} is not registered with the hub"))),
                Some(report) if report.doc_type != DocType::TestReport => {
                    errors.push(FieldError::new(field, format!("{tr} is not a test report")))
                }
                Some(report) if report.status == DocumentStatus::Withdrawn => {
                    errors.push(FieldError::new(field, format!("test report {tr} was withdrawn")))
                }
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }

        // 5. The file, kept or referenced according to the country's policy.
        let country = self.country(content.issuer.country).await?;
        let (file_sha256, file_url) = match file {
            None => (None, None),
            Some(FileInput::Bytes(bytes)) => {
                self.require_file_unclaimed(&sha256_hex(&bytes), draft.issuer.id).await?;
                if !bytes.starts_with(b"%PDF-") {
                    return Err(ApiError::validation(vec![FieldError::new("pdf_base64", "the file is not a PDF (it does not start with %PDF-)")]));
                }
                let sha = if country.data_policy == ecert_core::party::DataPolicy::Full {
                    self.blobs.put(&bytes).await?
                } else {
                    sha256_hex(&bytes)
                };
                (Some(sha), None)
            }
            Some(FileInput::Reference { sha256, url }) => {
                let sha = sha256.to_ascii_lowercase();
                if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ApiError::validation(vec![FieldError::new("file_sha256", "must be a SHA-256 in 64 hex characters")]));
                }
                if let Some(url) = &url {
                    check_file_url(url)?;
                }
                self.require_file_unclaimed(&sha, draft.issuer.id).await?;
                (Some(sha), url)
            }
        };

        // 6. A fresh hub ID, the hub attestation for unsigned entries, and
        //    the entry. A hub ID collision (40 random bits) is retried.
        for _ in 0..4 {
            let hub_id = HubId::new(content.issuer.country, content.doc_type, random_40_bits());
            let attestation = (draft.trust_basis == TrustBasis::HubAttestation).then(|| {
                let statement = serde_json::json!({
                    "hub_id": hub_id.to_string(),
                    "payload_sha256": draft.payload_sha256,
                    "file_sha256": file_sha256,
                    "issuer": content.issuer.to_string(),
                    "registered_at": now.unix_timestamp(),
                    "registered_by": who.caller().map(|c| c.org.id.to_string()),
                });
                self.hub_keys.sign(statement.to_string().as_bytes(), "ecert-attestation+jwt")
            });
            let record = DocumentRecord {
                hub_id,
                doc_type: content.doc_type,
                country: content.issuer.country,
                issuer_org_id: draft.issuer.id,
                national_number: content.national_number.clone(),
                content: draft.content.clone(),
                payload: draft.payload.clone(),
                payload_sha256: draft.payload_sha256.clone(),
                trust_basis: draft.trust_basis,
                jws: draft.jws.clone(),
                kid: draft.kid.clone(),
                attestation,
                file_sha256: file_sha256.clone(),
                stamped_sha256: None,
                file_url: file_url.clone(),
                status: DocumentStatus::Valid,
                supersedes: content.supersedes,
                superseded_by: None,
                registered_at: now,
                registered_by: who.caller().map(|c| c.org.id).unwrap_or(draft.issuer.id),
            };
            match self.store.insert_document(&record, who.actor()).await {
                Ok(()) => {
                    tracing::info!(document.hub_id = %hub_id, country = %record.country, trust_basis = record.trust_basis.as_str(), "document registered");
                    return Ok(Registered { record, created: true });
                }
                Err(StoreError::Conflict(message)) if message.contains("documents.hub_id") => continue,
                Err(StoreError::Conflict(message)) => return self.lost_race(&draft, message).await,
                Err(other) => return Err(other.into()),
            }
        }
        tracing::error!("four hub ID collisions in a row; the random source is suspect");
        Err(ApiError::internal())
    }

    /// Resolves a conflict the database reported on insert after the
    /// service's own checks passed, because a concurrent writer got there
    /// first: an identical payload is a resubmission and returns the entry;
    /// anything else is a 409 with the code the sequential path would give.
    async fn lost_race(&self, draft: &Draft, message: String) -> ApiResult<Registered> {
        if message.starts_with("key_not_valid") {
            return Err(ApiError::unprocessable("key_not_valid", "the signing key was retired or revoked while the document was being registered")
                .field("jws.header.kid"));
        }
        if let Some(existing) = self.store.find_document_by_payload(draft.issuer.id, &draft.payload_sha256).await? {
            return Ok(Registered { record: existing, created: false });
        }
        if let Some(old) = draft.content.supersedes {
            let current = self.store.get_document(old).await?;
            if current.is_some_and(|d| d.status != DocumentStatus::Valid) {
                return Err(ApiError::conflict(
                    "supersedes_not_valid",
                    format!("document {old} was changed by a concurrent request; only a valid entry can be superseded"),
                )
                .field("credentialSubject.supersedes"));
            }
        }
        if message.contains("national_number") {
            return Err(ApiError::conflict(
                "national_number_taken",
                format!("national number {} was registered by a concurrent request", draft.content.national_number),
            )
            .field("credentialSubject.nationalNumber"));
        }
        tracing::warn!(%message, "document insert conflict");
        Err(ApiError::conflict("conflict", message))
    }

    /// Rejects a file that another issuer already registered, so that the
    /// file hash of a document names one issuer only.
    async fn require_file_unclaimed(&self, sha256: &str, issuer: uuid::Uuid) -> ApiResult<()> {
        let owners = self.store.find_documents_by_file(sha256).await?;
        if let Some(other) = owners.iter().find(|d| d.issuer_org_id != issuer) {
            return Err(ApiError::conflict(
                "file_registered_by_other_issuer",
                format!("this file (SHA-256 {sha256}) is already registered by another issuer as {}", other.hub_id),
            )
            .field("pdf_base64")
            .fix("attach the document's own file"));
        }
        Ok(())
    }

    pub async fn document(&self, hub_id: HubId) -> ApiResult<DocumentRecord> {
        self.store
            .get_document(hub_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("document {hub_id}")))
    }

    /// Suspends, reinstates or withdraws a document. Only the issuing CAB
    /// or a national admin of its country may, and always with a reason.
    /// `effective_at` may be backdated (never before registration) but not
    /// set in the future.
    pub async fn change_status(
        &self,
        who: Principal<'_>,
        hub_id: HubId,
        action: StatusAction,
        reason: String,
        effective_at: Option<OffsetDateTime>,
    ) -> ApiResult<DocumentRecord> {
        let document = self.document(hub_id).await?;
        let issuer = self.organisation(document.issuer_org_id).await?;
        who.require_issuer_or_authority(&issuer)?;
        self.require_api_track(who, document.country).await?;
        let given_effective_at = effective_at;

        let mut errors = Vec::new();
        if action == StatusAction::Supersede {
            errors.push(FieldError::new(
                "action",
                "a document is superseded by registering its corrected re-issue with credentialSubject.supersedes",
            ));
        }
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            errors.push(FieldError::new("reason", "must say why, in 1-2000 characters"));
        } else if let Err(problem) = ecert_core::document::check_text(&reason.replace(['\n', '\r', '\t'], " "), 2000) {
            errors.push(FieldError::new("reason", problem));
        }
        // "Now" is taken after the history is read, so that a change another
        // node recorded meanwhile is not later than a change sent without a time.
        let latest = self.store.document_history(hub_id).await?.into_iter().map(|c| c.effective_at).max();
        let mut effective_at = self.effective_time("effective_at", given_effective_at)?;
        if given_effective_at.is_none()
            && let Some(latest) = latest
        {
            effective_at = effective_at.max(latest);
        }
        let now = ecert_store::now();
        if effective_at < document.registered_at {
            errors.push(FieldError::new("effective_at", "cannot be before the document was registered"));
        }
        // Changes apply in the order they take effect, so a change may not
        // take effect before the latest one already recorded.
        if let Some(latest) = latest.filter(|latest| effective_at < *latest) {
            errors.push(FieldError::new(
                "effective_at",
                format!("cannot be before the latest recorded change, which took effect at {}", ecert_core::keys::rfc3339(latest)),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let to = document
            .status
            .apply(action)
            .map_err(|message| ApiError::conflict("invalid_transition", message).field("action"))?;

        let change = StatusChangeRecord {
            id: Uuid::now_v7(),
            hub_id,
            action,
            from: document.status,
            to,
            reason,
            actor_org_id: who.caller().map(|c| c.org.id),
            effective_at,
            recorded_at: now,
        };
        self.store.change_document_status(&change, who.actor()).await.map_err(|e| match e {
            StoreError::Conflict(message) => ApiError::conflict("status_changed_concurrently", message),
            other => other.into(),
        })?;
        tracing::info!(document.hub_id = %hub_id, action = action.as_str(), to = to.as_str(), "document status changed");
        self.document(hub_id).await
    }
}

/// The parts of a submission that registration needs.
struct Draft {
    content: DocumentContent,
    issuer: Organisation,
    payload: Vec<u8>,
    payload_sha256: String,
    trust_basis: TrustBasis,
    jws: Option<String>,
    kid: Option<String>,
}

/// Checks a link to a file kept by a national system: http(s), at most 2000
/// characters.
fn check_file_url(url: &str) -> ApiResult<()> {
    let invalid = |message: &str| ApiError::validation(vec![FieldError::new("file_url", message)]);
    if url.len() > 2000 {
        return Err(invalid("must be at most 2000 characters"));
    }
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "https" | "http") && parsed.host().is_some() => Ok(()),
        _ => Err(invalid("must be an http or https URL, such as https://national-system.example/files/123")),
    }
}

fn random_40_bits() -> u64 {
    rand::rng().next_u64() & ((1 << 40) - 1)
}

/// Maps a JOSE failure to its own error code.
pub fn jose_error(error: JoseError, field: &str) -> ApiError {
    let code = match &error {
        JoseError::Malformed(_) => "malformed_jws",
        JoseError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
        JoseError::UnsupportedCritical(_) => "unsupported_critical_header",
        JoseError::InvalidKey(_) => "invalid_key",
        JoseError::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
        JoseError::BadSignature => "bad_signature",
    };
    let status = if matches!(error, JoseError::Malformed(_)) {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(status, code, error.to_string()).field(field)
}
