//! Helpers for this crate's tests and benchmark, behind the `test-hooks`
//! feature; not part of the storage API.
//!
//! - [`TestDatabase`]: a fresh database per test on the server named by
//!   `ECERT_TEST_DATABASE_URL`, dropped again when the guard is dropped.
//! - [`begin`] and [`append_test_event`]: an event appended inside a
//!   transaction that the caller keeps open, to show how concurrent appends
//!   are ordered.

use std::str::FromStr;

use ecert_store::{Actor, EventKind, StoreResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::PgStore;
use crate::codec::backend;
use crate::events::{self, NewEvent};

/// Names the PostgreSQL server for tests, for example
/// `postgres://postgres@127.0.0.1:5432/postgres`. The user must be allowed
/// to create databases.
pub const DATABASE_URL_VARIABLE: &str = "ECERT_TEST_DATABASE_URL";

/// When `1`, a test fails instead of skipping if [`DATABASE_URL_VARIABLE`]
/// is unset. CI sets it.
pub const REQUIRE_VARIABLE: &str = "ECERT_REQUIRE_TEST_DATABASE";

/// Prefix of every database a test creates, so leftovers are easy to find
/// and drop.
pub const DATABASE_PREFIX: &str = "ecert_test_";

/// A database created for one test. Dropping the guard drops the database,
/// also when the test panics, because `Drop` runs while the panic unwinds.
/// Only a process that is killed leaves its database behind.
pub struct TestDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `ecert_test_<uuid>` on the server named by
    /// `ECERT_TEST_DATABASE_URL`. Returns `None` after printing why when the
    /// variable is unset, unless `ECERT_REQUIRE_TEST_DATABASE=1`, which makes
    /// it panic instead.
    pub async fn create(test: &str) -> Option<TestDatabase> {
        let server_url = match std::env::var(DATABASE_URL_VARIABLE) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                if std::env::var(REQUIRE_VARIABLE).as_deref() == Ok("1") {
                    panic!(
                        "{DATABASE_URL_VARIABLE} is not set, but {REQUIRE_VARIABLE}=1 requires the PostgreSQL tests to run; \
                         set it to a server URL such as postgres://postgres@127.0.0.1:5432/postgres"
                    );
                }
                eprintln!("skipping {test}: {DATABASE_URL_VARIABLE} is not set; set it to a PostgreSQL server URL to run this test");
                return None;
            }
        };

        let name = format!("{DATABASE_PREFIX}{}", Uuid::now_v7().simple());
        let mut url = url::Url::parse(&server_url)
            .unwrap_or_else(|e| panic!("{DATABASE_URL_VARIABLE} is not a valid URL ({e}): {server_url}"));
        url.set_path(&format!("/{name}"));

        let mut connection = connect(&server_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the server in {DATABASE_URL_VARIABLE}: {e}"));
        // The name is the prefix and hex digits, so it needs no quoting.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        connection.close().await.ok();
        Some(TestDatabase { server_url, name, url: url.to_string() })
    }

    /// Returns the URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Opens a second connection to the server, for raw SQL in tests.
    pub async fn connect(&self) -> PgConnection {
        connect(&self.url).await.unwrap_or_else(|e| panic!("cannot connect to the test database {}: {e}", self.name))
    }
}

async fn connect(url: &str) -> Result<PgConnection, sqlx::Error> {
    PgConnectOptions::from_str(url)?.application_name("ecert-hub-tests").connect().await
}

impl Drop for TestDatabase {
    /// Drops the database from a helper thread with its own runtime: `Drop`
    /// cannot await, and the test's runtime may be shutting down or
    /// unwinding. `WITH (FORCE)` (PostgreSQL 13 and later) ends the
    /// connections that the test's pools still hold.
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut connection = connect(&server_url).await.map_err(|e| e.to_string())?;
                sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut connection)
                    .await
                    .map_err(|e| e.to_string())?;
                connection.close().await.ok();
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: failed to drop the test database {}: {e}; drop it by hand", self.name),
            Err(_) => eprintln!("warning: the thread dropping the test database {} panicked; drop it by hand", self.name),
        }
    }
}

/// Begins a transaction on the store's pool.
pub async fn begin(store: &PgStore) -> StoreResult<Transaction<'static, Postgres>> {
    store.write().await
}

/// Appends a `country.upserted` event for `subject` inside `connection`'s
/// open transaction and returns its sequence number. With `ordered` it takes
/// the event-log lock as every store write does; without it, it shows what
/// a plain sequence would do.
pub async fn append_test_event(connection: &mut PgConnection, subject: &str, ordered: bool) -> StoreResult<i64> {
    let event = NewEvent {
        kind: EventKind::CountryUpserted,
        country: None,
        subject,
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"test": true}),
    };
    if ordered {
        events::append(connection, Actor::SYSTEM, event).await
    } else {
        events::insert(connection, Actor::SYSTEM, event).await
    }
}

/// Counts the sessions of the current database that wait for an advisory
/// lock, such as a writer queued behind the event-log lock.
pub async fn advisory_lock_waiters(connection: &mut PgConnection) -> StoreResult<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
    )
    .fetch_one(connection)
    .await
    .map_err(backend)
}
