"""The front door of ingestion: one per running app, holding what the pipeline needs in memory.

`track` runs a hit through the pipeline and answers once its event has committed; `heartbeat`
and `leave` change a session the client names. The background jobs (`appliance.tasks`) call
the flushes here, and `drain` writes everything still in memory before the database closes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from appliance.clock import now_ms
from appliance.config import Config
from appliance.db import Database
from appliance.db.batch import Coalescer
from appliance.errors import NotFound
from appliance.ingest import pipeline, store
from appliance.ingest.drops import DropCounts
from appliance.ingest.geo import open_locator
from appliance.ingest.identity import DAY_MS, Keys, Salts, day_of
from appliance.ingest.models import Dropped, HeartbeatBody, Hit, LeaveBody, Reason, Tracked
from appliance.ingest.sessions import RECENT_PAGEVIEWS, Session, SessionBook
from appliance.ingest.site_keys import SiteKeys
from appliance.ingest.store import Write

log = logging.getLogger("almanac.ingest")
FLUSH_SESSIONS = 256  # session rows per write of a flush


@dataclass(slots=True)
class _Beat:
    session: Session
    time_on_page: int | None
    scroll_depth: int | None


class Intake:
    def __init__(self, db: Database, config: Config, cx: pipeline.Context) -> None:
        self.db = db
        self.config = config
        self.cx = cx
        self.drops = DropCounts()
        self.events: Coalescer[Write, None] = Coalescer(db, lambda items: store.prepare(items, cx.sessions))
        self._beats: dict[int, _Beat] = {}
        self._background: set[asyncio.Future[object]] = set()
        cx.persist_salt = self._persist_salt
        cx.on_bot = self._record_bot

    @classmethod
    async def open(cls, db: Database, config: Config) -> Intake:
        """Load the secrets, the next ids and the open sessions; open the geo databases."""
        timeout_ms = config.tracking.session_timeout_minutes * 60_000
        state = await db.write(
            lambda conn: store.load_state(conn, now=now_ms(), timeout_ms=timeout_ms, recent=RECENT_PAGEVIEWS)
        )
        locator = await asyncio.to_thread(open_locator, config.geo)
        sessions = SessionBook(timeout_ms, state.next_session_id, config.tracking.max_open_sessions)
        for session in state.sessions:
            sessions.add(session)
        cx = pipeline.Context(
            sites=SiteKeys(db),
            keys=Keys(state.secret),
            salts=Salts(state.salts),
            sessions=sessions,
            locator=locator,
            limits=config.tracking,
            persist_salt=lambda day, salt: None,
            next_event_id=state.next_event_id,
        )
        intake = cls(db, config, cx)
        await intake.rotate_salts()
        return intake

    # -- hits ------------------------------------------------------------------------------

    async def track(self, hit: Hit) -> Tracked:
        """Store a pageview or custom event; its ids once it has committed. Raises Dropped."""
        try:
            known, _ = self.cx.sites.cached(hit.key)
            if not known:
                await self.cx.sites.load(hit.key)
            pipeline.run(hit, self.cx)
        except Dropped as drop:
            self.count_drop(drop, hit)
            raise
        session: Session = hit.session
        write = Write(session, pipeline.event_row(hit), urgent=hit.resumed)
        try:
            await self.events.add(write)
        except Dropped as drop:
            self.count_drop(drop, hit)
            raise
        session.first = None  # its row is stored: later jobs only update it
        assert hit.visitor_id is not None and hit.session_id is not None
        return Tracked(event_id=hit.event_id, visitor_id=hit.visitor_id, session_id=hit.session_id)

    def count_drop(self, drop: Dropped, hit: Hit | None = None) -> None:
        """Count a request that stored nothing (also those the HTTP surface could not read)."""
        site_id = drop.site_id or (hit.site.id if hit is not None and hit.site is not None else 0)
        self.drops.count(site_id, drop.reason, now_ms())

    def _record_bot(self, hit: Hit) -> None:
        assert hit.site is not None
        self.drops.bot(hit.site.id, hit.ts, hit.bot_type or "unknown", hit.bot_name or "unknown", hit.path)

    def site_of_key(self, key: str) -> int:
        """The id of the site of a pixel key if the cache knows it, else 0 (for counting drops)."""
        _, site = self.cx.sites.cached(key)
        return site.id if site is not None else 0

    # -- sessions the client names ----------------------------------------------------------

    def _named(self, session_id: str) -> Session:
        session = self.cx.sessions.named(self.cx.keys.key(session_id))
        if session is None:
            raise NotFound("Session not found.")
        return session

    def heartbeat(self, body: HeartbeatBody) -> None:
        """Engaged time and scroll of one of the session's latest pageviews; written in batches."""
        session = self._named(body.session_id)
        if body.event_id not in session.recent:
            raise NotFound("Event not found in this session.")
        self.cx.sessions.heartbeat(session, now_ms())
        top = None if body.time_on_page is None else round(body.time_on_page)
        scroll = None if body.scroll_depth is None else round(body.scroll_depth)
        beat = self._beats.get(body.event_id)
        if beat is None:
            self._beats[body.event_id] = _Beat(session, top, scroll)
        else:
            beat.time_on_page = _larger(beat.time_on_page, top)
            beat.scroll_depth = _larger(beat.scroll_depth, scroll)

    async def leave(self, body: LeaveBody) -> None:
        """End the session; answered once that is stored."""
        session = self._named(body.session_id)
        self.cx.sessions.leave(session, now_ms())
        await self.events.add(Write(session, urgent=True))

    # -- background jobs (appliance.tasks) ---------------------------------------------------

    async def flush_heartbeats(self) -> None:
        """Write the heartbeats gathered so far and every session changed since its last write.

        Sessions go in writes of at most FLUSH_SESSIONS rows, one after the other, so that the
        events queued meanwhile commit between them rather than wait for thousands of updates.
        """
        book = self.cx.sessions
        if not self._beats and not book.unwritten:
            return
        beats, self._beats = self._beats, {}
        changed = book.take_unwritten()
        rows = [(b.time_on_page, b.scroll_depth, event_id, b.session.id) for event_id, b in beats.items()]
        done = 0
        try:
            while True:
                # Snapshots are taken here, on the event loop, where the sessions change.
                sessions = [s.snapshot() for s in changed[done : done + FLUSH_SESSIONS]]
                await self.db.write(functools.partial(store.write_heartbeats, beats=rows, sessions=sessions))
                rows, beats = [], {}
                done += len(sessions)
                if done >= len(changed):
                    break
        except BaseException:
            for event_id, beat in beats.items():  # keep what was not written for the next try
                self._beats.setdefault(event_id, beat)
            for session in changed[done:]:
                book.unwritten.setdefault(session.id, session)
            raise

    async def flush_drops(self) -> None:
        if not self.drops:
            return
        counts, bots = self.drops.take()
        try:
            await self.db.write(lambda conn: store.write_drops(conn, counts, bots))
        except BaseException:
            self.drops.put_back(counts, bots)
            raise

    async def close_idle_sessions(self) -> None:
        closed = self.cx.sessions.close_idle(now_ms())
        if closed:
            rows = [s.snapshot() for s in closed]
            await self.db.write(lambda conn: store.write_sessions(conn, rows))

    async def rotate_salts(self) -> None:
        """Today's salt exists; yesterday's is kept while sessions begun before midnight go on."""
        now = now_ms()
        today = day_of(now)
        salt, created = self.cx.salts.for_day(today)
        if created:
            await self.db.write(lambda conn: store.write_salt(conn, today, salt))
        keep_from = today - 1 if now - today * DAY_MS <= self.cx.sessions.timeout_ms else today
        if self.cx.salts.forget_before(keep_from):
            self.cx.keys.forget_visitors()  # no cached id may outlive its salt
        await self.db.write(lambda conn: store.delete_salts_before(conn, keep_from))

    def _persist_salt(self, day: int, salt: bytes) -> None:
        # Queued before the event that needed it, so it commits with it or earlier.
        future = self.db.writer.submit(lambda conn: store.write_salt(conn, day, salt))
        self._background.add(future)
        future.add_done_callback(self._background_done)

    def _background_done(self, future: asyncio.Future[object]) -> None:
        self._background.discard(future)
        if not future.cancelled() and (error := future.exception()) is not None:
            log.error("background write failed", exc_info=error)

    async def drain(self) -> None:
        """Write everything still in memory (heartbeats, session changes, counts), then close the
        geo databases.

        Open sessions stay open in the database: a restart reloads them.
        """
        await self.events.idle()
        for flush in (self.flush_heartbeats, self.flush_drops):
            try:
                await flush()
            except Exception:
                log.exception("could not write %s while stopping", flush.__name__)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self.cx.locator.close()


def _larger(old: int | None, new: int | None) -> int | None:
    if old is None:
        return new
    if new is None:
        return old
    return max(old, new)


__all__ = ["Dropped", "Intake", "Reason"]
