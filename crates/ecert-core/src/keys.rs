//! Key records and the rule for whether a key counts for a signature made
//! before a given registration time.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

macro_rules! key_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ }) => {
        crate::party::string_enum! { $(#[$meta])* $name { $($variant => $text),+ } }
    };
}

key_enum! {
    /// Purpose of a key: what it may sign.
    KeyPurpose { DocumentSigning => "document_signing", Api => "api", TrustList => "trust_list" }
}

key_enum! {
    /// `retired` keys still verify what they signed while active; `revoked`
    /// keys verify nothing registered after their compromise time.
    KeyStatus { Active => "active", Retired => "retired", Revoked => "revoked" }
}

/// The facts about a key that decide whether it counts at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValidity {
    pub purpose: KeyPurpose,
    pub status: KeyStatus,
    pub valid_from: OffsetDateTime,
    pub valid_until: Option<OffsetDateTime>,
    /// When the key was retired; documents registered later do not count.
    pub retired_at: Option<OffsetDateTime>,
    /// From this time on nothing the key signed counts.
    pub compromised_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("the key is for {0}, not for signing documents")]
    WrongPurpose(KeyPurpose),
    #[error("the key was not yet valid at registration time {registered} (valid from {valid_from})")]
    NotYetValid { registered: String, valid_from: String },
    #[error("the key had expired at registration time {registered} (valid until {valid_until})")]
    Expired { registered: String, valid_until: String },
    #[error("the key was retired at {retired_at}, before registration time {registered}")]
    Retired { registered: String, retired_at: String },
    #[error("the key was revoked as compromised from {compromised_at}, before registration time {registered}")]
    Revoked { registered: String, compromised_at: String },
}

/// Formats a time as RFC 3339 for messages, e.g. `2026-06-01T00:00:00Z`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

impl KeyValidity {
    /// Checks whether a document registered at `registered` counts under this key.
    /// The hub's registration time counts, never the issue date the signer
    /// wrote, because the holder of a stolen key could backdate.
    pub fn check_at(&self, registered: OffsetDateTime) -> Result<(), KeyProblem> {
        let at = rfc3339(registered);
        if self.purpose != KeyPurpose::DocumentSigning {
            return Err(KeyProblem::WrongPurpose(self.purpose));
        }
        if registered < self.valid_from {
            return Err(KeyProblem::NotYetValid { registered: at, valid_from: rfc3339(self.valid_from) });
        }
        if let Some(until) = self.valid_until
            && registered > until
        {
            return Err(KeyProblem::Expired { registered: at, valid_until: rfc3339(until) });
        }
        if let Some(compromised) = self.compromised_at
            && registered >= compromised
        {
            return Err(KeyProblem::Revoked { registered: at, compromised_at: rfc3339(compromised) });
        }
        if let Some(retired) = self.retired_at
            && registered >= retired
        {
            return Err(KeyProblem::Retired { registered: at, retired_at: rfc3339(retired) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn key() -> KeyValidity {
        KeyValidity {
            purpose: KeyPurpose::DocumentSigning,
            status: KeyStatus::Active,
            valid_from: datetime!(2026-01-01 0:00 UTC),
            valid_until: Some(datetime!(2028-01-01 0:00 UTC)),
            retired_at: None,
            compromised_at: None,
        }
    }

    #[test]
    fn active_key_counts_inside_validity() {
        assert_eq!(key().check_at(datetime!(2026-06-01 0:00 UTC)), Ok(()));
        assert!(matches!(key().check_at(datetime!(2025-06-01 0:00 UTC)), Err(KeyProblem::NotYetValid { .. })));
        assert!(matches!(key().check_at(datetime!(2028-06-01 0:00 UTC)), Err(KeyProblem::Expired { .. })));
    }

    #[test]
    fn revoked_key_counts_only_before_compromise() {
        let mut key = key();
        key.status = KeyStatus::Revoked;
        key.compromised_at = Some(datetime!(2026-06-01 0:00 UTC));
        assert_eq!(key.check_at(datetime!(2026-05-31 0:00 UTC)), Ok(()));
        assert!(matches!(key.check_at(datetime!(2026-06-01 0:00 UTC)), Err(KeyProblem::Revoked { .. })));
    }

    #[test]
    fn retired_key_still_verifies_older_documents() {
        let mut key = key();
        key.status = KeyStatus::Retired;
        key.retired_at = Some(datetime!(2026-06-01 0:00 UTC));
        assert_eq!(key.check_at(datetime!(2026-03-01 0:00 UTC)), Ok(()));
        assert!(matches!(key.check_at(datetime!(2026-07-01 0:00 UTC)), Err(KeyProblem::Retired { .. })));
    }
}
