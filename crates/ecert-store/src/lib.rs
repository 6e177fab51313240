//! Storage of the e-CERT Hub: one trait that every database backend
//! implements, the records it stores, and the blob store for document files.
//!
//! - [`records`]: what is stored (countries, organisations, keys, documents, events).
//! - [`Store`]: the operations. Every write that touches several rows, and the
//!   event it appends, commits in one transaction.
//! - [`blob`]: document files addressed by SHA-256.
//! - [`hs`]: how HS catalog searches are read, for every backend alike.
//! - [`snapshot`]: the whole database content in a backend-neutral form,
//!   for moving a hub between backends.
//! - `testsuite` (feature `testsuite`): scenarios of the contract that every
//!   backend's tests run.

pub mod blob;
pub mod blob_s3;
pub mod hs;
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

/// Source of a [`StoreError::Backend`] from [`Store::ping`] when the database
/// accepts connections but every pooled connection of this node is in use.
/// A health check can tell it from an unreachable database.
#[derive(Debug, thiserror::Error)]
#[error("all {max_connections} pooled database connections are in use; the database accepts new connections")]
pub struct PoolBusy {
    pub max_connections: u32,
}

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

    /// Closes the connections at a clean stop. The SQLite store first moves
    /// its write-ahead log into the database file, so that a copy of that
    /// file alone is complete. The store must not be used afterwards.
    async fn close(&self) -> StoreResult<()> {
        Ok(())
    }

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
    /// API tokens of one organisation, oldest first, revoked ones included.
    async fn list_tokens(&self, org_id: Uuid) -> StoreResult<Vec<ApiToken>>;
    async fn insert_user(&self, user: &User, actor: Actor) -> StoreResult<()>;
    async fn find_user(&self, username: &str) -> StoreResult<Option<User>>;
    async fn get_user(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// Users of one organisation (`org_id`), else of every organisation of
    /// `country`, else all; ordered by user name.
    async fn list_users(&self, country: Option<CountryCode>, org_id: Option<Uuid>) -> StoreResult<Vec<User>>;
    /// Stores the user's language preference (`en`, `ru`) or clears it. No
    /// event. `NotFound` for an unknown user.
    async fn set_user_locale(&self, id: Uuid, locale: Option<&str>) -> StoreResult<()>;
    /// Disables (`Some(time)`) or re-enables (`None`) a user, appending
    /// `user.disabled` or `user.enabled`. Disabling deletes the user's
    /// sessions in the same transaction. `NotFound` for an unknown user.
    async fn set_user_disabled(&self, id: Uuid, disabled_at: Option<time::OffsetDateTime>, actor: Actor) -> StoreResult<()>;
    /// Replaces the password hash, deletes every session of the user and
    /// appends `user.password_changed`, in one transaction. `NotFound` for an
    /// unknown user.
    async fn set_user_password(&self, id: Uuid, password_hash: &str, actor: Actor) -> StoreResult<()>;

    // Portal sessions and password-guessing resistance. None of these rows
    // is part of a snapshot: they are short-lived.
    /// Stores a new session and appends `user.logged_in` (subject: the user
    /// id). `NotFound` for an unknown user, `Conflict` for a disabled one, so
    /// a login that races with disabling the user cannot leave a session.
    async fn insert_session(&self, session: &Session, actor: Actor) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    /// Moves the session's `last_seen_at` forward to `last_seen_at`, never
    /// back. Does nothing when the session no longer exists.
    async fn touch_session(&self, id_hash: &str, last_seen_at: time::OffsetDateTime) -> StoreResult<()>;
    /// Deletes a session; appends `user.logged_out` and returns `true` when
    /// it existed.
    async fn delete_session(&self, id_hash: &str, actor: Actor) -> StoreResult<bool>;
    /// Deletes sessions whose `expires_at` is at or before `now` or whose
    /// `last_seen_at` is before `idle_before`, and login devices whose
    /// `expires_at` is at or before `now`. Returns how many sessions went.
    /// No events. Failure counters go with `delete_old_login_failures`.
    async fn delete_stale_sessions(&self, now: time::OffsetDateTime, idle_before: time::OffsetDateTime) -> StoreResult<u64>;
    /// Counts one more failed login under `key`. A counter whose last
    /// failure is before `reset_before` starts again from one. Returns the
    /// counter after the change. Atomic across nodes.
    async fn add_login_failure(&self, key: &str, at: time::OffsetDateTime, reset_before: time::OffsetDateTime) -> StoreResult<LoginFailures>;
    async fn get_login_failures(&self, key: &str) -> StoreResult<Option<LoginFailures>>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
    /// Deletes the failure counters whose last failure is before `before`,
    /// which would start again from one anyway. Returns how many went.
    async fn delete_old_login_failures(&self, before: time::OffsetDateTime) -> StoreResult<u64>;
    /// Appends `user.login_failed` for a wrong password given for an
    /// existing user (subject: the user id; no actor). `NotFound` for an
    /// unknown user.
    async fn record_failed_login(&self, user_id: Uuid) -> StoreResult<()>;
    /// Stores a login device. No event. `NotFound` for an unknown user,
    /// `Conflict` for a `token_hash` already stored.
    async fn insert_login_device(&self, device: &LoginDevice) -> StoreResult<()>;
    async fn find_login_device(&self, token_hash: &str) -> StoreResult<Option<LoginDevice>>;

    // HS nomenclature.
    /// Replaces the whole catalog in one transaction and appends
    /// `hs_catalog.imported` (subject: the edition, data: the entry count).
    /// `Conflict`, keeping the previous catalog, when a code repeats or an
    /// entry's parent is not in the catalog.
    async fn replace_hs_catalog(&self, catalog: &HsCatalog, actor: Actor) -> StoreResult<()>;
    /// Entries whose code starts with the digits of `query` (dots and
    /// spaces ignored), or whose description contains every word of
    /// `query` (case-insensitive, also for Cyrillic); ordered by code.
    /// [`hs::HsSearch`] reads the query. A blank query returns nothing, and
    /// `limit` is bounded to 1..=[`hs::MAX_SEARCH_LIMIT`].
    async fn search_hs(&self, query: &str, limit: u32) -> StoreResult<Vec<HsEntry>>;
    async fn get_hs_entry(&self, code: &str) -> StoreResult<Option<HsEntry>>;
    async fn hs_catalog_info(&self) -> StoreResult<Option<HsCatalogInfo>>;

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
    /// Status changes in the order they were applied. `recorded_at` comes
    /// from the writing node's clock before its transaction, so two nodes'
    /// changes may be applied in the other order than their `recorded_at`.
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
