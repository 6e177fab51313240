//! Registry entries, their status changes, and document search.

use ecert_core::{DocumentStatus, HubId, StatusAction};
use ecert_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::SqliteStore;
use crate::codec::*;
use crate::events::{NewEvent, append};

fn document_from_row(row: &SqliteRow) -> StoreResult<DocumentRecord> {
    let opt_hub_id = |column: &str| -> StoreResult<Option<HubId>> {
        row.get::<Option<String>, _>(column).map(|text| parse(column, &text)).transpose()
    };
    Ok(DocumentRecord {
        hub_id: parse("hub_id", row.get("hub_id"))?,
        doc_type: parse("doc_type", row.get("doc_type"))?,
        country: parse("country", row.get("country"))?,
        issuer_org_id: uuid(row.get("issuer_org_id"))?,
        national_number: row.get("national_number"),
        content: from_json("content", row.get("content"))?,
        payload: row.get("payload"),
        payload_sha256: row.get("payload_sha256"),
        trust_basis: parse("trust_basis", row.get("trust_basis"))?,
        jws: row.get("jws"),
        kid: row.get("kid"),
        attestation: row.get("attestation"),
        file_sha256: row.get("file_sha256"),
        stamped_sha256: row.get("stamped_sha256"),
        file_url: row.get("file_url"),
        status: parse("status", row.get("status"))?,
        supersedes: opt_hub_id("supersedes")?,
        superseded_by: opt_hub_id("superseded_by")?,
        registered_at: parse_ts(row.get("registered_at"))?,
        registered_by: uuid(row.get("registered_by"))?,
    })
}

pub async fn insert_document(store: &SqliteStore, d: &DocumentRecord, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;

    // 0. The signing key must still count at the registration time; a
    //    retirement or revocation may have committed since the service
    //    checked it (BEGIN IMMEDIATE keeps others out from here on).
    if let Some(kid) = &d.kid {
        let row = sqlx::query("SELECT retired_at, compromised_at FROM keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if let Some(row) = row {
            let retired = parse_opt_ts(row.get("retired_at"))?;
            let compromised = parse_opt_ts(row.get("compromised_at"))?;
            if retired.is_some_and(|t| t <= d.registered_at) || compromised.is_some_and(|t| t <= d.registered_at) {
                return Err(StoreError::Conflict(format!(
                    "key_not_valid: key {kid} was retired or revoked before the registration time"
                )));
            }
        }
    }

    // 1. A corrected re-issue first marks the entry it replaces, which must
    //    still be valid; the unique index on `supersedes` stops a second one.
    if let Some(old) = d.supersedes {
        let updated = sqlx::query(
            "UPDATE documents SET status = 'superseded', superseded_by = $1 WHERE hub_id = $2 AND status = 'valid'",
        )
        .bind(d.hub_id.to_string())
        .bind(old.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("document {old} is not valid, so it cannot be superseded")));
        }
    }

    // 2. The entry itself and its HS codes for search.
    sqlx::query(
        "INSERT INTO documents (hub_id, doc_type, country, issuer_org_id, national_number, content, payload, payload_sha256,
            trust_basis, jws, kid, attestation, file_sha256, stamped_sha256, file_url, status, supersedes, superseded_by,
            issued_at, valid_until, registered_at, registered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(d.hub_id.to_string())
    .bind(d.doc_type.code())
    .bind(d.country.to_string())
    .bind(d.issuer_org_id.to_string())
    .bind(&d.national_number)
    .bind(to_json(&d.content)?)
    .bind(&d.payload)
    .bind(&d.payload_sha256)
    .bind(d.trust_basis.as_str())
    .bind(&d.jws)
    .bind(&d.kid)
    .bind(&d.attestation)
    .bind(&d.file_sha256)
    .bind(&d.stamped_sha256)
    .bind(&d.file_url)
    .bind(d.status.as_str())
    .bind(d.supersedes.map(|id| id.to_string()))
    .bind(d.superseded_by.map(|id| id.to_string()))
    .bind(ts(d.content.issued_at))
    .bind(opt_ts(d.content.valid_until))
    .bind(ts(d.registered_at))
    .bind(d.registered_by.to_string())
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    for hs in &d.content.product.hs_codes {
        sqlx::query("INSERT INTO document_hs_codes (hub_id, code, national) VALUES ($1, $2, $3)")
            .bind(d.hub_id.to_string())
            .bind(hs.code.as_str())
            .bind(&hs.national)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }

    // 3. Events: the supersession of the old entry, then the registration.
    let subject = d.hub_id.to_string();
    if let Some(old) = d.supersedes {
        let change_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO status_changes (id, hub_id, action, from_status, to_status, reason, actor_org_id, effective_at, recorded_at)
             VALUES ($1, $2, 'supersede', 'valid', 'superseded', $3, $4, $5, $5)",
        )
        .bind(change_id.to_string())
        .bind(old.to_string())
        .bind(format!("superseded by the corrected re-issue {}", d.hub_id))
        .bind(actor.org_id.map(|id| id.to_string()))
        .bind(ts(d.registered_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let old_subject = old.to_string();
        let event = NewEvent {
            kind: EventKind::DocumentStatusChanged,
            country: Some(old.country()),
            subject: &old_subject,
            content_sha256: None,
            effective_at: Some(d.registered_at),
            data: serde_json::json!({
                "action": StatusAction::Supersede, "from": DocumentStatus::Valid, "to": DocumentStatus::Superseded,
                "superseded_by": subject, "change_id": change_id,
            }),
        };
        append(&mut tx, actor, event).await?;
    }
    let event = NewEvent {
        kind: EventKind::DocumentRegistered,
        country: Some(d.country),
        subject: &subject,
        content_sha256: Some(&d.payload_sha256),
        effective_at: Some(d.registered_at),
        data: serde_json::json!({
            "doc_type": d.doc_type, "issuer_org_id": d.issuer_org_id, "trust_basis": d.trust_basis,
            "kid": d.kid, "file_sha256": d.file_sha256, "supersedes": d.supersedes.map(|id| id.to_string()),
        }),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn get_document(pool: &SqlitePool, hub_id: HubId) -> StoreResult<Option<DocumentRecord>> {
    let row = sqlx::query("SELECT * FROM documents WHERE hub_id = $1")
        .bind(hub_id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(document_from_row).transpose()
}

pub async fn find_by_payload(pool: &SqlitePool, issuer: Uuid, payload_sha256: &str) -> StoreResult<Option<DocumentRecord>> {
    let row = sqlx::query("SELECT * FROM documents WHERE issuer_org_id = $1 AND payload_sha256 = $2")
        .bind(issuer.to_string())
        .bind(payload_sha256)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    row.as_ref().map(document_from_row).transpose()
}

pub async fn find_by_number(pool: &SqlitePool, issuer: Uuid, national_number: &str) -> StoreResult<Vec<DocumentRecord>> {
    let rows = sqlx::query("SELECT * FROM documents WHERE issuer_org_id = $1 AND national_number = $2 ORDER BY seq")
        .bind(issuer.to_string())
        .bind(national_number)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(document_from_row).collect()
}

pub async fn find_by_file(pool: &SqlitePool, file_sha256: &str) -> StoreResult<Vec<DocumentRecord>> {
    let rows = sqlx::query("SELECT * FROM documents WHERE file_sha256 = $1 OR stamped_sha256 = $1 ORDER BY seq")
        .bind(file_sha256)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(document_from_row).collect()
}

pub async fn search(pool: &SqlitePool, query: &DocumentQuery, page: PageRequest) -> StoreResult<Page<DocumentRecord>> {
    // Newest first; the cursor is the `seq` of the last entry returned.
    let before: Option<i64> = match &page.after {
        Some(cursor) => Some(
            cursor
                .parse::<i64>()
                .ok()
                .filter(|seq| *seq > 0)
                .ok_or_else(|| StoreError::Conflict(format!("invalid page cursor {cursor:?}")))?,
        ),
        None => None,
    };
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM documents d WHERE 1 = 1");
    if let Some(before) = before {
        sql.push(" AND d.seq < ").push_bind(before);
    }
    if let Some(country) = query.country {
        sql.push(" AND d.country = ").push_bind(country.to_string());
    }
    if let Some(doc_type) = query.doc_type {
        sql.push(" AND d.doc_type = ").push_bind(doc_type.code());
    }
    if let Some(issuer) = query.issuer_org_id {
        sql.push(" AND d.issuer_org_id = ").push_bind(issuer.to_string());
    }
    if let Some(number) = &query.national_number {
        sql.push(" AND d.national_number = ").push_bind(number.clone());
    }
    if let Some(status) = query.status {
        sql.push(" AND d.status = ").push_bind(status.as_str());
    }
    if let Some(from) = query.issued_from {
        sql.push(" AND d.issued_at >= ").push_bind(ts(from));
    }
    if let Some(to) = query.issued_to {
        sql.push(" AND d.issued_at <= ").push_bind(ts(to));
    }
    if let Some(prefix) = &query.hs_code {
        sql.push(" AND EXISTS (SELECT 1 FROM document_hs_codes h WHERE h.hub_id = d.hub_id AND (substr(h.code, 1, length(")
            .push_bind(prefix.clone())
            .push(")) = ")
            .push_bind(prefix.clone())
            .push(" OR substr(coalesce(h.national, ''), 1, length(")
            .push_bind(prefix.clone())
            .push(")) = ")
            .push_bind(prefix.clone())
            .push("))");
    }
    sql.push(" ORDER BY d.seq DESC LIMIT ").push_bind(i64::from(page.limit) + 1);

    let rows = sql.build().fetch_all(pool).await.map_err(db_error)?;
    let more = rows.len() > page.limit as usize;
    let rows = &rows[..rows.len().min(page.limit as usize)];
    let next = if more { rows.last().map(|r| r.get::<i64, _>("seq").to_string()) } else { None };
    Ok(Page { items: rows.iter().map(document_from_row).collect::<StoreResult<_>>()?, next })
}

pub async fn change_status(store: &SqliteStore, change: &StatusChangeRecord, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    // The condition on later changes catches a writer whose read is stale
    // although the status matches again (valid, suspended, valid again).
    let updated = sqlx::query(
        "UPDATE documents SET status = $1 WHERE hub_id = $2 AND status = $3
         AND NOT EXISTS (SELECT 1 FROM status_changes WHERE hub_id = $2 AND effective_at > $4)",
    )
        .bind(change.to.as_str())
        .bind(change.hub_id.to_string())
        .bind(change.from.as_str())
        .bind(ts(change.effective_at))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        let current: Option<String> = sqlx::query_scalar("SELECT status FROM documents WHERE hub_id = $1")
            .bind(change.hub_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        return Err(match current {
            None => StoreError::NotFound(format!("document {}", change.hub_id)),
            Some(status) => StoreError::Conflict(format!(
                "document {} is {status} and changed since it was read (expected {}); reload it and try again",
                change.hub_id,
                change.from.as_str()
            )),
        });
    }
    sqlx::query(
        "INSERT INTO status_changes (id, hub_id, action, from_status, to_status, reason, actor_org_id, effective_at, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(change.id.to_string())
    .bind(change.hub_id.to_string())
    .bind(change.action.as_str())
    .bind(change.from.as_str())
    .bind(change.to.as_str())
    .bind(&change.reason)
    .bind(change.actor_org_id.map(|id| id.to_string()))
    .bind(ts(change.effective_at))
    .bind(ts(change.recorded_at))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let subject = change.hub_id.to_string();
    let event = NewEvent {
        kind: EventKind::DocumentStatusChanged,
        country: Some(change.hub_id.country()),
        subject: &subject,
        content_sha256: None,
        effective_at: Some(change.effective_at),
        // The reason stays in `status_changes`; the event points to it by id.
        data: serde_json::json!({"action": change.action, "from": change.from, "to": change.to, "change_id": change.id}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}

pub async fn history(pool: &SqlitePool, hub_id: HubId) -> StoreResult<Vec<StatusChangeRecord>> {
    let rows = sqlx::query("SELECT * FROM status_changes WHERE hub_id = $1 ORDER BY rowid")
        .bind(hub_id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            Ok(StatusChangeRecord {
                id: uuid(row.get("id"))?,
                hub_id,
                action: parse("action", row.get("action"))?,
                from: parse("from_status", row.get("from_status"))?,
                to: parse("to_status", row.get("to_status"))?,
                reason: row.get("reason"),
                actor_org_id: opt_uuid(row.get("actor_org_id"))?,
                effective_at: parse_ts(row.get("effective_at"))?,
                recorded_at: parse_ts(row.get("recorded_at"))?,
            })
        })
        .collect()
}

pub async fn set_stamped_file(store: &SqliteStore, hub_id: HubId, stamped_sha256: &str, actor: Actor) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let updated = sqlx::query("UPDATE documents SET stamped_sha256 = $1 WHERE hub_id = $2 AND stamped_sha256 IS NULL")
        .bind(stamped_sha256)
        .bind(hub_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("document {hub_id} is missing or already has a stamped file")));
    }
    let subject = hub_id.to_string();
    let event = NewEvent {
        kind: EventKind::DocumentFileStamped,
        country: Some(hub_id.country()),
        subject: &subject,
        content_sha256: Some(stamped_sha256),
        effective_at: None,
        data: serde_json::json!({}),
    };
    append(&mut tx, actor, event).await?;
    tx.commit().await.map_err(db_error)
}
