//! Measures what ordering the event log costs on PostgreSQL. N concurrent
//! writers each run transactions that append one event and commit. They run
//! once with the event-log lock that every store write takes and once with a
//! plain sequence, and the benchmark prints events per second for each.
//!
//! The transactions contain nothing but the event, the worst case for the
//! lock, because the lock covers the event insert and the commit. A real write
//! does its other rows before it takes the lock, and those run in parallel.
//! The last column is real store writes (`insert_organisation`, one row plus
//! its event) for comparison.
//!
//! Run with a PostgreSQL server the user may create databases on:
//!
//! ```text
//! ECERT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench -p ecert-store-postgres --bench event_order
//! ```
//!
//! It creates and drops its own `ecert_test_…` database, and prints why it
//! skips when the variable is unset.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ecert_core::party::OrgKind;
use ecert_store::{Actor, Organisation, Store};
use ecert_store_postgres::test_hooks::{self, TestDatabase};
use ecert_store_postgres::{PgOptions, PgStore};
use uuid::Uuid;

/// Transactions per measured configuration, split evenly over the writers.
const TRANSACTIONS: usize = 2_000;
const WRITER_COUNTS: [usize; 4] = [1, 4, 16, 32];

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("failed to build a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let Some(database) = TestDatabase::create("the event_order benchmark").await else { return };
    let options = PgOptions { max_connections: 40, ..PgOptions::default() };
    let store = Arc::new(PgStore::connect(database.url(), options).await.expect("failed to connect to the benchmark database"));
    print_setup(&database).await;

    // Warm up the pool and the server's caches.
    append_events(&store, 4, 200, true).await;
    append_events(&store, 4, 200, false).await;

    println!("{:>7}  {:>16}  {:>16}  {:>9}  {:>22}", "writers", "locked events/s", "plain events/s", "locked %", "store writes/s (locked)");
    for writers in WRITER_COUNTS {
        let locked = append_events(&store, writers, TRANSACTIONS, true).await;
        let plain = append_events(&store, writers, TRANSACTIONS, false).await;
        let writes = insert_organisations(&store, writers, TRANSACTIONS).await;
        let locked_rate = rate(locked);
        let plain_rate = rate(plain);
        println!(
            "{writers:>7}  {locked_rate:>16.0}  {plain_rate:>16.0}  {:>8.0}%  {:>22.0}",
            100.0 * locked_rate / plain_rate,
            rate(writes)
        );
    }
}

async fn print_setup(database: &TestDatabase) {
    let mut connection = database.connect().await;
    let version: String = sqlx::query_scalar("SELECT version()").fetch_one(&mut connection).await.unwrap();
    let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&mut connection).await.unwrap();
    let synchronous_commit: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&mut connection).await.unwrap();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("{version}");
    println!("fsync={fsync} synchronous_commit={synchronous_commit}, {cores} cores, {TRANSACTIONS} transactions per row");
}

fn rate(elapsed: Duration) -> f64 {
    TRANSACTIONS as f64 / elapsed.as_secs_f64()
}

/// Runs `total` transactions of one event each over `writers` tasks and
/// returns the wall time.
async fn append_events(store: &Arc<PgStore>, writers: usize, total: usize, ordered: bool) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = store.clone();
        let count = total / writers + usize::from(writer < total % writers);
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let mut transaction = test_hooks::begin(&store).await.unwrap();
                test_hooks::append_test_event(&mut transaction, "bench", ordered).await.unwrap();
                transaction.commit().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Runs `total` store writes (`insert_organisation`) over `writers` tasks
/// and returns the wall time.
async fn insert_organisations(store: &Arc<PgStore>, writers: usize, total: usize) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = store.clone();
        let count = total / writers + usize::from(writer < total % writers);
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let id = Uuid::now_v7();
                let org = Organisation {
                    id,
                    country: None,
                    kind: OrgKind::HubOperator,
                    registration_number: id.simple().to_string(),
                    name: "Benchmark".into(),
                    created_at: ecert_store::now(),
                };
                store.insert_organisation(&org, Actor::SYSTEM).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}
