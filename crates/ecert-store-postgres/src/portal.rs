//! Portal users and their logins: user administration, sessions, failed
//! login counters and login devices.
//!
//! User events name the user by id only and carry the organisation's
//! country, so a country's event feed shows them without personal data.
//!
//! At READ COMMITTED, a login and a change that ends the user's sessions
//! (disabling, a new password) are ordered by the user's row lock. A login
//! reads the user `FOR SHARE`, and those changes read it `FOR NO KEY UPDATE`
//! before they update it. Whichever commits second reads the row as the
//! first left it, so no session outlives the change.

use ecert_core::CountryCode;
use ecert_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PgStore;
use crate::codec::*;
use crate::events::{NewEvent, append};
use crate::parties::user_from_row;

/// The facts about a user that user events and login checks need.
struct UserScope {
    org_id: Uuid,
    country: Option<CountryCode>,
    disabled: bool,
}

/// The lock that [`user_scope`] takes on the user's row, held until the
/// transaction ends.
#[derive(Clone, Copy)]
enum UserLock {
    None,
    /// For a login, which must not commit alongside a change that ends
    /// the user's sessions.
    Share,
    /// For a change that updates the user and ends its sessions.
    NoKeyUpdate,
}

/// Reads the user's organisation, its country and whether the user is
/// disabled. `NotFound` for an unknown user.
async fn user_scope(connection: &mut PgConnection, user_id: Uuid, lock: UserLock) -> StoreResult<UserScope> {
    let sql = match lock {
        UserLock::None => {
            "SELECT u.org_id, u.disabled_at, o.country FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1"
        }
        UserLock::Share => {
            "SELECT u.org_id, u.disabled_at, o.country FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1
             FOR SHARE OF u"
        }
        UserLock::NoKeyUpdate => {
            "SELECT u.org_id, u.disabled_at, o.country FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1
             FOR NO KEY UPDATE OF u"
        }
    };
    let row = sqlx::query(sql)
        .bind(user_id)
        .fetch_optional(&mut *connection)
        .await
        .map_err(db_error)?
        .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
    Ok(UserScope {
        org_id: column(&row, "org_id")?,
        country: opt_parsed(&row, "country")?,
        disabled: column::<Option<OffsetDateTime>>(&row, "disabled_at")?.is_some(),
    })
}

/// Appends a user event with the user id as subject and the organisation
/// id as its only data.
async fn append_user_event(
    connection: &mut PgConnection,
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

pub async fn get_user(pool: &PgPool, id: Uuid) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn list_users(pool: &PgPool, country: Option<CountryCode>, org_id: Option<Uuid>) -> StoreResult<Vec<User>> {
    let rows = match (org_id, country) {
        (Some(org_id), _) => {
            sqlx::query("SELECT * FROM users WHERE org_id = $1 ORDER BY username")
                .bind(org_id)
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

pub async fn set_user_locale(store: &PgStore, id: Uuid, locale: Option<&str>) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let updated = sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    tx.commit().await.map_err(db_error)
}

pub async fn set_user_disabled(
    store: &PgStore,
    id: Uuid,
    disabled_at: Option<OffsetDateTime>,
    actor: Actor,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, id, UserLock::NoKeyUpdate).await?;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(disabled_at)
        .bind(id)
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

pub async fn set_user_password(store: &PgStore, id: Uuid, password_hash: &str, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, id, UserLock::NoKeyUpdate).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    delete_user_sessions(&mut tx, id).await?;
    append_user_event(&mut tx, actor, EventKind::UserPasswordChanged, id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

async fn delete_user_sessions(connection: &mut PgConnection, user_id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(connection)
        .await
        .map_err(db_error)?;
    Ok(())
}

fn session_from_row(row: &PgRow) -> StoreResult<Session> {
    Ok(Session {
        id_hash: column(row, "id_hash")?,
        user_id: column(row, "user_id")?,
        csrf_token: column(row, "csrf_token")?,
        created_at: column(row, "created_at")?,
        last_seen_at: column(row, "last_seen_at")?,
        expires_at: column(row, "expires_at")?,
    })
}

pub async fn insert_session(store: &PgStore, session: &Session, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, session.user_id, UserLock::Share).await?;
    if scope.disabled {
        return Err(StoreError::Conflict(format!("user {} is disabled", session.user_id)));
    }
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.id_hash)
    .bind(session.user_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.last_seen_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    append_user_event(&mut tx, actor, EventKind::UserLoggedIn, session.user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_session(pool: &PgPool, id_hash: &str) -> StoreResult<Option<Session>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(session_from_row).transpose()
}

pub async fn touch_session(store: &PgStore, id_hash: &str, last_seen_at: OffsetDateTime) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE id_hash = $2")
        .bind(last_seen_at)
        .bind(id_hash)
        .execute(&store.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub async fn delete_session(store: &PgStore, id_hash: &str, actor: Actor) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let user_id: Option<Uuid> = sqlx::query_scalar("DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id")
        .bind(id_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    let Some(user_id) = user_id else {
        return Ok(false);
    };
    let scope = user_scope(&mut tx, user_id, UserLock::None).await?;
    append_user_event(&mut tx, actor, EventKind::UserLoggedOut, user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(true)
}

pub async fn delete_stale_sessions(store: &PgStore, now: OffsetDateTime, idle_before: OffsetDateTime) -> StoreResult<u64> {
    let mut tx = store.write().await?;
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(now)
        .bind(idle_before)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
    sqlx::query("DELETE FROM login_devices WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(sessions)
}

fn login_failures_from_row(row: &PgRow) -> StoreResult<LoginFailures> {
    let count: i32 = column(row, "count")?;
    Ok(LoginFailures {
        count: u32::try_from(count).map_err(|e| StoreError::Backend(format!("column count contains {count}: {e}").into()))?,
        first_at: column(row, "first_at")?,
        last_at: column(row, "last_at")?,
    })
}

pub async fn add_login_failure(
    store: &PgStore,
    key: &str,
    at: OffsetDateTime,
    reset_before: OffsetDateTime,
) -> StoreResult<LoginFailures> {
    // One statement, so concurrent failures on any node are each counted:
    // an INSERT that meets an existing or concurrently inserted key waits
    // for its row lock and then runs the UPDATE on the newest version. Every
    // right-hand side of the UPDATE reads the row as it was before.
    let row = sqlx::query(
        "INSERT INTO login_failures (key, count, first_at, last_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN login_failures.last_at < $3 THEN 1 ELSE login_failures.count + 1 END,
             first_at = CASE WHEN login_failures.last_at < $3 THEN $2 ELSE login_failures.first_at END,
             last_at = greatest(login_failures.last_at, $2)
         RETURNING count, first_at, last_at",
    )
    .bind(key)
    .bind(at)
    .bind(reset_before)
    .fetch_one(&store.pool)
    .await
    .map_err(db_error)?;
    login_failures_from_row(&row)
}

pub async fn get_login_failures(pool: &PgPool, key: &str) -> StoreResult<Option<LoginFailures>> {
    let row = sqlx::query("SELECT count, first_at, last_at FROM login_failures WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(login_failures_from_row).transpose()
}

pub async fn clear_login_failures(store: &PgStore, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(&store.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub async fn record_failed_login(store: &PgStore, user_id: Uuid) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let scope = user_scope(&mut tx, user_id, UserLock::None).await?;
    append_user_event(&mut tx, Actor::SYSTEM, EventKind::UserLoginFailed, user_id, &scope, None).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn insert_login_device(store: &PgStore, device: &LoginDevice) -> StoreResult<()> {
    let mut tx = store.write().await?;
    user_scope(&mut tx, device.user_id, UserLock::None).await?;
    sqlx::query("INSERT INTO login_devices (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&device.token_hash)
        .bind(device.user_id)
        .bind(device.created_at)
        .bind(device.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

pub async fn find_login_device(pool: &PgPool, token_hash: &str) -> StoreResult<Option<LoginDevice>> {
    let row = sqlx::query("SELECT * FROM login_devices WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.map(|row| {
        Ok(LoginDevice {
            token_hash: column(&row, "token_hash")?,
            user_id: column(&row, "user_id")?,
            created_at: column(&row, "created_at")?,
            expires_at: column(&row, "expires_at")?,
        })
    })
    .transpose()
}

pub async fn delete_old_login_failures(store: &PgStore, before: OffsetDateTime) -> StoreResult<u64> {
    let deleted = sqlx::query("DELETE FROM login_failures WHERE last_at < $1")
        .bind(before)
        .execute(&store.pool)
        .await
        .map_err(db_error)?
        .rows_affected();
    Ok(deleted)
}
