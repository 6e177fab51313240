//! Organisations, their accreditations or designations, and API tokens.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ecert_core::party::{Accreditation, AccreditationStandard, AccreditationStatus, OrgKind, Role};
use ecert_core::{CountryCode, DocType};
use ecert_store::{AccreditationRecord, Organisation, PageRequest};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::PageQuery;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::{Hub, Principal};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new()
        .routes(routes!(list_organisations, create_organisation))
        .routes(routes!(get_organisation))
        .routes(routes!(list_accreditations, add_accreditation))
        .routes(routes!(change_accreditation_status))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationBody {
    pub id: Uuid,
    #[schema(value_type = Option<String>, example = "UZ")]
    pub country: Option<CountryCode>,
    pub kind: OrgKind,
    pub registration_number: String,
    pub name: String,
    /// The issuer id used in credentials: `urn:ecert:org:{country}:{registration number}`.
    pub urn: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<Organisation> for OrganisationBody {
    fn from(o: Organisation) -> Self {
        OrganisationBody {
            urn: o.urn(),
            id: o.id,
            country: o.country,
            kind: o.kind,
            registration_number: o.registration_number,
            name: o.name,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Omit for the hub operator.
    #[schema(value_type = Option<String>, example = "UZ")]
    pub country: Option<CountryCode>,
    pub kind: OrgKind,
    #[schema(example = "CB-0042")]
    pub registration_number: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationBody>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrganisationFilter {
    /// Country code; required unless the caller is the hub operator.
    #[param(value_type = Option<String>)]
    pub country: Option<CountryCode>,
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

/// List organisations of a country (own country, or any for the hub operator).
#[utoipa::path(get, path = "/api/v1/organisations", tag = "parties", security(("bearer" = [])), params(OrganisationFilter),
    responses((status = 200, body = OrganisationPage), (status = 403, body = ErrorBody)))]
async fn list_organisations(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<OrganisationFilter>,
) -> ApiResult<Json<OrganisationPage>> {
    let who = Principal::Caller(&caller);
    let country = filter.country.or(caller.country());
    if country.is_none() {
        who.require_operator()?;
    } else {
        who.require_country_reader(country)?;
    }
    let page = PageRequest { after: filter.after, limit: filter.limit.unwrap_or(50).clamp(1, PageRequest::MAX_LIMIT) };
    let page = hub.store.list_organisations(country, page).await.map_err(bad_cursor)?;
    Ok(Json(OrganisationPage { items: page.items.into_iter().map(Into::into).collect(), next: page.next }))
}

/// Maps an unreadable cursor to a 400 naming the `after` parameter.
pub fn bad_cursor(error: ecert_store::StoreError) -> ApiError {
    match error {
        ecert_store::StoreError::Conflict(message) if message.contains("cursor") => {
            ApiError::bad_request("invalid_cursor", message).field("after").fix("pass the `next` value of the previous page")
        }
        other => other.into(),
    }
}

/// Register an organisation: the hub operator registers national
/// authorities; a national admin registers CABs and authorities of its country.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "parties", security(("bearer" = [])), request_body = NewOrganisation,
    responses((status = 201, body = OrganisationBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_organisation(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewOrganisation>,
) -> ApiResult<(StatusCode, Json<OrganisationBody>)> {
    let org = hub
        .create_organisation(Principal::Caller(&caller), body.country, body.kind, body.registration_number, body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Read one organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, body = OrganisationBody), (status = 404, body = ErrorBody)))]
async fn get_organisation(State(hub): State<Arc<Hub>>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<OrganisationBody>> {
    let org = hub.organisation(parse_uuid(&id)?).await?;
    Principal::Caller(&caller).require_country_reader(org.country)?;
    Ok(Json(org.into()))
}

pub fn parse_uuid(text: &str) -> ApiResult<Uuid> {
    text.parse().map_err(|_| ApiError::bad_request("invalid_id", format!("{text:?} is not a UUID")).field("id"))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditationBody {
    #[serde(default)]
    pub id: Option<Uuid>,
    /// `ISO/IEC 17065` (certification, CoCs), `ISO/IEC 17025` (testing, TRs) or `designation`.
    pub standard: AccreditationStandard,
    /// The accreditation body, or the legal act of a designation.
    pub body: String,
    #[serde(default)]
    pub ilac_iaf_signatory: bool,
    /// Document types a designation covers.
    #[serde(default)]
    pub designated_types: Vec<DocType>,
    /// HS prefixes of 2 to 10 digits in scope; empty for no HS restriction.
    #[serde(default)]
    pub hs_prefixes: Vec<String>,
    /// Standards in scope; empty for no restriction.
    #[serde(default)]
    pub standards: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_until: Option<OffsetDateTime>,
    /// Status now (read only).
    #[serde(default)]
    pub status: Option<AccreditationStatus>,
}

impl From<AccreditationRecord> for AccreditationBody {
    fn from(r: AccreditationRecord) -> Self {
        let a = r.accreditation;
        let status = a.status_at(OffsetDateTime::now_utc());
        AccreditationBody {
            id: Some(r.id),
            standard: a.standard,
            body: a.body,
            ilac_iaf_signatory: a.ilac_iaf_signatory,
            designated_types: a.designated_types,
            hs_prefixes: a.hs_prefixes,
            standards: a.standards,
            valid_from: a.valid_from,
            valid_until: a.valid_until,
            status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccreditationPage {
    pub items: Vec<AccreditationBody>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// List an organisation's accreditations and designations, oldest first.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/accreditations", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = AccreditationPage), (status = 404, body = ErrorBody)))]
async fn list_accreditations(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<AccreditationPage>> {
    let org = hub.organisation(parse_uuid(&id)?).await?;
    Principal::Caller(&caller).require_country_reader(org.country)?;
    let (items, next) = page.apply(hub.store.list_accreditations(org.id).await?, |a| a.id.to_string())?;
    Ok(Json(AccreditationPage { items: items.into_iter().map(Into::into).collect(), next }))
}

/// Record an accreditation or designation of a CAB (national admin of its country).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/accreditations", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AccreditationBody,
    responses((status = 201, body = AccreditationBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_accreditation(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AccreditationBody>,
) -> ApiResult<(StatusCode, Json<AccreditationBody>)> {
    let accreditation = Accreditation {
        standard: body.standard,
        body: body.body.trim().to_owned(),
        ilac_iaf_signatory: body.ilac_iaf_signatory,
        designated_types: body.designated_types,
        hs_prefixes: body.hs_prefixes,
        standards: body.standards,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
        status_history: Vec::new(),
    };
    let record = hub.add_accreditation(Principal::Caller(&caller), parse_uuid(&id)?, accreditation).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditationStatusBody {
    pub status: AccreditationStatus,
    pub reason: String,
    /// When the change takes effect; now when omitted. May be backdated.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_at: Option<OffsetDateTime>,
}

/// Suspend, withdraw or reactivate an accreditation (national admin of its country).
#[utoipa::path(post, path = "/api/v1/accreditations/{id}/status", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AccreditationStatusBody,
    responses((status = 200, body = AccreditationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn change_accreditation_status(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AccreditationStatusBody>,
) -> ApiResult<Json<AccreditationBody>> {
    let record = hub
        .change_accreditation_status(Principal::Caller(&caller), parse_uuid(&id)?, body.status, body.effective_at, body.reason)
        .await?;
    Ok(Json(record.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub roles: Vec<Role>,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    /// The secret, shown only in this response. Send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Issue an API token for an organisation (national admin of its country, or the hub operator).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/tokens", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (token, secret) = hub.create_token(Principal::Caller(&caller), parse_uuid(&id)?, body.roles, body.label).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { id: token.id, org_id: token.org_id, roles: token.roles, token: secret })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub id: Uuid,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    pub label: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Revoke an API token (the token itself, a national admin of its country, or the hub operator).
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "parties", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TokenBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke_token(State(hub): State<Arc<Hub>>, caller: Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Json<TokenBody>> {
    let token = hub.revoke_token(Principal::Caller(&caller), parse_uuid(&id)?).await?;
    Ok(Json(TokenBody { id: token.id, org_id: token.org_id, roles: token.roles, label: token.label, revoked_at: token.revoked_at }))
}
