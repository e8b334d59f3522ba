-- Accounts, API tokens, dashboard login sessions, sites, memberships and invitations.
-- Times are UTC epoch milliseconds. Secrets (passwords, tokens) are stored only as hashes.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    token_hash   BLOB    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_hash BLOB    NOT NULL UNIQUE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX login_sessions_user ON login_sessions(user_id);

CREATE TABLE sites (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    domain           TEXT    NOT NULL,
    pixel_key        TEXT    NOT NULL UNIQUE,
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    tracking_enabled INTEGER NOT NULL DEFAULT 1,
    is_enabled       INTEGER NOT NULL DEFAULT 1,
    tracking_type    TEXT    NOT NULL DEFAULT 'lightweight',
    channel_type     TEXT    NOT NULL DEFAULT 'website',
    created_at       INTEGER NOT NULL
);

CREATE TABLE memberships (
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    email       TEXT    NOT NULL COLLATE NOCASE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    token_hash  BLOB    NOT NULL UNIQUE,
    invited_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
);
CREATE INDEX invitations_site ON invitations(site_id);
