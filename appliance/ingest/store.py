"""The SQL of ingestion, and the write jobs that run it on the writer thread.

Events are written in coalesced batches (`appliance.db.batch.Coalescer`): one job inserts
every event gathered while the previous job committed, with one statement per kind of row.
A new session's row goes in the same job as its first events, so after a crash every stored
event has its session. Later changes of a session (counters, last hit, exit page) go with
their event when the job is small; under load (more than `INLINE_UPDATES` items) they are
left in the session book for the next flush (`write_heartbeats`, every few seconds), except a
leave or a resumed session, which is written with its event. Updating a row per hit costs a
scattered page in every commit; a flush updates each busy session once. If the process dies
before the flush, `load_state` counts the open sessions' hits again from their events.

Session rows are written from snapshots taken on the event loop when a write is built;
writes run in the order they were built, so a later snapshot always lands later: `ended_at`
is written as it is (a session left and then resumed is open again), while counters and
times only grow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from appliance.db.batch import Job
from appliance.ingest.identity import SECRET_NAME, new_secret
from appliance.ingest.models import Dropped, Reason
from appliance.ingest.sessions import Session, SessionBook

INLINE_UPDATES = 4  # a job of at most this many items also writes its sessions' changes

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
# A new session's row. A job built while an earlier one with the same insert is in flight
# inserts it again (the earlier one may fail); then the insert is ignored and UPDATE_SESSION
# applies the changes. Not an upsert: its DO UPDATE would fire UPDATE triggers under the
# statement's ABORT policy, which overrides their own OR IGNORE.
INSERT_SESSION = (
    f"INSERT OR IGNORE INTO sessions ({SESSION_FIRST_COLUMNS}, last_seen_at, duration, pageviews, "
    f"events, ended_at, entry_path, exit_path) VALUES ({', '.join('?' * 22)})"
)
# Parameters: Session.snapshot().
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
    """One item of a coalesced job: an event row (None for a session change alone) and its session.

    `urgent`: the session's row must change with this item (a leave, a resumed session).
    """

    session: Session
    row: tuple[object, ...] | None = None
    urgent: bool = False


@dataclass(slots=True)
class _Group:
    """The items of one session within a job; its row is taken when the job is built."""

    session: Session
    rows: list[tuple[object, ...]] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    urgent: bool = False
    insert: SessionRow | None = None  # a new session's row
    update: SessionRow | None = None  # its changes (None: they wait for the next flush)


@dataclass(slots=True)
class _Batch:
    groups: list[_Group]
    events: list[tuple[object, ...]]  # in the order they came
    new_sessions: list[SessionRow]
    changed_sessions: list[SessionRow]
    count: int


def prepare(items: list[Write], book: SessionBook) -> Job:
    """Build the job for a batch: runs on the event loop, where the sessions live.

    New sessions are inserted (and updated too when an earlier job with their insert may still
    be in flight); changed ones are updated in a small job, or when urgent, and otherwise stay
    in `book.unwritten` for the next flush.
    """
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
        if item.urgent or item.row is None:
            group.urgent = True
    inline = len(items) <= INLINE_UPDATES
    new_sessions: list[SessionRow] = []
    changed_sessions: list[SessionRow] = []
    for group in groups.values():
        session = group.session
        if session.first is not None:
            snapshot = session.snapshot()
            group.insert = (*session.first, *snapshot[:-1])
            new_sessions.append(group.insert)
            if session.inserting:  # an earlier job carries its insert too
                group.update = snapshot
                changed_sessions.append(snapshot)
            session.inserting = True
        elif inline or group.urgent:
            group.update = session.snapshot()
            changed_sessions.append(group.update)
        else:
            continue
        book.written(session)
    batch = _Batch(list(groups.values()), events, new_sessions, changed_sessions, len(items))
    return lambda conn: _write_batch(conn, batch)


def _write_batch(conn: sqlite3.Connection, batch: _Batch) -> list[object]:
    conn.execute("SAVEPOINT coalesced")
    try:
        conn.executemany(INSERT_EVENT, batch.events)
        conn.executemany(INSERT_SESSION, batch.new_sessions)
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
            if group.insert is not None:
                conn.execute(INSERT_SESSION, group.insert)
            if group.update is not None:
                conn.execute(UPDATE_SESSION, group.update)
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

    The rows of sessions left open by a stop or a crash are brought up to their stored events
    first (a crash may have lost changes waiting for a flush, see the module docstring). Then
    they go on if they were seen within the timeout, and are ended at their last hit otherwise.
    """
    conn.execute(
        "INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)", (SECRET_NAME, new_secret())
    )
    secret = conn.execute("SELECT value FROM server_secrets WHERE name = ?", (SECRET_NAME,)).fetchone()[0]
    salts = {row[0]: row[1] for row in conn.execute("SELECT day, salt FROM daily_salts")}
    next_event_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()[0]
    next_session_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sessions").fetchone()[0]
    rows = conn.execute(
        "SELECT id, site_id, session_key, client_named, visitor_key, started_at, last_seen_at, "
        "pageviews, events, entry_path, exit_path, ended_at FROM sessions WHERE ended_at IS NULL "
        "ORDER BY last_seen_at"
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
            entry=r[9],
            exit=r[10],
        )
        for r in rows
    ]
    before = [s.snapshot() for s in sessions]
    _recount(conn, sessions, recent)
    stale = now - timeout_ms
    for session in sessions:
        if session.last_seen < stale:
            session.ended = session.last_seen
    after = [s.snapshot() for s in sessions]
    conn.executemany(UPDATE_SESSION, [row for row, old in zip(after, before, strict=True) if row != old])
    going_on = sorted((s for s in sessions if s.ended is None), key=lambda s: s.last_seen)
    for session in going_on:
        session.touched = session.last_seen
    return State(secret, salts, next_event_id, next_session_id, going_on)


def _recount(conn: sqlite3.Connection, sessions: list[Session], recent: int) -> None:
    """Bring open sessions up to their stored events: counts, last hit, entry and exit pages, and
    the latest pageviews (which heartbeats may still name). One pass over each site's events
    since its earliest open session began, through the (site_id, ts) index.
    """
    by_id = {s.id: s for s in sessions}
    counts = {s.id: [0, 0] for s in sessions}  # pageviews, custom events
    last_path: dict[int, str | None] = {}
    earliest: dict[int, int] = {}
    for s in sessions:
        earliest[s.site_id] = min(earliest.get(s.site_id, s.started), s.started)
    for site_id, since in earliest.items():
        for event_id, session_id, kind, ts, path in conn.execute(
            "SELECT id, session_id, kind, ts, path FROM events WHERE site_id = ? AND ts >= ? ORDER BY id",
            (site_id, since),
        ):
            found = by_id.get(session_id)
            if found is None:
                continue
            counts[session_id][kind] += 1
            found.last_seen = max(found.last_seen, ts)
            if kind == 0:
                last_path[session_id] = path
                if found.entry is None:
                    found.entry = path
                found.recent.append(event_id)
                if len(found.recent) > recent:
                    del found.recent[0]
    for s in sessions:
        pageviews, events = counts[s.id]
        if pageviews > s.pageviews:  # pageviews after the last write: the latest one is the exit
            s.exit = last_path[s.id]
        s.pageviews = max(s.pageviews, pageviews)
        s.events = max(s.events, events)
