//! Countries and their participation settings.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use ecert_core::CountryCode;
use ecert_core::party::{DataPolicy, Track};
use ecert_store::Country;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::PageQuery;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::{Hub, Principal};

pub fn router() -> OpenApiRouter<Arc<Hub>> {
    OpenApiRouter::new().routes(routes!(list_countries, upsert_country))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountryBody {
    /// ISO 3166-1 alpha-2 code.
    #[schema(value_type = String, example = "UZ")]
    pub code: CountryCode,
    pub name: String,
    pub track: Track,
    pub data_policy: DataPolicy,
}

impl From<Country> for CountryBody {
    fn from(c: Country) -> Self {
        CountryBody { code: c.code, name: c.name, track: c.track, data_policy: c.data_policy }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryPage {
    pub items: Vec<CountryBody>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// List the participating countries, by code.
#[utoipa::path(get, path = "/api/v1/countries", tag = "parties", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = CountryPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_countries(State(hub): State<Arc<Hub>>, _caller: Caller, ApiQuery(page): ApiQuery<PageQuery>) -> ApiResult<Json<CountryPage>> {
    let countries = hub.store.list_countries().await?;
    let (items, next) = page.apply(countries, |c| c.code.to_string())?;
    Ok(Json(CountryPage { items: items.into_iter().map(Into::into).collect(), next }))
}

/// Add a country or change its track and data policy (hub operator only).
#[utoipa::path(post, path = "/api/v1/countries", tag = "parties", security(("bearer" = [])), request_body = CountryBody,
    responses((status = 200, body = CountryBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upsert_country(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    ApiJson(body): ApiJson<CountryBody>,
) -> ApiResult<Json<CountryBody>> {
    let country = Country { code: body.code, name: body.name.trim().to_owned(), track: body.track, data_policy: body.data_policy };
    Ok(Json(hub.upsert_country(Principal::Caller(&caller), country).await?.into()))
}
