//! Column reads and error mapping shared by the PostgreSQL queries.

use std::str::FromStr;

use ecert_store::StoreError;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Decode, Postgres, Row, Type};

/// Unique constraints and indexes of the schema, with the columns they cover
/// as `table.column`. Conflict messages name these columns because callers
/// match on them: the service retries a new hub ID on `documents.hub_id` and
/// reports `national_number` and `payload_sha256` conflicts differently,
/// matching the SQLite message `UNIQUE constraint failed: documents.hub_id`.
pub const UNIQUE_CONSTRAINTS: &[(&str, &str)] = &[
    ("countries_pkey", "countries.code"),
    ("organisations_pkey", "organisations.id"),
    ("organisations_number_case", "organisations.country, organisations.registration_number (ignoring case)"),
    ("accreditations_pkey", "accreditations.id"),
    ("accreditation_status_changes_pkey", "accreditation_status_changes.id"),
    ("keys_pkey", "keys.kid"),
    ("key_status_changes_pkey", "key_status_changes.id"),
    ("api_tokens_pkey", "api_tokens.id"),
    ("api_tokens_token_hash_key", "api_tokens.token_hash"),
    ("users_pkey", "users.id"),
    ("users_username_key", "users.username"),
    ("documents_pkey", "documents.seq"),
    ("documents_hub_id_key", "documents.hub_id"),
    ("documents_payload", "documents.issuer_org_id, documents.payload_sha256"),
    ("documents_supersedes", "documents.supersedes"),
    ("documents_unique_number", "documents.issuer_org_id, documents.national_number"),
    ("status_changes_pkey", "status_changes.id"),
    ("events_pkey", "events.seq"),
    ("sessions_pkey", "sessions.id_hash"),
    ("login_failures_pkey", "login_failures.key"),
    ("login_devices_pkey", "login_devices.token_hash"),
    ("hs_entries_pkey", "hs_entries.code"),
    ("hs_catalog_pkey", "hs_catalog.id"),
];

/// Wraps an error as an internal store error.
pub fn backend<E: std::error::Error + Send + Sync + 'static>(error: E) -> StoreError {
    StoreError::Backend(Box::new(error))
}

/// Wraps a database error as an internal store error, except unique and
/// foreign-key violations, which are conflicts the caller can report.
///
/// The messages never include PostgreSQL's error detail, because the detail
/// quotes the conflicting values (a user name, for one).
pub fn db_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let constraint = db.constraint().unwrap_or("unknown");
            return match UNIQUE_CONSTRAINTS.iter().find(|(name, _)| *name == constraint) {
                Some((name, columns)) => StoreError::Conflict(format!("already exists (unique constraint {name} on {columns})")),
                None => StoreError::Conflict(format!("already exists ({})", db.message())),
            };
        }
        if db.is_foreign_key_violation() {
            return StoreError::Conflict(format!("refers to a missing record ({})", db.message()));
        }
    }
    backend(error)
}

/// Reads a column of a native type, naming the column if it cannot be read.
pub fn column<'r, T>(row: &'r PgRow, name: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Backend(format!("column {name} is unreadable: {e}").into()))
}

/// Reads a text column and parses it, for enumerations, country codes and hub IDs.
pub fn parsed<T: FromStr>(row: &PgRow, name: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: &str = column(row, name)?;
    parse(name, text)
}

/// Reads a nullable text column and parses it.
pub fn opt_parsed<T: FromStr>(row: &PgRow, name: &str) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    let text: Option<&str> = column(row, name)?;
    text.map(|text| parse(name, text)).transpose()
}

pub fn parse<T: FromStr>(name: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Backend(format!("column {name} contains {text:?}: {e}").into()))
}

/// Reads a `jsonb` column into `T`.
pub fn json<T: DeserializeOwned>(row: &PgRow, name: &str) -> Result<T, StoreError> {
    let Json(value) = column::<Json<T>>(row, name)?;
    Ok(value)
}
