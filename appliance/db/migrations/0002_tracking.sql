-- Tracking: events, sessions, the identity secrets, bot detections and drop counters.
-- Times are UTC epoch milliseconds. No IP address and no client-given id is ever stored:
-- visitors and sessions appear only as keyed hashes (BLAKE2b keyed with the server secret, a
-- MAC like HMAC, cut to a signed 64-bit integer). Event and session ids are allocated by the server.

-- The server secret that keys every visitor and session hash; made on first start.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- The secret salt of each UTC day (days since 1970-01-01) for cookieless visitor ids.
-- Today's, and yesterday's only while sessions that began before midnight may go on.
CREATE TABLE daily_salts (
    day  INTEGER PRIMARY KEY,
    salt BLOB    NOT NULL
) WITHOUT ROWID;

-- A visit: hits of one visitor until session_timeout_minutes without one, or a leave.
-- Bounce is pageviews = 1. Source, UTM, country and device are those of the first hit.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    site_id       INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    session_key   INTEGER NOT NULL,            -- keyed hash of the session id the clients send
    client_named  INTEGER NOT NULL DEFAULT 0,  -- 1: the client chose the session id
    visitor_key   INTEGER NOT NULL,            -- keyed hash of the visitor id
    started_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,            -- last hit or heartbeat
    ended_at      INTEGER,                     -- NULL while open
    duration      INTEGER NOT NULL DEFAULT 0,  -- seconds from start to last_seen_at
    pageviews     INTEGER NOT NULL DEFAULT 0,
    events        INTEGER NOT NULL DEFAULT 0,  -- custom events
    entry_path    TEXT,
    exit_path     TEXT,
    source        TEXT,
    referrer_host TEXT,
    utm_source    TEXT,
    utm_medium    TEXT,
    utm_campaign  TEXT,
    utm_content   TEXT,
    utm_term      TEXT,
    country       TEXT,
    device        TEXT
);
CREATE INDEX sessions_site_started ON sessions(site_id, started_at);
-- Only the open ones, which a restart reloads; its key never changes, so hits do not touch it.
CREATE INDEX sessions_open ON sessions(id) WHERE ended_at IS NULL;

-- One pageview (kind 0) or custom event (kind 1). session_id has no foreign key: an index on
-- it would cost every insert, and sessions go only with their site, which takes its events along.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    ts              INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    visitor_key     INTEGER NOT NULL,
    kind            INTEGER NOT NULL CHECK (kind IN (0, 1)),
    name            TEXT,                 -- custom event name
    path            TEXT,                 -- without the query string
    title           TEXT,
    referrer_host   TEXT,
    source          TEXT,
    utm_source      TEXT,
    utm_medium      TEXT,
    utm_campaign    TEXT,
    utm_content     TEXT,
    utm_term        TEXT,
    country         TEXT,                 -- ISO 3166-1 alpha-2
    region          TEXT,
    city            TEXT,
    browser         TEXT,
    browser_version TEXT,
    os              TEXT,
    os_version      TEXT,
    device          TEXT,
    screen_width    INTEGER,
    screen_height   INTEGER,
    language        TEXT,
    props           TEXT,                 -- custom properties as a JSON object
    time_on_page    INTEGER,              -- seconds, from heartbeats
    scroll_depth    INTEGER               -- percent, from heartbeats
);
CREATE INDEX events_site_ts ON events(site_id, ts);

-- What the bot filter stopped, kept for the bot-detection feature. No IP, no User-Agent.
CREATE TABLE bot_detections (
    id       INTEGER PRIMARY KEY,
    site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    ts       INTEGER NOT NULL,
    bot_type TEXT    NOT NULL,
    bot_name TEXT    NOT NULL,
    path     TEXT
);
CREATE INDEX bot_detections_site_ts ON bot_detections(site_id, ts);

-- Requests that stored nothing, per site (NULL when none was found), UTC day and reason.
CREATE TABLE drop_counts (
    site_id INTEGER REFERENCES sites(id) ON DELETE CASCADE,
    day     INTEGER NOT NULL,
    reason  TEXT    NOT NULL,
    count   INTEGER NOT NULL
);
CREATE UNIQUE INDEX drop_counts_key ON drop_counts(coalesce(site_id, 0), day, reason);
