//! SQLite implementation of [`ecert_store::Store`]: the embedded default, one
//! database file in the data directory, migrated on open.
//!
//! Write transactions start with `BEGIN IMMEDIATE`, so SQLite takes the write
//! lock up front and the event sequence numbers follow commit order.
//!
//! - [`codec`]: how times, ids, enums and JSON are stored as columns.
//! - `parties`, `keys`, `documents`, `events`: the trait methods by concept.
//! - `portal`: portal users, sessions, failed login counters, login devices.
//! - `hs`: the HS catalog and its search.
//! - `transfer`: export and import of the whole database as a snapshot.

mod codec;
mod documents;
mod events;
mod hs;
mod keys;
mod parties;
mod portal;
mod transfer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use ecert_core::{CountryCode, HubId};
use ecert_store::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

pub use codec::backend;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A store on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// Pool settings of the SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub max_connections: u32,
    pub busy_timeout: Duration,
    /// Creates the database file when it does not exist. Commands that only
    /// read a hub set it to `false`, so that a mistyped path fails instead
    /// of reading a new, empty database.
    pub create_if_missing: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { max_connections: 8, busy_timeout: Duration::from_secs(10), create_if_missing: true }
    }
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it if missing unless
    /// `options.create_if_missing` is false, and applies pending migrations.
    pub async fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(options.create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        Self::connect(connect, options).await
    }

    /// Opens a database from a `sqlite://` URL, like [`SqliteStore::open`].
    pub async fn open_url(url: &str, options: SqliteOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(backend)?
            .create_if_missing(options.create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        Self::connect(connect, options).await
    }

    async fn connect(connect: SqliteConnectOptions, options: SqliteOptions) -> Result<Self, StoreError> {
        check_path(connect.get_filename(), options.create_if_missing)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .connect_with(connect)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(SqliteStore { pool })
    }

    /// The newest applied migration version.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(version.unwrap_or(0))
    }

    /// Copies every committed page of the write-ahead log into the database
    /// file and truncates the log (`PRAGMA wal_checkpoint(TRUNCATE)`), then
    /// closes the pool. SQLite deletes `-wal` and `-shm` when the last
    /// connection closes, so after a clean stop the database file alone is a
    /// complete copy.
    pub async fn close(&self) -> Result<(), StoreError> {
        let checkpoint = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await;
        self.pool.close().await;
        let (busy, log_pages, checkpointed_pages) = checkpoint.map_err(backend)?;
        if busy != 0 {
            return Err(StoreError::Backend(
                format!(
                    "the WAL checkpoint at close was blocked by another connection: {checkpointed_pages} of {log_pages} pages copied; \
                     the database file is complete only together with its -wal file"
                )
                .into(),
            ));
        }
        Ok(())
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
    }
}

/// Rejects a missing database file when it may not be created, and a
/// missing directory, with messages that name the path. SQLite itself
/// reports both as "unable to open database file".
fn check_path(path: &Path, create_if_missing: bool) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Ok(());
    }
    let missing = |message: String| Err(StoreError::Backend(message.into()));
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return missing(format!(
            "the directory {} of the SQLite database file does not exist; create it first or correct the path",
            dir.display()
        ));
    }
    if !create_if_missing && !path.exists() {
        return missing(format!("the SQLite database file {} does not exist; correct the path", path.display()));
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn close(&self) -> StoreResult<()> {
        SqliteStore::close(self).await
    }

    async fn upsert_country(&self, country: &Country, actor: Actor) -> StoreResult<()> {
        parties::upsert_country(self, country, actor).await
    }

    async fn get_country(&self, code: CountryCode) -> StoreResult<Option<Country>> {
        parties::get_country(&self.pool, code).await
    }

    async fn list_countries(&self) -> StoreResult<Vec<Country>> {
        parties::list_countries(&self.pool).await
    }

    async fn insert_organisation(&self, org: &Organisation, actor: Actor) -> StoreResult<()> {
        parties::insert_organisation(self, org, actor).await
    }

    async fn get_organisation(&self, id: Uuid) -> StoreResult<Option<Organisation>> {
        parties::get_organisation(&self.pool, id).await
    }

    async fn find_organisation(
        &self,
        country: Option<CountryCode>,
        registration_number: &str,
    ) -> StoreResult<Option<Organisation>> {
        parties::find_organisation(&self.pool, country, registration_number).await
    }

    async fn list_organisations(&self, country: Option<CountryCode>, page: PageRequest) -> StoreResult<Page<Organisation>> {
        parties::list_organisations(&self.pool, country, page).await
    }

    async fn insert_accreditation(&self, record: &AccreditationRecord, actor: Actor) -> StoreResult<()> {
        parties::insert_accreditation(self, record, actor).await
    }

    async fn change_accreditation_status(&self, change: &AccreditationStatusChange, actor: Actor) -> StoreResult<AccreditationRecord> {
        parties::change_accreditation_status(self, change, actor).await
    }

    async fn get_accreditation(&self, id: Uuid) -> StoreResult<Option<AccreditationRecord>> {
        parties::get_accreditation(&self.pool, id).await
    }

    async fn list_accreditations(&self, org_id: Uuid) -> StoreResult<Vec<AccreditationRecord>> {
        parties::list_accreditations(&self.pool, org_id).await
    }

    async fn insert_key(&self, key: &KeyRecord, actor: Actor) -> StoreResult<()> {
        keys::insert_key(self, key, actor).await
    }

    async fn get_key(&self, kid: &str) -> StoreResult<Option<KeyRecord>> {
        keys::get_key(&self.pool, kid).await
    }

    async fn list_keys(&self, org_id: Uuid) -> StoreResult<Vec<KeyRecord>> {
        keys::list_keys(&self.pool, org_id).await
    }

    async fn change_key_status(&self, change: &KeyStatusChange, actor: Actor) -> StoreResult<KeyRecord> {
        keys::change_key_status(self, change, actor).await
    }

    async fn insert_token(&self, token: &ApiToken, actor: Actor) -> StoreResult<()> {
        parties::insert_token(self, token, actor).await
    }

    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        parties::find_token(&self.pool, token_hash).await
    }

    async fn get_token(&self, id: Uuid) -> StoreResult<Option<ApiToken>> {
        parties::get_token(&self.pool, id).await
    }

    async fn revoke_token(&self, id: Uuid, actor: Actor) -> StoreResult<()> {
        parties::revoke_token(self, id, actor).await
    }

    async fn list_tokens(&self, org_id: Uuid) -> StoreResult<Vec<ApiToken>> {
        parties::list_tokens(&self.pool, org_id).await
    }

    async fn insert_user(&self, user: &User, actor: Actor) -> StoreResult<()> {
        parties::insert_user(self, user, actor).await
    }

    async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        parties::find_user(&self.pool, username).await
    }

    async fn get_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        portal::get_user(&self.pool, id).await
    }

    async fn list_users(&self, country: Option<CountryCode>, org_id: Option<Uuid>) -> StoreResult<Vec<User>> {
        portal::list_users(&self.pool, country, org_id).await
    }

    async fn set_user_locale(&self, id: Uuid, locale: Option<&str>) -> StoreResult<()> {
        portal::set_user_locale(self, id, locale).await
    }

    async fn set_user_disabled(&self, id: Uuid, disabled_at: Option<OffsetDateTime>, actor: Actor) -> StoreResult<()> {
        portal::set_user_disabled(self, id, disabled_at, actor).await
    }

    async fn set_user_password(&self, id: Uuid, password_hash: &str, actor: Actor) -> StoreResult<()> {
        portal::set_user_password(self, id, password_hash, actor).await
    }

    async fn insert_session(&self, session: &Session, actor: Actor) -> StoreResult<()> {
        portal::insert_session(self, session, actor).await
    }

    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        portal::get_session(&self.pool, id_hash).await
    }

    async fn touch_session(&self, id_hash: &str, last_seen_at: OffsetDateTime) -> StoreResult<()> {
        portal::touch_session(self, id_hash, last_seen_at).await
    }

    async fn delete_session(&self, id_hash: &str, actor: Actor) -> StoreResult<bool> {
        portal::delete_session(self, id_hash, actor).await
    }

    async fn delete_stale_sessions(&self, now: OffsetDateTime, idle_before: OffsetDateTime) -> StoreResult<u64> {
        portal::delete_stale_sessions(self, now, idle_before).await
    }

    async fn add_login_failure(&self, key: &str, at: OffsetDateTime, reset_before: OffsetDateTime) -> StoreResult<LoginFailures> {
        portal::add_login_failure(self, key, at, reset_before).await
    }

    async fn get_login_failures(&self, key: &str) -> StoreResult<Option<LoginFailures>> {
        portal::get_login_failures(&self.pool, key).await
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        portal::clear_login_failures(self, key).await
    }

    async fn delete_old_login_failures(&self, before: OffsetDateTime) -> StoreResult<u64> {
        portal::delete_old_login_failures(self, before).await
    }

    async fn record_failed_login(&self, user_id: Uuid) -> StoreResult<()> {
        portal::record_failed_login(self, user_id).await
    }

    async fn insert_login_device(&self, device: &LoginDevice) -> StoreResult<()> {
        portal::insert_login_device(self, device).await
    }

    async fn find_login_device(&self, token_hash: &str) -> StoreResult<Option<LoginDevice>> {
        portal::find_login_device(&self.pool, token_hash).await
    }

    async fn replace_hs_catalog(&self, catalog: &HsCatalog, actor: Actor) -> StoreResult<()> {
        hs::replace_catalog(self, catalog, actor).await
    }

    async fn search_hs(&self, query: &str, limit: u32) -> StoreResult<Vec<HsEntry>> {
        hs::search(&self.pool, query, limit).await
    }

    async fn get_hs_entry(&self, code: &str) -> StoreResult<Option<HsEntry>> {
        hs::get_entry(&self.pool, code).await
    }

    async fn hs_catalog_info(&self) -> StoreResult<Option<HsCatalogInfo>> {
        hs::catalog_info(&self.pool).await
    }

    async fn insert_document(&self, document: &DocumentRecord, actor: Actor) -> StoreResult<()> {
        documents::insert_document(self, document, actor).await
    }

    async fn get_document(&self, hub_id: HubId) -> StoreResult<Option<DocumentRecord>> {
        documents::get_document(&self.pool, hub_id).await
    }

    async fn find_document_by_payload(&self, issuer: Uuid, payload_sha256: &str) -> StoreResult<Option<DocumentRecord>> {
        documents::find_by_payload(&self.pool, issuer, payload_sha256).await
    }

    async fn find_documents_by_number(&self, issuer: Uuid, national_number: &str) -> StoreResult<Vec<DocumentRecord>> {
        documents::find_by_number(&self.pool, issuer, national_number).await
    }

    async fn find_documents_by_file(&self, file_sha256: &str) -> StoreResult<Vec<DocumentRecord>> {
        documents::find_by_file(&self.pool, file_sha256).await
    }

    async fn search_documents(&self, query: &DocumentQuery, page: PageRequest) -> StoreResult<Page<DocumentRecord>> {
        documents::search(&self.pool, query, page).await
    }

    async fn change_document_status(&self, change: &StatusChangeRecord, actor: Actor) -> StoreResult<()> {
        documents::change_status(self, change, actor).await
    }

    async fn document_history(&self, hub_id: HubId) -> StoreResult<Vec<StatusChangeRecord>> {
        documents::history(&self.pool, hub_id).await
    }

    async fn set_stamped_file(&self, hub_id: HubId, stamped_sha256: &str, actor: Actor) -> StoreResult<()> {
        documents::set_stamped_file(self, hub_id, stamped_sha256, actor).await
    }

    async fn list_events(&self, country: Option<CountryCode>, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        events::list(&self.pool, country, after, limit).await
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        SqliteStore::schema_version(self).await
    }

    async fn export_snapshot(&self) -> StoreResult<Snapshot> {
        transfer::export(self).await
    }

    async fn import_snapshot(&self, snapshot: &Snapshot) -> StoreResult<()> {
        transfer::import(self, snapshot).await
    }
}
