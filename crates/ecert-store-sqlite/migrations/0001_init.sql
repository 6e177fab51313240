-- e-CERT Hub schema, SQLite. Times are UTC text in the fixed form
-- YYYY-MM-DDTHH:MM:SS.ffffffZ so that text order is time order.
-- Ids are UUID text; JSON columns hold arrays or objects as text.

CREATE TABLE countries (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    track TEXT NOT NULL CHECK (track IN ('A', 'B', 'C')),
    data_policy TEXT NOT NULL CHECK (data_policy IN ('full', 'metadata_only')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    country TEXT REFERENCES countries (code),
    kind TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX organisations_number ON organisations (coalesce(country, ''), registration_number);

CREATE TABLE accreditations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    standard TEXT NOT NULL,
    body TEXT NOT NULL,
    ilac_iaf_signatory INTEGER NOT NULL,
    designated_types TEXT NOT NULL,
    hs_prefixes TEXT NOT NULL,
    standards TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX accreditations_org ON accreditations (org_id);

CREATE TABLE accreditation_status_changes (
    id TEXT PRIMARY KEY,
    accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    status TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_org_id TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX accreditation_status_changes_accreditation ON accreditation_status_changes (accreditation_id);

CREATE TABLE keys (
    kid TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    jwk TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    retired_at TEXT,
    compromised_at TEXT,
    registered_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX keys_org ON keys (org_id);

CREATE TABLE key_status_changes (
    id TEXT PRIMARY KEY,
    kid TEXT NOT NULL REFERENCES keys (kid),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_org_id TEXT,
    recorded_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    roles TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    locale TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hub_id TEXT NOT NULL UNIQUE,
    doc_type TEXT NOT NULL,
    country TEXT NOT NULL REFERENCES countries (code),
    issuer_org_id TEXT NOT NULL REFERENCES organisations (id),
    national_number TEXT NOT NULL,
    content TEXT NOT NULL,
    payload BLOB NOT NULL,
    payload_sha256 TEXT NOT NULL,
    trust_basis TEXT NOT NULL,
    jws TEXT,
    kid TEXT REFERENCES keys (kid),
    attestation TEXT,
    file_sha256 TEXT,
    stamped_sha256 TEXT,
    file_url TEXT,
    status TEXT NOT NULL,
    supersedes TEXT REFERENCES documents (hub_id),
    superseded_by TEXT,
    issued_at TEXT NOT NULL,
    valid_until TEXT,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    UNIQUE (issuer_org_id, payload_sha256)
);
CREATE INDEX documents_number ON documents (issuer_org_id, national_number);
CREATE INDEX documents_country ON documents (country, seq);
CREATE INDEX documents_file ON documents (file_sha256);
CREATE INDEX documents_stamped ON documents (stamped_sha256);
-- One corrected re-issue per entry: a second one is a conflict.
CREATE UNIQUE INDEX documents_supersedes ON documents (supersedes) WHERE supersedes IS NOT NULL;

CREATE TABLE document_hs_codes (
    hub_id TEXT NOT NULL REFERENCES documents (hub_id),
    code TEXT NOT NULL,
    national TEXT
);
CREATE INDEX document_hs_codes_code ON document_hs_codes (code);
CREATE INDEX document_hs_codes_hub_id ON document_hs_codes (hub_id);

CREATE TABLE status_changes (
    id TEXT PRIMARY KEY,
    hub_id TEXT NOT NULL REFERENCES documents (hub_id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_org_id TEXT,
    effective_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX status_changes_hub_id ON status_changes (hub_id);

-- The append-only event log. No personal data: ids and hashes only.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    country TEXT,
    actor_org_id TEXT,
    subject TEXT NOT NULL,
    content_sha256 TEXT,
    effective_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_country ON events (country, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;
