//! Public keys of organisations and their status changes.

use ecert_core::keys::{KeyStatus, KeyValidity};
use ecert_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use crate::SqliteStore;
use crate::codec::*;
use crate::events::{NewEvent, append};

fn key_from_row(row: &SqliteRow) -> StoreResult<KeyRecord> {
    Ok(KeyRecord {
        kid: row.get("kid"),
        org_id: uuid(row.get("org_id"))?,
        jwk: from_json("jwk", row.get("jwk"))?,
        algorithm: parse("algorithm", row.get::<&str, _>("algorithm"))
            .map_err(|e| StoreError::Backend(format!("{e}").into()))?,
        validity: KeyValidity {
            purpose: parse("purpose", row.get("purpose"))?,
            status: parse("status", row.get("status"))?,
            valid_from: parse_ts(row.get("valid_from"))?,
            valid_until: parse_opt_ts(row.get("valid_until"))?,
            retired_at: parse_opt_ts(row.get("retired_at"))?,
            compromised_at: parse_opt_ts(row.get("compromised_at"))?,
        },
        registered_by: opt_uuid(row.get("registered_by"))?,
        created_at: parse_ts(row.get("created_at"))?,
    })
}

pub async fn insert_key(store: &SqliteStore, key: &KeyRecord, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let country: Option<Option<String>> = sqlx::query_scalar("SELECT country FROM organisations WHERE id = $1")
        .bind(key.org_id.to_string())
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
    .bind(key.org_id.to_string())
    .bind(to_json(&key.jwk)?)
    .bind(key.algorithm.as_str())
    .bind(v.purpose.as_str())
    .bind(v.status.as_str())
    .bind(ts(v.valid_from))
    .bind(opt_ts(v.valid_until))
    .bind(opt_ts(v.retired_at))
    .bind(opt_ts(v.compromised_at))
    .bind(key.registered_by.map(|id| id.to_string()))
    .bind(ts(key.created_at))
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

pub async fn get_key(pool: &SqlitePool, kid: &str) -> StoreResult<Option<KeyRecord>> {
    let row = sqlx::query("SELECT * FROM keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(key_from_row).transpose()
}

pub async fn list_keys(pool: &SqlitePool, org_id: Uuid) -> StoreResult<Vec<KeyRecord>> {
    let rows = sqlx::query("SELECT * FROM keys WHERE org_id = $1 ORDER BY created_at")
        .bind(org_id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(key_from_row).collect()
}

pub async fn change_key_status(store: &SqliteStore, change: &KeyStatusChange, actor: Actor) -> StoreResult<KeyRecord> {
    // BEGIN IMMEDIATE serializes writers, so the clock is read after any
    // registration that used this key has committed.
    let mut tx = store.write().await?;
    let effective_at = if change.effective_now { ecert_store::now() } else { change.effective_at };
    let (retired_at, compromised_at) = match change.to {
        KeyStatus::Retired => (Some(ts(effective_at)), None),
        KeyStatus::Revoked => (None, Some(ts(effective_at))),
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
    .bind(change_id.to_string())
    .bind(&change.kid)
    .bind(change.expected.as_str())
    .bind(change.to.as_str())
    .bind(ts(effective_at))
    .bind(&change.reason)
    .bind(actor.org_id.map(|id| id.to_string()))
    .bind(ts(now()))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let country: Option<String> = sqlx::query_scalar(
        "SELECT o.country FROM keys k JOIN organisations o ON o.id = k.org_id WHERE k.kid = $1",
    )
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
        data: serde_json::json!({"from": change.expected, "to": change.to, "change_id": change_id}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)?;

    get_key(&store.pool, &change.kid)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("key {}", change.kid)))
}
