//! Countries, organisations, accreditations, API tokens and users.

use ecert_core::CountryCode;
use ecert_core::document::is_registration_number;
use ecert_core::party::{Accreditation, AccreditationStandard, AccreditationStatus, OrgKind, Role};
use ecert_core::FieldError;
use ecert_store::{AccreditationRecord, AccreditationStatusChange, ApiToken, Country, Organisation, User};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Principal;
use crate::Hub;
use crate::auth::{hash_password, new_token_secret, token_hash};
use crate::error::{ApiError, ApiResult};

impl Hub {
    pub async fn upsert_country(&self, who: Principal<'_>, country: Country) -> ApiResult<Country> {
        who.require_operator()?;
        if country.name.trim().is_empty() {
            return Err(ApiError::validation(vec![FieldError::new("name", "must not be empty")]));
        }
        self.store.upsert_country(&country, who.actor()).await?;
        Ok(country)
    }

    pub async fn country(&self, code: CountryCode) -> ApiResult<Country> {
        self.store
            .get_country(code)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("country {code}")).fix("the hub operator adds countries"))
    }

    /// Creates an organisation. The hub operator creates national
    /// authorities and the operator organisation; a national admin creates
    /// CABs and authorities of its own country.
    pub async fn create_organisation(
        &self,
        who: Principal<'_>,
        country: Option<CountryCode>,
        kind: OrgKind,
        registration_number: String,
        name: String,
    ) -> ApiResult<Organisation> {
        let mut errors = Vec::new();
        if !is_registration_number(&registration_number) {
            errors.push(FieldError::new(
                "registration_number",
                "must be 1-64 letters, digits, '-', '.', '/' or '_'",
            ));
        }
        if name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        } else if let Err(problem) = ecert_core::document::check_text(name.trim(), 300) {
            errors.push(FieldError::new("name", problem));
        }
        match (kind, country) {
            (OrgKind::HubOperator, Some(_)) => {
                errors.push(FieldError::new("country", "the hub operator belongs to no country; omit country"))
            }
            (OrgKind::HubOperator, None) => {}
            (_, None) => errors.push(FieldError::new("country", "is required for every organisation but the hub operator")),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }

        match (kind, country) {
            (OrgKind::HubOperator, _) => who.require_operator()?,
            (_, Some(country)) => {
                self.country(country).await?;
                if !who.is_operator() {
                    who.require_country_admin(country)?;
                }
            }
            (_, None) => unreachable!("validated above"),
        }

        let org = Organisation {
            id: Uuid::now_v7(),
            country,
            kind,
            registration_number: registration_number.trim().to_owned(),
            name: name.trim().to_owned(),
            created_at: ecert_store::now(),
        };
        self.store.insert_organisation(&org, who.actor()).await.map_err(|e| match e {
            ecert_store::StoreError::Conflict(_) => ApiError::conflict(
                "organisation_exists",
                format!("an organisation with registration number {} already exists in this country", org.registration_number),
            )
            .field("registration_number"),
            other => other.into(),
        })?;
        Ok(org)
    }

    pub async fn organisation(&self, id: Uuid) -> ApiResult<Organisation> {
        self.store
            .get_organisation(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("organisation {id}")))
    }

    /// Records an accreditation or designation of a CAB; a national admin
    /// of the CAB's country (or the system) only.
    pub async fn add_accreditation(
        &self,
        who: Principal<'_>,
        org_id: Uuid,
        accreditation: Accreditation,
    ) -> ApiResult<AccreditationRecord> {
        let org = self.organisation(org_id).await?;
        let country = org.country.ok_or_else(|| ApiError::unprocessable("not_a_cab", "the hub operator has no accreditations"))?;
        who.require_country_admin(country)?;

        let mut errors = Vec::new();
        if !org.kind.is_cab() && accreditation.standard != AccreditationStandard::Designation {
            errors.push(FieldError::new(
                "standard",
                format!("{} is not a CAB; only a designation by law can be recorded for it", org.kind),
            ));
        }
        if accreditation.body.trim().is_empty() {
            errors.push(FieldError::new("body", "name the accreditation body, or the legal act of a designation"));
        }
        if accreditation.standard == AccreditationStandard::Designation && accreditation.designated_types.is_empty() {
            errors.push(FieldError::new("designated_types", "a designation lists the document types it covers: CC, TR or both"));
        }
        if accreditation.standard != AccreditationStandard::Designation && !accreditation.designated_types.is_empty() {
            errors.push(FieldError::new("designated_types", "only a designation lists document types; an accreditation's standard decides them"));
        }
        if let Err(problem) = ecert_core::document::check_text(accreditation.body.trim(), 300) {
            errors.push(FieldError::new("body", problem));
        }
        for (i, prefix) in accreditation.hs_prefixes.iter().enumerate() {
            let chapter: u8 = prefix.get(..2).and_then(|c| c.parse().ok()).unwrap_or(0);
            if !(2..=10).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(FieldError::new(format!("hs_prefixes[{i}]"), "must be 2 to 10 digits of an HS or national code"));
            } else if chapter == 0 || chapter > 97 || chapter == 77 {
                errors.push(FieldError::new(format!("hs_prefixes[{i}]"), format!("chapter {chapter:02} is not an HS chapter (01-97, 77 is reserved)")));
            }
        }
        for (i, standard) in accreditation.standards.iter().enumerate() {
            if let Err(problem) = ecert_core::document::check_text(standard, 200) {
                errors.push(FieldError::new(format!("standards[{i}]"), problem));
            }
        }
        if accreditation.valid_until.is_some_and(|until| until <= accreditation.valid_from) {
            errors.push(FieldError::new("valid_until", "must be after valid_from"));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }

        let mut accreditation = accreditation;
        if accreditation.status_history.is_empty() {
            accreditation.status_history = vec![(accreditation.valid_from, AccreditationStatus::Active)];
        }
        let record = AccreditationRecord { id: Uuid::now_v7(), org_id, accreditation, created_at: ecert_store::now() };
        self.store.insert_accreditation(&record, who.actor()).await?;
        Ok(record)
    }

    pub async fn change_accreditation_status(
        &self,
        who: Principal<'_>,
        id: Uuid,
        to: AccreditationStatus,
        effective_at: Option<OffsetDateTime>,
        reason: String,
    ) -> ApiResult<AccreditationRecord> {
        let record = self
            .store
            .get_accreditation(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("accreditation {id}")))?;
        let org = self.organisation(record.org_id).await?;
        if let Some(country) = org.country {
            who.require_country_admin(country)?;
        }
        if reason.trim().is_empty() || reason.trim().chars().count() > 2000 {
            return Err(ApiError::validation(vec![FieldError::new("reason", "must say why the status changes, in 1-2000 characters")]));
        }
        let change = AccreditationStatusChange {
            id,
            to,
            effective_at: self.effective_time("effective_at", effective_at)?,
            reason: reason.trim().to_owned(),
        };
        Ok(self.store.change_accreditation_status(&change, who.actor()).await?)
    }

    /// Issues an API token for an organisation and returns its secret, which
    /// is shown once and never stored.
    pub async fn create_token(
        &self,
        who: Principal<'_>,
        org_id: Uuid,
        roles: Vec<Role>,
        label: String,
    ) -> ApiResult<(ApiToken, String)> {
        let org = self.organisation(org_id).await?;
        check_roles_fit(&org, &roles)?;
        let mut unique = Vec::with_capacity(roles.len());
        for role in roles {
            if !unique.contains(&role) {
                unique.push(role);
            }
        }
        let roles = unique;
        require_credential_admin(who, &org)?;
        if let Err(problem) = ecert_core::document::check_text(&label, 200) {
            return Err(ApiError::validation(vec![FieldError::new("label", problem)]));
        }
        let secret = new_token_secret();
        let token = ApiToken {
            id: Uuid::now_v7(),
            org_id,
            roles,
            token_hash: token_hash(&secret),
            label: label.trim().to_owned(),
            created_at: ecert_store::now(),
            revoked_at: None,
        };
        self.store.insert_token(&token, who.actor()).await?;
        Ok((token, secret))
    }

    /// Revokes an API token: the token itself, a national admin of its
    /// organisation's country, or the hub operator may.
    pub async fn revoke_token(&self, who: Principal<'_>, id: Uuid) -> ApiResult<ApiToken> {
        let token = self.store.get_token(id).await?.ok_or_else(|| ApiError::not_found(format!("token {id}")))?;
        let own = who.caller().is_some_and(|c| c.via == crate::auth::Via::Token(id));
        if !own && !who.is_operator() {
            let org = self.organisation(token.org_id).await?;
            match org.country {
                Some(country) => who.require_country_admin(country)?,
                None => who.require_operator()?,
            }
        }
        if token.revoked_at.is_some() {
            return Err(ApiError::conflict("token_revoked", format!("token {id} is already revoked")));
        }
        self.store.revoke_token(id, who.actor()).await?;
        self.store.get_token(id).await?.ok_or_else(|| ApiError::not_found(format!("token {id}")))
    }

    /// Creates a portal user with an Argon2id password hash.
    pub async fn create_user(
        &self,
        who: Principal<'_>,
        org_id: Uuid,
        username: String,
        display_name: String,
        password: String,
        roles: Vec<Role>,
    ) -> ApiResult<User> {
        let org = self.organisation(org_id).await?;
        check_roles_fit(&org, &roles)?;
        require_credential_admin(who, &org)?;
        let mut errors = Vec::new();
        if !(3..=64).contains(&username.len())
            || !username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
        {
            errors.push(FieldError::new("username", "must be 3-64 letters, digits, '.', '-', '_' or '@'"));
        }
        errors.extend(password_too_short(&password));
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let hash = hash_password_blocking(password).await?;
        let user = User {
            id: Uuid::now_v7(),
            org_id,
            username,
            display_name,
            password_hash: hash,
            roles,
            locale: None,
            created_at: ecert_store::now(),
            disabled_at: None,
        };
        self.store.insert_user(&user, who.actor()).await.map_err(|e| match e {
            ecert_store::StoreError::Conflict(_) => {
                ApiError::conflict("user_exists", "this user name is taken").field("username")
            }
            other => other.into(),
        })?;
        Ok(user)
    }
}

impl Hub {
    /// Disables a portal user (ending their sessions) or enables them again.
    /// The same people who may create the user may do this. An admin cannot
    /// disable their own account, so the country is never locked out by mistake.
    pub async fn set_user_disabled(&self, who: Principal<'_>, id: Uuid, disable: bool) -> ApiResult<User> {
        let user = self.store.get_user(id).await?.ok_or_else(|| ApiError::not_found(format!("user {id}")))?;
        let org = self.organisation(user.org_id).await?;
        require_credential_admin(who, &org)?;
        if disable && who.caller().is_some_and(|c| c.via == crate::auth::Via::Portal { user_id: id }) {
            return Err(ApiError::conflict("own_account", "you cannot disable your own account").fix("ask another admin of your country"));
        }
        let disabled_at = disable.then(ecert_store::now);
        self.store.set_user_disabled(id, disabled_at, who.actor()).await?;
        Ok(User { disabled_at, ..user })
    }
}

impl Hub {
    /// Sets a new password for a portal user, for example after the user
    /// forgot theirs, and ends the user's sessions. The same people who may
    /// create the user may.
    pub async fn reset_user_password(&self, who: Principal<'_>, id: Uuid, password: String) -> ApiResult<User> {
        let user = self.store.get_user(id).await?.ok_or_else(|| ApiError::not_found(format!("user {id}")))?;
        let org = self.organisation(user.org_id).await?;
        require_credential_admin(who, &org)?;
        if let Some(problem) = password_too_short(&password) {
            return Err(ApiError::validation(vec![problem]));
        }
        let hash = hash_password_blocking(password).await?;
        self.store.set_user_password(id, &hash, who.actor()).await?;
        Ok(User { password_hash: hash, ..user })
    }
}

/// The shortest password a portal user may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Checks that `who` may manage the credentials (tokens, users) of `org`:
/// a national admin of its country, or the hub operator for any
/// organisation and for those of no country.
fn require_credential_admin(who: Principal<'_>, org: &Organisation) -> ApiResult<()> {
    match org.country {
        Some(country) if !who.is_operator() => who.require_country_admin(country),
        _ => who.require_operator(),
    }
}

/// Returns the field error of a password shorter than [`MIN_PASSWORD_CHARS`].
fn password_too_short(password: &str) -> Option<FieldError> {
    (password.chars().count() < MIN_PASSWORD_CHARS)
        .then(|| FieldError::new("password", format!("must have at least {MIN_PASSWORD_CHARS} characters")))
}

/// Hashes a password with Argon2id on a blocking thread, because a hash
/// takes tens of milliseconds of CPU.
pub async fn hash_password_blocking(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })
}

/// Rejects roles that do not suit the organisation's kind.
fn check_roles_fit(org: &Organisation, roles: &[Role]) -> ApiResult<()> {
    if roles.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new("roles", "list at least one role")]));
    }
    for (i, role) in roles.iter().enumerate() {
        let fits = match role {
            Role::HubOperator => org.kind == OrgKind::HubOperator,
            Role::NationalAdmin => org.kind.is_national_authority(),
            Role::CabIssuer => org.kind.is_cab() || org.kind.is_national_authority(),
            Role::CustomsOfficer => matches!(org.kind, OrgKind::Customs | OrgKind::SingleWindow),
            Role::Viewer => true,
        };
        if !fits {
            return Err(ApiError::validation(vec![FieldError::new(
                format!("roles[{i}]"),
                format!("role {role} does not suit an organisation of kind {}", org.kind),
            )]));
        }
    }
    Ok(())
}
