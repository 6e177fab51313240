//! Records kept by the store. Personal data (user names, free-text reasons)
//! lives only in ordinary tables; events refer to it by id.

use ecert_core::document::DocumentContent;
use ecert_core::jose::{Algorithm, PublicJwk};
use ecert_core::keys::{KeyStatus, KeyValidity};
use ecert_core::party::{Accreditation, AccreditationStatus, DataPolicy, OrgKind, Role, Track};
use ecert_core::{CountryCode, DocType, DocumentStatus, HubId, StatusAction, TrustBasis};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Author of a change: an organisation, or the hub itself (`None`) for
/// bootstrap commands run by the operator on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub org_id: Option<Uuid>,
}

impl Actor {
    pub const SYSTEM: Actor = Actor { org_id: None };

    pub fn org(org_id: Uuid) -> Self {
        Actor { org_id: Some(org_id) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    pub code: CountryCode,
    pub name: String,
    pub track: Track,
    pub data_policy: DataPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: Uuid,
    /// `None` only for the hub operator.
    pub country: Option<CountryCode>,
    pub kind: OrgKind,
    pub registration_number: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

impl Organisation {
    /// Returns the deployment-independent issuer id used in credentials.
    pub fn urn(&self) -> String {
        match self.country {
            Some(country) => format!("urn:ecert:org:{country}:{}", self.registration_number),
            None => format!("urn:ecert:org:hub:{}", self.registration_number),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccreditationRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub accreditation: Accreditation,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccreditationStatusChange {
    pub id: Uuid,
    pub to: AccreditationStatus,
    pub effective_at: OffsetDateTime,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// RFC 7638 thumbprint of `jwk`.
    pub kid: String,
    pub org_id: Uuid,
    pub jwk: PublicJwk,
    pub algorithm: Algorithm,
    pub validity: KeyValidity,
    /// The organisation that registered the key: the hub operator for a
    /// national authority's key, the national authority for a CAB's key.
    pub registered_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatusChange {
    pub kid: String,
    pub expected: KeyStatus,
    pub to: KeyStatus,
    /// Retirement time or compromise time, depending on `to`.
    pub effective_at: OffsetDateTime,
    /// When true, the store replaces `effective_at` with its clock once it
    /// holds the key's row, so a registration that committed first, with the
    /// key still valid, keeps counting. Set when the caller gave no time.
    pub effective_now: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    /// SHA-256 of the secret, hex. The secret itself is never stored.
    pub token_hash: String,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub org_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub locale: Option<String>,
    pub created_at: OffsetDateTime,
    /// Set while the user may not log in; disabling deletes the user's sessions.
    pub disabled_at: Option<OffsetDateTime>,
}

/// A portal login, stored server-side. The browser holds only the secret
/// whose SHA-256 is `id_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie secret.
    pub id_hash: String,
    pub user_id: Uuid,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The session ends here however active it is.
    pub expires_at: OffsetDateTime,
}

/// Failed logins counted under one key (an account or a client address,
/// hashed), for growing delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: u32,
    pub first_at: OffsetDateTime,
    pub last_at: OffsetDateTime,
}

/// A browser that has logged in to an account before. Its logins skip the
/// delays that others' wrong passwords put on the account, so guessing
/// cannot lock the owner out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginDevice {
    /// SHA-256 (hex) of the cookie secret.
    pub token_hash: String,
    pub user_id: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// The imported HS nomenclature: its edition and every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HsCatalog {
    pub edition: ecert_core::hs::HsEdition,
    pub entries: Vec<HsEntry>,
}

/// One heading of the HS nomenclature: a chapter (2 digits), heading (4)
/// or subheading (6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HsEntry {
    pub code: String,
    /// English description as the nomenclature gives it.
    pub description: String,
    /// Code of the enclosing chapter or heading; `None` for a chapter.
    pub parent: Option<String>,
    /// Roman numeral of the HS section, such as `XVI`.
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsCatalogInfo {
    pub edition: ecert_core::hs::HsEdition,
    pub entries: u64,
    pub imported_at: OffsetDateTime,
}

/// A registry entry. Immutable once registered except for `status`,
/// `superseded_by` and `stamped_sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub hub_id: HubId,
    pub doc_type: DocType,
    pub country: CountryCode,
    pub issuer_org_id: Uuid,
    pub national_number: String,
    pub content: DocumentContent,
    /// The credential bytes: the signed JWS payload, or for unsigned entries
    /// the credential the hub built and attested.
    pub payload: Vec<u8>,
    /// SHA-256 of `payload`, hex: the identity used for idempotent resubmission.
    pub payload_sha256: String,
    pub trust_basis: TrustBasis,
    /// The signed original (compact JWS) for signed entries.
    pub jws: Option<String>,
    /// The signing key for signed entries.
    pub kid: Option<String>,
    /// The hub's attestation (compact JWS by the hub key) for unsigned entries.
    pub attestation: Option<String>,
    pub file_sha256: Option<String>,
    pub stamped_sha256: Option<String>,
    /// Location of the file in the national system, for countries whose policy is `metadata_only`.
    pub file_url: Option<String>,
    pub status: DocumentStatus,
    pub supersedes: Option<HubId>,
    pub superseded_by: Option<HubId>,
    pub registered_at: OffsetDateTime,
    pub registered_by: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeRecord {
    pub id: Uuid,
    pub hub_id: HubId,
    pub action: StatusAction,
    pub from: DocumentStatus,
    pub to: DocumentStatus,
    /// Free text; may name people, so it never enters the event log.
    pub reason: String,
    pub actor_org_id: Option<Uuid>,
    pub effective_at: OffsetDateTime,
    pub recorded_at: OffsetDateTime,
}

/// Filters of a document search; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentQuery {
    pub country: Option<CountryCode>,
    pub doc_type: Option<DocType>,
    pub issuer_org_id: Option<Uuid>,
    pub national_number: Option<String>,
    /// HS code prefix (2 to 10 digits).
    pub hs_code: Option<String>,
    pub status: Option<DocumentStatus>,
    /// Issue date range, inclusive.
    pub issued_from: Option<OffsetDateTime>,
    pub issued_to: Option<OffsetDateTime>,
}

/// A cursor-based page request. `after` is the opaque cursor of the
/// previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 500;

    pub fn first(limit: u32) -> Self {
        PageRequest { after: None, limit: limit.clamp(1, Self::MAX_LIMIT) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor for the next page, `None` on the last page.
    pub next: Option<String>,
}

/// An entry of the append-only event log. It contains ids and hashes only,
/// never personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub kind: EventKind,
    /// The country whose data changed; `None` for hub-level changes.
    pub country: Option<CountryCode>,
    pub actor_org_id: Option<Uuid>,
    /// Id of the changed entity (hub ID, key id, organisation id).
    pub subject: String,
    /// SHA-256 of the content concerned, where there is one.
    pub content_sha256: Option<String>,
    pub effective_at: OffsetDateTime,
    pub recorded_at: OffsetDateTime,
    /// Extra non-personal facts (new status, key purpose, id of the reason row).
    pub data: serde_json::Value,
}

macro_rules! event_kinds {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventKind {
            $(#[serde(rename = $text)] $variant),+
        }

        impl EventKind {
            /// Every kind, in declaration order.
            pub const ALL: &[EventKind] = &[$(EventKind::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(EventKind::$variant),)+ _ => None }
            }
        }
    };
}

event_kinds! {
    CountryUpserted => "country.upserted",
    OrganisationCreated => "organisation.created",
    AccreditationAdded => "accreditation.added",
    AccreditationStatusChanged => "accreditation.status_changed",
    KeyRegistered => "key.registered",
    KeyStatusChanged => "key.status_changed",
    TokenCreated => "token.created",
    TokenRevoked => "token.revoked",
    UserCreated => "user.created",
    DocumentRegistered => "document.registered",
    DocumentStatusChanged => "document.status_changed",
    DocumentFileStamped => "document.file_stamped",
    UserLoggedIn => "user.logged_in",
    UserLoggedOut => "user.logged_out",
    UserLoginFailed => "user.login_failed",
    UserDisabled => "user.disabled",
    UserEnabled => "user.enabled",
    UserPasswordChanged => "user.password_changed",
    HsCatalogImported => "hs_catalog.imported",
}
