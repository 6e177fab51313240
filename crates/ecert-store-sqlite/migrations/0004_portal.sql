-- Portal logins and the HS catalog. Sessions, login failure counters and
-- login devices are short-lived and not part of a snapshot.

ALTER TABLE users ADD COLUMN disabled_at TEXT;

-- `id_hash` is the SHA-256 of the cookie secret; the secret is never stored.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per key (an account or a client address, hashed).
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL CHECK (count > 0),
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL
);

-- Browsers that logged in to an account before; `token_hash` is the SHA-256
-- of the cookie secret.
CREATE TABLE login_devices (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX login_devices_user ON login_devices (user_id);

-- The imported HS nomenclature. `description_folded` is the description
-- lower-cased by the store with Rust's str::to_lowercase, because SQLite's
-- lower() folds ASCII letters only and search must ignore case in Cyrillic
-- too. Every heading and subheading refers to its enclosing code.
CREATE TABLE hs_entries (
    code TEXT PRIMARY KEY CHECK (length(code) IN (2, 4, 6)),
    description TEXT NOT NULL,
    description_folded TEXT NOT NULL,
    parent TEXT REFERENCES hs_entries (code),
    section TEXT NOT NULL
);

-- The edition and import time of the catalog in `hs_entries`: no row before
-- the first import, one row after it.
CREATE TABLE hs_catalog (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    edition TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
