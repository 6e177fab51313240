//! Public keys of organisations and their status changes.

use ecert_core::keys::{KeyStatus, KeyValidity};
use ecert_store::*;
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::PgStore;
use crate::codec::*;
use crate::events::{NewEvent, append};

fn key_from_row(row: &PgRow) -> StoreResult<KeyRecord> {
    Ok(KeyRecord {
        kid: column(row, "kid")?,
        org_id: column(row, "org_id")?,
        jwk: json(row, "jwk")?,
        algorithm: parsed(row, "algorithm")?,
        validity: KeyValidity {
            purpose: parsed(row, "purpose")?,
            status: parsed(row, "status")?,
            valid_from: column(row, "valid_from")?,
            valid_until: column(row, "valid_until")?,
            retired_at: column(row, "retired_at")?,
            compromised_at: column(row, "compromised_at")?,
        },
        registered_by: column(row, "registered_by")?,
        created_at: column(row, "created_at")?,
    })
}

pub async fn insert_key(store: &PgStore, key: &KeyRecord, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let country: Option<Option<String>> = sqlx::query_scalar("SELECT country FROM organisations WHERE id = $1")
        .bind(key.org_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let Some(country) = country else {
        return Err(StoreError::NotFound(format!("organisation {}", key.org_id)));
    };

    let v = &key.validity;
    sqlx::query(
        "INSERT INTO keys (kid, org_id, jwk, algorithm, purpose, status, valid_from, valid_until, retired_at, compromised_at, registered_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&key.kid)
    .bind(key.org_id)
    .bind(Json(&key.jwk))
    .bind(key.algorithm.as_str())
    .bind(v.purpose.as_str())
    .bind(v.status.as_str())
    .bind(v.valid_from)
    .bind(v.valid_until)
    .bind(v.retired_at)
    .bind(v.compromised_at)
    .bind(key.registered_by)
    .bind(key.created_at)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;

    let event = NewEvent {
        kind: EventKind::KeyRegistered,
        country: country.map(|c| parse("country", &c)).transpose()?,
        subject: &key.kid,
        content_sha256: None,
        effective_at: Some(v.valid_from),
        data: serde_json::json!({"org_id": key.org_id, "algorithm": key.algorithm, "purpose": v.purpose}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_key(pool: &PgPool, kid: &str) -> StoreResult<Option<KeyRecord>> {
    let row = sqlx::query("SELECT * FROM keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(key_from_row).transpose()
}

pub async fn list_keys(pool: &PgPool, org_id: Uuid) -> StoreResult<Vec<KeyRecord>> {
    let rows = sqlx::query("SELECT * FROM keys WHERE org_id = $1 ORDER BY created_at, kid")
        .bind(org_id)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(key_from_row).collect()
}

pub async fn change_key_status(store: &PgStore, change: &KeyStatusChange, actor: Actor) -> StoreResult<KeyRecord> {
    let mut tx = store.write().await?;
    // Lock the key row before reading the clock: a registration holding the
    // row (FOR SHARE) commits first, and then counts as before the change.
    sqlx::query("SELECT kid FROM keys WHERE kid = $1 FOR UPDATE")
        .bind(&change.kid)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    let effective_at = if change.effective_now { ecert_store::now() } else { change.effective_at };
    let (retired_at, compromised_at) = match change.to {
        KeyStatus::Retired => (Some(effective_at), None),
        KeyStatus::Revoked => (None, Some(effective_at)),
        KeyStatus::Active => (None, None),
    };

    // A revoked key keeps the retirement time it may already have.
    let updated = sqlx::query(
        "UPDATE keys SET status = $1, retired_at = coalesce($2, retired_at), compromised_at = coalesce($3, compromised_at)
         WHERE kid = $4 AND status = $5",
    )
    .bind(change.to.as_str())
    .bind(retired_at)
    .bind(compromised_at)
    .bind(&change.kid)
    .bind(change.expected.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        let current: Option<String> = sqlx::query_scalar("SELECT status FROM keys WHERE kid = $1")
            .bind(&change.kid)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        return Err(match current {
            None => StoreError::NotFound(format!("key {}", change.kid)),
            Some(status) => StoreError::Conflict(format!(
                "key {} is {status}, not {}; reload it and try again",
                change.kid, change.expected
            )),
        });
    }

    let change_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO key_status_changes (id, kid, from_status, to_status, effective_at, reason, actor_org_id, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change_id)
    .bind(&change.kid)
    .bind(change.expected.as_str())
    .bind(change.to.as_str())
    .bind(effective_at)
    .bind(&change.reason)
    .bind(actor.org_id)
    .bind(now())
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let country: Option<String> =
        sqlx::query_scalar("SELECT o.country FROM keys k JOIN organisations o ON o.id = k.org_id WHERE k.kid = $1")
            .bind(&change.kid)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
    let event = NewEvent {
        kind: EventKind::KeyStatusChanged,
        country: country.map(|c| parse("country", &c)).transpose()?,
        subject: &change.kid,
        content_sha256: None,
        effective_at: Some(effective_at),
        // The reason stays in `key_status_changes`; the event points to it by id.
        data: serde_json::json!({"from": change.expected, "to": change.to, "change_id": change_id}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)?;

    get_key(&store.pool, &change.kid)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("key {}", change.kid)))
}
