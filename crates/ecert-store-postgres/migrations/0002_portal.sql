-- Portal logins and the HS catalog: the SQLite migration 0004 with native
-- types. Sessions, login failure counters and login devices are
-- short-lived and not part of a snapshot.

ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- `id_hash` is the SHA-256 of the cookie secret; the secret is never stored.
CREATE TABLE sessions (
    id_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per key (an account or a client address, hashed). Nodes
-- count with one INSERT … ON CONFLICT DO UPDATE, which PostgreSQL runs
-- atomically per key.
CREATE TABLE login_failures (
    key text PRIMARY KEY,
    count integer NOT NULL CHECK (count > 0),
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL
);

-- Browsers that logged in to an account before; `token_hash` is the SHA-256
-- of the cookie secret.
CREATE TABLE login_devices (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX login_devices_user ON login_devices (user_id);

-- The imported HS nomenclature. `description_folded` is the description
-- lower-cased by the store with Rust's str::to_lowercase, the same folding
-- as on SQLite, whose lower() folds ASCII letters only. Every heading and
-- subheading refers to its enclosing code.
CREATE TABLE hs_entries (
    code text PRIMARY KEY CHECK (length(code) IN (2, 4, 6)),
    description text NOT NULL,
    description_folded text NOT NULL,
    parent text REFERENCES hs_entries (code),
    section text NOT NULL
);

-- The edition and import time of the catalog in `hs_entries`: no row before
-- the first import, one row after it.
CREATE TABLE hs_catalog (
    id integer PRIMARY KEY CHECK (id = 1),
    edition text NOT NULL,
    imported_at timestamptz NOT NULL
);
