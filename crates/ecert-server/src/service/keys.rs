//! Registration, retirement and revocation of organisations' public keys,
//! following the chain of trust: the hub operator registers the keys of
//! national authorities, and a national authority those of its CABs.

use ecert_core::FieldError;
use ecert_core::jose::{Algorithm, PublicJwk};
use ecert_core::keys::{KeyPurpose, KeyStatus, KeyValidity};
use ecert_store::{KeyRecord, KeyStatusChange, Organisation};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Principal;
use crate::Hub;
use crate::error::{ApiError, ApiResult};

/// A key registration request.
pub struct NewKey {
    pub jwk: serde_json::Value,
    pub algorithm: Option<Algorithm>,
    pub purpose: KeyPurpose,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
}

impl Hub {
    /// Checks that `who` may manage the keys of `org` under the chain of trust.
    fn require_key_manager(&self, who: Principal<'_>, org: &Organisation) -> ApiResult<()> {
        if matches!(who, Principal::System) {
            return Ok(());
        }
        if org.kind.is_national_authority() || org.country.is_none() {
            return who.require_operator().map_err(|_| {
                ApiError::forbidden("the keys of national authorities are registered by the hub operator")
            });
        }
        let country = org.country.unwrap_or_else(|| unreachable!("checked above"));
        who.require_country_admin(country)
            .map_err(|_| ApiError::forbidden(format!("the keys of a CAB are registered by a national admin of {country}")))
    }

    pub async fn register_key(&self, who: Principal<'_>, org_id: Uuid, new: NewKey) -> ApiResult<KeyRecord> {
        let org = self.organisation(org_id).await?;
        self.require_key_manager(who, &org)?;

        let jwk = PublicJwk::from_json(&new.jwk)
            .map_err(|e| ApiError::unprocessable("invalid_jwk", e.to_string()).field("jwk"))?;
        let supported = jwk.algorithms();
        let algorithm = match new.algorithm {
            Some(alg) if supported.contains(&alg) => alg,
            Some(alg) => {
                return Err(ApiError::unprocessable(
                    "key_algorithm_mismatch",
                    format!("a key of type {} cannot sign {alg}", jwk.kty),
                )
                .field("algorithm"));
            }
            None if supported.len() == 1 => supported[0],
            None => {
                return Err(ApiError::validation(vec![FieldError::new(
                    "algorithm",
                    "is required for RSA keys: RS256 or PS256",
                )]));
            }
        };
        let kid = jwk.thumbprint().map_err(|e| ApiError::unprocessable("invalid_jwk", e.to_string()).field("jwk"))?;
        let valid_from = new.valid_from.map(ecert_store::stored_precision).unwrap_or_else(ecert_store::now);
        if new.valid_until.is_some_and(|until| until <= valid_from) {
            return Err(ApiError::validation(vec![FieldError::new("valid_until", "must be after valid_from")]));
        }
        if let Some(existing) = self.store.get_key(&kid).await? {
            return Err(ApiError::conflict("key_exists", format!("key {kid} is already registered"))
                .context(serde_json::json!({"kid": kid, "org_id": existing.org_id})));
        }

        let key = KeyRecord {
            kid,
            org_id,
            jwk,
            algorithm,
            validity: KeyValidity {
                purpose: new.purpose,
                status: KeyStatus::Active,
                valid_from,
                valid_until: new.valid_until,
                retired_at: None,
                compromised_at: None,
            },
            registered_by: who.caller().map(|c| c.org.id),
            created_at: ecert_store::now(),
        };
        self.store.insert_key(&key, who.actor()).await?;
        Ok(key)
    }

    pub async fn key(&self, kid: &str) -> ApiResult<KeyRecord> {
        self.store.get_key(kid).await?.ok_or_else(|| ApiError::not_found(format!("key {kid}")))
    }

    /// Retires a key (it still verifies what was registered before) or
    /// revokes it from a compromise time (nothing registered from then on
    /// counts). A revocation may follow a retirement; nothing follows a
    /// revocation.
    pub async fn change_key_status(
        &self,
        who: Principal<'_>,
        kid: &str,
        to: KeyStatus,
        effective_at: Option<OffsetDateTime>,
        reason: String,
    ) -> ApiResult<KeyRecord> {
        let key = self.key(kid).await?;
        let org = self.organisation(key.org_id).await?;
        // The hub operator may revoke any key, for a compromise reported to it.
        if !(to == KeyStatus::Revoked && who.is_operator()) {
            self.require_key_manager(who, &org)?;
        }
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ApiError::validation(vec![FieldError::new("reason", "must say why the key is retired or revoked, in 1-2000 characters")]));
        }
        let effective_now = effective_at.is_none();
        let effective_at = self.effective_time("effective_at", effective_at)?;
        match (key.validity.status, to) {
            (KeyStatus::Active, KeyStatus::Retired) | (KeyStatus::Active | KeyStatus::Retired, KeyStatus::Revoked) => {}
            (from, to) => {
                return Err(ApiError::conflict(
                    "invalid_transition",
                    format!("a {from} key cannot become {to}"),
                ));
            }
        }
        let change = KeyStatusChange {
            kid: kid.to_owned(),
            expected: key.validity.status,
            to,
            effective_at,
            effective_now,
            reason,
        };
        Ok(self.store.change_key_status(&change, who.actor()).await?)
    }
}
