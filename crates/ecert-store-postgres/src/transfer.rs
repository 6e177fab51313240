//! Export and import of a whole database as an [`ecert_store::snapshot::Snapshot`].
//!
//! Export reads every table in one REPEATABLE READ, READ ONLY transaction,
//! so all tables come from the same snapshot of the database. Import locks
//! every table in EXCLUSIVE mode, which lets readers through but makes other
//! writers wait, checks that every table is empty, and inserts every row in
//! one transaction. It keeps the original `seq` of organisations, documents
//! and events (`OVERRIDING SYSTEM VALUE`), then moves their identity
//! sequences past the highest imported value so that new rows continue
//! after it. The append-only triggers on `events` stop only UPDATE, DELETE
//! and TRUNCATE, so they stay in force during the import.

use ecert_store::snapshot::*;
use ecert_store::{HsEntry, StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::query_builder::Separated;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PgStore;
use crate::codec::*;

/// Rows per INSERT statement. The widest table, `documents`, then binds
/// 2,300 values, far below PostgreSQL's limit of 65,535 per statement.
const ROWS_PER_INSERT: usize = 100;

pub async fn export(store: &PgStore) -> StoreResult<Snapshot> {
    let mut tx = store
        .pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(backend)?;
    // Tables without an insertion counter are read in creation-time order,
    // the closest PostgreSQL keeps to the order their rows were inserted in.
    let snapshot = Snapshot {
        countries: select(&mut tx, "SELECT * FROM countries ORDER BY created_at, code", country_row).await?,
        organisations: select(&mut tx, "SELECT * FROM organisations ORDER BY seq", organisation_row).await?,
        accreditations: select(&mut tx, "SELECT * FROM accreditations ORDER BY created_at, id", accreditation_row)
            .await?,
        accreditation_status_changes: select(
            &mut tx,
            "SELECT * FROM accreditation_status_changes ORDER BY seq",
            accreditation_status_change_row,
        )
        .await?,
        keys: select(&mut tx, "SELECT * FROM keys ORDER BY created_at, kid", key_row).await?,
        key_status_changes: select(
            &mut tx,
            "SELECT * FROM key_status_changes ORDER BY recorded_at, id",
            key_status_change_row,
        )
        .await?,
        api_tokens: select(&mut tx, "SELECT * FROM api_tokens ORDER BY created_at, id", api_token_row).await?,
        users: select(&mut tx, "SELECT * FROM users ORDER BY created_at, id", user_row).await?,
        documents: select(&mut tx, "SELECT * FROM documents ORDER BY seq", document_row).await?,
        document_hs_codes: select(
            &mut tx,
            "SELECT h.* FROM document_hs_codes h JOIN documents d ON d.hub_id = h.hub_id ORDER BY d.seq, h.code, h.national",
            document_hs_code_row,
        )
        .await?,
        status_changes: select(&mut tx, "SELECT * FROM status_changes ORDER BY seq", status_change_row).await?,
        hs_catalog: select(&mut tx, "SELECT * FROM hs_catalog", hs_catalog_row).await?,
        hs_entries: select(&mut tx, "SELECT * FROM hs_entries ORDER BY code", hs_entry_row).await?,
        events: select(&mut tx, "SELECT * FROM events ORDER BY seq", event_row).await?,
    };
    tx.commit().await.map_err(backend)?;
    Ok(snapshot)
}

pub async fn import(store: &PgStore, snapshot: &Snapshot) -> StoreResult<()> {
    snapshot.validate().map_err(|e| StoreError::Conflict(e.to_string()))?;
    let mut tx = store.write().await?;
    // The table names are the constants of `TABLES`, not input.
    sqlx::query(AssertSqlSafe(format!("LOCK TABLE {} IN EXCLUSIVE MODE", TABLES.join(", "))))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
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
                .push_bind(r.created_at)
                .push_bind(r.updated_at);
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO organisations (seq, id, country, kind, registration_number, name, created_at) OVERRIDING SYSTEM VALUE ",
        &snapshot.organisations,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.id)
                .push_bind(r.country.clone())
                .push_bind(r.kind.clone())
                .push_bind(r.registration_number.clone())
                .push_bind(r.name.clone())
                .push_bind(r.created_at);
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
                .push_bind(r.id)
                .push_bind(r.org_id)
                .push_bind(r.standard.clone())
                .push_bind(r.body.clone())
                .push_bind(r.ilac_iaf_signatory)
                .push_bind(Json(r.designated_types.clone()))
                .push_bind(Json(r.hs_prefixes.clone()))
                .push_bind(Json(r.standards.clone()))
                .push_bind(r.valid_from)
                .push_bind(r.valid_until)
                .push_bind(r.created_at);
        },
    )
    .await?;
    // The identity column `seq` numbers these rows in insertion order, which
    // orders changes recorded in the same microsecond.
    insert(
        &mut tx,
        "INSERT INTO accreditation_status_changes (id, accreditation_id, status, effective_at, reason, actor_org_id, recorded_at) ",
        &snapshot.accreditation_status_changes,
        |mut values, r| {
            values
                .push_bind(r.id)
                .push_bind(r.accreditation_id)
                .push_bind(r.status.clone())
                .push_bind(r.effective_at)
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id)
                .push_bind(r.recorded_at);
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
                .push_bind(r.org_id)
                .push_bind(Json(r.jwk.clone()))
                .push_bind(r.algorithm.clone())
                .push_bind(r.purpose.clone())
                .push_bind(r.status.clone())
                .push_bind(r.valid_from)
                .push_bind(r.valid_until)
                .push_bind(r.retired_at)
                .push_bind(r.compromised_at)
                .push_bind(r.registered_by)
                .push_bind(r.created_at);
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO key_status_changes (id, kid, from_status, to_status, effective_at, reason, actor_org_id, recorded_at) ",
        &snapshot.key_status_changes,
        |mut values, r| {
            values
                .push_bind(r.id)
                .push_bind(r.kid.clone())
                .push_bind(r.from_status.clone())
                .push_bind(r.to_status.clone())
                .push_bind(r.effective_at)
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id)
                .push_bind(r.recorded_at);
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO api_tokens (id, org_id, roles, token_hash, label, created_at, revoked_at) ",
        &snapshot.api_tokens,
        |mut values, r| {
            values
                .push_bind(r.id)
                .push_bind(r.org_id)
                .push_bind(Json(r.roles.clone()))
                .push_bind(r.token_hash.clone())
                .push_bind(r.label.clone())
                .push_bind(r.created_at)
                .push_bind(r.revoked_at);
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO users (id, org_id, username, display_name, password_hash, roles, locale, created_at, disabled_at) ",
        &snapshot.users,
        |mut values, r| {
            values
                .push_bind(r.id)
                .push_bind(r.org_id)
                .push_bind(r.username.clone())
                .push_bind(r.display_name.clone())
                .push_bind(r.password_hash.clone())
                .push_bind(Json(r.roles.clone()))
                .push_bind(r.locale.clone())
                .push_bind(r.created_at)
                .push_bind(r.disabled_at);
        },
    )
    .await?;
    // In `seq` order, so that a corrected re-issue follows the entry its
    // `supersedes` column refers to.
    insert(
        &mut tx,
        "INSERT INTO documents (seq, hub_id, doc_type, country, issuer_org_id, national_number, content, payload,
            payload_sha256, trust_basis, jws, kid, attestation, file_sha256, stamped_sha256, file_url, status,
            supersedes, superseded_by, issued_at, valid_until, registered_at, registered_by) OVERRIDING SYSTEM VALUE ",
        &snapshot.documents,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.hub_id.clone())
                .push_bind(r.doc_type.clone())
                .push_bind(r.country.clone())
                .push_bind(r.issuer_org_id)
                .push_bind(r.national_number.clone())
                .push_bind(Json(r.content.clone()))
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
                .push_bind(r.issued_at)
                .push_bind(r.valid_until)
                .push_bind(r.registered_at)
                .push_bind(r.registered_by);
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
                .push_bind(r.id)
                .push_bind(r.hub_id.clone())
                .push_bind(r.action.clone())
                .push_bind(r.from_status.clone())
                .push_bind(r.to_status.clone())
                .push_bind(r.reason.clone())
                .push_bind(r.actor_org_id)
                .push_bind(r.effective_at)
                .push_bind(r.recorded_at);
        },
    )
    .await?;
    insert(
        &mut tx,
        "INSERT INTO hs_catalog (id, edition, imported_at) ",
        &snapshot.hs_catalog,
        |mut values, r| {
            values.push_bind(1_i32).push_bind(r.edition.clone()).push_bind(r.imported_at);
        },
    )
    .await?;
    let hs_entries: Vec<HsEntry> = snapshot.hs_entries.iter().map(hs_entry_from_snapshot).collect();
    crate::hs::insert_entries(&mut tx, &hs_entries).await?;
    insert(
        &mut tx,
        "INSERT INTO events (seq, kind, country, actor_org_id, subject, content_sha256, effective_at, recorded_at, data) OVERRIDING SYSTEM VALUE ",
        &snapshot.events,
        |mut values, r| {
            values
                .push_bind(r.seq)
                .push_bind(r.kind.clone())
                .push_bind(r.country.clone())
                .push_bind(r.actor_org_id)
                .push_bind(r.subject.clone())
                .push_bind(r.content_sha256.clone())
                .push_bind(r.effective_at)
                .push_bind(r.recorded_at)
                .push_bind(Json(r.data.clone()));
        },
    )
    .await?;

    // NOTE: setval is not transactional. If the commit fails after this
    // point, the sequences stay advanced, which leaves only a gap in the
    // numbers of the next rows.
    for table in ["organisations", "documents", "events"] {
        // The table names are constants, not input.
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'seq'), max(seq)) FROM {table} HAVING count(*) > 0"
        )))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

/// Fails with `Conflict` naming every table that has rows.
async fn ensure_empty(connection: &mut PgConnection) -> StoreResult<()> {
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
    connection: &mut PgConnection,
    sql: &'static str,
    convert: fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sql).fetch_all(connection).await.map_err(db_error)?;
    rows.iter().map(convert).collect()
}

async fn insert<T>(
    connection: &mut PgConnection,
    head: &'static str,
    rows: &[T],
    mut bind: impl FnMut(Separated<'_, Postgres, &'static str>, &T),
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut builder = QueryBuilder::<Postgres>::new(head);
        builder.push_values(chunk, &mut bind);
        builder.build().execute(&mut *connection).await.map_err(db_error)?;
    }
    Ok(())
}

fn country_row(row: &PgRow) -> StoreResult<CountryRow> {
    Ok(CountryRow {
        code: column(row, "code")?,
        name: column(row, "name")?,
        track: column(row, "track")?,
        data_policy: column(row, "data_policy")?,
        created_at: column(row, "created_at")?,
        updated_at: column(row, "updated_at")?,
    })
}

fn organisation_row(row: &PgRow) -> StoreResult<OrganisationRow> {
    Ok(OrganisationRow {
        seq: column(row, "seq")?,
        id: column(row, "id")?,
        country: column(row, "country")?,
        kind: column(row, "kind")?,
        registration_number: column(row, "registration_number")?,
        name: column(row, "name")?,
        created_at: column(row, "created_at")?,
    })
}

fn accreditation_row(row: &PgRow) -> StoreResult<AccreditationRow> {
    Ok(AccreditationRow {
        id: column(row, "id")?,
        org_id: column(row, "org_id")?,
        standard: column(row, "standard")?,
        body: column(row, "body")?,
        ilac_iaf_signatory: column(row, "ilac_iaf_signatory")?,
        designated_types: json(row, "designated_types")?,
        hs_prefixes: json(row, "hs_prefixes")?,
        standards: json(row, "standards")?,
        valid_from: column(row, "valid_from")?,
        valid_until: column(row, "valid_until")?,
        created_at: column(row, "created_at")?,
    })
}

fn accreditation_status_change_row(row: &PgRow) -> StoreResult<AccreditationStatusChangeRow> {
    Ok(AccreditationStatusChangeRow {
        id: column(row, "id")?,
        accreditation_id: column(row, "accreditation_id")?,
        status: column(row, "status")?,
        effective_at: column(row, "effective_at")?,
        reason: column(row, "reason")?,
        actor_org_id: column(row, "actor_org_id")?,
        recorded_at: column(row, "recorded_at")?,
    })
}

fn key_row(row: &PgRow) -> StoreResult<KeyRow> {
    Ok(KeyRow {
        kid: column(row, "kid")?,
        org_id: column(row, "org_id")?,
        jwk: json(row, "jwk")?,
        algorithm: column(row, "algorithm")?,
        purpose: column(row, "purpose")?,
        status: column(row, "status")?,
        valid_from: column(row, "valid_from")?,
        valid_until: column(row, "valid_until")?,
        retired_at: column(row, "retired_at")?,
        compromised_at: column(row, "compromised_at")?,
        registered_by: column(row, "registered_by")?,
        created_at: column(row, "created_at")?,
    })
}

fn key_status_change_row(row: &PgRow) -> StoreResult<KeyStatusChangeRow> {
    Ok(KeyStatusChangeRow {
        id: column(row, "id")?,
        kid: column(row, "kid")?,
        from_status: column(row, "from_status")?,
        to_status: column(row, "to_status")?,
        effective_at: column(row, "effective_at")?,
        reason: column(row, "reason")?,
        actor_org_id: column(row, "actor_org_id")?,
        recorded_at: column(row, "recorded_at")?,
    })
}

fn api_token_row(row: &PgRow) -> StoreResult<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: column(row, "id")?,
        org_id: column(row, "org_id")?,
        roles: json(row, "roles")?,
        token_hash: column(row, "token_hash")?,
        label: column(row, "label")?,
        created_at: column(row, "created_at")?,
        revoked_at: column::<Option<OffsetDateTime>>(row, "revoked_at")?,
    })
}

fn user_row(row: &PgRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        id: column(row, "id")?,
        org_id: column(row, "org_id")?,
        username: column(row, "username")?,
        display_name: column(row, "display_name")?,
        password_hash: column(row, "password_hash")?,
        roles: json(row, "roles")?,
        locale: column(row, "locale")?,
        created_at: column(row, "created_at")?,
        disabled_at: column(row, "disabled_at")?,
    })
}

fn document_row(row: &PgRow) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        seq: column(row, "seq")?,
        hub_id: column(row, "hub_id")?,
        doc_type: column(row, "doc_type")?,
        country: column(row, "country")?,
        issuer_org_id: column(row, "issuer_org_id")?,
        national_number: column(row, "national_number")?,
        content: json(row, "content")?,
        payload: column(row, "payload")?,
        payload_sha256: column(row, "payload_sha256")?,
        trust_basis: column(row, "trust_basis")?,
        jws: column(row, "jws")?,
        kid: column(row, "kid")?,
        attestation: column(row, "attestation")?,
        file_sha256: column(row, "file_sha256")?,
        stamped_sha256: column(row, "stamped_sha256")?,
        file_url: column(row, "file_url")?,
        status: column(row, "status")?,
        supersedes: column(row, "supersedes")?,
        superseded_by: column(row, "superseded_by")?,
        issued_at: column(row, "issued_at")?,
        valid_until: column(row, "valid_until")?,
        registered_at: column(row, "registered_at")?,
        registered_by: column::<Uuid>(row, "registered_by")?,
    })
}

fn document_hs_code_row(row: &PgRow) -> StoreResult<DocumentHsCodeRow> {
    Ok(DocumentHsCodeRow {
        hub_id: column(row, "hub_id")?,
        code: column(row, "code")?,
        national: column(row, "national")?,
    })
}

fn status_change_row(row: &PgRow) -> StoreResult<StatusChangeRow> {
    Ok(StatusChangeRow {
        id: column(row, "id")?,
        hub_id: column(row, "hub_id")?,
        action: column(row, "action")?,
        from_status: column(row, "from_status")?,
        to_status: column(row, "to_status")?,
        reason: column(row, "reason")?,
        actor_org_id: column(row, "actor_org_id")?,
        effective_at: column(row, "effective_at")?,
        recorded_at: column(row, "recorded_at")?,
    })
}

fn hs_catalog_row(row: &PgRow) -> StoreResult<HsCatalogRow> {
    Ok(HsCatalogRow { edition: column(row, "edition")?, imported_at: column(row, "imported_at")? })
}

/// Reads an HS entry without `description_folded`, which import derives
/// again from the description.
fn hs_entry_row(row: &PgRow) -> StoreResult<HsEntryRow> {
    Ok(HsEntryRow {
        code: column(row, "code")?,
        description: column(row, "description")?,
        parent: column(row, "parent")?,
        section: column(row, "section")?,
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

fn event_row(row: &PgRow) -> StoreResult<EventRow> {
    Ok(EventRow {
        seq: column(row, "seq")?,
        kind: column(row, "kind")?,
        country: column(row, "country")?,
        actor_org_id: column(row, "actor_org_id")?,
        subject: column(row, "subject")?,
        content_sha256: column(row, "content_sha256")?,
        effective_at: column(row, "effective_at")?,
        recorded_at: column(row, "recorded_at")?,
        data: json(row, "data")?,
    })
}
