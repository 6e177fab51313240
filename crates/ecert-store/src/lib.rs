//! Storage of the e-CERT Hub: one trait that every database backend
//! implements, the records it stores, and the blob store for document files.
//!
//! - [`records`]: what is stored (countries, organisations, keys, documents, events).
//! - [`Store`]: the operations. Every write that touches several rows, and the
//!   event it appends, commits in one transaction.
//! - [`blob`]: document files addressed by SHA-256.
//! - [`snapshot`]: the whole database content in a backend-neutral form,
//!   for moving a hub between backends.
//! - `testsuite` (feature `testsuite`): scenarios of the contract that every
//!   backend's tests run.

pub mod blob;
pub mod blob_s3;
pub mod records;
pub mod snapshot;
#[cfg(feature = "testsuite")]
pub mod testsuite;

use async_trait::async_trait;
use ecert_core::{CountryCode, HubId};
use uuid::Uuid;

pub use records::*;
pub use snapshot::Snapshot;

/// Storage failures. `NotFound` and `Conflict` are for the caller to turn
/// into 404 and 409; `Backend` is an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Truncates a time to microseconds, the precision every backend stores, so
/// that a value returned when it is written equals the value read back.
pub fn stored_precision(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// Returns the current UTC time at stored precision.
pub fn now() -> time::OffsetDateTime {
    stored_precision(time::OffsetDateTime::now_utc())
}

/// The hub's persistent state. Implementations: SQLite (embedded default)
/// and PostgreSQL.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the database responds.
    async fn ping(&self) -> StoreResult<()>;

    // Countries.
    async fn upsert_country(&self, country: &Country, actor: Actor) -> StoreResult<()>;
    async fn get_country(&self, code: CountryCode) -> StoreResult<Option<Country>>;
    async fn list_countries(&self) -> StoreResult<Vec<Country>>;

    // Organisations.
    async fn insert_organisation(&self, org: &Organisation, actor: Actor) -> StoreResult<()>;
    async fn get_organisation(&self, id: Uuid) -> StoreResult<Option<Organisation>>;
    async fn find_organisation(
        &self,
        country: Option<CountryCode>,
        registration_number: &str,
    ) -> StoreResult<Option<Organisation>>;
    async fn list_organisations(&self, country: Option<CountryCode>, page: PageRequest) -> StoreResult<Page<Organisation>>;

    // Accreditations and designations.
    async fn insert_accreditation(&self, record: &AccreditationRecord, actor: Actor) -> StoreResult<()>;
    async fn change_accreditation_status(&self, change: &AccreditationStatusChange, actor: Actor) -> StoreResult<AccreditationRecord>;
    async fn get_accreditation(&self, id: Uuid) -> StoreResult<Option<AccreditationRecord>>;
    async fn list_accreditations(&self, org_id: Uuid) -> StoreResult<Vec<AccreditationRecord>>;

    // Keys.
    async fn insert_key(&self, key: &KeyRecord, actor: Actor) -> StoreResult<()>;
    async fn get_key(&self, kid: &str) -> StoreResult<Option<KeyRecord>>;
    async fn list_keys(&self, org_id: Uuid) -> StoreResult<Vec<KeyRecord>>;
    /// Retires or revokes a key. Fails with `Conflict` when the key's status
    /// is no longer `expected` (another writer changed it first).
    async fn change_key_status(&self, change: &KeyStatusChange, actor: Actor) -> StoreResult<KeyRecord>;

    // Credentials of API clients and portal users.
    async fn insert_token(&self, token: &ApiToken, actor: Actor) -> StoreResult<()>;
    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    async fn get_token(&self, id: Uuid) -> StoreResult<Option<ApiToken>>;
    async fn revoke_token(&self, id: Uuid, actor: Actor) -> StoreResult<()>;
    async fn insert_user(&self, user: &User, actor: Actor) -> StoreResult<()>;
    async fn find_user(&self, username: &str) -> StoreResult<Option<User>>;

    // Documents.
    /// Registers a document. When it supersedes an entry, that entry's status
    /// changes to `superseded` in the same transaction; `Conflict` when the
    /// superseded entry is no longer `valid`.
    async fn insert_document(&self, document: &DocumentRecord, actor: Actor) -> StoreResult<()>;
    async fn get_document(&self, hub_id: HubId) -> StoreResult<Option<DocumentRecord>>;
    async fn find_document_by_payload(&self, issuer: Uuid, payload_sha256: &str) -> StoreResult<Option<DocumentRecord>>;
    /// Entries of `issuer` with this national number, oldest first.
    async fn find_documents_by_number(&self, issuer: Uuid, national_number: &str) -> StoreResult<Vec<DocumentRecord>>;
    /// Entries whose original or stamped file has this SHA-256.
    async fn find_documents_by_file(&self, file_sha256: &str) -> StoreResult<Vec<DocumentRecord>>;
    async fn search_documents(&self, query: &DocumentQuery, page: PageRequest) -> StoreResult<Page<DocumentRecord>>;
    /// Applies a status change if the stored status is still `change.from`;
    /// otherwise `Conflict`, so concurrent changes are never lost silently.
    async fn change_document_status(&self, change: &StatusChangeRecord, actor: Actor) -> StoreResult<()>;
    async fn document_history(&self, hub_id: HubId) -> StoreResult<Vec<StatusChangeRecord>>;
    /// Records the SHA-256 of the stamped copy of a document's file.
    async fn set_stamped_file(&self, hub_id: HubId, stamped_sha256: &str, actor: Actor) -> StoreResult<()>;

    // Events.
    /// Events after `after` in sequence order, for one country or for all
    /// (`None`, hub operator).
    async fn list_events(&self, country: Option<CountryCode>, after: i64, limit: u32) -> StoreResult<Vec<Event>>;

    // Moving a whole hub between backends.
    /// The newest applied schema migration. Each backend numbers its
    /// migrations separately, so versions of different backends differ.
    async fn schema_version(&self) -> StoreResult<i64>;
    /// Reads every row of every table in one read transaction, so the
    /// snapshot is one consistent state of the database.
    async fn export_snapshot(&self) -> StoreResult<Snapshot>;
    /// Inserts every row of `snapshot` in one transaction, keeping the `seq`
    /// of organisations, documents and events; new rows continue after the
    /// highest imported `seq`. Fails with `Conflict`, writing nothing, when
    /// any table already has rows or the snapshot fails
    /// [`Snapshot::validate`].
    async fn import_snapshot(&self, snapshot: &Snapshot) -> StoreResult<()>;
}
