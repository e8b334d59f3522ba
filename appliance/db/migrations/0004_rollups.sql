-- Rollups: per local day pre-aggregates of events and sessions, derived from the raw rows and
-- rebuildable from them (`almanac rebuild-rollups`); see appliance/stats/rollups/.
-- Days are days since 1970-01-01, local in the time zone they were built in. Slots are the UTC
-- quarter hours since 1970 (every time zone's days begin on one, so a slot falls in one local
-- day, or two where a day has no midnight).

-- Dense ordinals of a site's visitor keys: the members of the visitor bitmaps.
CREATE TABLE visitor_ordinals (
    site_id     INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    visitor_key INTEGER NOT NULL,
    ordinal     INTEGER NOT NULL,
    PRIMARY KEY (site_id, visitor_key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visitor_ordinals_next ON visitor_ordinals(site_id, ordinal);

-- The local days whose rollups are built, and in which time zone. built_at NULL: to (re)build.
-- `claim` grows each time the day is marked to rebuild: a builder stores its rows only if the
-- day was not marked again meanwhile (by another builder that saw newer writes).
CREATE TABLE rollup_days (
    site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    day      INTEGER NOT NULL,
    timezone TEXT    NOT NULL,
    built_at INTEGER,
    claim    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

-- Slots whose raw rows changed since their local days were built; filled by the triggers below.
-- A quarter hour rather than a UTC day: a write of now must not spoil yesterday's local day in
-- zones behind or ahead of UTC.
CREATE TABLE rollup_dirty (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    slot    INTEGER NOT NULL,
    PRIMARY KEY (site_id, slot)
) WITHOUT ROWID;

-- dim '' is the day's totals; else one row per value of an event dimension (page: pageviews
-- only; event_name: custom events only), with its place for region and city. visitor_set is a
-- serialized roaring bitmap of visitor ordinals: unions of days are exact.
-- dim 'prop' counts custom events per property value: value = event name, country = property
-- name, region = JSON type, atom = the value as SQL has it (untyped column: 1, 1.0 and '1' stay
-- apart); its visitor_set is empty.
CREATE TABLE rollup_events (
    site_id     INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    dim         TEXT    NOT NULL,
    value       TEXT,
    country     TEXT,
    region      TEXT,
    atom,
    pageviews   INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    time_total  INTEGER NOT NULL,
    time_count  INTEGER NOT NULL,
    visitors    INTEGER NOT NULL,
    visitor_set BLOB    NOT NULL
);
CREATE INDEX rollup_events_dim ON rollup_events(site_id, dim, day);

-- Sessions by the local day they started: dim '' and one row per value of a session dimension.
CREATE TABLE rollup_sessions (
    site_id     INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    dim         TEXT    NOT NULL,
    value       TEXT,
    sessions    INTEGER NOT NULL,
    bounces     INTEGER NOT NULL,
    duration    INTEGER NOT NULL,
    visitors    INTEGER NOT NULL,
    visitor_set BLOB    NOT NULL
);
CREATE INDEX rollup_sessions_dim ON rollup_sessions(site_id, dim, day);

-- Every write to the raw rows marks its slot dirty, whatever wrote it (ingest, heartbeats,
-- session updates, deletions, imports). One primary-key probe per row; 900000 ms = 15 minutes.
-- NOT EXISTS rather than INSERT OR IGNORE: a trigger's conflict policy gives way to that of the
-- statement that fired it, so an upsert on sessions would abort on an already dirty slot.
CREATE TRIGGER events_dirty_insert AFTER INSERT ON events BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT NEW.site_id, NEW.ts / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = NEW.site_id AND slot = NEW.ts / 900000);
END;
CREATE TRIGGER events_dirty_update AFTER UPDATE ON events BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT NEW.site_id, NEW.ts / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = NEW.site_id AND slot = NEW.ts / 900000);
END;
-- Only an update that names ts or site_id can move a row off its day (heartbeats do not).
CREATE TRIGGER events_dirty_move AFTER UPDATE OF ts, site_id ON events BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT OLD.site_id, OLD.ts / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = OLD.site_id AND slot = OLD.ts / 900000);
END;
-- A deleted site takes its rows along: nothing to mark then.
CREATE TRIGGER events_dirty_delete AFTER DELETE ON events BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT OLD.site_id, OLD.ts / 900000
        WHERE EXISTS (SELECT 1 FROM sites WHERE id = OLD.site_id)
          AND NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = OLD.site_id AND slot = OLD.ts / 900000);
END;
CREATE TRIGGER sessions_dirty_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT NEW.site_id, NEW.started_at / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = NEW.site_id AND slot = NEW.started_at / 900000);
END;
CREATE TRIGGER sessions_dirty_update AFTER UPDATE ON sessions BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT NEW.site_id, NEW.started_at / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = NEW.site_id AND slot = NEW.started_at / 900000);
END;
CREATE TRIGGER sessions_dirty_move AFTER UPDATE OF started_at, site_id ON sessions BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT OLD.site_id, OLD.started_at / 900000
        WHERE NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = OLD.site_id AND slot = OLD.started_at / 900000);
END;
CREATE TRIGGER sessions_dirty_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO rollup_dirty (site_id, slot) SELECT OLD.site_id, OLD.started_at / 900000
        WHERE EXISTS (SELECT 1 FROM sites WHERE id = OLD.site_id)
          AND NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE site_id = OLD.site_id AND slot = OLD.started_at / 900000);
END;

-- Traffic stored before this migration: its quarter hours are dirty, so the refresher builds
-- every local day that has data, in the background, after the upgrade.
INSERT OR IGNORE INTO rollup_dirty (site_id, slot) SELECT DISTINCT site_id, ts / 900000 FROM events;
INSERT OR IGNORE INTO rollup_dirty (site_id, slot) SELECT DISTINCT site_id, started_at / 900000 FROM sessions;
