//! PostgreSQL implementation of [`ecert_store::Store`], for production: the
//! hub nodes are stateless and share one database, migrated on connect.
//!
//! Write transactions run at PostgreSQL's default isolation, READ COMMITTED.
//! Each multi-row write commits in one transaction with its events, and
//! conditional updates (`WHERE status = $expected`) settle concurrent status
//! changes the way they do on SQLite. Event sequence numbers follow commit
//! order across all nodes; the `events` module explains how.
//!
//! - `codec`: column reads and the mapping of constraint violations to conflicts.
//! - `parties`, `keys`, `documents`, `events`: the trait methods by concept.
//! - `portal`: portal users, sessions, failed login counters, login devices.
//! - `hs`: the HS catalog and its search.
//! - `transfer`: export and import of the whole database as a snapshot.
//! - `test_hooks` (feature `test-hooks`): a throwaway database per test.

mod codec;
mod documents;
mod events;
mod hs;
mod keys;
mod parties;
mod portal;
mod transfer;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use ecert_core::{CountryCode, HubId};
use ecert_store::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

pub use codec::{UNIQUE_CONSTRAINTS, backend};
pub use events::EVENT_LOG_LOCK;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A store on one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Settings of the pool's connections, for the separate connection that
    /// [`PgStore::probe`] opens to find why the pool cannot connect.
    connect: PgConnectOptions,
    max_connections: u32,
}

/// How long [`Store::ping`] waits for `SELECT 1` on a pooled connection, and
/// then for a separate probe connection. Together they stay under the 2 s
/// that the health check allows.
const PING_TIMEOUT: Duration = Duration::from_millis(900);

/// Pool settings of the PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Maximum connections of this node's pool. Default 10. The sum over all
    /// hub nodes must stay below the server's `max_connections`.
    pub max_connections: u32,
    /// How long a query waits for a free pooled connection before it fails.
    /// Default 10 s, the same as the SQLite store's busy timeout.
    pub acquire_timeout: Duration,
    /// The server's `statement_timeout` for this pool's sessions, or `None`
    /// to keep the server's setting. Default 30 s. It also bounds the wait
    /// for the event-log lock, so a stuck writer makes others fail instead
    /// of queueing without end.
    pub statement_timeout: Option<Duration>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Some(Duration::from_secs(30)),
        }
    }
}

impl PgStore {
    /// Connects to the database at a `postgres://` or `postgresql://` URL and
    /// applies pending migrations. Nodes that start at the same time are
    /// safe: sqlx holds an advisory lock while it migrates.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        // sqlx reads any URL as PostgreSQL settings, so a mistyped scheme
        // would otherwise connect to the default local server. The message
        // leaves out the rest of the URL, which may contain a password.
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        if !scheme.eq_ignore_ascii_case("postgres") && !scheme.eq_ignore_ascii_case("postgresql") {
            return Err(StoreError::Backend(
                format!("invalid database URL scheme {scheme:?}: expected postgres:// or postgresql://").into(),
            ));
        }

        let mut connect = PgConnectOptions::from_str(url).map_err(backend)?.application_name("ecert-hub");
        if let Some(timeout) = options.statement_timeout {
            connect = connect.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
        // The pool retries a failed connect until its acquire timeout and
        // then reports only "pool timed out", so one connection is opened
        // first to report the real cause (refused, unknown host, password).
        probe(&connect, options.acquire_timeout).await?;

        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(PgStore { pool, connect, max_connections: options.max_connections })
    }

    /// Opens and closes one connection outside the pool, within
    /// [`PING_TIMEOUT`], and returns why it failed.
    async fn probe(&self) -> Result<(), StoreError> {
        probe(&self.connect, PING_TIMEOUT).await
    }

    /// The newest applied migration version.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(version.unwrap_or(0))
    }

    async fn write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(backend)
    }
}

/// Opens and closes one connection with `connect` within `timeout`. The
/// error names the server's host and port and the cause, but not the user
/// name or password.
async fn probe(connect: &PgConnectOptions, timeout: Duration) -> Result<(), StoreError> {
    let server = format!("{}:{}", connect.get_host(), connect.get_port());
    let cannot_connect = |cause: String| StoreError::Backend(format!("cannot connect to the PostgreSQL server at {server}: {cause}").into());
    match tokio::time::timeout(timeout, PgConnection::connect_with(connect)).await {
        Ok(Ok(connection)) => {
            // A failed Terminate message only means the server closed first.
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(error)) => Err(cannot_connect(error.to_string())),
        Err(_) => Err(cannot_connect(format!("no connection within {} ms", timeout.as_millis()))),
    }
}

#[async_trait]
impl Store for PgStore {
    /// Runs `SELECT 1` on a pooled connection. When every pooled connection
    /// is in use, or the query fails or takes longer than [`PING_TIMEOUT`],
    /// a separate connection distinguishes a busy pool ([`PoolBusy`]) from
    /// an unreachable server, whose error names the cause.
    async fn ping(&self) -> StoreResult<()> {
        if self.pool.size() >= self.max_connections && self.pool.num_idle() == 0 {
            self.probe().await?;
            return Err(StoreError::Backend(Box::new(PoolBusy { max_connections: self.max_connections })));
        }
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(PING_TIMEOUT, query).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => {
                self.probe().await?;
                Err(backend(error))
            }
            Err(_) => {
                self.probe().await?;
                Err(StoreError::Backend(
                    format!("SELECT 1 took longer than {} ms, though a new connection succeeded", PING_TIMEOUT.as_millis()).into(),
                ))
            }
        }
    }

    async fn close(&self) -> StoreResult<()> {
        self.pool.close().await;
        Ok(())
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
        PgStore::schema_version(self).await
    }

    async fn export_snapshot(&self) -> StoreResult<Snapshot> {
        transfer::export(self).await
    }

    async fn import_snapshot(&self, snapshot: &Snapshot) -> StoreResult<()> {
        transfer::import(self, snapshot).await
    }
}
