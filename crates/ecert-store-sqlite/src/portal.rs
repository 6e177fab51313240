//! Portal users and their logins: user administration, sessions, failed
//! login counters and login devices.
//!
//! User events name the user by id only and carry the organisation's
//! country, so a country's event feed shows them without personal data.

use ecert_core::CountryCode;
use ecert_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::SqliteStore;
use crate::codec::*;
use crate::events::{NewEvent, append};
use crate::parties::user_from_row;

/// The facts about a user that user events and login checks need.
struct UserScope {
    org_id: Uuid,
    country: Option<CountryCode>,
    disabled: bool,
}

/// Reads the user's organisation, its country and whether the user is
/// disabled. `NotFound` for an unknown user.
async fn user_scope(connection: &mut SqliteConnection, user_id: Uuid) -> StoreResult<UserScope> {
    let row = sqlx::query(
        "SELECT u.org_id, u.disabled_at, o.country FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1",
    )
    .bind(user_id.to_string())
    .fetch_optional(&mut *connection)
    .await
    .map_err(db_error)?
    .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
    Ok(UserScope {
        org_id: uuid(row.get("org_id"))?,
        country: row.get::<Option<String>, _>("country").map(|c| parse("country", &c)).transpose()?,
        disabled: row.get::<Option<String>, _>("disabled_at").is_some(),
    })
}

/// Appends a user event with the user id as subject and the organisation
/// id as its only data.
async fn append_user_event(
    connection: &mut SqliteConnection,
    actor: Actor,
    kind: EventKind,
    user_id: Uuid,
    scope: &UserScope,
    effective_at: Option<OffsetDateTime>,
) -> StoreResult<()> {
    let subject = user_id.to_string();
    let event = NewEvent {
        kind,
        country: scope.country,
        subject: &subject,
        content_sha256: None,
        effective_at,
        data: serde_json::json!({"org_id": scope.org_id}),
    };
    append(connection, actor, event).await?;
    Ok(())
}

pub async fn get_user(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(pool: &SqlitePool, country: Option<CountryCode>, org_id: Option<Uuid>) -> StoreResult<Vec<User>> {
    let rows = match (org_id, country) {
        (Some(org_id), _) => {
            sqlx::query("SELECT * FROM users WHERE org_id = $1 ORDER BY username")
                .bind(org_id.to_string())
                .fetch_all(pool)
                .await
        }
        (None, Some(country)) => {
            sqlx::query(
                "SELECT u.* FROM users u JOIN organisations o ON o.id = u.org_id WHERE o.country = $1 ORDER BY u.username",
            )
            .bind(country.to_string())
            .fetch_all(pool)
            .await
        }
        (None, None) => sqlx::query("SELECT * FROM users ORDER BY username").fetch_all(pool).await,
    }
    .map_err(db_error)?;
    rows.iter().map(user_from_row).collect()
}

pub async fn set_user_locale(store: &SqliteStore, id: Uuid, locale: Option<&str>) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let updated = sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    tx.commit().await.map_err(db_error)
}

pub async fn set_user_disabled(
    store: &SqliteStore,
    id: Uuid,
    disabled_at: Option<OffsetDateTime>,
    actor: Actor,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, id).await?;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(opt_ts(disabled_at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    let kind = if disabled_at.is_some() {
        delete_user_sessions(&mut tx, id).await?;
        EventKind::UserDisabled
    } else {
        EventKind::UserEnabled
    };
    append_user_event(&mut tx, actor, kind, id, &scope, disabled_at).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn set_user_password(store: &SqliteStore, id: Uuid, password_hash: &str, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, id).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    delete_user_sessions(&mut tx, id).await?;
    append_user_event(&mut tx, actor, EventKind::UserPasswordChanged, id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

async fn delete_user_sessions(connection: &mut SqliteConnection, user_id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(connection)
        .await
        .map_err(db_error)?;
    Ok(())
}

fn session_from_row(row: &SqliteRow) -> StoreResult<Session> {
    Ok(Session {
        id_hash: row.get("id_hash"),
        user_id: uuid(row.get("user_id"))?,
        csrf_token: row.get("csrf_token"),
        created_at: parse_ts(row.get("created_at"))?,
        last_seen_at: parse_ts(row.get("last_seen_at"))?,
        expires_at: parse_ts(row.get("expires_at"))?,
    })
}

pub async fn insert_session(store: &SqliteStore, session: &Session, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, session.user_id).await?;
    if scope.disabled {
        return Err(StoreError::Conflict(format!("user {} is disabled", session.user_id)));
    }
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.id_hash)
    .bind(session.user_id.to_string())
    .bind(&session.csrf_token)
    .bind(ts(session.created_at))
    .bind(ts(session.last_seen_at))
    .bind(ts(session.expires_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    append_user_event(&mut tx, actor, EventKind::UserLoggedIn, session.user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_session(pool: &SqlitePool, id_hash: &str) -> StoreResult<Option<Session>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(session_from_row).transpose()
}

pub async fn touch_session(store: &SqliteStore, id_hash: &str, last_seen_at: OffsetDateTime) -> StoreResult<()> {
    let mut tx = store.write().await?;
    // Times are fixed-width text, so max() of the text is the later time.
    sqlx::query("UPDATE sessions SET last_seen_at = max(last_seen_at, $1) WHERE id_hash = $2")
        .bind(ts(last_seen_at))
        .bind(id_hash)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

pub async fn delete_session(store: &SqliteStore, id_hash: &str, actor: Actor) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let user_id: Option<String> = sqlx::query_scalar("DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id")
        .bind(id_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let Some(user_id) = user_id else {
        return Ok(false);
    };
    let user_id = uuid(&user_id)?;
    let scope = user_scope(&mut tx, user_id).await?;
    append_user_event(&mut tx, actor, EventKind::UserLoggedOut, user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(true)
}

pub async fn delete_stale_sessions(store: &SqliteStore, now: OffsetDateTime, idle_before: OffsetDateTime) -> StoreResult<u64> {
    let mut tx = store.write().await?;
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(ts(now))
        .bind(ts(idle_before))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
    sqlx::query("DELETE FROM login_devices WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(sessions)
}

fn login_failures_from_row(row: &SqliteRow) -> StoreResult<LoginFailures> {
    let count: i64 = row.get("count");
    Ok(LoginFailures {
        count: u32::try_from(count).map_err(|e| StoreError::Backend(format!("column count contains {count}: {e}").into()))?,
        first_at: parse_ts(row.get("first_at"))?,
        last_at: parse_ts(row.get("last_at"))?,
    })
}

pub async fn add_login_failure(
    store: &SqliteStore,
    key: &str,
    at: OffsetDateTime,
    reset_before: OffsetDateTime,
) -> StoreResult<LoginFailures> {
    let mut tx = store.write().await?;
    // Every right-hand side of the UPDATE reads the row as it was before.
    let row = sqlx::query(
        "INSERT INTO login_failures (key, count, first_at, last_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN login_failures.last_at < $3 THEN 1 ELSE login_failures.count + 1 END,
             first_at = CASE WHEN login_failures.last_at < $3 THEN $2 ELSE login_failures.first_at END,
             last_at = max(login_failures.last_at, $2)
         RETURNING count, first_at, last_at",
    )
    .bind(key)
    .bind(ts(at))
    .bind(ts(reset_before))
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    let failures = login_failures_from_row(&row)?;
    tx.commit().await.map_err(db_error)?;
    Ok(failures)
}

pub async fn get_login_failures(pool: &SqlitePool, key: &str) -> StoreResult<Option<LoginFailures>> {
    let row = sqlx::query("SELECT count, first_at, last_at FROM login_failures WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(login_failures_from_row).transpose()
}

pub async fn clear_login_failures(store: &SqliteStore, key: &str) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

pub async fn record_failed_login(store: &SqliteStore, user_id: Uuid) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, user_id).await?;
    append_user_event(&mut tx, Actor::SYSTEM, EventKind::UserLoginFailed, user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn insert_login_device(store: &SqliteStore, device: &LoginDevice) -> StoreResult<()> {
    let mut tx = store.write().await?;
    user_scope(&mut tx, device.user_id).await?;
    sqlx::query("INSERT INTO login_devices (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&device.token_hash)
        .bind(device.user_id.to_string())
        .bind(ts(device.created_at))
        .bind(ts(device.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

pub async fn find_login_device(pool: &SqlitePool, token_hash: &str) -> StoreResult<Option<LoginDevice>> {
    let row = sqlx::query("SELECT * FROM login_devices WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.map(|row| {
        Ok(LoginDevice {
            token_hash: row.get("token_hash"),
            user_id: uuid(row.get("user_id"))?,
            created_at: parse_ts(row.get("created_at"))?,
            expires_at: parse_ts(row.get("expires_at"))?,
        })
    })
    .transpose()
}

pub async fn delete_old_login_failures(store: &SqliteStore, before: OffsetDateTime) -> StoreResult<u64> {
    let mut tx = store.write().await?;
    let deleted = sqlx::query("DELETE FROM login_failures WHERE last_at < $1")
        .bind(ts(before))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
    tx.commit().await.map_err(db_error)?;
    Ok(deleted)
}
