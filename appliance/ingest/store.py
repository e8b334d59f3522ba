"""The SQL of ingestion, and the write jobs that run it on the writer thread.

Events are written in coalesced batches (`appliance.db.batch.Coalescer`): one job inserts
every event gathered while the previous job committed, with one statement per kind of row.
A session's row goes in the same job as its events, so after a crash every stored event
has its session. Session rows are written from snapshots taken on the event loop when a job
is built; jobs run in the order they were built, so a later snapshot always lands later:
`ended_at` is written as it is (a session left and then resumed is open again), while
counters and times only grow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from appliance.db.batch import Job
from appliance.ingest.identity import SECRET_NAME, new_secret
from appliance.ingest.models import Dropped, Reason
from appliance.ingest.sessions import Session

EVENT_COLUMNS = (
    "id, site_id, ts, session_id, visitor_key, kind, name, path, title, referrer_host, source, "
    "utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, city, "
    "browser, browser_version, os, os_version, device, screen_width, screen_height, language, props"
)
INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 28)})"

# The columns of a session's first hit, in the order of `Session.first`.
SESSION_FIRST_COLUMNS = (
    "id, site_id, session_key, client_named, visitor_key, started_at, source, referrer_host, "
    "utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, device"
)
_CHANGES = (
    "last_seen_at = max(last_seen_at, {last_seen}), duration = max(duration, {duration}), "
    "pageviews = max(pageviews, {pageviews}), events = max(events, {events}), "
    "ended_at = {ended}, entry_path = coalesce(entry_path, {entry}), "
    "exit_path = coalesce({exit}, exit_path)"
)
UPSERT_SESSION = (
    f"INSERT INTO sessions ({SESSION_FIRST_COLUMNS}, last_seen_at, duration, pageviews, events, "
    f"ended_at, entry_path, exit_path) VALUES ({', '.join('?' * 22)}) ON CONFLICT (id) DO UPDATE SET "
    + _CHANGES.format(
        last_seen="excluded.last_seen_at",
        duration="excluded.duration",
        pageviews="excluded.pageviews",
        events="excluded.events",
        ended="excluded.ended_at",
        entry="excluded.entry_path",
        exit="excluded.exit_path",
    )
)
# Parameters: Session.snapshot()'s first five, entry path, exit path, id.
UPDATE_SESSION = (
    "UPDATE sessions SET "
    + _CHANGES.format(
        last_seen="?1", duration="?2", pageviews="?3", events="?4", ended="?5", entry="?6", exit="?7"
    )
    + " WHERE id = ?8"
)
# Engaged time and scroll only grow; a heartbeat touches only an event of its own session.
UPDATE_HEARTBEAT = (
    "UPDATE events SET time_on_page = coalesce(max(time_on_page, ?1), time_on_page, ?1), "
    "scroll_depth = coalesce(max(scroll_depth, ?2), scroll_depth, ?2) WHERE id = ?3 AND session_id = ?4"
)
UPSERT_DROPS = (
    "INSERT INTO drop_counts (site_id, day, reason, count) SELECT ?1, ?2, ?3, ?4 "
    "WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM sites WHERE id = ?1) "
    "ON CONFLICT (coalesce(site_id, 0), day, reason) DO UPDATE SET count = count + excluded.count"
)
INSERT_BOT = (
    "INSERT INTO bot_detections (site_id, ts, bot_type, bot_name, path) SELECT ?1, ?2, ?3, ?4, ?5 "
    "WHERE EXISTS (SELECT 1 FROM sites WHERE id = ?1)"
)

SessionRow = tuple[object, ...]


@dataclass(slots=True)
class Write:
    """One item of a coalesced job: an event row (None for a session change alone) and its session."""

    session: Session
    row: tuple[object, ...] | None = None
    path: str | None = None  # the path of a pageview: the session's entry or exit page


@dataclass(slots=True)
class _Group:
    """The items of one session within a job; its row is taken when the job is built."""

    session: Session
    rows: list[tuple[object, ...]] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    entry: str | None = None
    exit: str | None = None
    upsert: bool = False
    session_row: SessionRow = ()


@dataclass(slots=True)
class _Batch:
    groups: list[_Group]
    events: list[tuple[object, ...]]  # in the order they came
    new_sessions: list[SessionRow]
    changed_sessions: list[SessionRow]
    count: int


def prepare(items: list[Write]) -> Job:
    """Build the job for a batch: runs on the event loop, where the sessions live."""
    groups: dict[int, _Group] = {}
    events: list[tuple[object, ...]] = []
    for index, item in enumerate(items):
        group = groups.get(item.session.id)
        if group is None:
            group = groups[item.session.id] = _Group(item.session)
        group.items.append(index)
        if item.row is not None:
            group.rows.append(item.row)
            events.append(item.row)
        if item.path is not None:
            group.entry = group.entry or item.path
            group.exit = item.path
    new_sessions: list[SessionRow] = []
    changed_sessions: list[SessionRow] = []
    for group in groups.values():
        session = group.session
        last_seen, duration, pageviews, events_count, ended, session_id = session.snapshot()
        if session.first is not None:
            group.upsert = True
            group.session_row = (
                *session.first,
                last_seen,
                duration,
                pageviews,
                events_count,
                ended,
                group.entry,
                group.exit,
            )
            new_sessions.append(group.session_row)
        else:
            group.session_row = (
                last_seen,
                duration,
                pageviews,
                events_count,
                ended,
                group.entry,
                group.exit,
                session_id,
            )
            changed_sessions.append(group.session_row)
    batch = _Batch(list(groups.values()), events, new_sessions, changed_sessions, len(items))
    return lambda conn: _write_batch(conn, batch)


def _write_batch(conn: sqlite3.Connection, batch: _Batch) -> list[object]:
    conn.execute("SAVEPOINT coalesced")
    try:
        conn.executemany(INSERT_EVENT, batch.events)
        conn.executemany(UPSERT_SESSION, batch.new_sessions)
        conn.executemany(UPDATE_SESSION, batch.changed_sessions)
    except (sqlite3.Error, ValueError, OverflowError):
        conn.execute("ROLLBACK TO coalesced")
        conn.execute("RELEASE coalesced")
        return _write_one_by_one(conn, batch.groups, batch.count)
    conn.execute("RELEASE coalesced")
    return [None] * batch.count


def _write_one_by_one(conn: sqlite3.Connection, groups: list[_Group], count: int) -> list[object]:
    """After a batch failed: each session's rows on their own, so that one bad group fails alone."""
    outcomes: list[object] = [None] * count
    for group in groups:
        conn.execute("SAVEPOINT one")
        try:
            conn.executemany(INSERT_EVENT, group.rows)
            conn.execute(UPSERT_SESSION if group.upsert else UPDATE_SESSION, group.session_row)
        except (sqlite3.Error, ValueError, OverflowError) as exc:
            conn.execute("ROLLBACK TO one")
            failure: Exception = exc
            # The usual cause: the site was deleted while its hits were on their way.
            site_id = group.session.site_id
            if conn.execute("SELECT 1 FROM sites WHERE id = ?", (site_id,)).fetchone() is None:
                failure = Dropped(Reason.UNKNOWN_SITE, "Website not found.", site_id)
            for index in group.items:
                outcomes[index] = failure
        conn.execute("RELEASE one")
    return outcomes


def write_heartbeats(
    conn: sqlite3.Connection,
    beats: Sequence[tuple[int | None, int | None, int, int]],
    sessions: Sequence[SessionRow],
) -> None:
    """Write function: coalesced heartbeats (time, scroll, event id, session id) and their sessions."""
    conn.executemany(UPDATE_HEARTBEAT, beats)
    conn.executemany(UPDATE_SESSION, sessions)


def write_sessions(conn: sqlite3.Connection, sessions: Sequence[SessionRow]) -> None:
    """Write function: session changes without events (rows for UPDATE_SESSION)."""
    conn.executemany(UPDATE_SESSION, sessions)


def write_drops(
    conn: sqlite3.Connection,
    counts: Iterable[tuple[int | None, int, str, int]],
    bots: Iterable[tuple[int, int, str, str, str | None]],
) -> None:
    """Write function: drop counts (site, day, reason, n) added up, and bot detection records."""
    conn.executemany(UPSERT_DROPS, counts)
    conn.executemany(INSERT_BOT, bots)


def write_salt(conn: sqlite3.Connection, day: int, salt: bytes) -> None:
    conn.execute("INSERT OR IGNORE INTO daily_salts (day, salt) VALUES (?, ?)", (day, salt))


def delete_salts_before(conn: sqlite3.Connection, day: int) -> None:
    conn.execute("DELETE FROM daily_salts WHERE day < ?", (day,))


@dataclass(slots=True)
class State:
    """What ingestion needs from the database to start: secrets, next ids, open sessions."""

    secret: bytes
    salts: dict[int, bytes]
    next_event_id: int
    next_session_id: int
    sessions: list[Session]  # oldest hit first


def load_state(conn: sqlite3.Connection, *, now: int, timeout_ms: int, recent: int) -> State:
    """Write function (it may create the secret and end stale sessions): the state to start with.

    Sessions left open by a stop or a crash go on if they were seen within the timeout, and
    are ended at their last hit otherwise.
    """
    conn.execute(
        "INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)", (SECRET_NAME, new_secret())
    )
    secret = conn.execute("SELECT value FROM server_secrets WHERE name = ?", (SECRET_NAME,)).fetchone()[0]
    salts = {row[0]: row[1] for row in conn.execute("SELECT day, salt FROM daily_salts")}
    next_event_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()[0]
    next_session_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sessions").fetchone()[0]
    conn.execute(
        "UPDATE sessions SET ended_at = last_seen_at WHERE ended_at IS NULL AND last_seen_at < ?",
        (now - timeout_ms,),
    )
    rows = conn.execute(
        "SELECT id, site_id, session_key, client_named, visitor_key, started_at, last_seen_at, "
        "pageviews, events FROM sessions WHERE ended_at IS NULL ORDER BY last_seen_at"
    ).fetchall()
    sessions = [
        Session(
            id=r[0],
            site_id=r[1],
            key=r[2],
            client_named=bool(r[3]),
            visitor_key=r[4],
            started=r[5],
            last_seen=r[6],
            touched=r[6],
            pageviews=r[7],
            events=r[8],
        )
        for r in rows
    ]
    by_id = {s.id: s for s in sessions}
    earliest: dict[int, int] = {}
    for s in sessions:
        earliest[s.site_id] = min(earliest.get(s.site_id, s.started), s.started)
    # The latest pageviews of each, which heartbeats may still name: through the (site, ts) index.
    for site_id, since in earliest.items():
        for event_id, session_id in conn.execute(
            "SELECT id, session_id FROM events WHERE site_id = ? AND ts >= ? AND kind = 0 ORDER BY id",
            (site_id, since),
        ):
            found = by_id.get(session_id)
            if found is not None:
                found.recent.append(event_id)
                if len(found.recent) > recent:
                    del found.recent[0]
    return State(secret, salts, next_event_id, next_session_id, sessions)
