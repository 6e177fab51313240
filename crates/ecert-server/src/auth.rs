//! Bearer-token authentication of API clients, and the password hashing
//! used for portal users.
//!
//! A token is `ecert_` followed by 32 random bytes in base64url. The store
//! keeps only its SHA-256: the secret has full entropy, so a slow hash would
//! add nothing.

use argon2::{PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ecert_core::CountryCode;
use ecert_core::party::{OrgKind, Role};
use ecert_store::{Organisation, blob::sha256_hex};
use rand::RngCore as _;
use uuid::Uuid;

use crate::Hub;
use crate::error::ApiError;
use std::sync::Arc;

/// An authenticated caller: the organisation it acts for and its roles,
/// from an API token or a portal user's session. The same rules authorise
/// both.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org: Organisation,
    pub roles: Vec<Role>,
    pub via: Via,
}

/// The credential a caller authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An API bearer token, by its id.
    Token(Uuid),
    /// A portal session of this user.
    Portal { user_id: Uuid },
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_operator(&self) -> bool {
        self.org.kind == OrgKind::HubOperator && self.has(Role::HubOperator)
    }

    pub fn country(&self) -> Option<CountryCode> {
        self.org.country
    }

    /// Checks whether the caller is a national admin of `country`.
    pub fn is_national_admin_of(&self, country: CountryCode) -> bool {
        self.has(Role::NationalAdmin) && self.org.kind.is_national_authority() && self.org.country == Some(country)
    }

    /// Rejects callers that have none of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!("this action needs one of the roles: {}", names.join(", "))))
        }
    }

    /// Rejects callers that may not write data of `country`.
    pub fn require_country_admin(&self, country: CountryCode) -> Result<(), ApiError> {
        if self.is_national_admin_of(country) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "only a national admin of {country} may change {country}'s data"
            )))
        }
    }
}

/// Generates a new API token secret.
pub fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ecert_{}", ecert_core::jose::b64url(&bytes))
}

pub fn token_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(argon2::Argon2::default().hash_password(password.as_bytes())?.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

impl FromRequestParts<Arc<Hub>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(ApiError::unauthorized)?;
        // The scheme name is case-insensitive (RFC 9110, section 11.1).
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim())
            .ok_or_else(ApiError::unauthorized)?;
        let token = hub.store.find_token(&token_hash(secret)).await?.ok_or_else(ApiError::unauthorized)?;
        if token.revoked_at.is_some() {
            return Err(ApiError::unauthorized().fix("this token was revoked; ask your national admin for a new one"));
        }
        let org = hub
            .store
            .get_organisation(token.org_id)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Caller { org, roles: token.roles, via: Via::Token(token.id) })
    }
}

/// A caller that may be anonymous, for public endpoints that show more to
/// authenticated callers. A present but invalid token is still rejected.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Arc<Hub>> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            Ok(MaybeCaller(Some(Caller::from_request_parts(parts, hub).await?)))
        } else {
            Ok(MaybeCaller(None))
        }
    }
}
