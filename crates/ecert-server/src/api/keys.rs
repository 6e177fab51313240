//! Public keys of organisations, and the hub's own public keys.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ecert_core::jose::{Algorithm, PublicJwk};
use ecert_core::keys::{KeyPurpose, KeyStatus};
use ecert_store::KeyRecord;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::PageQuery;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::organisations::parse_uuid;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::service::keys::NewKey;
use crate::{Hub, Principal};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, register_key))
        .routes(routes!(get_key))
        .routes(routes!(retire_key))
        .routes(routes!(revoke_key))
        .routes(routes!(hub_keys))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    /// RFC 7638 thumbprint of the JWK; the `kid` of JWS headers.
    pub kid: String,
    pub org_id: Uuid,
    pub jwk: PublicJwk,
    pub algorithm: Algorithm,
    pub purpose: KeyPurpose,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub compromised_at: Option<OffsetDateTime>,
    pub registered_by: Option<Uuid>,
}

impl From<KeyRecord> for KeyBody {
    fn from(k: KeyRecord) -> Self {
        KeyBody {
            kid: k.kid,
            org_id: k.org_id,
            jwk: k.jwk,
            algorithm: k.algorithm,
            purpose: k.validity.purpose,
            status: k.validity.status,
            valid_from: k.validity.valid_from,
            valid_until: k.validity.valid_until,
            retired_at: k.validity.retired_at,
            compromised_at: k.validity.compromised_at,
            registered_by: k.registered_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// The public JWK (OKP Ed25519, EC P-256/P-384, or RSA of 2048 bits or more).
    #[schema(value_type = Object)]
    pub jwk: serde_json::Value,
    /// Required for RSA keys (RS256 or PS256); otherwise follows from the curve.
    pub algorithm: Option<Algorithm>,
    #[serde(default = "document_signing")]
    pub purpose: KeyPurpose,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_until: Option<OffsetDateTime>,
}

fn document_signing() -> KeyPurpose {
    KeyPurpose::DocumentSigning
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPage {
    pub items: Vec<KeyBody>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// List an organisation's keys, oldest first (public).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/keys", tag = "keys",
    params(("id" = Uuid, Path), PageQuery), responses((status = 200, body = KeyPage), (status = 404, body = ErrorBody)))]
async fn list_keys(
    State(hub): State<Arc<Hub>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<KeyPage>> {
    let org = hub.organisation(parse_uuid(&id)?).await?;
    let (items, next) = page.apply(hub.store.list_keys(org.id).await?, |k| k.kid.clone())?;
    Ok(Json(KeyPage { items: items.into_iter().map(Into::into).collect(), next }))
}

/// Register a public key: the hub operator for national authorities, a
/// national admin for the CABs of its country.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/keys", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewKeyBody,
    responses((status = 201, body = KeyBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_key(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> ApiResult<(StatusCode, Json<KeyBody>)> {
    let new = NewKey {
        jwk: body.jwk,
        algorithm: body.algorithm,
        purpose: body.purpose,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
    };
    let key = hub.register_key(Principal::Caller(&caller), parse_uuid(&id)?, new).await?;
    Ok((StatusCode::CREATED, Json(key.into())))
}

/// Read a key by its kid (public).
#[utoipa::path(get, path = "/api/v1/keys/{kid}", tag = "keys",
    params(("kid" = String, Path)), responses((status = 200, body = KeyBody), (status = 404, body = ErrorBody)))]
async fn get_key(State(hub): State<Arc<Hub>>, ApiPath(kid): ApiPath<String>) -> ApiResult<Json<KeyBody>> {
    Ok(Json(hub.key(&kid).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyStatusBody {
    pub reason: String,
    /// Retirement time, or compromise time for a revocation (may be backdated); now when omitted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_at: Option<OffsetDateTime>,
}

/// Retire a key: it still verifies documents registered before.
#[utoipa::path(post, path = "/api/v1/keys/{kid}/retire", tag = "keys", security(("bearer" = [])),
    params(("kid" = String, Path)), request_body = KeyStatusBody,
    responses((status = 200, body = KeyBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retire_key(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(kid): ApiPath<String>,
    ApiJson(body): ApiJson<KeyStatusBody>,
) -> ApiResult<Json<KeyBody>> {
    let key = hub.change_key_status(Principal::Caller(&caller), &kid, KeyStatus::Retired, body.effective_at, body.reason).await?;
    Ok(Json(key.into()))
}

/// Revoke a key from its compromise time: nothing registered from then on counts.
#[utoipa::path(post, path = "/api/v1/keys/{kid}/revoke", tag = "keys", security(("bearer" = [])),
    params(("kid" = String, Path)), request_body = KeyStatusBody,
    responses((status = 200, body = KeyBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke_key(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiPath(kid): ApiPath<String>,
    ApiJson(body): ApiJson<KeyStatusBody>,
) -> ApiResult<Json<KeyBody>> {
    let key = hub.change_key_status(Principal::Caller(&caller), &kid, KeyStatus::Revoked, body.effective_at, body.reason).await?;
    Ok(Json(key.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<HubJwk>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HubJwk {
    pub kid: String,
    #[serde(flatten)]
    pub jwk: PublicJwk,
    pub alg: String,
}

/// Lists the hub's attestation keys as a JWK set (public). Older keys stay
/// listed so that earlier attestations still verify.
#[utoipa::path(get, path = "/api/v1/hub/keys", tag = "keys", responses((status = 200, body = JwkSet)))]
async fn hub_keys(State(hub): State<Arc<Hub>>) -> Json<JwkSet> {
    let keys = hub
        .hub_keys
        .all()
        .iter()
        .map(|k| HubJwk { kid: k.kid.clone(), jwk: k.public.clone(), alg: "EdDSA".into() })
        .collect();
    Json(JwkSet { keys })
}
