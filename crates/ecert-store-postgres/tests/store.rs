//! The storage contract on PostgreSQL: every scenario of
//! `ecert_store::testsuite`, plus the checks that need PostgreSQL itself.
//! Those cover the append-only triggers seen through raw SQL, the schema
//! version, the conflict messages of every unique index, and the order of the
//! event log under concurrent writers.
//!
//! Each test creates its own database `ecert_test_<uuid>` on the server named
//! by `ECERT_TEST_DATABASE_URL` and drops it when the test ends, also when it
//! fails. Without the variable each test prints why it skips and passes,
//! unless `ECERT_REQUIRE_TEST_DATABASE=1`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ecert_core::party::{DataPolicy, OrgKind, Track};
use ecert_store::{Actor, Country, Organisation, PageRequest, Store, StoreError, testsuite};
use ecert_store_postgres::test_hooks::{self, TestDatabase};
use ecert_store_postgres::{PgOptions, PgStore, UNIQUE_CONSTRAINTS};
use uuid::Uuid;

async fn open(test: &str) -> Option<(PgStore, TestDatabase)> {
    let database = TestDatabase::create(test).await?;
    let store = PgStore::connect(database.url(), PgOptions::default()).await.unwrap();
    Some((store, database))
}

/// Runs one scenario of the shared suite on a fresh database.
macro_rules! scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let Some((store, _database)) = open(stringify!($name)).await else { return };
            testsuite::$name(Arc::new(store)).await;
        }
    };
}

scenario!(document_round_trips);
scenario!(duplicate_payload_is_a_conflict);
scenario!(conflict_messages_name_the_column);
scenario!(supersede_is_atomic_and_single);
scenario!(stale_status_change_is_rejected);
scenario!(concurrent_status_changes_apply_once);
scenario!(events_are_ordered_and_free_of_reasons);
scenario!(search_filters_and_pages);
scenario!(stamped_file_is_found_by_either_hash);
scenario!(countries_upsert_and_list);
scenario!(registration_numbers_ignore_case);
scenario!(organisations_page_by_cursor);
scenario!(accreditations_keep_status_history);
scenario!(key_status_changes_once);
scenario!(tokens_and_users_round_trip);
scenario!(tokens_list_by_org);
scenario!(users_list_by_org_and_country);
scenario!(sessions_round_trip);
scenario!(stale_sessions_are_deleted);
scenario!(disabling_user_ends_sessions);
scenario!(password_change_ends_sessions);
scenario!(failed_login_event_has_no_actor);
scenario!(login_failures_count_and_reset);
scenario!(concurrent_login_failures_sum);
scenario!(login_devices_round_trip);
scenario!(hs_search_by_code_prefix);
scenario!(hs_search_by_words);
scenario!(hs_search_limit_is_bounded);
scenario!(hs_catalog_replaces_whole);

/// Runs one snapshot scenario from a fresh source database into a fresh
/// target database.
macro_rules! transfer_scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let Some((source, _source_database)) = open(stringify!($name)).await else { return };
            let Some((target, _target_database)) = open(stringify!($name)).await else { return };
            testsuite::$name(Arc::new(source), Arc::new(target)).await;
        }
    };
}

transfer_scenario!(snapshot_round_trips);
transfer_scenario!(snapshot_import_requires_empty_database);
transfer_scenario!(snapshot_import_is_all_or_nothing);

/// Reads every event after `cursor` the way an event consumer does, page by
/// page, moving the cursor past each event it reads.
async fn read_new_events(store: &dyn Store, cursor: &mut i64, seen: &mut Vec<i64>) {
    loop {
        let page = store.list_events(None, *cursor, 50).await.unwrap();
        let Some(last) = page.last() else { return };
        *cursor = last.seq;
        seen.extend(page.iter().map(|e| e.seq));
    }
}

async fn all_event_seqs(store: &dyn Store, after: i64) -> Vec<i64> {
    store.list_events(None, after, 100_000).await.unwrap().into_iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn event_log_rejects_updates() {
    let Some((store, database)) = open("event_log_rejects_updates").await else { return };
    testsuite::seed_issuer(&store).await;
    let mut connection = database.connect().await;

    for statement in ["UPDATE events SET kind = 'x'", "UPDATE events SET kind = 'x' WHERE false", "DELETE FROM events", "TRUNCATE events"] {
        let error = sqlx::query(statement).execute(&mut connection).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{statement}: {error}");
    }
    assert_eq!(all_event_seqs(&store, 0).await.len(), 2);
}

#[tokio::test]
async fn reconnecting_keeps_schema_version() {
    let Some(database) = TestDatabase::create("reconnecting_keeps_schema_version").await else { return };

    // Two nodes that start at the same time both migrate the new database.
    let (first, second) = tokio::join!(
        PgStore::connect(database.url(), PgOptions::default()),
        PgStore::connect(database.url(), PgOptions::default()),
    );
    let version = first.unwrap().schema_version().await.unwrap();
    assert!(version >= 1);
    assert_eq!(second.unwrap().schema_version().await.unwrap(), version);

    let reconnected = PgStore::connect(database.url(), PgOptions::default()).await.unwrap();
    assert_eq!(reconnected.schema_version().await.unwrap(), version);
}

#[tokio::test]
async fn connect_rejects_other_schemes() {
    for url in ["sqlite://hub.db", "mysql://localhost/hub", "127.0.0.1:5432/hub"] {
        let result = PgStore::connect(url, PgOptions::default()).await;
        match result {
            Err(StoreError::Backend(error)) => assert!(error.to_string().contains("postgres://"), "{url}: {error}"),
            Err(other) => panic!("{url}: expected a backend error, got {other}"),
            Ok(_) => panic!("{url}: connected"),
        }
    }
}

/// Every unique index of the schema has an entry in the table that names its
/// columns in conflict messages, and every entry names an existing index.
#[tokio::test]
async fn unique_indexes_have_conflict_messages() {
    let Some((_store, database)) = open("unique_indexes_have_conflict_messages").await else { return };
    let mut connection = database.connect().await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT index_class.relname::text FROM pg_index i
         JOIN pg_class index_class ON index_class.oid = i.indexrelid
         JOIN pg_class table_class ON table_class.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = table_class.relnamespace
         WHERE i.indisunique AND n.nspname = current_schema() AND table_class.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    let in_schema: BTreeSet<&str> = indexes.iter().map(String::as_str).collect();
    let described: BTreeSet<&str> = UNIQUE_CONSTRAINTS.iter().map(|(name, _)| *name).collect();
    assert_eq!(in_schema, described);
}

/// The case a plain sequence gets wrong: A takes a number, B takes the next
/// one and commits first, and a reader pages past A's number before A
/// commits. With the event-log lock, B waits for A to end, so the reader
/// cannot see B's event first and still gets A's.
#[tokio::test]
async fn late_commit_is_not_skipped() {
    let Some((store, database)) = open("late_commit_is_not_skipped").await else { return };
    testsuite::seed_issuer(&store).await;
    let start = *all_event_seqs(&store, 0).await.last().unwrap();

    // 1. Transaction A appends an event and stays open.
    let mut transaction_a = test_hooks::begin(&store).await.unwrap();
    let seq_a = test_hooks::append_test_event(&mut transaction_a, "A", true).await.unwrap();

    // 2. A second hub node writes through the store while A is open.
    let node_b = PgStore::connect(database.url(), PgOptions::default()).await.unwrap();
    let writer_b = tokio::spawn(async move {
        let kyrgyzstan = Country { code: "KG".parse().unwrap(), name: "Kyrgyzstan".into(), track: Track::B, data_policy: DataPolicy::Full };
        node_b.upsert_country(&kyrgyzstan, Actor::SYSTEM).await
    });

    // 3. Wait until B has either committed (what a plain sequence allows) or
    //    queued behind the event-log lock, polling the server's lock view.
    let mut monitor = database.connect().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !writer_b.is_finished() && test_hooks::advisory_lock_waiters(&mut monitor).await.unwrap() == 0 {
        assert!(Instant::now() < deadline, "writer B neither finished nor waited for the event-log lock within 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!writer_b.is_finished(), "writer B committed while transaction A, which holds an earlier number, was open");

    // 4. A reader pages while A is open, then again after both committed.
    let mut cursor = start;
    let mut seen = Vec::new();
    read_new_events(&store, &mut cursor, &mut seen).await;
    assert!(seen.is_empty(), "the reader saw {seen:?} before any writer committed");
    transaction_a.commit().await.unwrap();
    writer_b.await.unwrap().unwrap();
    read_new_events(&store, &mut cursor, &mut seen).await;

    assert!(seen.contains(&seq_a), "the reader never saw A's event {seq_a}; it saw {seen:?}");
    assert_eq!(seen, all_event_seqs(&store, start).await);
    let events = store.list_events(Some("KG".parse().unwrap()), 0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].seq > seq_a, "B's event {} is not after A's {seq_a}", events[0].seq);
}

/// The hazard itself, shown with appends that skip the lock: the reader's
/// cursor passes A's number before A commits, so A's event is never read.
/// This is the check `late_commit_is_not_skipped` would fail without the lock.
#[tokio::test]
async fn plain_sequence_skips_late_commit() {
    let Some((store, _database)) = open("plain_sequence_skips_late_commit").await else { return };
    let start = 0;

    let mut transaction_a = test_hooks::begin(&store).await.unwrap();
    let seq_a = test_hooks::append_test_event(&mut transaction_a, "A", false).await.unwrap();
    let mut transaction_b = test_hooks::begin(&store).await.unwrap();
    let seq_b = test_hooks::append_test_event(&mut transaction_b, "B", false).await.unwrap();
    assert!(seq_b > seq_a);
    transaction_b.commit().await.unwrap();

    let mut cursor = start;
    let mut seen = Vec::new();
    read_new_events(&store, &mut cursor, &mut seen).await;
    transaction_a.commit().await.unwrap();
    read_new_events(&store, &mut cursor, &mut seen).await;

    assert_eq!(seen, [seq_b]);
    assert_eq!(all_event_seqs(&store, start).await, [seq_a, seq_b]);
}

/// Two hub nodes write concurrently while a consumer pages through the log;
/// at the end the consumer has read every event exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paging_reader_misses_nothing_across_nodes() {
    const WRITERS: usize = 6;
    const WRITES_EACH: usize = 25;

    let Some((store, database)) = open("paging_reader_misses_nothing_across_nodes").await else { return };
    let issuer = testsuite::seed_issuer(&store).await;
    let start = *all_event_seqs(&store, 0).await.last().unwrap();
    let second_node = PgStore::connect(database.url(), PgOptions::default()).await.unwrap();
    let nodes: [Arc<dyn Store>; 2] = [Arc::new(store), Arc::new(second_node)];

    // Each writer inserts its own organisations, so writers share no row
    // and meet only at the event log.
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let node = nodes[writer % 2].clone();
        let country = issuer.country;
        writers.push(tokio::spawn(async move {
            for write in 0..WRITES_EACH {
                let org = Organisation {
                    id: Uuid::now_v7(),
                    country,
                    kind: OrgKind::TestingLaboratory,
                    registration_number: format!("LAB-{writer}-{write}"),
                    name: "Laboratory".into(),
                    created_at: ecert_store::now(),
                };
                node.insert_organisation(&org, Actor::SYSTEM).await.unwrap();
            }
        }));
    }

    let writers_done = Arc::new(AtomicBool::new(false));
    let reader = {
        let node = nodes[0].clone();
        let writers_done = writers_done.clone();
        tokio::spawn(async move {
            let mut cursor = start;
            let mut seen = Vec::new();
            loop {
                // Read the flag first: a page read after the writers finished
                // contains everything, so the loop can stop after it.
                let done = writers_done.load(Ordering::SeqCst);
                read_new_events(node.as_ref(), &mut cursor, &mut seen).await;
                if done {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };

    for writer in writers {
        writer.await.unwrap();
    }
    writers_done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();

    let all = all_event_seqs(nodes[1].as_ref(), start).await;
    assert_eq!(all.len(), WRITERS * WRITES_EACH);
    assert_eq!(seen, all, "the paging reader missed or repeated events");
    let organisations = nodes[1].list_organisations(issuer.country, PageRequest::first(500)).await.unwrap();
    assert_eq!(organisations.items.len(), WRITERS * WRITES_EACH + 1);
}

/// Import inserts events with their original numbers without touching the
/// append-only triggers, and moves the identity sequence past them.
#[tokio::test]
async fn import_keeps_append_only_triggers() {
    let Some((source, _source_database)) = open("import_keeps_append_only_triggers").await else { return };
    let Some((target, target_database)) = open("import_keeps_append_only_triggers").await else { return };
    testsuite::seed_issuer(&source).await;
    let snapshot = source.export_snapshot().await.unwrap();
    target.import_snapshot(&snapshot).await.unwrap();

    let mut connection = target_database.connect().await;
    let error = sqlx::query("DELETE FROM events").execute(&mut connection).await.unwrap_err();
    assert!(error.to_string().contains("append-only"), "{error}");
    let enabled: Vec<String> = sqlx::query_scalar(
        "SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'events'::regclass AND tgenabled = 'O' ORDER BY tgname",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    assert_eq!(enabled, ["events_no_truncate", "events_no_update_or_delete"]);
    let last_value: Option<i64> =
        sqlx::query_scalar("SELECT last_value FROM pg_sequences WHERE sequencename = 'events_seq_seq'")
            .fetch_one(&mut connection)
            .await
            .unwrap();
    assert_eq!(last_value, Some(snapshot.events.last().unwrap().seq));
}
