//! Verification of a registered document from its hub ID, its signed JWS or
//! its file, optionally as of a given date and for a verifying country.
//!
//! The checks run in the order of [`CheckName::ORDER`]:
//! 1. format: the input parses and names a registered document;
//! 2. key_known: the signing key (or hub key, for attestations) is on record;
//! 3. signature: the stored original verifies with that key;
//! 4. key_valid: the key counted at the hub's registration time;
//! 5. issuer_scope: the issuer was accredited for the scope on the issue date;
//! 6. status: registry status now or as of the requested date;
//! 7. validity_period: the requested date lies in the validity period;
//! 8. file_hash: a given file matches the original or the stamped copy;
//! 9. agreement_coverage and 10. transparency_log: not built yet, reported
//!    as such and never as passed.

use ecert_core::jose::CompactJws;
use ecert_core::keys::rfc3339;
use ecert_core::party::check_scope;
use ecert_core::verify::{Checks, StatusChange, status_at};
use ecert_core::{CheckName, CountryCode, DocumentStatus, HubId, HubIdError, TrustBasis, VerificationResult};
use ecert_store::DocumentRecord;
use ecert_store::blob::sha256_hex;
use time::OffsetDateTime;

use crate::Hub;
use crate::error::ApiResult;

/// Subject of a verification.
pub enum Subject {
    HubId(String),
    Jws(String),
    File(Vec<u8>),
}

/// A verification request.
pub struct Request {
    pub subject: Subject,
    /// A file to compare with the registered one, when the subject is not the file.
    pub file: Option<Vec<u8>>,
    pub as_of: Option<OffsetDateTime>,
    pub verifying_country: Option<CountryCode>,
}

/// The result, the document it concerns, and for a mistyped hub ID the
/// registered documents it may have meant.
pub struct Outcome {
    pub result: VerificationResult,
    pub document: Option<DocumentRecord>,
    /// The issuer's registered name, which pages show instead of the name
    /// the credential claims.
    pub issuer_name: Option<String>,
    pub did_you_mean: Vec<HubId>,
}

impl Hub {
    pub async fn verify(&self, request: Request) -> ApiResult<Outcome> {
        let now = OffsetDateTime::now_utc();
        let as_of = request.as_of.unwrap_or(now);
        let mut checks = Checks::new();
        if let Some(country) = request.verifying_country
            && self.store.get_country(country).await?.is_none()
        {
            return Err(crate::error::ApiError::validation(vec![ecert_core::FieldError::new(
                "verifying_country",
                format!("{country} is not a participating country"),
            )]));
        }
        let mut did_you_mean = Vec::new();

        // 1. Find the document the input names. A presented JWS is kept so
        //    that its own signature is checked, not only the stored one.
        let mut presented: Option<Box<CompactJws>> = None;
        let (document, file_given) = match &request.subject {
            Subject::HubId(text) => match text.parse::<HubId>() {
                Ok(hub_id) => (self.store.get_document(hub_id).await?, request.file.as_deref()),
                Err(error) => {
                    if error == HubIdError::CheckMismatch {
                        for candidate in HubId::near_misses(text) {
                            if self.store.get_document(candidate).await?.is_some() {
                                did_you_mean.push(candidate);
                            }
                        }
                    }
                    let mut reason = error.to_string();
                    if let [only] = did_you_mean.as_slice() {
                        reason.push_str(&format!("; did you mean {only}?"));
                    }
                    checks.fail(CheckName::Format, "invalid_hub_id", reason);
                    return Ok(self.finish(checks, None, as_of, now, did_you_mean, &request));
                }
            },
            Subject::Jws(jws) => match self.document_for_jws(jws).await? {
                JwsLookup::Registered(document, parsed) => {
                    presented = Some(parsed);
                    (Some(*document), request.file.as_deref())
                }
                JwsLookup::NotRegistered(parsed, content) => {
                    self.check_unregistered(&parsed, &content, as_of, &mut checks).await?;
                    return Ok(self.finish(checks, None, as_of, now, did_you_mean, &request));
                }
                JwsLookup::Invalid(code, reason) => {
                    checks.fail(CheckName::Format, code, reason);
                    return Ok(self.finish(checks, None, as_of, now, did_you_mean, &request));
                }
            },
            Subject::File(bytes) => {
                let sha = sha256_hex(bytes);
                let found = self.store.find_documents_by_file(&sha).await?;
                // One issuer may have re-issued the same file, but entries of
                // several issuers cannot be distinguished by the file alone.
                if found.iter().any(|d| d.issuer_org_id != found[0].issuer_org_id) {
                    checks.fail(
                        CheckName::Format,
                        "ambiguous_file",
                        "this file is registered by several issuers; verify it by its hub ID instead",
                    );
                    return Ok(self.finish(checks, None, as_of, now, did_you_mean, &request));
                }
                (found.into_iter().next_back(), Some(bytes.as_slice()))
            }
        };
        let Some(document) = document else {
            checks.fail(
                CheckName::Format,
                "not_registered",
                "no document with this identifier, signature or file is registered with the hub",
            );
            return Ok(self.finish(checks, None, as_of, now, did_you_mean, &request));
        };
        checks.pass(CheckName::Format, "ok", format!("registered as {}", document.hub_id));

        // 2-4. Key, signature and key validity at registration time.
        match &presented {
            Some(parsed) => self.check_presented_signature(&document, parsed, &mut checks).await?,
            None => self.check_signature(&document, &mut checks).await?,
        }

        // 5. Scope on the issue date, by the accreditation history as now recorded.
        let accreditations: Vec<_> = self
            .store
            .list_accreditations(document.issuer_org_id)
            .await?
            .into_iter()
            .map(|r| r.accreditation)
            .collect();
        match check_scope(&accreditations, &document.content) {
            Ok(()) => checks.pass(CheckName::IssuerScope, "ok", "the issuer was accredited for this scope on the issue date"),
            Err(violation) => {
                let code = if accreditations.is_empty() { "no_accreditation" } else { "out_of_scope" };
                checks.fail(CheckName::IssuerScope, code, violation.to_string());
            }
        }

        // 6. Status as of the requested time.
        let history = self.store.document_history(document.hub_id).await?;
        let changes: Vec<StatusChange> = history
            .iter()
            .map(|c| StatusChange { action: c.action, to: c.to, effective_at: c.effective_at })
            .collect();
        match status_at(document.registered_at, &changes, as_of) {
            None => checks.fail(CheckName::Status, "not_yet_registered", format!("the document was registered only at {}", rfc3339(document.registered_at))),
            Some(DocumentStatus::Valid) => checks.pass(CheckName::Status, "valid", "the registry lists the document as valid"),
            Some(DocumentStatus::Suspended) => checks.fail(CheckName::Status, "suspended", "the issuer suspended the document"),
            Some(DocumentStatus::Withdrawn) => checks.fail(CheckName::Status, "withdrawn", "the issuer withdrew the document"),
            Some(DocumentStatus::Superseded) => {
                let by = document.superseded_by.map(|id| id.to_string()).unwrap_or_else(|| "a corrected re-issue".into());
                checks.fail(CheckName::Status, "superseded", format!("the document was replaced by {by}"))
            }
        }

        // 7. Validity period.
        check_validity_period(&document.content, as_of, &mut checks);

        // 8. File hash.
        match file_given {
            None => checks.not_applicable(CheckName::FileHash, "not_given", "no file was given"),
            Some(bytes) => {
                let sha = sha256_hex(bytes);
                if document.file_sha256.as_deref() == Some(sha.as_str()) {
                    checks.pass(CheckName::FileHash, "original", "the file is the registered original");
                } else if document.stamped_sha256.as_deref() == Some(sha.as_str()) {
                    checks.pass(CheckName::FileHash, "stamped", "the file is the registered copy stamped by the hub");
                } else {
                    checks.fail(CheckName::FileHash, "mismatch", "the file differs from every registered copy of this document");
                }
            }
        }

        let issuer_name = self.store.get_organisation(document.issuer_org_id).await?.map(|org| org.name);
        let mut outcome = self.finish(checks, Some(document), as_of, now, did_you_mean, &request);
        outcome.issuer_name = issuer_name;
        Ok(outcome)
    }

    /// Fills in the checks that do not exist yet and derives the verdict.
    fn finish(
        &self,
        mut checks: Checks,
        document: Option<DocumentRecord>,
        as_of: OffsetDateTime,
        now: OffsetDateTime,
        did_you_mean: Vec<HubId>,
        request: &Request,
    ) -> Outcome {
        if checks.has_failed() || document.is_none() {
            checks.skip_rest("earlier_failed", "not run because an earlier check failed");
        }
        match request.verifying_country {
            None => checks.not_applicable(CheckName::AgreementCoverage, "not_given", "no verifying country was given"),
            Some(country) => checks.not_checked(
                CheckName::AgreementCoverage,
                "not_built",
                format!("the hub does not record agreements yet, so coverage for {country} cannot be checked"),
            ),
        }
        // NOTE: there is no transparency log yet. The check is reported as
        // not applicable, never as passed.
        checks.not_applicable(CheckName::TransparencyLog, "not_built", "this hub does not run a transparency log yet");
        let trust_basis = document.as_ref().map(|d| d.trust_basis);
        let hub_id = document.as_ref().map(|d| d.hub_id);
        Outcome { result: checks.finish(hub_id, trust_basis, as_of, now), document, issuer_name: None, did_you_mean }
    }

    async fn check_signature(&self, document: &DocumentRecord, checks: &mut Checks) -> ApiResult<()> {
        if document.trust_basis == TrustBasis::HubAttestation {
            let Some(attestation) = &document.attestation else {
                checks.fail(CheckName::KeyKnown, "hub_key_unknown", "the entry has no hub attestation");
                return Ok(());
            };
            match self.hub_keys.verify(attestation) {
                Ok(parsed) => {
                    checks.pass(CheckName::KeyKnown, "hub_key", "the hub attested this entry with its own key");
                    let statement: serde_json::Value = serde_json::from_slice(&parsed.payload).unwrap_or_default();
                    let binds = statement["hub_id"] == document.hub_id.to_string()
                        && statement["payload_sha256"] == document.payload_sha256.as_str()
                        && sha256_hex(&document.payload) == document.payload_sha256;
                    if binds {
                        checks.pass(CheckName::Signature, "attestation_ok", "the hub attestation verifies and matches the entry");
                        checks.pass(CheckName::KeyValid, "hub_key_ok", "the hub key is current or kept for earlier attestations");
                    } else {
                        checks.fail(CheckName::Signature, "attestation_bad", "the hub attestation does not match the stored entry");
                    }
                }
                Err(crate::hub_keys::HubAttestationError::UnknownKey(kid)) => {
                    checks.fail(CheckName::KeyKnown, "hub_key_unknown", format!("hub key {kid} is not loaded on this node"));
                }
                Err(error) => checks.fail(CheckName::Signature, "attestation_bad", error.to_string()),
            }
            return Ok(());
        }

        let (Some(jws), Some(kid)) = (&document.jws, &document.kid) else {
            checks.fail(CheckName::KeyKnown, "no_kid", "the signed entry has no stored signature");
            return Ok(());
        };
        let Some(key) = self.store.get_key(kid).await? else {
            checks.fail(CheckName::KeyKnown, "unknown_key", format!("key {kid} is not registered"));
            return Ok(());
        };
        checks.pass(CheckName::KeyKnown, "ok", format!("key {kid} is registered"));
        match CompactJws::parse(jws) {
            Ok(parsed) if sha256_hex(&parsed.payload) == document.payload_sha256 => check_jws_signature(&parsed, &key, checks),
            Ok(_) => checks.fail(CheckName::Signature, "bad_signature", "the signed payload differs from the registered one"),
            Err(error) => checks.fail(CheckName::Signature, "bad_signature", error.to_string()),
        }
        match key.validity.check_at(document.registered_at) {
            Ok(()) => checks.pass(CheckName::KeyValid, "ok", "the key was valid and not revoked when the hub registered the document"),
            Err(problem) => checks.fail(CheckName::KeyValid, key_problem_code(&problem), problem.to_string()),
        }
        Ok(())
    }

    /// Checks a presented JWS whose payload is registered: its key must be
    /// registered and belong to the issuer (or to the organisation whose key
    /// sealed the original), and the key must have counted at registration.
    async fn check_presented_signature(&self, document: &DocumentRecord, parsed: &CompactJws, checks: &mut Checks) -> ApiResult<()> {
        let kid = parsed.header.kid.clone().unwrap_or_default();
        let Some(key) = self.store.get_key(&kid).await? else {
            checks.fail(CheckName::KeyKnown, "unknown_key", format!("key {kid:?} is not registered with the hub"));
            return Ok(());
        };
        let sealer = match &document.kid {
            Some(original) => self.store.get_key(original).await?.map(|k| k.org_id),
            None => None,
        };
        if key.org_id != document.issuer_org_id && Some(key.org_id) != sealer {
            checks.fail(CheckName::KeyKnown, "unknown_key", format!("key {kid} is registered, but not to the issuer of {}", document.hub_id));
            return Ok(());
        }
        checks.pass(CheckName::KeyKnown, "ok", format!("key {kid} is registered to the issuer"));
        check_jws_signature(parsed, &key, checks);
        match key.validity.check_at(document.registered_at) {
            Ok(()) => checks.pass(CheckName::KeyValid, "ok", "the key was valid and not revoked when the hub registered the document"),
            Err(problem) => checks.fail(CheckName::KeyValid, key_problem_code(&problem), problem.to_string()),
        }
        Ok(())
    }

    /// Finds the entry a JWS was registered as.
    async fn document_for_jws(&self, jws: &str) -> ApiResult<JwsLookup> {
        let parsed = match CompactJws::parse(jws) {
            Ok(parsed) => parsed,
            Err(error) => return Ok(JwsLookup::Invalid("malformed_jws", error.to_string())),
        };
        if let Err(error) = parsed.algorithm() {
            return Ok(JwsLookup::Invalid("malformed_jws", error.to_string()));
        }
        let credential: serde_json::Value = match serde_json::from_slice(&parsed.payload) {
            Ok(value) => value,
            Err(error) => return Ok(JwsLookup::Invalid("invalid_credential", format!("the payload is not JSON: {error}"))),
        };
        let content = match ecert_core::document::parse_credential(&credential) {
            Ok(content) => content,
            Err(errors) => {
                let first = errors.first().map(|e| format!("{} {}", e.field, e.message)).unwrap_or_default();
                return Ok(JwsLookup::Invalid("invalid_credential", first));
            }
        };
        let issuer = self
            .store
            .find_organisation(Some(content.issuer.country), &content.issuer.registration_number)
            .await?;
        if let Some(issuer) = issuer
            && let Some(document) = self.store.find_document_by_payload(issuer.id, &sha256_hex(&parsed.payload)).await?
        {
            return Ok(JwsLookup::Registered(Box::new(document), Box::new(parsed)));
        }
        Ok(JwsLookup::NotRegistered(Box::new(parsed), Box::new(content)))
    }

    /// Runs the checks on a well-formed JWS the registry does not hold, so
    /// the result gives the reason: unknown key, bad signature, key not valid now,
    /// issuer out of scope, and in every case "not registered".
    async fn check_unregistered(
        &self,
        parsed: &CompactJws,
        content: &ecert_core::DocumentContent,
        as_of: OffsetDateTime,
        checks: &mut Checks,
    ) -> ApiResult<()> {
        checks.pass(CheckName::Format, "ok", "the JWS and its credential are well-formed");

        let kid = parsed.header.kid.clone().unwrap_or_default();
        match self.store.get_key(&kid).await? {
            None => checks.fail(CheckName::KeyKnown, "unknown_key", format!("key {kid:?} is not registered with the hub")),
            Some(key) => {
                checks.pass(CheckName::KeyKnown, "ok", format!("key {kid} is registered"));
                check_jws_signature(parsed, &key, checks);
                match key.validity.check_at(OffsetDateTime::now_utc()) {
                    Ok(()) => checks.pass(CheckName::KeyValid, "ok", "the key is valid and not revoked now"),
                    Err(problem) => checks.fail(CheckName::KeyValid, key_problem_code(&problem), problem.to_string()),
                }
            }
        }

        let issuer = self
            .store
            .find_organisation(Some(content.issuer.country), &content.issuer.registration_number)
            .await?;
        let issuer_known = issuer.is_some();
        match issuer {
            None => checks.fail(CheckName::IssuerScope, "issuer_unknown", format!("issuer {} is not registered with the hub", content.issuer)),
            Some(issuer) => {
                let accreditations: Vec<_> =
                    self.store.list_accreditations(issuer.id).await?.into_iter().map(|r| r.accreditation).collect();
                match check_scope(&accreditations, content) {
                    Ok(()) => checks.pass(CheckName::IssuerScope, "ok", "the issuer was accredited for this scope on the issue date"),
                    Err(violation) => checks.fail(CheckName::IssuerScope, "out_of_scope", violation.to_string()),
                }
            }
        }

        // "Not in the registry" differs from "this issuer does not publish to
        // the registry": only the first is a warning sign for a known issuer.
        if issuer_known {
            checks.fail(CheckName::Status, "not_registered", "this document is not registered with the hub");
        } else {
            checks.fail(CheckName::Status, "issuer_not_in_registry", "the issuer does not publish its documents to this hub");
        }
        check_validity_period(content, as_of, checks);
        Ok(())
    }
}

enum JwsLookup {
    Registered(Box<DocumentRecord>, Box<CompactJws>),
    NotRegistered(Box<CompactJws>, Box<ecert_core::DocumentContent>),
    Invalid(&'static str, String),
}

/// Records whether `as_of` lies within the document's validity period.
fn check_validity_period(content: &ecert_core::DocumentContent, as_of: OffsetDateTime, checks: &mut Checks) {
    if as_of < content.issued_at {
        checks.fail(CheckName::ValidityPeriod, "not_yet_valid", format!("the document is valid only from {}", rfc3339(content.issued_at)));
    } else if let Some(until) = content.valid_until.filter(|until| as_of > *until) {
        checks.fail(CheckName::ValidityPeriod, "expired", format!("the document expired at {}", rfc3339(until)));
    } else {
        checks.pass(CheckName::ValidityPeriod, "ok", "the date lies within the validity period");
    }
}

/// Records the signature check of `parsed` under `key`: the JWS must use
/// the algorithm the key was registered for, and the signature must verify.
fn check_jws_signature(parsed: &CompactJws, key: &ecert_store::KeyRecord, checks: &mut Checks) {
    match parsed.algorithm() {
        Ok(alg) if alg != key.algorithm => checks.fail(
            CheckName::Signature,
            "key_algorithm_mismatch",
            format!("key {} is registered for {}, but the JWS uses {alg}", key.kid, key.algorithm),
        ),
        Ok(_) => match parsed.verify(&key.jwk) {
            Ok(()) => checks.pass(CheckName::Signature, "ok", "the signature verifies with the registered key"),
            Err(error) => checks.fail(CheckName::Signature, "bad_signature", error.to_string()),
        },
        Err(error) => checks.fail(CheckName::Signature, "unsupported_algorithm", error.to_string()),
    }
}

fn key_problem_code(problem: &ecert_core::keys::KeyProblem) -> &'static str {
    use ecert_core::keys::KeyProblem::*;
    match problem {
        WrongPurpose(_) => "wrong_purpose",
        NotYetValid { .. } => "not_yet_valid",
        Expired { .. } => "expired",
        Retired { .. } => "retired",
        Revoked { .. } => "revoked",
    }
}
