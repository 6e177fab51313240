//! The storage contract on a real SQLite file: every scenario of
//! `ecert_store::testsuite`, plus the checks that need SQLite itself (the
//! append-only trigger seen through raw SQL, the schema version on reopening).

use std::sync::Arc;

use ecert_store::Store;
use ecert_store::testsuite;
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

async fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db"), SqliteOptions::default()).await.unwrap();
    (Arc::new(store), dir)
}

/// Runs one scenario of the shared suite on a fresh database file.
macro_rules! scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let (store, _dir) = open().await;
            testsuite::$name(store).await;
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

#[tokio::test]
async fn event_log_rejects_updates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    testsuite::seed_issuer(&store).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let update = sqlx::query("UPDATE events SET kind = 'x'").execute(&pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn reopening_keeps_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    let version = store.schema_version().await.unwrap();
    assert!(version >= 1);
    drop(store);
    let reopened = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    assert_eq!(reopened.schema_version().await.unwrap(), version);
}

/// Runs one snapshot scenario from a fresh source file into a fresh target file.
macro_rules! transfer_scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let (source, _source_dir) = open().await;
            let (target, _target_dir) = open().await;
            testsuite::$name(source, target).await;
        }
    };
}

transfer_scenario!(snapshot_round_trips);
transfer_scenario!(snapshot_import_requires_empty_database);
transfer_scenario!(snapshot_import_is_all_or_nothing);

#[tokio::test]
async fn import_keeps_append_only_triggers() {
    let (source, _source_dir) = open().await;
    testsuite::seed_issuer(source.as_ref()).await;
    let snapshot = source.export_snapshot().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let target = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    target.import_snapshot(&snapshot).await.unwrap();

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let sequence: i64 = sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sequence, snapshot.events.last().unwrap().seq);
}
