//! Countries, organisations, accreditations, API tokens and users.

use ecert_core::CountryCode;
use ecert_core::party::{Accreditation, AccreditationStatus};
use ecert_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use crate::SqliteStore;
use crate::codec::*;
use crate::events::{NewEvent, append};

fn country_from_row(row: &SqliteRow) -> StoreResult<Country> {
    Ok(Country {
        code: parse("code", row.get("code"))?,
        name: row.get("name"),
        track: parse("track", row.get("track"))?,
        data_policy: parse("data_policy", row.get("data_policy"))?,
    })
}

pub async fn upsert_country(store: &SqliteStore, country: &Country, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let at = ts(now());
    sqlx::query(
        "INSERT INTO countries (code, name, track, data_policy, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (code) DO UPDATE SET name = $2, track = $3, data_policy = $4, updated_at = $5",
    )
    .bind(country.code.to_string())
    .bind(&country.name)
    .bind(country.track.as_str())
    .bind(country.data_policy.as_str())
    .bind(&at)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let event = NewEvent {
        kind: EventKind::CountryUpserted,
        country: Some(country.code),
        subject: country.code.as_str(),
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"track": country.track, "data_policy": country.data_policy}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_country(pool: &SqlitePool, code: CountryCode) -> StoreResult<Option<Country>> {
    let row = sqlx::query("SELECT * FROM countries WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(country_from_row).transpose()
}

pub async fn list_countries(pool: &SqlitePool) -> StoreResult<Vec<Country>> {
    let rows = sqlx::query("SELECT * FROM countries ORDER BY code").fetch_all(pool).await.map_err(db_error)?;
    rows.iter().map(country_from_row).collect()
}

fn organisation_from_row(row: &SqliteRow) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: uuid(row.get("id"))?,
        country: row.get::<Option<String>, _>("country").map(|c| parse("country", &c)).transpose()?,
        kind: parse("kind", row.get("kind"))?,
        registration_number: row.get("registration_number"),
        name: row.get("name"),
        created_at: parse_ts(row.get("created_at"))?,
    })
}

pub async fn insert_organisation(store: &SqliteStore, org: &Organisation, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO organisations (id, country, kind, registration_number, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org.id.to_string())
    .bind(org.country.map(|c| c.to_string()))
    .bind(org.kind.as_str())
    .bind(&org.registration_number)
    .bind(&org.name)
    .bind(ts(org.created_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let subject = org.id.to_string();
    let event = NewEvent {
        kind: EventKind::OrganisationCreated,
        country: org.country,
        subject: &subject,
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"kind": org.kind, "registration_number": org.registration_number}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_organisation(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<Organisation>> {
    let row = sqlx::query("SELECT * FROM organisations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(organisation_from_row).transpose()
}

pub async fn find_organisation(
    pool: &SqlitePool,
    country: Option<CountryCode>,
    registration_number: &str,
) -> StoreResult<Option<Organisation>> {
    let row = sqlx::query("SELECT * FROM organisations WHERE coalesce(country, '') = $1 AND upper(registration_number) = upper($2)")
        .bind(country.map(|c| c.to_string()).unwrap_or_default())
        .bind(registration_number)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(organisation_from_row).transpose()
}

pub async fn list_organisations(
    pool: &SqlitePool,
    country: Option<CountryCode>,
    page: PageRequest,
) -> StoreResult<Page<Organisation>> {
    // Cursor: the rowid of the last organisation of the previous page.
    let after: i64 = match &page.after {
        Some(cursor) => cursor
            .parse()
            .map_err(|_| StoreError::Conflict(format!("invalid page cursor {cursor:?}")))?,
        None => 0,
    };
    let rows = sqlx::query(
        "SELECT rowid, * FROM organisations WHERE ($1 IS NULL OR country = $1) AND rowid > $2 ORDER BY rowid LIMIT $3",
    )
    .bind(country.map(|c| c.to_string()))
    .bind(after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    let more = rows.len() > page.limit as usize;
    let rows = &rows[..rows.len().min(page.limit as usize)];
    let next = if more { rows.last().map(|r| r.get::<i64, _>("rowid").to_string()) } else { None };
    Ok(Page { items: rows.iter().map(organisation_from_row).collect::<StoreResult<_>>()?, next })
}

/// Reads accreditation rows and their status changes with one query each,
/// however many accreditations there are.
async fn load_accreditations(pool: &SqlitePool, rows: &[SqliteRow]) -> StoreResult<Vec<AccreditationRecord>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let org_id: String = first.get("org_id");
    let changes = sqlx::query(
        "SELECT c.accreditation_id, c.status, c.effective_at FROM accreditation_status_changes c
         JOIN accreditations a ON a.id = c.accreditation_id
         WHERE a.org_id = $1 ORDER BY c.effective_at, c.recorded_at",
    )
    .bind(&org_id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;

    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.get("id");
        let status_history = changes
            .iter()
            .filter(|c| c.get::<&str, _>("accreditation_id") == id)
            .map(|c| Ok((parse_ts(c.get("effective_at"))?, parse::<AccreditationStatus>("status", c.get("status"))?)))
            .collect::<StoreResult<Vec<_>>>()?;
        records.push(AccreditationRecord {
            id: uuid(&id)?,
            org_id: uuid(row.get("org_id"))?,
            accreditation: Accreditation {
                standard: parse("standard", row.get("standard"))?,
                body: row.get("body"),
                ilac_iaf_signatory: row.get::<i64, _>("ilac_iaf_signatory") != 0,
                designated_types: from_json("designated_types", row.get("designated_types"))?,
                hs_prefixes: from_json("hs_prefixes", row.get("hs_prefixes"))?,
                standards: from_json("standards", row.get("standards"))?,
                valid_from: parse_ts(row.get("valid_from"))?,
                valid_until: parse_opt_ts(row.get("valid_until"))?,
                status_history,
            },
            created_at: parse_ts(row.get("created_at"))?,
        });
    }
    Ok(records)
}

pub async fn insert_accreditation(store: &SqliteStore, record: &AccreditationRecord, actor: Actor) -> StoreResult<()> {
    let a = &record.accreditation;
    let mut tx = store.write().await?;
    let country: Option<String> = sqlx::query_scalar("SELECT country FROM organisations WHERE id = $1")
        .bind(record.org_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| StoreError::NotFound(format!("organisation {}", record.org_id)))?;
    sqlx::query(
        "INSERT INTO accreditations (id, org_id, standard, body, ilac_iaf_signatory, designated_types, hs_prefixes, standards, valid_from, valid_until, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(record.id.to_string())
    .bind(record.org_id.to_string())
    .bind(a.standard.as_str())
    .bind(&a.body)
    .bind(i64::from(a.ilac_iaf_signatory))
    .bind(to_json(&a.designated_types)?)
    .bind(to_json(&a.hs_prefixes)?)
    .bind(to_json(&a.standards)?)
    .bind(ts(a.valid_from))
    .bind(opt_ts(a.valid_until))
    .bind(ts(record.created_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    for (effective, status) in &a.status_history {
        sqlx::query(
            "INSERT INTO accreditation_status_changes (id, accreditation_id, status, effective_at, reason, actor_org_id, recorded_at)
             VALUES ($1, $2, $3, $4, '', $5, $6)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(record.id.to_string())
        .bind(status.as_str())
        .bind(ts(*effective))
        .bind(actor.org_id.map(|id| id.to_string()))
        .bind(ts(now()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    let subject = record.id.to_string();
    let event = NewEvent {
        kind: EventKind::AccreditationAdded,
        country: country.map(|c| parse("country", &c)).transpose()?,
        subject: &subject,
        content_sha256: None,
        effective_at: Some(a.valid_from),
        data: serde_json::json!({
            "org_id": record.org_id, "standard": a.standard, "hs_prefixes": a.hs_prefixes, "standards": a.standards,
        }),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn change_accreditation_status(
    store: &SqliteStore,
    change: &AccreditationStatusChange,
    actor: Actor,
) -> StoreResult<AccreditationRecord> {
    let mut tx = store.write().await?;
    let country: Option<Option<String>> = sqlx::query_scalar(
        "SELECT o.country FROM accreditations a JOIN organisations o ON o.id = a.org_id WHERE a.id = $1",
    )
    .bind(change.id.to_string())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    let Some(country) = country else {
        return Err(StoreError::NotFound(format!("accreditation {}", change.id)));
    };
    let change_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO accreditation_status_changes (id, accreditation_id, status, effective_at, reason, actor_org_id, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(change_id.to_string())
    .bind(change.id.to_string())
    .bind(change.to.as_str())
    .bind(ts(change.effective_at))
    .bind(&change.reason)
    .bind(actor.org_id.map(|id| id.to_string()))
    .bind(ts(now()))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let subject = change.id.to_string();
    let event = NewEvent {
        kind: EventKind::AccreditationStatusChanged,
        country: country.map(|c| parse("country", &c)).transpose()?,
        subject: &subject,
        content_sha256: None,
        effective_at: Some(change.effective_at),
        data: serde_json::json!({"to": change.to, "change_id": change_id}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)?;
    get_accreditation(&store.pool, change.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("accreditation {}", change.id)))
}

pub async fn get_accreditation(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<AccreditationRecord>> {
    let row = sqlx::query("SELECT * FROM accreditations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    match row {
        Some(row) => Ok(load_accreditations(pool, &[row]).await?.pop()),
        None => Ok(None),
    }
}

pub async fn list_accreditations(pool: &SqlitePool, org_id: Uuid) -> StoreResult<Vec<AccreditationRecord>> {
    let rows = sqlx::query("SELECT * FROM accreditations WHERE org_id = $1 ORDER BY valid_from, created_at")
        .bind(org_id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    load_accreditations(pool, &rows).await
}

pub(crate) async fn org_country(tx: &mut sqlx::SqliteConnection, org_id: Uuid) -> StoreResult<Option<CountryCode>> {
    let country: Option<Option<String>> = sqlx::query_scalar("SELECT country FROM organisations WHERE id = $1")
        .bind(org_id.to_string())
        .fetch_optional(tx)
        .await
        .map_err(db_error)?;
    match country {
        None => Err(StoreError::NotFound(format!("organisation {org_id}"))),
        Some(country) => country.map(|c| parse("country", &c)).transpose(),
    }
}

pub async fn insert_token(store: &SqliteStore, token: &ApiToken, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let country = org_country(&mut tx, token.org_id).await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, roles, token_hash, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(token.id.to_string())
    .bind(token.org_id.to_string())
    .bind(to_json(&token.roles)?)
    .bind(&token.token_hash)
    .bind(&token.label)
    .bind(ts(token.created_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let subject = token.id.to_string();
    let event = NewEvent {
        kind: EventKind::TokenCreated,
        country,
        subject: &subject,
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"org_id": token.org_id, "roles": token.roles}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

fn token_from_row(row: &SqliteRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: uuid(row.get("id"))?,
        org_id: uuid(row.get("org_id"))?,
        roles: from_json("roles", row.get("roles"))?,
        token_hash: row.get("token_hash"),
        label: row.get("label"),
        created_at: parse_ts(row.get("created_at"))?,
        revoked_at: parse_opt_ts(row.get("revoked_at"))?,
    })
}

pub async fn find_token(pool: &SqlitePool, token_hash: &str) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn get_token(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn list_tokens(pool: &SqlitePool, org_id: Uuid) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query("SELECT * FROM api_tokens WHERE org_id = $1 ORDER BY created_at, id")
        .bind(org_id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(token_from_row).collect()
}

pub async fn revoke_token(store: &SqliteStore, id: Uuid, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let org_id: Option<String> = sqlx::query_scalar("SELECT org_id FROM api_tokens WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let org_id = uuid(&org_id.ok_or_else(|| StoreError::NotFound(format!("token {id}")))?)?;
    let country = org_country(&mut tx, org_id).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(ts(now()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    let subject = id.to_string();
    let event = NewEvent {
        kind: EventKind::TokenRevoked,
        country,
        subject: &subject,
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"org_id": org_id}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn insert_user(store: &SqliteStore, user: &User, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let country = org_country(&mut tx, user.org_id).await?;
    sqlx::query(
        "INSERT INTO users (id, org_id, username, display_name, password_hash, roles, locale, created_at, disabled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id.to_string())
    .bind(user.org_id.to_string())
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(&user.password_hash)
    .bind(to_json(&user.roles)?)
    .bind(&user.locale)
    .bind(ts(user.created_at))
    .bind(opt_ts(user.disabled_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    // The event names the user by id only: the user name is personal data.
    let subject = user.id.to_string();
    let event = NewEvent {
        kind: EventKind::UserCreated,
        country,
        subject: &subject,
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"org_id": user.org_id, "roles": user.roles}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn find_user(pool: &SqlitePool, username: &str) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: uuid(row.get("id"))?,
        org_id: uuid(row.get("org_id"))?,
        username: row.get("username"),
        display_name: row.get("display_name"),
        password_hash: row.get("password_hash"),
        roles: from_json("roles", row.get("roles"))?,
        locale: row.get("locale"),
        created_at: parse_ts(row.get("created_at"))?,
        disabled_at: parse_opt_ts(row.get("disabled_at"))?,
    })
}
