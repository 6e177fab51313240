//! Administration in the portal. A national admin manages the country's
//! organisations and CABs, their accreditations, signing keys, portal
//! users and API tokens, and reads the country's event log. The hub
//! operator does the same for national authorities and manages countries.
//! Each form calls the service the API calls, so the rules and the events
//! are the same.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ecert_core::CountryCode;
use ecert_core::keys::{KeyPurpose, KeyStatus};
use ecert_core::party::{Accreditation, AccreditationStandard, AccreditationStatus, DataPolicy, OrgKind, Role, Track};
use ecert_core::{DocType, FieldError};
use ecert_store::{Country, Organisation, PageRequest};
use ecert_web::i18n::Lang;
use ecert_web::{Value, context};
use serde::Deserialize;
use time::{Date, Time};
use uuid::Uuid;

use super::{PortalUser, error_text};
use crate::Hub;
use crate::error::ApiError;
use crate::service::keys::NewKey;

const ORGS_PATH: &str = "/portal/admin/organisations";
const EVENTS_PATH: &str = "/portal/admin/events";
const COUNTRIES_PATH: &str = "/portal/admin/countries";

/// Events per page of the event log.
const EVENTS_PAGE: u32 = 50;

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route(ORGS_PATH, get(organisations).post(create_organisation))
        .route("/portal/admin/organisations/{id}", get(organisation))
        .route("/portal/admin/organisations/{id}/accreditations", post(add_accreditation))
        .route("/portal/admin/organisations/{id}/keys", post(add_key))
        .route("/portal/admin/organisations/{id}/users", post(add_user))
        .route("/portal/admin/organisations/{id}/tokens", post(add_token))
        .route("/portal/admin/accreditations/{id}/status", post(accreditation_status))
        .route("/portal/admin/keys/{kid}/status", post(key_status))
        .route("/portal/admin/users/{id}/status", post(user_status))
        .route("/portal/admin/users/{id}/password", post(user_password))
        .route("/portal/admin/tokens/{id}/revoke", post(revoke_token))
        .route(EVENTS_PATH, get(events))
        .route(COUNTRIES_PATH, get(countries).post(save_country))
}

type Fields = BTreeMap<String, String>;

/// A form that failed: the messages by field and a general message.
#[derive(Default)]
struct Failure {
    section: &'static str,
    errors: BTreeMap<String, String>,
    general: Option<String>,
    values: Fields,
}

fn require_admin(hub: &Hub, user: &PortalUser, path: &str) -> Result<(), Response> {
    let caller = &user.caller;
    if caller.is_operator() || caller.has(Role::NationalAdmin) {
        Ok(())
    } else {
        Err(user.error_page(hub, &ApiError::forbidden("this page is for national admins and the hub operator"), path))
    }
}

/// Reads a form posted for an organisation, checks its CSRF token, and
/// loads the organisation if the user may administer it.
async fn posted_for_org(
    hub: &Hub,
    user: &PortalUser,
    id: &str,
    form: Result<Form<Fields>, FormRejection>,
) -> Result<(Fields, Organisation), Response> {
    let fields = posted(hub, user, form)?;
    let org = load_org(hub, user, id).await?;
    Ok((fields, org))
}

/// Redirects to the organisation page with the `done` notice, or shows the error.
fn finished(hub: &Hub, user: &PortalUser, result: Result<Uuid, ApiError>, done: &str) -> Response {
    match result {
        Ok(org_id) => Redirect::to(&format!("{ORGS_PATH}/{org_id}?done={done}")).into_response(),
        Err(error) => user.error_page(hub, &error, ORGS_PATH),
    }
}

/// Reads a posted form and checks its CSRF token.
fn posted(hub: &Hub, user: &PortalUser, form: Result<Form<Fields>, FormRejection>) -> Result<Fields, Response> {
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    user.check_csrf(hub, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    Ok(fields)
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or("")
}

fn date_field(fields: &Fields, name: &str) -> Result<Option<time::OffsetDateTime>, ()> {
    match field(fields, name) {
        "" => Ok(None),
        text => Date::parse(text, &time::format_description::well_known::Iso8601::DATE)
            .map(|d| Some(d.with_time(Time::MIDNIGHT).assume_utc()))
            .map_err(|_| ()),
    }
}

/// Reads the new status (`to`) and the optional `effective_date` of a
/// status change form.
fn status_change<T: std::str::FromStr<Err = String>>(fields: &Fields) -> Result<(T, Option<time::OffsetDateTime>), ApiError> {
    let to = field(fields, "to").parse::<T>().map_err(|e| ApiError::validation(vec![FieldError::new("to", e)]))?;
    let effective_at = date_field(fields, "effective_date").map_err(|()| {
        ApiError::validation(vec![FieldError::new("effective_at", "is not a date; use the form YYYY-MM-DD")])
    })?;
    Ok((to, effective_at))
}

fn list_field(fields: &Fields, name: &str) -> Vec<String> {
    field(fields, name).split([',', '\n', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Puts a service error's field messages under the form's own field names
/// (`prefix` + the service's field), and the rest in the general message.
fn service_failure(hub: &Hub, lang: Lang, section: &'static str, prefix: &str, error: &ApiError, values: Fields) -> Failure {
    let mut errors = BTreeMap::new();
    let details: Vec<FieldError> = if error.detail.details.is_empty() {
        error.detail.field.iter().map(|f| FieldError::new(f.clone(), error.detail.message.clone())).collect()
    } else {
        error.detail.details.clone()
    };
    for e in &details {
        let name = format!("{prefix}{}", e.field.split(['.', '[']).next().unwrap_or(""));
        if values.contains_key(&name) {
            let mut args = ecert_web::FluentArgs::new();
            args.set("detail", e.message.clone());
            errors.entry(name).or_insert_with(|| hub.pages.text_with(lang, "form-error-field", &args));
        }
    }
    let general = errors.is_empty().then(|| error_text(hub, lang, error));
    Failure { section, errors, general, values }
}

fn options<T: Copy>(hub: &Hub, lang: Lang, all: &[T], code: impl Fn(T) -> &'static str, prefix: &str) -> Vec<Value> {
    all.iter()
        .map(|&item| context! { value => code(item), label => hub.pages.text(lang, &format!("{prefix}{}", code(item))) })
        .collect()
}

/// Lists the organisation kinds a user may create: CABs and authorities of
/// the own country for a national admin, national authorities for the operator.
fn creatable_kinds(user: &PortalUser) -> Vec<OrgKind> {
    OrgKind::ALL
        .iter()
        .copied()
        .filter(|kind| *kind != OrgKind::HubOperator)
        .filter(|kind| user.caller.is_operator() || !kind.is_national_authority() || user.caller.has(Role::NationalAdmin))
        .collect()
}

#[derive(Debug, Deserialize, Default)]
pub struct OrgQuery {
    country: Option<String>,
    after: Option<String>,
    lang: Option<String>,
}

pub async fn organisations(State(hub): State<Arc<Hub>>, user: PortalUser, query: Result<Query<OrgQuery>, QueryRejection>) -> Response {
    if let Err(response) = require_admin(&hub, &user, ORGS_PATH) {
        return response;
    }
    let query = query.map(|Query(q)| q).unwrap_or_default();
    organisations_page(&hub, &user, &query, StatusCode::OK, Failure::default()).await
}

async fn organisations_page(hub: &Hub, user: &PortalUser, query: &OrgQuery, status: StatusCode, failure: Failure) -> Response {
    let lang = user.lang;
    let _ = &query.lang;
    let country = if user.caller.is_operator() {
        query.country.as_deref().and_then(|c| c.parse::<CountryCode>().ok())
    } else {
        user.caller.country()
    };
    let page = match hub.store.list_organisations(country, PageRequest { after: query.after.clone(), limit: 100 }).await {
        Ok(page) => page,
        Err(ecert_store::StoreError::Conflict(_)) => ecert_store::Page { items: Vec::new(), next: None },
        Err(error) => return user.error_page(hub, &error.into(), ORGS_PATH),
    };
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|org| {
            context! {
                id => org.id.to_string(),
                name => &org.name,
                registration_number => &org.registration_number,
                country => org.country.map(|c| c.to_string()),
                kind => hub.pages.text(lang, &format!("orgkind-{}", org.kind.as_str())),
            }
        })
        .collect();
    let countries = match hub.store.list_countries().await {
        Ok(countries) => countries,
        Err(error) => return user.error_page(hub, &error.into(), ORGS_PATH),
    };
    let country_options: Vec<Value> = countries.iter().map(|c| context! { value => c.code.to_string(), label => format!("{} ({})", c.name, c.code) }).collect();
    let next = page.next.map(|cursor| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(c) = country {
            q.append_pair("country", c.as_str());
        }
        format!("{ORGS_PATH}?{}", q.append_pair("after", &cursor).finish())
    });
    let ctx = context! {
        rows => rows,
        next => next,
        kinds => options(hub, lang, &creatable_kinds(user), OrgKind::as_str, "orgkind-"),
        countries => country_options,
        is_operator => user.caller.is_operator(),
        filter_country => country.map(|c| c.to_string()).unwrap_or_default(),
        errors => failure.errors,
        general => failure.general,
        values => failure.values,
    };
    user.page(hub, status, "portal_organisations.html", ORGS_PATH, ctx)
}

pub async fn create_organisation(State(hub): State<Arc<Hub>>, user: PortalUser, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let lang = user.lang;
    let country = if user.caller.is_operator() { field(&fields, "country").parse().ok() } else { user.caller.country() };
    let Some(kind) = field(&fields, "kind").parse::<OrgKind>().ok() else {
        let mut failure = Failure { section: "org", values: fields.clone(), ..Failure::default() };
        failure.errors.insert("kind".into(), hub.pages.text(lang, "form-error-choose"));
        return organisations_page(&hub, &user, &OrgQuery::default(), StatusCode::UNPROCESSABLE_ENTITY, failure).await;
    };
    let created = hub
        .create_organisation(user.principal(), country, kind, field(&fields, "registration_number").to_owned(), field(&fields, "name").to_owned())
        .await;
    match created {
        Ok(org) => Redirect::to(&format!("{ORGS_PATH}/{}?created=1", org.id)).into_response(),
        Err(error) => {
            let failure = service_failure(&hub, lang, "org", "", &error, fields);
            organisations_page(&hub, &user, &OrgQuery::default(), super::page_status(&error), failure).await
        }
    }
}

/// Reports whether the user may administer `org`: the operator any, a
/// national admin those of the own country.
fn may_administer(user: &PortalUser, org: &Organisation) -> bool {
    user.caller.is_operator() || org.country.is_some_and(|c| user.caller.is_national_admin_of(c))
}

#[derive(Debug, Deserialize, Default)]
pub struct OrgPageQuery {
    created: Option<String>,
    done: Option<String>,
    lang: Option<String>,
}

pub async fn organisation(
    State(hub): State<Arc<Hub>>,
    user: PortalUser,
    Path(id): Path<String>,
    query: Result<Query<OrgPageQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    let notice = if query.created.is_some() { Some("org-created") } else { query.done.as_deref().and_then(done_message) };
    organisation_page(&hub, &user, &id, StatusCode::OK, Failure::default(), notice).await
}

/// Returns the message id of a finished action named by the `done` query parameter.
fn done_message(done: &str) -> Option<&'static str> {
    match done {
        "accreditation" => Some("done-accreditation"),
        "accreditation-status" => Some("done-accreditation-status"),
        "key" => Some("done-key"),
        "key-status" => Some("done-key-status"),
        "user" => Some("done-user"),
        "user-status" => Some("done-user-status"),
        "user-password" => Some("done-user-password"),
        "token-revoked" => Some("done-token-revoked"),
        _ => None,
    }
}

async fn load_org(hub: &Hub, user: &PortalUser, id: &str) -> Result<Organisation, Response> {
    let path = format!("{ORGS_PATH}/{id}");
    require_admin(hub, user, &path)?;
    let id = id.parse::<Uuid>().map_err(|_| user.error_page(hub, &ApiError::not_found(format!("organisation {id}")), &path))?;
    let org = hub.organisation(id).await.map_err(|e| user.error_page(hub, &e, &path))?;
    if !may_administer(user, &org) {
        return Err(user.error_page(hub, &ApiError::forbidden("administrative data is readable only by its own country and the hub operator"), &path));
    }
    Ok(org)
}

async fn organisation_page(hub: &Hub, user: &PortalUser, id: &str, status: StatusCode, failure: Failure, notice: Option<&str>) -> Response {
    let lang = user.lang;
    let org = match load_org(hub, user, id).await {
        Ok(org) => org,
        Err(response) => return response,
    };
    let path = format!("{ORGS_PATH}/{}", org.id);
    let loaded = async {
        Ok::<_, ecert_store::StoreError>((
            hub.store.list_accreditations(org.id).await?,
            hub.store.list_keys(org.id).await?,
            hub.store.list_users(None, Some(org.id)).await?,
            hub.store.list_tokens(org.id).await?,
        ))
    }
    .await;
    let (accreditations, keys, users, tokens) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return user.error_page(hub, &error.into(), &path),
    };
    let accreditations: Vec<Value> = accreditations
        .iter()
        .map(|record| {
            let a = &record.accreditation;
            let current = a.status_history.last().map(|(_, s)| *s).unwrap_or(AccreditationStatus::Active);
            context! {
                id => record.id.to_string(),
                standard => a.standard.as_str(),
                body => &a.body,
                ilac => a.ilac_iaf_signatory,
                hs_prefixes => a.hs_prefixes.join(", "),
                standards => a.standards.join(", "),
                designated_types => a.designated_types.iter().map(|t| t.code()).collect::<Vec<_>>().join(", "),
                valid_from => hub.pages.date(lang, a.valid_from),
                valid_until => a.valid_until.map(|t| hub.pages.date(lang, t)),
                status_code => current.as_str(),
                status => hub.pages.text(lang, &format!("accstatus-{}", current.as_str())),
            }
        })
        .collect();
    let keys: Vec<Value> = keys
        .iter()
        .map(|key| {
            context! {
                kid => &key.kid,
                algorithm => key.algorithm.as_str(),
                purpose => hub.pages.text(lang, &format!("keypurpose-{}", key.validity.purpose.as_str())),
                status_code => key.validity.status.as_str(),
                status => hub.pages.text(lang, &format!("keystatus-{}", key.validity.status.as_str())),
                valid_from => hub.pages.date(lang, key.validity.valid_from),
                valid_until => key.validity.valid_until.map(|t| hub.pages.date(lang, t)),
            }
        })
        .collect();
    let role_names = |roles: &[Role]| roles.iter().map(|r| hub.pages.text(lang, &format!("role-{}", r.as_str()))).collect::<Vec<_>>().join(", ");
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            context! {
                id => u.id.to_string(),
                username => &u.username,
                display_name => &u.display_name,
                roles => role_names(&u.roles),
                disabled => u.disabled_at.is_some(),
                is_self => u.id == user.user.id,
            }
        })
        .collect();
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            context! {
                id => t.id.to_string(),
                label => &t.label,
                roles => role_names(&t.roles),
                created_at => hub.pages.date(lang, t.created_at),
                revoked_at => t.revoked_at.map(|at| hub.pages.date(lang, at)),
            }
        })
        .collect();
    let roles: Vec<Value> = Role::ALL
        .iter()
        .filter(|role| role_fits(&org, **role))
        .map(|r| context! { value => r.as_str(), label => hub.pages.text(lang, &format!("role-{}", r.as_str())) })
        .collect();
    let standards: Vec<Value> = AccreditationStandard::ALL
        .iter()
        .filter(|s| org.kind.is_cab() || **s == AccreditationStandard::Designation)
        .map(|s| {
            let label = match s {
                AccreditationStandard::Designation => hub.pages.text(lang, "acc-designation"),
                other => other.as_str().to_owned(),
            };
            context! { value => s.as_str(), label => label }
        })
        .collect();
    let purposes = options(hub, lang, KeyPurpose::ALL, KeyPurpose::as_str, "keypurpose-");
    let acc_statuses = options(hub, lang, AccreditationStatus::ALL, AccreditationStatus::as_str, "accstatus-");
    let ctx = context! {
        org => context! {
            id => org.id.to_string(),
            name => &org.name,
            registration_number => &org.registration_number,
            country => org.country.map(|c| c.to_string()),
            kind => hub.pages.text(lang, &format!("orgkind-{}", org.kind.as_str())),
            is_cab => org.kind.is_cab(),
            urn => org.urn(),
        },
        notice => notice.map(|id| hub.pages.text(lang, id)),
        accreditations => accreditations,
        keys => keys,
        users => users,
        tokens => tokens,
        roles => roles,
        standards => standards,
        purposes => purposes,
        acc_statuses => acc_statuses,
        section => failure.section,
        errors => failure.errors,
        general => failure.general,
        values => failure.values,
    };
    user.page(hub, status, "portal_organisation.html", &path, ctx)
}

/// Mirrors the service's rule of which roles suit an organisation kind, so
/// the form offers only those.
fn role_fits(org: &Organisation, role: Role) -> bool {
    match role {
        Role::HubOperator => org.kind == OrgKind::HubOperator,
        Role::NationalAdmin => org.kind.is_national_authority(),
        Role::CabIssuer => org.kind.is_cab() || org.kind.is_national_authority(),
        Role::CustomsOfficer => matches!(org.kind, OrgKind::Customs | OrgKind::SingleWindow),
        Role::Viewer => true,
    }
}

/// Parses the checked roles: the form sends each as `role_{name}=on`.
fn checked_roles(fields: &Fields) -> Vec<Role> {
    Role::ALL.iter().copied().filter(|r| fields.contains_key(&format!("role_{}", r.as_str()))).collect()
}

macro_rules! org_form_failure {
    ($hub:expr, $user:expr, $id:expr, $failure:expr, $status:expr) => {
        return organisation_page(&$hub, &$user, &$id, $status, $failure, None).await
    };
}

pub async fn add_accreditation(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let (fields, org) = match posted_for_org(&hub, &user, &id, form).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let lang = user.lang;
    let mut failure = Failure { section: "accreditation", values: fields.clone(), ..Failure::default() };
    let standard = field(&fields, "acc_standard").parse::<AccreditationStandard>().ok();
    if standard.is_none() {
        failure.errors.insert("acc_standard".into(), hub.pages.text(lang, "form-error-choose"));
    }
    let valid_from = date_field(&fields, "acc_valid_from");
    let valid_until = date_field(&fields, "acc_valid_until");
    for (name, parsed) in [("acc_valid_from", &valid_from), ("acc_valid_until", &valid_until)] {
        if parsed.is_err() {
            failure.errors.insert(name.into(), hub.pages.text(lang, "form-error-date"));
        }
    }
    let designated_types: Vec<DocType> = ["CC", "TR"]
        .iter()
        .filter(|code| fields.contains_key(&format!("acc_type_{code}")))
        .filter_map(|code| code.parse().ok())
        .collect();
    let (Some(standard), Ok(valid_from), Ok(valid_until)) = (standard, valid_from, valid_until) else {
        org_form_failure!(hub, user, id, failure, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let Some(valid_from) = valid_from else {
        failure.errors.insert("acc_valid_from".into(), hub.pages.text(lang, "form-error-required"));
        org_form_failure!(hub, user, id, failure, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let accreditation = Accreditation {
        standard,
        body: field(&fields, "acc_body").to_owned(),
        ilac_iaf_signatory: fields.contains_key("acc_ilac"),
        designated_types,
        hs_prefixes: list_field(&fields, "acc_hs_prefixes"),
        standards: list_field(&fields, "acc_standards"),
        valid_from,
        valid_until,
        status_history: vec![(valid_from, AccreditationStatus::Active)],
    };
    match hub.add_accreditation(user.principal(), org.id, accreditation).await {
        Ok(_) => Redirect::to(&format!("{ORGS_PATH}/{}?done=accreditation", org.id)).into_response(),
        Err(error) => {
            let failure = service_failure(&hub, lang, "accreditation", "acc_", &error, fields);
            org_form_failure!(hub, user, id, failure, super::page_status(&error));
        }
    }
}

pub async fn accreditation_status(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let result = async {
        let id = id.parse::<Uuid>().map_err(|_| ApiError::not_found(format!("accreditation {id}")))?;
        let (to, effective_at) = status_change::<AccreditationStatus>(&fields)?;
        hub.change_accreditation_status(user.principal(), id, to, effective_at, field(&fields, "reason").to_owned()).await
    }
    .await;
    finished(&hub, &user, result.map(|record| record.org_id), "accreditation-status")
}

pub async fn add_key(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let (fields, org) = match posted_for_org(&hub, &user, &id, form).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let lang = user.lang;
    let mut failure = Failure { section: "key", values: fields.clone(), ..Failure::default() };
    let jwk = serde_json::from_str::<serde_json::Value>(field(&fields, "key_jwk"));
    if jwk.is_err() {
        failure.errors.insert("key_jwk".into(), hub.pages.text(lang, "form-error-jwk"));
    }
    let purpose = field(&fields, "key_purpose").parse::<KeyPurpose>().ok();
    if purpose.is_none() {
        failure.errors.insert("key_purpose".into(), hub.pages.text(lang, "form-error-choose"));
    }
    let valid_from = date_field(&fields, "key_valid_from");
    let valid_until = date_field(&fields, "key_valid_until");
    for (name, parsed) in [("key_valid_from", &valid_from), ("key_valid_until", &valid_until)] {
        if parsed.is_err() {
            failure.errors.insert(name.into(), hub.pages.text(lang, "form-error-date"));
        }
    }
    let (Ok(jwk), Some(purpose), Ok(valid_from), Ok(valid_until)) = (jwk, purpose, valid_from, valid_until) else {
        org_form_failure!(hub, user, id, failure, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let new = NewKey { jwk, algorithm: None, purpose, valid_from, valid_until };
    match hub.register_key(user.principal(), org.id, new).await {
        Ok(_) => Redirect::to(&format!("{ORGS_PATH}/{}?done=key", org.id)).into_response(),
        Err(error) => {
            let mut failure = service_failure(&hub, lang, "key", "key_", &error, fields);
            if failure.errors.is_empty() && failure.general.is_some() && error.detail.field.as_deref().is_some_and(|f| f.starts_with("jwk")) {
                failure.errors.insert("key_jwk".into(), failure.general.take().unwrap_or_default());
            }
            org_form_failure!(hub, user, id, failure, super::page_status(&error));
        }
    }
}

pub async fn key_status(State(hub): State<Arc<Hub>>, user: PortalUser, Path(kid): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let result = async {
        let (to, effective_at) = status_change::<KeyStatus>(&fields)?;
        hub.change_key_status(user.principal(), &kid, to, effective_at, field(&fields, "reason").to_owned()).await
    }
    .await;
    finished(&hub, &user, result.map(|key| key.org_id), "key-status")
}

pub async fn add_user(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let (fields, org) = match posted_for_org(&hub, &user, &id, form).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let lang = user.lang;
    let mut failure = Failure { section: "user", values: fields.clone(), ..Failure::default() };
    failure.values.remove("user_password");
    if field(&fields, "user_display_name").is_empty() {
        failure.errors.insert("user_display_name".into(), hub.pages.text(lang, "form-error-required"));
    }
    if !failure.errors.is_empty() {
        org_form_failure!(hub, user, id, failure, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let created = hub
        .create_user(
            user.principal(),
            org.id,
            field(&fields, "user_username").to_owned(),
            field(&fields, "user_display_name").to_owned(),
            fields.get("user_password").cloned().unwrap_or_default(),
            checked_roles(&fields),
        )
        .await;
    match created {
        Ok(_) => Redirect::to(&format!("{ORGS_PATH}/{}?done=user", org.id)).into_response(),
        Err(error) => {
            let mut values = fields;
            values.remove("user_password");
            values.insert("user_password".into(), String::new());
            values.insert("user_roles".into(), String::new());
            let failure = service_failure(&hub, lang, "user", "user_", &error, values);
            org_form_failure!(hub, user, id, failure, super::page_status(&error));
        }
    }
}

pub async fn user_status(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let result = async {
        let id = id.parse::<Uuid>().map_err(|_| ApiError::not_found(format!("user {id}")))?;
        let disable = match field(&fields, "to") {
            "disabled" => true,
            "enabled" => false,
            other => return Err(ApiError::validation(vec![FieldError::new("to", format!("{other:?} is not disabled or enabled"))])),
        };
        hub.set_user_disabled(user.principal(), id, disable).await
    }
    .await;
    finished(&hub, &user, result.map(|changed| changed.org_id), "user-status")
}

/// Sets a new password for a user of an organisation the admin manages.
pub async fn user_password(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let result = async {
        let id = id.parse::<Uuid>().map_err(|_| ApiError::not_found(format!("user {id}")))?;
        hub.reset_user_password(user.principal(), id, fields.get("password").cloned().unwrap_or_default()).await
    }
    .await;
    finished(&hub, &user, result.map(|changed| changed.org_id), "user-password")
}

pub async fn add_token(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    let (fields, org) = match posted_for_org(&hub, &user, &id, form).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let lang = user.lang;
    let created = hub.create_token(user.principal(), org.id, checked_roles(&fields), field(&fields, "token_label").to_owned()).await;
    match created {
        Ok((token, secret)) => {
            let ctx = context! {
                org_id => org.id.to_string(),
                org_name => &org.name,
                label => &token.label,
                secret => secret,
            };
            user.page(&hub, StatusCode::CREATED, "portal_token.html", &format!("{ORGS_PATH}/{}", org.id), ctx)
        }
        Err(error) => {
            let mut values = fields;
            values.insert("token_roles".into(), String::new());
            let failure = service_failure(&hub, lang, "token", "token_", &error, values);
            org_form_failure!(hub, user, id, failure, super::page_status(&error));
        }
    }
}

pub async fn revoke_token(State(hub): State<Arc<Hub>>, user: PortalUser, Path(id): Path<String>, form: Result<Form<Fields>, FormRejection>) -> Response {
    if let Err(response) = posted(&hub, &user, form) {
        return response;
    }
    let result = async {
        let id = id.parse::<Uuid>().map_err(|_| ApiError::not_found(format!("token {id}")))?;
        hub.revoke_token(user.principal(), id).await
    }
    .await;
    finished(&hub, &user, result.map(|token| token.org_id), "token-revoked")
}

#[derive(Debug, Deserialize, Default)]
pub struct EventsQuery {
    after: Option<i64>,
    country: Option<String>,
    lang: Option<String>,
}

/// Lists the event log of the user's country (every country for the
/// operator), oldest first from `after`.
pub async fn events(State(hub): State<Arc<Hub>>, user: PortalUser, query: Result<Query<EventsQuery>, QueryRejection>) -> Response {
    if let Err(response) = require_admin(&hub, &user, EVENTS_PATH) {
        return response;
    }
    let lang = user.lang;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let _ = &query.lang;
    let country = if user.caller.is_operator() { query.country.as_deref().and_then(|c| c.parse().ok()) } else { user.caller.country() };
    if country.is_none() && !user.caller.is_operator() {
        return user.error_page(&hub, &ApiError::forbidden("administrative data is readable only by its own country and the hub operator"), EVENTS_PATH);
    }
    let after = query.after.unwrap_or(0).max(0);
    let events = match hub.store.list_events(country, after, EVENTS_PAGE).await {
        Ok(events) => events,
        Err(error) => return user.error_page(&hub, &error.into(), EVENTS_PATH),
    };
    let rows: Vec<Value> = events
        .iter()
        .map(|e| {
            let kind_id = format!("event-{}", e.kind.as_str().replace(['.', '_'], "-"));
            context! {
                seq => e.seq,
                kind => hub.pages.text(lang, &kind_id),
                kind_code => e.kind.as_str(),
                country => e.country.map(|c| c.to_string()),
                subject => &e.subject,
                subject_link => e.subject.parse::<ecert_core::HubId>().ok().map(|id| format!("/portal/documents/{id}")),
                recorded_at => hub.pages.timestamp(lang, e.recorded_at),
                effective_at => hub.pages.timestamp(lang, e.effective_at),
            }
        })
        .collect();
    let next = (events.len() == EVENTS_PAGE as usize).then(|| {
        let last = events.last().map_or(after, |e| e.seq);
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(c) = country {
            q.append_pair("country", c.as_str());
        }
        format!("{EVENTS_PATH}?{}", q.append_pair("after", &last.to_string()).finish())
    });
    let ctx = context! {
        rows => rows,
        next => next,
        after => after,
        country => country.map(|c| c.to_string()),
        is_operator => user.caller.is_operator(),
    };
    user.page(&hub, StatusCode::OK, "portal_events.html", EVENTS_PATH, ctx)
}

/// Lists the countries with their track and data policy, for the hub operator.
pub async fn countries(State(hub): State<Arc<Hub>>, user: PortalUser) -> Response {
    countries_page(&hub, &user, StatusCode::OK, Failure::default(), false).await
}

async fn countries_page(hub: &Hub, user: &PortalUser, status: StatusCode, failure: Failure, saved: bool) -> Response {
    let lang = user.lang;
    if !user.caller.is_operator() {
        return user.error_page(hub, &ApiError::forbidden("only the hub operator may do this"), COUNTRIES_PATH);
    }
    let countries = match hub.store.list_countries().await {
        Ok(countries) => countries,
        Err(error) => return user.error_page(hub, &error.into(), COUNTRIES_PATH),
    };
    let rows: Vec<Value> = countries
        .iter()
        .map(|c| {
            context! {
                code => c.code.to_string(),
                name => &c.name,
                track => c.track.as_str(),
                track_label => hub.pages.text(lang, &format!("track-{}", c.track.as_str())),
                data_policy => c.data_policy.as_str(),
                data_policy_label => hub.pages.text(lang, &format!("datapolicy-{}", c.data_policy.as_str())),
            }
        })
        .collect();
    let ctx = context! {
        rows => rows,
        tracks => options(hub, lang, Track::ALL, Track::as_str, "track-"),
        policies => options(hub, lang, DataPolicy::ALL, DataPolicy::as_str, "datapolicy-"),
        errors => failure.errors,
        general => failure.general,
        values => failure.values,
        saved => saved,
    };
    user.page(hub, status, "portal_countries.html", COUNTRIES_PATH, ctx)
}

pub async fn save_country(State(hub): State<Arc<Hub>>, user: PortalUser, form: Result<Form<Fields>, FormRejection>) -> Response {
    let fields = match posted(&hub, &user, form) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let lang = user.lang;
    let mut failure = Failure { section: "country", values: fields.clone(), ..Failure::default() };
    let code = field(&fields, "code").to_uppercase().parse::<CountryCode>();
    if code.is_err() {
        failure.errors.insert("code".into(), hub.pages.text(lang, "form-error-country"));
    }
    let track = field(&fields, "track").parse::<Track>();
    if track.is_err() {
        failure.errors.insert("track".into(), hub.pages.text(lang, "form-error-choose"));
    }
    let policy = field(&fields, "data_policy").parse::<DataPolicy>();
    if policy.is_err() {
        failure.errors.insert("data_policy".into(), hub.pages.text(lang, "form-error-choose"));
    }
    let (Ok(code), Ok(track), Ok(data_policy)) = (code, track, policy) else {
        return countries_page(&hub, &user, StatusCode::UNPROCESSABLE_ENTITY, failure, false).await;
    };
    let country = Country { code, name: field(&fields, "name").to_owned(), track, data_policy };
    match hub.upsert_country(user.principal(), country).await {
        Ok(_) => countries_page(&hub, &user, StatusCode::OK, Failure::default(), true).await,
        Err(error) => {
            let failure = service_failure(&hub, lang, "country", "", &error, fields);
            countries_page(&hub, &user, super::page_status(&error), failure, false).await
        }
    }
}
