//! The HS catalog: replacing it as a whole, and searching it by code prefix
//! or by the words of its descriptions.

use ecert_store::hs::{HsSearch, fold, search_limit};
use ecert_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::SqliteStore;
use crate::codec::*;
use crate::events::{NewEvent, append};

/// Rows per INSERT statement: 5 values each, far below SQLite's limit of
/// 32,766 bound values (SQLite 3.32 and later).
const ROWS_PER_INSERT: usize = 500;

pub async fn replace_catalog(store: &SqliteStore, catalog: &HsCatalog, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM hs_entries").execute(&mut *tx).await.map_err(db_error)?;
    insert_entries(&mut tx, &catalog.entries).await?;
    sqlx::query(
        "INSERT INTO hs_catalog (id, edition, imported_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET edition = excluded.edition, imported_at = excluded.imported_at",
    )
    .bind(catalog.edition.as_str())
    .bind(ts(now()))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let event = NewEvent {
        kind: EventKind::HsCatalogImported,
        country: None,
        subject: catalog.edition.as_str(),
        content_sha256: None,
        effective_at: None,
        data: serde_json::json!({"entries": catalog.entries.len()}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

/// Inserts entries with their folded descriptions, in code order. A parent
/// code sorts before the codes it encloses, so every parent is inserted by
/// the time the foreign key of its children is checked, at the end of each
/// statement.
pub(crate) async fn insert_entries(connection: &mut SqliteConnection, entries: &[HsEntry]) -> StoreResult<()> {
    let mut sorted: Vec<&HsEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    for chunk in sorted.chunks(ROWS_PER_INSERT) {
        let mut builder =
            QueryBuilder::<Sqlite>::new("INSERT INTO hs_entries (code, description, description_folded, parent, section) ");
        builder.push_values(chunk, |mut values, entry| {
            values
                .push_bind(entry.code.clone())
                .push_bind(entry.description.clone())
                .push_bind(fold(&entry.description))
                .push_bind(entry.parent.clone())
                .push_bind(entry.section.clone());
        });
        builder.build().execute(&mut *connection).await.map_err(db_error)?;
    }
    Ok(())
}

fn entry_from_row(row: &SqliteRow) -> HsEntry {
    HsEntry {
        code: row.get("code"),
        description: row.get("description"),
        parent: row.get("parent"),
        section: row.get("section"),
    }
}

/// Returns a LIKE pattern, for use with `ESCAPE '\'`, that matches text
/// containing `word` literally.
fn contains_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub async fn search(pool: &SqlitePool, query: &str, limit: u32) -> StoreResult<Vec<HsEntry>> {
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT code, description, parent, section FROM hs_entries WHERE ");
    match HsSearch::parse(query) {
        HsSearch::Nothing => return Ok(Vec::new()),
        HsSearch::CodePrefix(digits) => {
            sql.push("code LIKE ").push_bind(format!("{digits}%"));
        }
        HsSearch::Words(words) => {
            let mut conditions = sql.separated(" AND ");
            for word in &words {
                conditions.push("description_folded LIKE ");
                conditions.push_bind_unseparated(contains_pattern(word));
                conditions.push_unseparated(" ESCAPE '\\'");
            }
        }
    }
    sql.push(" ORDER BY code LIMIT ").push_bind(i64::from(search_limit(limit)));
    let rows = sql.build().fetch_all(pool).await.map_err(db_error)?;
    Ok(rows.iter().map(entry_from_row).collect())
}

pub async fn get_entry(pool: &SqlitePool, code: &str) -> StoreResult<Option<HsEntry>> {
    let row = sqlx::query("SELECT code, description, parent, section FROM hs_entries WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(entry_from_row))
}

pub async fn catalog_info(pool: &SqlitePool) -> StoreResult<Option<HsCatalogInfo>> {
    let row = sqlx::query("SELECT edition, imported_at, (SELECT count(*) FROM hs_entries) AS entries FROM hs_catalog")
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.map(|row| {
        let entries: i64 = row.get("entries");
        Ok(HsCatalogInfo {
            edition: parse("edition", row.get("edition"))?,
            entries: u64::try_from(entries).unwrap_or_default(),
            imported_at: parse_ts(row.get("imported_at"))?,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("0.5%"), "%0.5\\%%");
        assert_eq!(contains_pattern("тип_a"), "%тип\\_a%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
