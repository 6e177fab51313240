//! The append-only event log.

use ecert_core::CountryCode;
use ecert_store::{Actor, Event, EventKind, StoreError, StoreResult};
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

use crate::codec::{db_error, from_json, opt_uuid, parse_ts, to_json, ts};
use ecert_store::now;

/// The facts of a new event; the sequence number and record time are
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
/// with the change it records or not at all.
pub async fn append(connection: &mut SqliteConnection, actor: Actor, event: NewEvent<'_>) -> StoreResult<i64> {
    let recorded = now();
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (kind, country, actor_org_id, subject, content_sha256, effective_at, recorded_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
    )
    .bind(event.kind.as_str())
    .bind(event.country.map(|c| c.to_string()))
    .bind(actor.org_id.map(|id| id.to_string()))
    .bind(event.subject)
    .bind(event.content_sha256)
    .bind(ts(event.effective_at.unwrap_or(recorded)))
    .bind(ts(recorded))
    .bind(to_json(&event.data)?)
    .fetch_one(connection)
    .await
    .map_err(db_error)?;
    Ok(seq)
}

pub async fn list(pool: &SqlitePool, country: Option<CountryCode>, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
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

    rows.iter()
        .map(|row| {
            let kind: String = row.get("kind");
            Ok(Event {
                seq: row.get("seq"),
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| StoreError::Backend(format!("unknown event kind {kind:?}").into()))?,
                country: row.get::<Option<String>, _>("country").map(|c| c.parse()).transpose().map_err(crate::backend)?,
                actor_org_id: opt_uuid(row.get("actor_org_id"))?,
                subject: row.get("subject"),
                content_sha256: row.get("content_sha256"),
                effective_at: parse_ts(row.get("effective_at"))?,
                recorded_at: parse_ts(row.get("recorded_at"))?,
                data: from_json("data", row.get("data"))?,
            })
        })
        .collect()
}
