-- Goals: what counts as a conversion on a site. Conversions themselves are not stored: they
-- are computed from the raw events and sessions when asked (appliance/goals/conversions.py),
-- counting only traffic at or after the goal's created_at.

CREATE TABLE goals (
    id             INTEGER PRIMARY KEY,
    site_id        INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    type           TEXT    NOT NULL CHECK (type IN ('pageview', 'event', 'duration', 'pages_per_session')),
    match_type     TEXT    CHECK (match_type IN ('equals', 'contains', 'starts_with', 'ends_with', 'regex')),
    match_value    TEXT,                 -- path or event name, or an RE2 pattern
    threshold      INTEGER,              -- seconds (duration) or pageviews (pages_per_session)
    value          REAL,                 -- fixed value of each conversion
    value_property TEXT,                 -- or the custom property of the converting hit that holds it
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK ((type IN ('pageview', 'event')) = (match_type IS NOT NULL AND match_value IS NOT NULL)),
    CHECK ((type IN ('duration', 'pages_per_session')) = (threshold IS NOT NULL))
);
CREATE UNIQUE INDEX goals_site_name ON goals(site_id, name);

-- Goals find their hits by path (pageviews) or name (custom events), one index seek per matching
-- value: these indexes cover what a conversion needs, so counting reads no table row.
CREATE INDEX events_goal_paths ON events(site_id, path, ts, session_id) WHERE kind = 0;
CREATE INDEX events_goal_names ON events(site_id, name, ts, session_id) WHERE kind = 1;
