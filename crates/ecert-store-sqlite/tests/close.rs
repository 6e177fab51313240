//! A clean close leaves the database file complete on its own: the
//! write-ahead log is checkpointed into it, so a backup that copies only
//! `hub.db` after a stop loses nothing.

use ecert_core::party::{DataPolicy, Track};
use ecert_store::{Actor, Country, Store as _};
use ecert_store_sqlite::{SqliteOptions, SqliteStore};

#[tokio::test]
async fn close_leaves_database_file_complete() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.db");
    let store = SqliteStore::open(&database, SqliteOptions::default()).await.unwrap();
    let country = Country { code: "UZ".parse().unwrap(), name: "Uzbekistan".into(), track: Track::A, data_policy: DataPolicy::Full };
    store.upsert_country(&country, Actor::SYSTEM).await.unwrap();

    store.close().await.unwrap();

    let wal = dir.path().join("hub.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "the -wal file still holds pages after close");
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("hub.db");
    std::fs::copy(&database, &copy).unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&copy).create_if_missing(false);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let countries: i64 = sqlx::query_scalar("SELECT count(*) FROM countries").fetch_one(&pool).await.unwrap();
    assert_eq!(countries, 1, "the copy of hub.db alone lacks the committed country");
}

#[tokio::test]
async fn open_without_create_rejects_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("typo.db");
    let options = SqliteOptions { create_if_missing: false, ..SqliteOptions::default() };

    let result = SqliteStore::open(&database, options).await;

    assert!(result.is_err(), "opening a missing file without create succeeded");
    assert!(!database.exists(), "the missing database file was created");
}
