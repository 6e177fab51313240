//! Export and import of a whole database as an [`ecert_store::snapshot::Snapshot`].
//!
//! Export reads every table in one read transaction, so all tables come
//! from one consistent state of the file (WAL mode). Import writes every row in one
//! `BEGIN IMMEDIATE` transaction into an empty database and keeps the
//! original `seq` of organisations (their rowid), documents and events.
//! Inserting an explicit `seq` into an AUTOINCREMENT table raises its
//! `sqlite_sequence` entry, so new documents and events continue after the
//! highest imported number. The append-only triggers on `events` stop only
//! UPDATE and DELETE, so they stay in force during the import.

use ecert_store::snapshot::*;
use ecert_store::{HsEntry, StoreError, StoreResult};
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::SqliteStore;
use crate::codec::*;

/// Rows per INSERT statement. The widest table, `documents`, then binds
/// 2,300 values, far below SQLite's limit of 32,766 (SQLite 3.32 and later).
const ROWS_PER_INSERT: usize = 100;

pub async fn export(store: &SqliteStore) -> StoreResult<Snapshot> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let snapshot = Snapshot {
        countries: select(&mut tx, "SELECT * FROM countries ORDER BY rowid", country_row).await?,
        organisations: select(&mut tx, "SELECT rowid AS seq, * FROM organisations ORDER BY rowid", organisation_row)
            .await?,
        accreditations: select(&mut tx, "SELECT * FROM accreditations ORDER BY rowid", accreditation_row).await?,
        accreditation_status_changes: select(
            &mut tx,
            "SELECT * FROM accreditation_status_changes ORDER BY rowid",
            accreditation_status_change_row,
        )
        .await?,
        keys: select(&mut tx, "SELECT * FROM keys ORDER BY rowid", key_row).await?,
        key_status_changes: select(&mut tx, "SELECT * FROM key_status_changes ORDER BY rowid", key_status_change_row)
            .await?,
        api_tokens: select(&mut tx, "SELECT * FROM api_tokens ORDER BY rowid", api_token_row).await?,
        users: select(&mut tx, "SELECT * FROM users ORDER BY rowid", user_row).await?,
        documents: select(&mut tx, "SELECT * FROM documents ORDER BY seq", document_row).await?,
        document_hs_codes: select(&mut tx, "SELECT * FROM document_hs_codes ORDER BY rowid", document_hs_code_row)
            .await?,
        status_changes: select(&mut tx, "SELECT * FROM status_changes ORDER BY rowid", status_change_row).await?,
        hs_catalog: select(&mut tx, "SELECT * FROM hs_catalog", hs_catalog_row).await?,
        hs_entries: select(&mut tx, "SELECT * FROM hs_entries ORDER BY code", hs_entry_row).await?,
        events: select(&mut tx, "SELECT * FROM events ORDER BY seq", event_row).await?,
    };
    tx.commit().await.map_err(backend)?;
    Ok(snapshot)
}

pub async fn import(store: &SqliteStore, snapshot: &Snapshot) -> StoreResult<()> {
    snapshot.validate().map_err(|e| StoreError::Conflict(e.to_string()))?;
    let mut tx = store.write().await?;
    ensure_empty(&mut tx).await?;

    insert(
        &mut tx,
        "INSERT INTO countries (code, name, track, data_policy, created_at, updated_at) ",
        &snapshot.countries,
        |mut values, r| {
            values
                .push_bind(r.code.clone())
                .push_bind(r.name.clone())
                .push_bind(r.track.clone())
                .push_bind(r.data_policy.clone())
                .push_bind(ts(r.created_at))
                .push_bind(ts(r.updated_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO organisations (rowid, id, country, kind, registration_number, name, created_at) ",
        &snapshot.organisations,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.id.to_string())
                .push_bind(r.country.clone())
                .push_bind(r.kind.clone())
                .push_bind(r.registration_number.clone())
                .push_bind(r.name.clone())
                .push_bind(ts(r.created_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO accreditations (id, org_id, standard, body, ilac_iaf_signatory, designated_types, hs_prefixes,
            standards, valid_from, valid_until, created_at) ",
        &snapshot.accreditations,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.org_id.to_string())
                .push_bind(r.standard.clone())
                .push_bind(r.body.clone())
                .push_bind(i64::from(r.ilac_iaf_signatory))
                .push_bind(r.designated_types.to_string())
                .push_bind(r.hs_prefixes.to_string())
                .push_bind(r.standards.to_string())
                .push_bind(ts(r.valid_from))
                .push_bind(opt_ts(r.valid_until))
                .push_bind(ts(r.created_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO accreditation_status_changes (id, accreditation_id, status, effective_at, reason, actor_org_id, recorded_at) ",
        &snapshot.accreditation_status_changes,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.accreditation_id.to_string())
                .push_bind(r.status.clone())
                .push_bind(ts(r.effective_at))
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id.map(|id| id.to_string()))
                .push_bind(ts(r.recorded_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO keys (kid, org_id, jwk, algorithm, purpose, status, valid_from, valid_until, retired_at,
            compromised_at, registered_by, created_at) ",
        &snapshot.keys,
        |mut values, r| {
            values
                .push_bind(r.kid.clone())
                .push_bind(r.org_id.to_string())
                .push_bind(r.jwk.to_string())
                .push_bind(r.algorithm.clone())
                .push_bind(r.purpose.clone())
                .push_bind(r.status.clone())
                .push_bind(ts(r.valid_from))
                .push_bind(opt_ts(r.valid_until))
                .push_bind(opt_ts(r.retired_at))
                .push_bind(opt_ts(r.compromised_at))
                .push_bind(r.registered_by.map(|id| id.to_string()))
                .push_bind(ts(r.created_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO key_status_changes (id, kid, from_status, to_status, effective_at, reason, actor_org_id, recorded_at) ",
        &snapshot.key_status_changes,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.kid.clone())
                .push_bind(r.from_status.clone())
                .push_bind(r.to_status.clone())
                .push_bind(ts(r.effective_at))
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id.map(|id| id.to_string()))
                .push_bind(ts(r.recorded_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO api_tokens (id, org_id, roles, token_hash, label, created_at, revoked_at) ",
        &snapshot.api_tokens,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.org_id.to_string())
                .push_bind(r.roles.to_string())
                .push_bind(r.token_hash.clone())
                .push_bind(r.label.clone())
                .push_bind(ts(r.created_at))
                .push_bind(opt_ts(r.revoked_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO users (id, org_id, username, display_name, password_hash, roles, locale, created_at, disabled_at) ",
        &snapshot.users,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.org_id.to_string())
                .push_bind(r.username.clone())
                .push_bind(r.display_name.clone())
                .push_bind(r.password_hash.clone())
                .push_bind(r.roles.to_string())
                .push_bind(r.locale.clone())
                .push_bind(ts(r.created_at))
                .push_bind(opt_ts(r.disabled_at));
        },
    )
    .await?;
    // In `seq` order, so that a corrected re-issue follows the entry its
    // `supersedes` column refers to.
    insert(
        &mut tx,
        "INSERT INTO documents (seq, hub_id, doc_type, country, issuer_org_id, national_number, content, payload,
            payload_sha256, trust_basis, jws, kid, attestation, file_sha256, stamped_sha256, file_url, status,
            supersedes, superseded_by, issued_at, valid_until, registered_at, registered_by) ",
        &snapshot.documents,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.hub_id.clone())
                .push_bind(r.doc_type.clone())
                .push_bind(r.country.clone())
                .push_bind(r.issuer_org_id.to_string())
                .push_bind(r.national_number.clone())
                .push_bind(r.content.to_string())
                .push_bind(r.payload.clone())
                .push_bind(r.payload_sha256.clone())
                .push_bind(r.trust_basis.clone())
                .push_bind(r.jws.clone())
                .push_bind(r.kid.clone())
                .push_bind(r.attestation.clone())
                .push_bind(r.file_sha256.clone())
                .push_bind(r.stamped_sha256.clone())
                .push_bind(r.file_url.clone())
                .push_bind(r.status.clone())
                .push_bind(r.supersedes.clone())
                .push_bind(r.superseded_by.clone())
                .push_bind(ts(r.issued_at))
                .push_bind(opt_ts(r.valid_until))
                .push_bind(ts(r.registered_at))
                .push_bind(r.registered_by.to_string());
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO document_hs_codes (hub_id, code, national) ",
        &snapshot.document_hs_codes,
        |mut values, r| {
            values.push_bind(r.hub_id.clone()).push_bind(r.code.clone()).push_bind(r.national.clone());
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO status_changes (id, hub_id, action, from_status, to_status, reason, actor_org_id, effective_at, recorded_at) ",
        &snapshot.status_changes,
        |mut values, r| {
            values
                .push_bind(r.id.to_string())
                .push_bind(r.hub_id.clone())
                .push_bind(r.action.clone())
                .push_bind(r.from_status.clone())
                .push_bind(r.to_status.clone())
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id.map(|id| id.to_string()))
                .push_bind(ts(r.effective_at))
                .push_bind(ts(r.recorded_at));
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO hs_catalog (id, edition, imported_at) ",
        &snapshot.hs_catalog,
        |mut values, r| {
            values.push_bind(1_i64).push_bind(r.edition.clone()).push_bind(ts(r.imported_at));
        },
    )
    .await?;
    let hs_entries: Vec<HsEntry> = snapshot.hs_entries.iter().map(hs_entry_from_snapshot).collect();
    crate::hs::insert_entries(&mut tx, &hs_entries).await?;
    insert(
        &mut tx,
        "INSERT INTO events (seq, kind, country, actor_org_id, subject, content_sha256, effective_at, recorded_at, data) ",
        &snapshot.events,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.kind.clone())
                .push_bind(r.country.clone())
                .push_bind(r.actor_org_id.map(|id| id.to_string()))
                .push_bind(r.subject.clone())
                .push_bind(r.content_sha256.clone())
                .push_bind(ts(r.effective_at))
                .push_bind(ts(r.recorded_at))
                .push_bind(r.data.to_string());
        },
    )
    .await?;

    tx.commit().await.map_err(db_error)
}

/// Fails with `Conflict` naming every table that has rows.
async fn ensure_empty(connection: &mut SqliteConnection) -> StoreResult<()> {
    let mut filled = Vec::new();
    for table in TABLES {
        // The table names are the constants of `TABLES`, not input.
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *connection)
            .await
            .map_err(db_error)?;
        if rows > 0 {
            filled.push(format!("{table} ({rows} rows)"));
        }
    }
    if filled.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "the target database is not empty: {} already contain rows; import into a new, empty database",
            filled.join(", ")
        )))
    }
}

async fn select<T>(
    connection: &mut SqliteConnection,
    sql: &'static str,
    convert: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sql).fetch_all(connection).await.map_err(db_error)?;
    rows.iter().map(convert).collect()
}

async fn insert<T>(
    connection: &mut SqliteConnection,
    head: &'static str,
    rows: &[T],
    mut bind: impl FnMut(Separated<'_, Sqlite, &'static str>, &T),
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut builder = QueryBuilder::<Sqlite>::new(head);
        builder.push_values(chunk, &mut bind);
        builder.build().execute(&mut *connection).await.map_err(db_error)?;
    }
    Ok(())
}

fn json_column(row: &SqliteRow, column: &str) -> StoreResult<serde_json::Value> {
    from_json(column, row.get(column))
}

fn country_row(row: &SqliteRow) -> StoreResult<CountryRow> {
    Ok(CountryRow {
        code: row.get("code"),
        name: row.get("name"),
        track: row.get("track"),
        data_policy: row.get("data_policy"),
        created_at: parse_ts(row.get("created_at"))?,
        updated_at: parse_ts(row.get("updated_at"))?,
    })
}

fn organisation_row(row: &SqliteRow) -> StoreResult<OrganisationRow> {
    Ok(OrganisationRow {
        seq: row.get("seq"),
        id: uuid(row.get("id"))?,
        country: row.get("country"),
        kind: row.get("kind"),
        registration_number: row.get("registration_number"),
        name: row.get("name"),
        created_at: parse_ts(row.get("created_at"))?,
    })
}

fn accreditation_row(row: &SqliteRow) -> StoreResult<AccreditationRow> {
    Ok(AccreditationRow {
        id: uuid(row.get("id"))?,
        org_id: uuid(row.get("org_id"))?,
        standard: row.get("standard"),
        body: row.get("body"),
        ilac_iaf_signatory: row.get::<i64, _>("ilac_iaf_signatory") != 0,
        designated_types: json_column(row, "designated_types")?,
        hs_prefixes: json_column(row, "hs_prefixes")?,
        standards: json_column(row, "standards")?,
        valid_from: parse_ts(row.get("valid_from"))?,
        valid_until: parse_opt_ts(row.get("valid_until"))?,
        created_at: parse_ts(row.get("created_at"))?,
    })
}

fn accreditation_status_change_row(row: &SqliteRow) -> StoreResult<AccreditationStatusChangeRow> {
    Ok(AccreditationStatusChangeRow {
        id: uuid(row.get("id"))?,
        accreditation_id: uuid(row.get("accreditation_id"))?,
        status: row.get("status"),
        effective_at: parse_ts(row.get("effective_at"))?,
        reason: row.get("reason"),
        actor_org_id: opt_uuid(row.get("actor_org_id"))?,
        recorded_at: parse_ts(row.get("recorded_at"))?,
    })
}

fn key_row(row: &SqliteRow) -> StoreResult<KeyRow> {
    Ok(KeyRow {
        kid: row.get("kid"),
        org_id: uuid(row.get("org_id"))?,
        jwk: json_column(row, "jwk")?,
        algorithm: row.get("algorithm"),
        purpose: row.get("purpose"),
        status: row.get("status"),
        valid_from: parse_ts(row.get("valid_from"))?,
        valid_until: parse_opt_ts(row.get("valid_until"))?,
        retired_at: parse_opt_ts(row.get("retired_at"))?,
        compromised_at: parse_opt_ts(row.get("compromised_at"))?,
        registered_by: opt_uuid(row.get("registered_by"))?,
        created_at: parse_ts(row.get("created_at"))?,
    })
}

fn key_status_change_row(row: &SqliteRow) -> StoreResult<KeyStatusChangeRow> {
    Ok(KeyStatusChangeRow {
        id: uuid(row.get("id"))?,
        kid: row.get("kid"),
        from_status: row.get("from_status"),
        to_status: row.get("to_status"),
        effective_at: parse_ts(row.get("effective_at"))?,
        reason: row.get("reason"),
        actor_org_id: opt_uuid(row.get("actor_org_id"))?,
        recorded_at: parse_ts(row.get("recorded_at"))?,
    })
}

fn api_token_row(row: &SqliteRow) -> StoreResult<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: uuid(row.get("id"))?,
        org_id: uuid(row.get("org_id"))?,
        roles: json_column(row, "roles")?,
        token_hash: row.get("token_hash"),
        label: row.get("label"),
        created_at: parse_ts(row.get("created_at"))?,
        revoked_at: parse_opt_ts(row.get("revoked_at"))?,
    })
}

fn user_row(row: &SqliteRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        id: uuid(row.get("id"))?,
        org_id: uuid(row.get("org_id"))?,
        username: row.get("username"),
        display_name: row.get("display_name"),
        password_hash: row.get("password_hash"),
        roles: json_column(row, "roles")?,
        locale: row.get("locale"),
        created_at: parse_ts(row.get("created_at"))?,
        disabled_at: parse_opt_ts(row.get("disabled_at"))?,
    })
}

fn document_row(row: &SqliteRow) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        seq: row.get("seq"),
        hub_id: row.get("hub_id"),
        doc_type: row.get("doc_type"),
        country: row.get("country"),
        issuer_org_id: uuid(row.get("issuer_org_id"))?,
        national_number: row.get("national_number"),
        content: json_column(row, "content")?,
        payload: row.get("payload"),
        payload_sha256: row.get("payload_sha256"),
        trust_basis: row.get("trust_basis"),
        jws: row.get("jws"),
        kid: row.get("kid"),
        attestation: row.get("attestation"),
        file_sha256: row.get("file_sha256"),
        stamped_sha256: row.get("stamped_sha256"),
        file_url: row.get("file_url"),
        status: row.get("status"),
        supersedes: row.get("supersedes"),
        superseded_by: row.get("superseded_by"),
        issued_at: parse_ts(row.get("issued_at"))?,
        valid_until: parse_opt_ts(row.get("valid_until"))?,
        registered_at: parse_ts(row.get("registered_at"))?,
        registered_by: uuid(row.get("registered_by"))?,
    })
}

fn document_hs_code_row(row: &SqliteRow) -> StoreResult<DocumentHsCodeRow> {
    Ok(DocumentHsCodeRow { hub_id: row.get("hub_id"), code: row.get("code"), national: row.get("national") })
}

fn status_change_row(row: &SqliteRow) -> StoreResult<StatusChangeRow> {
    Ok(StatusChangeRow {
        id: uuid(row.get("id"))?,
        hub_id: row.get("hub_id"),
        action: row.get("action"),
        from_status: row.get("from_status"),
        to_status: row.get("to_status"),
        reason: row.get("reason"),
        actor_org_id: opt_uuid(row.get("actor_org_id"))?,
        effective_at: parse_ts(row.get("effective_at"))?,
        recorded_at: parse_ts(row.get("recorded_at"))?,
    })
}

fn hs_catalog_row(row: &SqliteRow) -> StoreResult<HsCatalogRow> {
    Ok(HsCatalogRow { edition: row.get("edition"), imported_at: parse_ts(row.get("imported_at"))? })
}

/// Reads an HS entry without `description_folded`, which import derives
/// again from the description.
fn hs_entry_row(row: &SqliteRow) -> StoreResult<HsEntryRow> {
    Ok(HsEntryRow {
        code: row.get("code"),
        description: row.get("description"),
        parent: row.get("parent"),
        section: row.get("section"),
    })
}

fn hs_entry_from_snapshot(row: &HsEntryRow) -> HsEntry {
    HsEntry {
        code: row.code.clone(),
        description: row.description.clone(),
        parent: row.parent.clone(),
        section: row.section.clone(),
    }
}

fn event_row(row: &SqliteRow) -> StoreResult<EventRow> {
    Ok(EventRow {
        seq: row.get("seq"),
        kind: row.get("kind"),
        country: row.get("country"),
        actor_org_id: opt_uuid(row.get("actor_org_id"))?,
        subject: row.get("subject"),
        content_sha256: row.get("content_sha256"),
        effective_at: parse_ts(row.get("effective_at"))?,
        recorded_at: parse_ts(row.get("recorded_at"))?,
        data: json_column(row, "data")?,
    })
}
