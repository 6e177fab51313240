//! The verification result: one shape for the API, the portal and the CLI.
//!
//! A result lists every check in a fixed order. The verdict is `valid` when
//! every applicable check passed, `invalid` when any failed, and
//! `indeterminate` when none failed but one could not run.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::document::{DocumentStatus, StatusAction};
use crate::hub_id::HubId;

/// The checks, in the order they run and are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The input parses: hub ID syntax, JWS structure, credential fields.
    Format,
    /// The signing key is registered with the hub.
    KeyKnown,
    /// The signature verifies with that key.
    Signature,
    /// The key was valid and not revoked at the hub's registration time.
    KeyValid,
    /// The issuer was accredited or designated for the scope on the issue date.
    IssuerScope,
    /// The registry status now, or as of the requested date.
    Status,
    /// The requested date lies within the document's validity period.
    ValidityPeriod,
    /// The given file's SHA-256 matches the registered original or stamped copy.
    FileHash,
    /// An agreement between the issuing and verifying countries covers the document.
    AgreementCoverage,
    /// The registration is included in the hub's transparency log.
    TransparencyLog,
}

impl CheckName {
    pub const ORDER: [CheckName; 10] = [
        CheckName::Format,
        CheckName::KeyKnown,
        CheckName::Signature,
        CheckName::KeyValid,
        CheckName::IssuerScope,
        CheckName::Status,
        CheckName::ValidityPeriod,
        CheckName::FileHash,
        CheckName::AgreementCoverage,
        CheckName::TransparencyLog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Format => "format",
            CheckName::KeyKnown => "key_known",
            CheckName::Signature => "signature",
            CheckName::KeyValid => "key_valid",
            CheckName::IssuerScope => "issuer_scope",
            CheckName::Status => "status",
            CheckName::ValidityPeriod => "validity_period",
            CheckName::FileHash => "file_hash",
            CheckName::AgreementCoverage => "agreement_coverage",
            CheckName::TransparencyLog => "transparency_log",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not asked for: no file given, no verifying country given.
    NotApplicable,
    /// Should have run but could not, for example because an earlier check failed.
    NotChecked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    Invalid,
    Indeterminate,
}

/// Basis of the hub's trust in a registered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrustBasis {
    /// Signed with the issuing CAB's own registered key.
    IssuerSignature,
    /// Signed by the national authority's document-signing key on behalf of one of its CABs.
    NationalSeal,
    /// No signature: the hub recorded the content and file hash and signed an attestation.
    HubAttestation,
}

impl TrustBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            TrustBasis::IssuerSignature => "issuer_signature",
            TrustBasis::NationalSeal => "national_seal",
            TrustBasis::HubAttestation => "hub_attestation",
        }
    }
}

impl std::str::FromStr for TrustBasis {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "issuer_signature" => Ok(TrustBasis::IssuerSignature),
            "national_seal" => Ok(TrustBasis::NationalSeal),
            "hub_attestation" => Ok(TrustBasis::HubAttestation),
            other => Err(format!("unknown trust basis {other:?}")),
        }
    }
}

/// One check of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Check {
    pub check: CheckName,
    pub outcome: Outcome,
    /// A stable machine code for the reason, such as `signature_mismatch`;
    /// the portal translates it.
    pub code: String,
    /// The reason in English.
    pub reason: String,
}

/// The outcome of verifying one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerificationResult {
    pub verdict: Verdict,
    pub trust_basis: Option<TrustBasis>,
    #[schema(value_type = Option<String>, example = "UZ-CC-7Q3K-9XMP-H")]
    pub hub_id: Option<HubId>,
    /// The time the status and validity were judged at.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub as_of: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: OffsetDateTime,
    pub checks: Vec<Check>,
}

/// Collects checks in order and derives the verdict. Any check never
/// recorded is reported as `not_checked`, so nothing passes by omission.
#[derive(Debug, Default)]
pub struct Checks {
    recorded: Vec<Check>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, check: CheckName, outcome: Outcome, code: &str, reason: impl Into<String>) {
        self.recorded.retain(|c| c.check != check);
        self.recorded.push(Check { check, outcome, code: code.to_owned(), reason: reason.into() });
    }

    pub fn pass(&mut self, check: CheckName, code: &str, reason: impl Into<String>) {
        self.record(check, Outcome::Passed, code, reason);
    }

    pub fn fail(&mut self, check: CheckName, code: &str, reason: impl Into<String>) {
        self.record(check, Outcome::Failed, code, reason);
    }

    pub fn not_applicable(&mut self, check: CheckName, code: &str, reason: impl Into<String>) {
        self.record(check, Outcome::NotApplicable, code, reason);
    }

    pub fn not_checked(&mut self, check: CheckName, code: &str, reason: impl Into<String>) {
        self.record(check, Outcome::NotChecked, code, reason);
    }

    pub fn has_failed(&self) -> bool {
        self.recorded.iter().any(|c| c.outcome == Outcome::Failed)
    }

    pub fn outcome(&self, check: CheckName) -> Option<Outcome> {
        self.recorded.iter().find(|c| c.check == check).map(|c| c.outcome)
    }

    /// Marks every check not yet recorded as `not_checked` with `reason`.
    pub fn skip_rest(&mut self, code: &str, reason: &str) {
        for name in CheckName::ORDER {
            if self.outcome(name).is_none() {
                self.not_checked(name, code, reason);
            }
        }
    }

    pub fn finish(
        mut self,
        hub_id: Option<HubId>,
        trust_basis: Option<TrustBasis>,
        as_of: OffsetDateTime,
        checked_at: OffsetDateTime,
    ) -> VerificationResult {
        self.skip_rest("not_run", "this check did not run");
        self.recorded.sort_by_key(|c| CheckName::ORDER.iter().position(|n| *n == c.check));
        let verdict = if self.recorded.iter().any(|c| c.outcome == Outcome::Failed) {
            Verdict::Invalid
        } else if self.recorded.iter().any(|c| c.outcome == Outcome::NotChecked) {
            Verdict::Indeterminate
        } else {
            Verdict::Valid
        };
        VerificationResult { verdict, trust_basis, hub_id, as_of, checked_at, checks: self.recorded }
    }
}

/// A recorded status change with the time it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub action: StatusAction,
    pub to: DocumentStatus,
    pub effective_at: OffsetDateTime,
}

/// Computes the status in effect at `at` from the changes since registration
/// at `registered_at`. Before registration there is no status.
pub fn status_at(
    registered_at: OffsetDateTime,
    changes: &[StatusChange],
    at: OffsetDateTime,
) -> Option<DocumentStatus> {
    if at < registered_at {
        return None;
    }
    let mut ordered: Vec<&StatusChange> = changes.iter().collect();
    ordered.sort_by_key(|c| c.effective_at);
    Some(
        ordered
            .into_iter()
            .take_while(|c| c.effective_at <= at)
            .last()
            .map(|c| c.to)
            .unwrap_or(DocumentStatus::Valid),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 0:00 UTC);

    #[test]
    fn verdict_follows_the_worst_outcome() {
        let mut all_passed = Checks::new();
        for name in CheckName::ORDER {
            all_passed.pass(name, "ok", "ok");
        }
        assert_eq!(all_passed.finish(None, None, NOW, NOW).verdict, Verdict::Valid);

        let mut one_skipped = Checks::new();
        one_skipped.pass(CheckName::Format, "ok", "ok");
        assert_eq!(one_skipped.finish(None, None, NOW, NOW).verdict, Verdict::Indeterminate);

        let mut one_failed = Checks::new();
        one_failed.fail(CheckName::Signature, "bad", "bad");
        assert_eq!(one_failed.finish(None, None, NOW, NOW).verdict, Verdict::Invalid);
    }

    #[test]
    fn result_lists_every_check_in_order() {
        let mut checks = Checks::new();
        checks.pass(CheckName::Status, "ok", "ok");
        checks.pass(CheckName::Format, "ok", "ok");
        let result = checks.finish(None, None, NOW, NOW);
        let names: Vec<CheckName> = result.checks.iter().map(|c| c.check).collect();
        assert_eq!(names, CheckName::ORDER.to_vec());
    }

    #[test]
    fn backdated_suspension_applies_from_its_effective_time() {
        let registered = datetime!(2026-01-01 0:00 UTC);
        let changes = [StatusChange {
            action: StatusAction::Suspend,
            to: DocumentStatus::Suspended,
            effective_at: datetime!(2026-03-01 0:00 UTC),
        }];
        assert_eq!(status_at(registered, &changes, datetime!(2026-02-01 0:00 UTC)), Some(DocumentStatus::Valid));
        assert_eq!(status_at(registered, &changes, datetime!(2026-04-01 0:00 UTC)), Some(DocumentStatus::Suspended));
        assert_eq!(status_at(registered, &changes, datetime!(2025-12-01 0:00 UTC)), None);
    }
}
