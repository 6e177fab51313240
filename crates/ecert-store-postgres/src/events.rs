//! The append-only event log, and why its sequence numbers follow commit order.
//!
//! Readers page through the log with `seq > after`, so a reader must never
//! see sequence number 11 while 10 can still commit: it would move its cursor
//! past 10 and miss that event for good. A plain sequence does not prevent
//! this. Transaction A takes 10, transaction B takes 11 and commits first,
//! a reader sees 11, and then A commits 10 behind the reader's cursor. Hub
//! nodes share one database, so this happens across nodes as well.
//!
//! Every transaction that appends events therefore first takes the
//! transaction-level advisory lock [`EVENT_LOG_LOCK`] and holds it until it
//! commits or rolls back. From that point on, event-appending transactions
//! run one at a time, so the sequence numbers are taken in commit order.
//! PostgreSQL makes a committed transaction visible to new snapshots before
//! it releases the transaction's locks, so when the next writer gets the lock
//! and its number, every lower number is already visible or rolled back.
//! Rolled-back transactions leave gaps, so readers must not expect
//! consecutive numbers.
//!
//! Each write takes the lock as its last step, after its other rows are
//! written, so only the event inserts and the commit run one at a time. After
//! the lock a write only inserts events, which wait for no other writer's row
//! lock, so the lock cannot take part in a deadlock. New writes must keep
//! their appends last for the same reason. The cost is that these commits no
//! longer share a WAL flush. `benches/event_order.rs` measures it.
//!
//! Alternatives considered: a one-row counter table updated with
//! `UPDATE … RETURNING` serializes writers in the same way, holding a row
//! lock instead. Filtering reads by `pg_snapshot_xmin` avoids serializing
//! writers, but any long transaction in the database then stalls every reader,
//! and it needs a transaction id assigned before the sequence number is taken.

use ecert_core::CountryCode;
use ecert_store::{Actor, Event, EventKind, StoreError, StoreResult, now};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::{column, db_error, opt_parsed};

/// Key of the transaction-level advisory lock that orders event appends:
/// the bytes of "ecertevt" read as a big-endian integer. Advisory locks are
/// per database, so only another program using the same key in the hub's
/// database could contend for it.
pub const EVENT_LOG_LOCK: i64 = i64::from_be_bytes(*b"ecertevt");

/// The facts of a new event. The sequence number and record time are
/// assigned on append.
pub struct NewEvent<'a> {
    pub kind: EventKind,
    pub country: Option<CountryCode>,
    pub subject: &'a str,
    pub content_sha256: Option<&'a str>,
    pub effective_at: Option<OffsetDateTime>,
    pub data: serde_json::Value,
}

/// Appends an event inside the caller's transaction, so the event commits
/// with the change it records or not at all. Takes [`EVENT_LOG_LOCK`] first,
/// and the transaction keeps it until it commits or rolls back. Taking it
/// again in the same transaction returns at once.
pub async fn append(connection: &mut PgConnection, actor: Actor, event: NewEvent<'_>) -> StoreResult<i64> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EVENT_LOG_LOCK)
        .execute(&mut *connection)
        .await
        .map_err(db_error)?;
    insert(connection, actor, event).await
}

/// Inserts the event row without the ordering lock. Only [`append`] and the
/// benchmark's comparison run may call it.
pub(crate) async fn insert(connection: &mut PgConnection, actor: Actor, event: NewEvent<'_>) -> StoreResult<i64> {
    let recorded = now();
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (kind, country, actor_org_id, subject, content_sha256, effective_at, recorded_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
    )
    .bind(event.kind.as_str())
    .bind(event.country.map(|c| c.to_string()))
    .bind(actor.org_id)
    .bind(event.subject)
    .bind(event.content_sha256)
    .bind(event.effective_at.unwrap_or(recorded))
    .bind(recorded)
    .bind(Json(&event.data))
    .fetch_one(connection)
    .await
    .map_err(db_error)?;
    Ok(seq)
}

pub async fn list(pool: &PgPool, country: Option<CountryCode>, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
    let rows = match country {
        Some(country) => {
            sqlx::query("SELECT * FROM events WHERE country = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(country.to_string())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        }
        None => {
            sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        }
    }
    .map_err(db_error)?;
    rows.iter().map(event_from_row).collect()
}

fn event_from_row(row: &PgRow) -> StoreResult<Event> {
    let kind: &str = column(row, "kind")?;
    let Json(data) = column::<Json<serde_json::Value>>(row, "data")?;
    Ok(Event {
        seq: column(row, "seq")?,
        kind: EventKind::parse(kind)
            .ok_or_else(|| StoreError::Backend(format!("column kind contains the unknown event kind {kind:?}").into()))?,
        country: opt_parsed(row, "country")?,
        actor_org_id: column::<Option<Uuid>>(row, "actor_org_id")?,
        subject: column(row, "subject")?,
        content_sha256: column(row, "content_sha256")?,
        effective_at: column(row, "effective_at")?,
        recorded_at: column(row, "recorded_at")?,
        data,
    })
}
