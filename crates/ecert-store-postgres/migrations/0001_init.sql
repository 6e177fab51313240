-- e-CERT Hub schema, PostgreSQL: the SQLite migrations 0001 to 0003 in one
-- file, with native types (uuid, timestamptz, jsonb, bytea, identity columns).
-- Enumerations are text; CHECK constraints list the values where the SQLite
-- schema does. Named constraints and indexes matter: the store turns a unique
-- violation into a conflict message naming the columns by constraint name.

CREATE TABLE countries (
    code text PRIMARY KEY,
    name text NOT NULL,
    track text NOT NULL CHECK (track IN ('A', 'B', 'C')),
    data_policy text NOT NULL CHECK (data_policy IN ('full', 'metadata_only')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE organisations (
    -- Insertion order, the paging cursor (SQLite uses its rowid).
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    country text REFERENCES countries (code),
    kind text NOT NULL,
    registration_number text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX organisations_seq ON organisations (seq);
-- Registration numbers are unique per country regardless of letter case, so
-- that urn:ecert:org:UZ:cb-0042 and urn:ecert:org:UZ:CB-0042 cannot name two
-- different organisations. The hub operator has no country ('').
CREATE UNIQUE INDEX organisations_number_case ON organisations (coalesce(country, ''), upper(registration_number));

CREATE TABLE accreditations (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organisations (id),
    standard text NOT NULL,
    body text NOT NULL,
    ilac_iaf_signatory boolean NOT NULL,
    designated_types jsonb NOT NULL,
    hs_prefixes jsonb NOT NULL,
    standards jsonb NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_until timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX accreditations_org ON accreditations (org_id);

CREATE TABLE accreditation_status_changes (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    accreditation_id uuid NOT NULL REFERENCES accreditations (id),
    status text NOT NULL,
    effective_at timestamptz NOT NULL,
    reason text NOT NULL,
    actor_org_id uuid,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX accreditation_status_changes_accreditation ON accreditation_status_changes (accreditation_id);

CREATE TABLE keys (
    kid text PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organisations (id),
    jwk jsonb NOT NULL,
    algorithm text NOT NULL,
    purpose text NOT NULL,
    status text NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_until timestamptz,
    retired_at timestamptz,
    compromised_at timestamptz,
    registered_by uuid,
    created_at timestamptz NOT NULL
);
CREATE INDEX keys_org ON keys (org_id);

CREATE TABLE key_status_changes (
    id uuid PRIMARY KEY,
    kid text NOT NULL REFERENCES keys (kid),
    from_status text NOT NULL,
    to_status text NOT NULL,
    effective_at timestamptz NOT NULL,
    reason text NOT NULL,
    actor_org_id uuid,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX key_status_changes_kid ON key_status_changes (kid);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organisations (id),
    roles jsonb NOT NULL,
    token_hash text NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE,
    label text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organisations (id),
    username text NOT NULL CONSTRAINT users_username_key UNIQUE,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    roles jsonb NOT NULL,
    locale text,
    created_at timestamptz NOT NULL
);

CREATE TABLE documents (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hub_id text NOT NULL CONSTRAINT documents_hub_id_key UNIQUE,
    doc_type text NOT NULL,
    country text NOT NULL REFERENCES countries (code),
    issuer_org_id uuid NOT NULL REFERENCES organisations (id),
    national_number text NOT NULL,
    content jsonb NOT NULL,
    payload bytea NOT NULL,
    payload_sha256 text NOT NULL,
    trust_basis text NOT NULL,
    jws text,
    kid text REFERENCES keys (kid),
    attestation text,
    file_sha256 text,
    stamped_sha256 text,
    file_url text,
    status text NOT NULL,
    supersedes text REFERENCES documents (hub_id),
    superseded_by text,
    issued_at timestamptz NOT NULL,
    valid_until timestamptz,
    registered_at timestamptz NOT NULL,
    registered_by uuid NOT NULL,
    CONSTRAINT documents_payload UNIQUE (issuer_org_id, payload_sha256)
);
CREATE INDEX documents_number ON documents (issuer_org_id, national_number);
CREATE INDEX documents_country ON documents (country, seq);
CREATE INDEX documents_file ON documents (file_sha256);
CREATE INDEX documents_stamped ON documents (stamped_sha256);
-- One corrected re-issue per entry: a second one is a conflict.
CREATE UNIQUE INDEX documents_supersedes ON documents (supersedes) WHERE supersedes IS NOT NULL;
-- One entry per national number and issuer, except entries superseded by a
-- corrected re-issue, which may keep the number. The service checks this
-- first for a helpful message; this index settles concurrent submissions.
CREATE UNIQUE INDEX documents_unique_number ON documents (issuer_org_id, national_number) WHERE status <> 'superseded';

CREATE TABLE document_hs_codes (
    hub_id text NOT NULL REFERENCES documents (hub_id),
    code text NOT NULL,
    national text
);
CREATE INDEX document_hs_codes_code ON document_hs_codes (code);
CREATE INDEX document_hs_codes_hub_id ON document_hs_codes (hub_id);

CREATE TABLE status_changes (
    -- Order of changes recorded in the same microsecond (SQLite uses its rowid).
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id uuid PRIMARY KEY,
    hub_id text NOT NULL REFERENCES documents (hub_id),
    action text NOT NULL,
    from_status text NOT NULL,
    to_status text NOT NULL,
    reason text NOT NULL,
    actor_org_id uuid,
    effective_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX status_changes_hub_id ON status_changes (hub_id);

-- The append-only event log. No personal data: ids and hashes only.
-- The identity sequence must keep CACHE 1 (the default): with a larger cache
-- each session takes numbers from its own block, and sequence numbers would
-- no longer follow the order in which writers take the event-log lock.
CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    country text,
    actor_org_id uuid,
    subject text NOT NULL,
    content_sha256 text,
    effective_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    -- NOTE: jsonb stores object keys shortest first, so `data` reads back
    -- with its keys in another order than written (SQLite keeps the order).
    data jsonb NOT NULL
);
CREATE INDEX events_country ON events (country, seq);

-- Statement-level triggers, so that an UPDATE or DELETE fails even when it
-- matches no row, and TRUNCATE fails too. NOTE: the table owner can still
-- disable the triggers; they stop application SQL, not an administrator.
CREATE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();
