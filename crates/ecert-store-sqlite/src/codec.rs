//! Column encodings shared by the SQLite queries.

use std::str::FromStr;

use ecert_store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use uuid::Uuid;

const TIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Wraps a database error as an internal store error, except unique and
/// foreign-key violations, which are conflicts the caller can report.
pub fn backend<E: std::error::Error + Send + Sync + 'static>(error: E) -> StoreError {
    StoreError::Backend(Box::new(error))
}

pub fn db_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return StoreError::Conflict(format!("already exists ({})", db.message()));
        }
        if db.is_foreign_key_violation() {
            return StoreError::Conflict(format!("refers to a missing record ({})", db.message()));
        }
    }
    backend(error)
}

/// Encodes a time as fixed-width UTC text, microsecond precision.
pub fn ts(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(TIME_FORMAT).unwrap_or_default()
}

pub fn opt_ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(ts)
}

pub fn parse_ts(text: &str) -> Result<OffsetDateTime, StoreError> {
    PrimitiveDateTime::parse(text, TIME_FORMAT)
        .map(|t| t.assume_utc())
        .map_err(|e| StoreError::Backend(format!("stored time {text:?} is unreadable: {e}").into()))
}

pub fn parse_opt_ts(text: Option<String>) -> Result<Option<OffsetDateTime>, StoreError> {
    text.as_deref().map(parse_ts).transpose()
}

pub fn parse<T: FromStr>(column: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Backend(format!("column {column} contains the invalid value {text:?}: {e}").into()))
}

pub fn uuid(text: &str) -> Result<Uuid, StoreError> {
    parse("id", text)
}

pub fn opt_uuid(text: Option<String>) -> Result<Option<Uuid>, StoreError> {
    text.as_deref().map(uuid).transpose()
}

pub fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

pub fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend(format!("column {column} contains invalid JSON: {e}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_sort_as_text() {
        let early = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000).unwrap();
        let late = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_500_000_000).unwrap();
        assert_eq!(parse_ts(&ts(early)).unwrap(), early);
        assert!(ts(early) < ts(late));
    }
}
