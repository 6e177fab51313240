//! The whole content of a hub database in a backend-neutral form, for moving
//! a hub between SQLite and PostgreSQL ([`crate::Store::export_snapshot`] and
//! [`crate::Store::import_snapshot`]).
//!
//! There is one row type per table, with the table's columns under their
//! column names. Enumerations keep their stored text, and JSON columns keep
//! their JSON value. Times are UTC at microsecond precision, the precision
//! both backends store. Two columns are backend-specific and left out:
//! the insertion counters `seq` of `accreditation_status_changes` and
//! `status_changes` (PostgreSQL only). Their order survives as the order of
//! the rows in the snapshot. The search column `hs_entries.description_folded`
//! is left out too, because the store derives it from `description`.
//! Portal sessions, login failure counters and login devices are
//! short-lived and not part of a snapshot, so a moved hub starts with every
//! user logged out.
//!
//! [`Snapshot::digest`] hashes a canonical serialization, so the same
//! content gives the same digest whichever backend it was read from.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::str::FromStr;

use ecert_core::document::DocumentContent;
use ecert_core::hs::HsEdition;
use ecert_core::jose::{Algorithm, PublicJwk};
use ecert_core::keys::{KeyPurpose, KeyStatus};
use ecert_core::party::{AccreditationStandard, AccreditationStatus, DataPolicy, OrgKind, Role, Track};
use ecert_core::{CountryCode, DocType, DocumentStatus, HubId, StatusAction, TrustBasis};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::EventKind;

/// Version of the snapshot layout. It is the first line hashed by
/// [`Snapshot::digest`], so a layout change also changes every digest.
/// Version 2 added `users.disabled_at`, `hs_catalog` and `hs_entries`.
pub const SNAPSHOT_FORMAT: u32 = 2;

/// Every row of every table. Each list is in insertion order, which is the
/// order [`crate::Store::import_snapshot`] inserts it in. `organisations`,
/// `documents` and `events` are in increasing `seq` order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub countries: Vec<CountryRow>,
    pub organisations: Vec<OrganisationRow>,
    pub accreditations: Vec<AccreditationRow>,
    pub accreditation_status_changes: Vec<AccreditationStatusChangeRow>,
    pub keys: Vec<KeyRow>,
    pub key_status_changes: Vec<KeyStatusChangeRow>,
    pub api_tokens: Vec<ApiTokenRow>,
    pub users: Vec<UserRow>,
    pub documents: Vec<DocumentRow>,
    pub document_hs_codes: Vec<DocumentHsCodeRow>,
    pub status_changes: Vec<StatusChangeRow>,
    /// The imported HS catalog's edition: no row, or one.
    pub hs_catalog: Vec<HsCatalogRow>,
    pub hs_entries: Vec<HsEntryRow>,
    pub events: Vec<EventRow>,
}

/// Names of the tables a snapshot covers, in the order they are inserted
/// (every table after the tables it refers to).
pub const TABLES: [&str; 14] = [
    "countries",
    "organisations",
    "accreditations",
    "accreditation_status_changes",
    "keys",
    "key_status_changes",
    "api_tokens",
    "users",
    "documents",
    "document_hs_codes",
    "status_changes",
    "hs_catalog",
    "hs_entries",
    "events",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryRow {
    pub code: String,
    pub name: String,
    pub track: String,
    pub data_policy: String,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
    #[serde(with = "utc_micros")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRow {
    /// Insertion counter and page cursor: the rowid in SQLite, the `seq`
    /// column in PostgreSQL. Kept so that page cursors stay valid.
    pub seq: i64,
    pub id: Uuid,
    pub country: Option<String>,
    pub kind: String,
    pub registration_number: String,
    pub name: String,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccreditationRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub standard: String,
    pub body: String,
    pub ilac_iaf_signatory: bool,
    pub designated_types: Value,
    pub hs_prefixes: Value,
    pub standards: Value,
    #[serde(with = "utc_micros")]
    pub valid_from: OffsetDateTime,
    #[serde(with = "utc_micros::option")]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccreditationStatusChangeRow {
    pub id: Uuid,
    pub accreditation_id: Uuid,
    pub status: String,
    #[serde(with = "utc_micros")]
    pub effective_at: OffsetDateTime,
    pub reason: String,
    pub actor_org_id: Option<Uuid>,
    #[serde(with = "utc_micros")]
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRow {
    pub kid: String,
    pub org_id: Uuid,
    pub jwk: Value,
    pub algorithm: String,
    pub purpose: String,
    pub status: String,
    #[serde(with = "utc_micros")]
    pub valid_from: OffsetDateTime,
    #[serde(with = "utc_micros::option")]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(with = "utc_micros::option")]
    pub retired_at: Option<OffsetDateTime>,
    #[serde(with = "utc_micros::option")]
    pub compromised_at: Option<OffsetDateTime>,
    pub registered_by: Option<Uuid>,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyStatusChangeRow {
    pub id: Uuid,
    pub kid: String,
    pub from_status: String,
    pub to_status: String,
    #[serde(with = "utc_micros")]
    pub effective_at: OffsetDateTime,
    pub reason: String,
    pub actor_org_id: Option<Uuid>,
    #[serde(with = "utc_micros")]
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub roles: Value,
    /// SHA-256 of the token secret, hex.
    pub token_hash: String,
    pub label: String,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
    #[serde(with = "utc_micros::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub roles: Value,
    pub locale: Option<String>,
    #[serde(with = "utc_micros")]
    pub created_at: OffsetDateTime,
    #[serde(with = "utc_micros::option")]
    pub disabled_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRow {
    /// Primary key and the cursor of document search pages.
    pub seq: i64,
    pub hub_id: String,
    pub doc_type: String,
    pub country: String,
    pub issuer_org_id: Uuid,
    pub national_number: String,
    pub content: Value,
    /// The credential bytes; standard base64 in JSON.
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
    pub payload_sha256: String,
    pub trust_basis: String,
    pub jws: Option<String>,
    pub kid: Option<String>,
    pub attestation: Option<String>,
    pub file_sha256: Option<String>,
    pub stamped_sha256: Option<String>,
    pub file_url: Option<String>,
    pub status: String,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    #[serde(with = "utc_micros")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "utc_micros::option")]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(with = "utc_micros")]
    pub registered_at: OffsetDateTime,
    pub registered_by: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentHsCodeRow {
    pub hub_id: String,
    pub code: String,
    pub national: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub hub_id: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
    pub actor_org_id: Option<Uuid>,
    #[serde(with = "utc_micros")]
    pub effective_at: OffsetDateTime,
    #[serde(with = "utc_micros")]
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsCatalogRow {
    /// `HS2017`, `HS2022` or `HS2027`.
    pub edition: String,
    #[serde(with = "utc_micros")]
    pub imported_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsEntryRow {
    pub code: String,
    pub description: String,
    pub parent: Option<String>,
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub country: Option<String>,
    pub actor_org_id: Option<Uuid>,
    pub subject: String,
    pub content_sha256: Option<String>,
    #[serde(with = "utc_micros")]
    pub effective_at: OffsetDateTime,
    #[serde(with = "utc_micros")]
    pub recorded_at: OffsetDateTime,
    pub data: Value,
}

/// A snapshot that the target database could not store or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid snapshot: {0}")]
pub struct InvalidSnapshot(pub String);

impl Snapshot {
    /// Counts the rows of every table, in [`TABLES`] order.
    pub fn row_counts(&self) -> [(&'static str, usize); 14] {
        [
            ("countries", self.countries.len()),
            ("organisations", self.organisations.len()),
            ("accreditations", self.accreditations.len()),
            ("accreditation_status_changes", self.accreditation_status_changes.len()),
            ("keys", self.keys.len()),
            ("key_status_changes", self.key_status_changes.len()),
            ("api_tokens", self.api_tokens.len()),
            ("users", self.users.len()),
            ("documents", self.documents.len()),
            ("document_hs_codes", self.document_hs_codes.len()),
            ("status_changes", self.status_changes.len()),
            ("hs_catalog", self.hs_catalog.len()),
            ("hs_entries", self.hs_entries.len()),
            ("events", self.events.len()),
        ]
    }

    /// Collects the SHA-256 of documents' original and stamped files, sorted
    /// and without repeats: the blobs a full copy of the hub needs.
    pub fn referenced_blobs(&self) -> Vec<String> {
        let mut hashes: Vec<String> = self
            .documents
            .iter()
            .flat_map(|d| [d.file_sha256.clone(), d.stamped_sha256.clone()])
            .flatten()
            .collect();
        hashes.sort();
        hashes.dedup();
        hashes
    }

    /// Returns the hex SHA-256 of the canonical serialization. The hashed
    /// text is the line `ecert-snapshot {SNAPSHOT_FORMAT}`, then for each
    /// table in [`TABLES`] order a line `table {name} {row count}` followed
    /// by one line per row, rows sorted by primary key. A row is its JSON
    /// object with the keys of every object sorted by their UTF-8 bytes and
    /// no whitespace. Times are RFC 3339 UTC with six fraction digits
    /// (`2026-05-01T00:00:00.000000Z`), and bytes are standard base64.
    /// `document_hs_codes` has no primary key and is sorted by all columns,
    /// and `hs_catalog` has at most one row.
    /// Every line ends with `\n`.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("ecert-snapshot {SNAPSHOT_FORMAT}\n"));
        let mut table = |name: &str, rows: Vec<Value>| {
            hasher.update(format!("table {name} {}\n", rows.len()));
            for row in rows {
                let mut line = Vec::new();
                write_canonical(&row, &mut line);
                line.push(b'\n');
                hasher.update(&line);
            }
        };

        table("countries", sorted_rows(&self.countries, |a, b| a.code.cmp(&b.code)));
        table("organisations", sorted_rows(&self.organisations, |a, b| a.id.cmp(&b.id)));
        table("accreditations", sorted_rows(&self.accreditations, |a, b| a.id.cmp(&b.id)));
        table(
            "accreditation_status_changes",
            sorted_rows(&self.accreditation_status_changes, |a, b| a.id.cmp(&b.id)),
        );
        table("keys", sorted_rows(&self.keys, |a, b| a.kid.cmp(&b.kid)));
        table("key_status_changes", sorted_rows(&self.key_status_changes, |a, b| a.id.cmp(&b.id)));
        table("api_tokens", sorted_rows(&self.api_tokens, |a, b| a.id.cmp(&b.id)));
        table("users", sorted_rows(&self.users, |a, b| a.id.cmp(&b.id)));
        table("documents", sorted_rows(&self.documents, |a, b| a.seq.cmp(&b.seq)));
        table("document_hs_codes", sorted_rows(&self.document_hs_codes, Ord::cmp));
        table("status_changes", sorted_rows(&self.status_changes, |a, b| a.id.cmp(&b.id)));
        table("hs_catalog", sorted_rows(&self.hs_catalog, |a, b| a.edition.cmp(&b.edition)));
        table("hs_entries", sorted_rows(&self.hs_entries, |a, b| a.code.cmp(&b.code)));
        table("events", sorted_rows(&self.events, |a, b| a.seq.cmp(&b.seq)));
        hex::encode(hasher.finalize())
    }

    /// Checks that every enumeration, id and JSON column contains a value the
    /// store can read back, and that `organisations`, `documents` and `events`
    /// are in increasing `seq` order. HS entries must have codes of 2, 4 or 6
    /// digits whose parent is the code without its last two digits and is in
    /// the snapshot, and come with one `hs_catalog` row. The database checks
    /// the rest (unique keys and references) when the rows are inserted.
    pub fn validate(&self) -> Result<(), InvalidSnapshot> {
        for row in &self.countries {
            let at = format!("countries row {}", row.code);
            check_parse::<CountryCode>(&at, "code", &row.code)?;
            check_parse::<Track>(&at, "track", &row.track)?;
            check_parse::<DataPolicy>(&at, "data_policy", &row.data_policy)?;
        }

        check_increasing("organisations", self.organisations.iter().map(|r| r.seq))?;
        for row in &self.organisations {
            let at = format!("organisations row {}", row.id);
            check_parse_opt::<CountryCode>(&at, "country", row.country.as_deref())?;
            check_parse::<OrgKind>(&at, "kind", &row.kind)?;
        }

        for row in &self.accreditations {
            let at = format!("accreditations row {}", row.id);
            check_parse::<AccreditationStandard>(&at, "standard", &row.standard)?;
            check_json::<Vec<DocType>>(&at, "designated_types", &row.designated_types)?;
            check_json::<Vec<String>>(&at, "hs_prefixes", &row.hs_prefixes)?;
            check_json::<Vec<String>>(&at, "standards", &row.standards)?;
        }

        for row in &self.accreditation_status_changes {
            let at = format!("accreditation_status_changes row {}", row.id);
            check_parse::<AccreditationStatus>(&at, "status", &row.status)?;
        }

        for row in &self.keys {
            let at = format!("keys row {}", row.kid);
            check_json::<PublicJwk>(&at, "jwk", &row.jwk)?;
            check_parse::<Algorithm>(&at, "algorithm", &row.algorithm)?;
            check_parse::<KeyPurpose>(&at, "purpose", &row.purpose)?;
            check_parse::<KeyStatus>(&at, "status", &row.status)?;
        }

        for row in &self.key_status_changes {
            let at = format!("key_status_changes row {}", row.id);
            check_parse::<KeyStatus>(&at, "from_status", &row.from_status)?;
            check_parse::<KeyStatus>(&at, "to_status", &row.to_status)?;
        }

        for row in &self.api_tokens {
            check_json::<Vec<Role>>(&format!("api_tokens row {}", row.id), "roles", &row.roles)?;
        }

        for row in &self.users {
            check_json::<Vec<Role>>(&format!("users row {}", row.id), "roles", &row.roles)?;
        }

        check_increasing("documents", self.documents.iter().map(|r| r.seq))?;
        for row in &self.documents {
            let at = format!("documents row {}", row.hub_id);
            check_parse::<HubId>(&at, "hub_id", &row.hub_id)?;
            check_parse::<DocType>(&at, "doc_type", &row.doc_type)?;
            check_parse::<CountryCode>(&at, "country", &row.country)?;
            check_json::<DocumentContent>(&at, "content", &row.content)?;
            check_parse::<TrustBasis>(&at, "trust_basis", &row.trust_basis)?;
            check_parse::<DocumentStatus>(&at, "status", &row.status)?;
            check_parse_opt::<HubId>(&at, "supersedes", row.supersedes.as_deref())?;
            check_parse_opt::<HubId>(&at, "superseded_by", row.superseded_by.as_deref())?;
            let actual = crate::blob::sha256_hex(&row.payload);
            if actual != row.payload_sha256 {
                return Err(InvalidSnapshot(format!(
                    "{at}: payload_sha256 is {} but the payload bytes hash to {actual}",
                    row.payload_sha256
                )));
            }
        }

        for row in &self.status_changes {
            let at = format!("status_changes row {}", row.id);
            check_parse::<StatusAction>(&at, "action", &row.action)?;
            check_parse::<DocumentStatus>(&at, "from_status", &row.from_status)?;
            check_parse::<DocumentStatus>(&at, "to_status", &row.to_status)?;
        }

        check_hs_catalog(&self.hs_catalog, &self.hs_entries)?;

        check_increasing("events", self.events.iter().map(|r| r.seq))?;
        for row in &self.events {
            let at = format!("events row {}", row.seq);
            if EventKind::parse(&row.kind).is_none() {
                return Err(InvalidSnapshot(format!("{at}: kind {:?} is not a known event kind", row.kind)));
            }
            check_parse_opt::<CountryCode>(&at, "country", row.country.as_deref())?;
        }
        Ok(())
    }
}

fn check_hs_catalog(catalog: &[HsCatalogRow], entries: &[HsEntryRow]) -> Result<(), InvalidSnapshot> {
    if catalog.len() > 1 {
        return Err(InvalidSnapshot(format!("hs_catalog has {} rows, but a snapshot may have at most one", catalog.len())));
    }
    for row in catalog {
        check_parse::<HsEdition>(&format!("hs_catalog row {}", row.edition), "edition", &row.edition)?;
    }
    if catalog.is_empty() && !entries.is_empty() {
        return Err(InvalidSnapshot(format!("hs_entries has {} rows but hs_catalog has none", entries.len())));
    }

    let codes: HashSet<&str> = entries.iter().map(|r| r.code.as_str()).collect();
    for row in entries {
        let at = format!("hs_entries row {}", row.code);
        if !matches!(row.code.len(), 2 | 4 | 6) || !row.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidSnapshot(format!("{at}: column code must have 2, 4 or 6 digits")));
        }
        let enclosing = (row.code.len() > 2).then(|| &row.code[..row.code.len() - 2]);
        if row.parent.as_deref() != enclosing {
            return Err(InvalidSnapshot(format!(
                "{at}: column parent contains {:?}, but the enclosing code is {enclosing:?}",
                row.parent
            )));
        }
        if let Some(parent) = enclosing
            && !codes.contains(parent)
        {
            return Err(InvalidSnapshot(format!("{at}: its parent {parent} is not among the hs_entries rows")));
        }
    }
    Ok(())
}

fn sorted_rows<T: Serialize>(rows: &[T], compare: impl Fn(&T, &T) -> Ordering) -> Vec<Value> {
    let mut sorted: Vec<&T> = rows.iter().collect();
    sorted.sort_by(|a, b| compare(a, b));
    sorted
        .into_iter()
        // The row types contain only strings, numbers, booleans, JSON values
        // and the infallible time and byte encodings below, so this cannot fail.
        .map(|row| serde_json::to_value(row).expect("snapshot rows serialize to JSON"))
        .collect()
}

/// Writes `value` as JSON without whitespace, with the keys of every object
/// sorted by their UTF-8 bytes. Strings, numbers and literals are written
/// the way `serde_json` writes them.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a string, number, boolean or null to a Vec cannot fail.
    serde_json::to_writer(out, value).expect("JSON scalars serialize");
}

fn check_parse<T: FromStr>(at: &str, column: &str, text: &str) -> Result<(), InvalidSnapshot>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map(|_| ())
        .map_err(|e| InvalidSnapshot(format!("{at}: column {column} contains {text:?}: {e}")))
}

fn check_parse_opt<T: FromStr>(at: &str, column: &str, text: Option<&str>) -> Result<(), InvalidSnapshot>
where
    T::Err: std::fmt::Display,
{
    text.map_or(Ok(()), |text| check_parse::<T>(at, column, text))
}

fn check_json<T: DeserializeOwned>(at: &str, column: &str, value: &Value) -> Result<(), InvalidSnapshot> {
    T::deserialize(value)
        .map(|_| ())
        .map_err(|e| InvalidSnapshot(format!("{at}: column {column} is not readable JSON: {e}")))
}

fn check_increasing(table: &str, seqs: impl Iterator<Item = i64>) -> Result<(), InvalidSnapshot> {
    let mut previous = 0;
    for seq in seqs {
        if seq <= previous {
            return Err(InvalidSnapshot(format!(
                "{table} rows must have positive seq values in increasing order, but {seq} follows {previous}"
            )));
        }
        previous = seq;
    }
    Ok(())
}

/// Serde encoding of a time as RFC 3339 UTC with exactly six fraction
/// digits. Reading accepts any RFC 3339 time and truncates it to
/// microseconds, the precision every backend stores.
pub mod utc_micros {
    use serde::{Deserialize as _, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, UtcOffset};

    /// Formats `t` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC. Unlike a
    /// `time` format description this cannot fail, so serializing a
    /// snapshot cannot fail either.
    pub fn format(t: OffsetDateTime) -> String {
        let t = t.to_offset(UtcOffset::UTC);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }

    pub fn parse(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(|t| crate::stored_precision(t.to_offset(UtcOffset::UTC)))
    }

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(|e| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time: {e}")))
    }

    /// The same encoding for an optional time, `null` for `None`.
    pub mod option {
        use serde::{Deserialize as _, Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => serializer.serialize_str(&super::format(*t)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<OffsetDateTime>, D::Error> {
            let text = Option::<String>::deserialize(deserializer)?;
            text.map(|text| {
                super::parse(&text).map_err(|e| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time: {e}")))
            })
            .transpose()
        }
    }
}

/// Serde encoding of bytes as standard base64 with padding.
pub mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text.as_bytes()).map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> OffsetDateTime {
        utc_micros::parse(text).unwrap()
    }

    fn sample() -> Snapshot {
        let at = time("2026-05-01T10:00:00.123456Z");
        Snapshot {
            countries: vec![
                CountryRow { code: "UZ".into(), name: "Uzbekistan".into(), track: "A".into(), data_policy: "full".into(), created_at: at, updated_at: at },
                CountryRow { code: "AZ".into(), name: "Azerbaijan".into(), track: "B".into(), data_policy: "full".into(), created_at: at, updated_at: at },
            ],
            events: vec![EventRow {
                seq: 7,
                kind: "country.upserted".into(),
                country: Some("UZ".into()),
                actor_org_id: None,
                subject: "UZ".into(),
                content_sha256: None,
                effective_at: at,
                recorded_at: at,
                data: serde_json::json!({"track": "A", "data_policy": "full"}),
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn digest_ignores_row_and_key_order() {
        let snapshot = sample();
        let mut reordered = sample();
        reordered.countries.reverse();
        reordered.events[0].data = serde_json::json!({"data_policy": "full", "track": "A"});
        assert_eq!(snapshot.digest(), reordered.digest());
    }

    #[test]
    fn digest_changes_with_content() {
        let snapshot = sample();
        let mut changed = sample();
        changed.events[0].recorded_at += time::Duration::microseconds(1);
        assert_ne!(snapshot.digest(), changed.digest());
    }

    #[test]
    fn digest_survives_a_json_round_trip() {
        let snapshot = sample();
        let text = serde_json::to_string(&snapshot).unwrap();
        let read: Snapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(read, snapshot);
        assert_eq!(read.digest(), snapshot.digest());
    }

    #[test]
    fn times_have_six_fraction_digits_in_utc() {
        let t = time("2026-05-01T12:00:00.5+02:00");
        assert_eq!(utc_micros::format(t), "2026-05-01T10:00:00.500000Z");
        let truncated = time("2026-05-01T10:00:00.123456789Z");
        assert_eq!(utc_micros::format(truncated), "2026-05-01T10:00:00.123456Z");
    }

    #[test]
    fn canonical_json_sorts_nested_keys() {
        let value = serde_json::json!({"b": [{"z": 1, "a": "x\n"}], "a": null});
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"a":null,"b":[{"a":"x\n","z":1}]}"#);
    }

    #[test]
    fn validate_rejects_unknown_enumeration() {
        let mut snapshot = sample();
        snapshot.countries[0].track = "D".into();
        let error = snapshot.validate().unwrap_err();
        assert!(error.0.contains("countries row UZ: column track"), "{error}");
    }

    fn hs_entry(code: &str, parent: Option<&str>) -> HsEntryRow {
        HsEntryRow { code: code.into(), description: "Animals; live".into(), parent: parent.map(Into::into), section: "I".into() }
    }

    fn with_hs_catalog() -> Snapshot {
        Snapshot {
            hs_catalog: vec![HsCatalogRow { edition: "HS2022".into(), imported_at: time("2026-05-01T10:00:00Z") }],
            hs_entries: vec![hs_entry("01", None), hs_entry("0101", Some("01")), hs_entry("010121", Some("0101"))],
            ..sample()
        }
    }

    #[test]
    fn validate_accepts_hs_catalog() {
        with_hs_catalog().validate().unwrap();
    }

    #[test]
    fn validate_rejects_broken_hs_catalog() {
        type Damage = fn(&mut Snapshot);
        let cases: [(&str, Damage); 6] = [
            ("hs_catalog row HS2099: column edition", |s| s.hs_catalog[0].edition = "HS2099".into()),
            ("hs_catalog has 2 rows", |s| s.hs_catalog.push(s.hs_catalog[0].clone())),
            ("hs_entries has 3 rows but hs_catalog has none", |s| s.hs_catalog.clear()),
            ("hs_entries row 010: column code", |s| s.hs_entries.push(hs_entry("010", Some("01")))),
            ("hs_entries row 0102: column parent contains Some(\"0101\")", |s| s.hs_entries.push(hs_entry("0102", Some("0101")))),
            ("hs_entries row 020110: its parent 0201 is not among", |s| s.hs_entries.push(hs_entry("020110", Some("0201")))),
        ];
        for (expected, damage) in cases {
            let mut snapshot = with_hs_catalog();
            damage(&mut snapshot);
            let error = snapshot.validate().unwrap_err();
            assert!(error.0.contains(expected), "expected {expected:?}, got {error}");
        }
    }

    #[test]
    fn digest_covers_hs_catalog() {
        let snapshot = with_hs_catalog();
        let mut reordered = with_hs_catalog();
        reordered.hs_entries.reverse();
        assert_eq!(snapshot.digest(), reordered.digest());
        let mut changed = with_hs_catalog();
        changed.hs_entries[2].description = "Horses".into();
        assert_ne!(snapshot.digest(), changed.digest());
        assert_ne!(snapshot.digest(), sample().digest());
    }

    #[test]
    fn validate_rejects_events_out_of_order() {
        let mut snapshot = sample();
        let mut second = snapshot.events[0].clone();
        second.seq = 3;
        snapshot.events.push(second);
        let error = snapshot.validate().unwrap_err();
        assert!(error.0.contains("3 follows 7"), "{error}");
    }
}
