//! The hub's services: the rules of who may do what, and the steps of each
//! operation, shared by the API, the public pages and the command line.

pub mod documents;
pub mod keys;
pub mod parties;
pub mod stamping;
pub mod verification;

use ecert_core::CountryCode;
use ecert_core::party::Role;
use ecert_store::{Actor, Organisation};

use crate::auth::Caller;
use crate::error::ApiError;

impl crate::Hub {
    /// Resolves the time a change takes effect: now when not given; a time
    /// up to the clock skew ahead counts as now, because the client's clock
    /// may run ahead; anything later is rejected, so that no change waits in
    /// the future while the registry already shows it.
    pub fn effective_time(&self, field: &str, given: Option<time::OffsetDateTime>) -> Result<time::OffsetDateTime, ApiError> {
        let now = ecert_store::now();
        let Some(given) = given else { return Ok(now) };
        let skew = time::Duration::try_from(self.config.clock_skew).unwrap_or(time::Duration::minutes(5));
        if given > now + skew {
            return Err(ApiError::validation(vec![ecert_core::FieldError::new(
                field,
                format!(
                    "lies in the future ({}); give the time the change took effect, at most now",
                    ecert_core::keys::rfc3339(given)
                ),
            )]));
        }
        Ok(ecert_store::stored_precision(given.min(now)))
    }

    /// Rejects API writes to documents of a country that takes part by the
    /// portal only (track C). Portal users of that country may write.
    pub async fn require_api_track(&self, who: Principal<'_>, country: CountryCode) -> Result<(), ApiError> {
        let through_api = who.caller().is_some_and(|caller| matches!(caller.via, crate::auth::Via::Token(_)));
        if through_api && self.country(country).await?.track == ecert_core::party::Track::C {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "track_c_portal_only",
                format!("{country} takes part by the web portal only (track C), so its documents are not written through the API"),
            )
                .fix("the hub operator moves the country to track A or B when its national system connects"));
        }
        Ok(())
    }
}

/// On whose authority an operation runs: an authenticated caller (an API
/// client or a portal user), or the operator's own command line on the
/// server (bootstrap and demo), which is trusted.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    System,
    Caller(&'a Caller),
}

impl Principal<'_> {
    pub fn actor(&self) -> Actor {
        match self {
            Principal::System => Actor::SYSTEM,
            Principal::Caller(caller) => Actor::org(caller.org.id),
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        match self {
            Principal::System => None,
            Principal::Caller(caller) => Some(caller),
        }
    }

    pub fn is_operator(&self) -> bool {
        match self {
            Principal::System => true,
            Principal::Caller(caller) => caller.is_operator(),
        }
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the hub operator may do this"))
        }
    }

    /// Rejects anyone but a national admin of `country` (or the system).
    pub fn require_country_admin(&self, country: CountryCode) -> Result<(), ApiError> {
        match self {
            Principal::System => Ok(()),
            Principal::Caller(caller) => caller.require_country_admin(country),
        }
    }

    /// Administrative reads: the own country, or everything for the operator.
    pub fn require_country_reader(&self, country: Option<CountryCode>) -> Result<(), ApiError> {
        match self {
            Principal::System => Ok(()),
            Principal::Caller(caller) if caller.is_operator() => Ok(()),
            Principal::Caller(caller) if country.is_some() && caller.country() == country => Ok(()),
            Principal::Caller(_) => Err(ApiError::forbidden(
                "administrative data is readable only by its own country and the hub operator",
            )),
        }
    }

    /// Checks that this principal may register or change documents of `issuer`:
    /// the issuing CAB itself (role `cab_issuer`) or a national admin of
    /// the issuer's country (a Track A national system submits for its CABs).
    pub fn require_issuer_or_authority(&self, issuer: &Organisation) -> Result<(), ApiError> {
        let Principal::Caller(caller) = self else { return Ok(()) };
        if caller.org.id == issuer.id && caller.has(Role::CabIssuer) {
            return Ok(());
        }
        if let Some(country) = issuer.country
            && caller.is_national_admin_of(country)
        {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "only {} (role cab_issuer) or a national admin of its country may register or change its documents",
            issuer.name
        )))
    }
}
