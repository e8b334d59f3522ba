"""Open sessions, kept in memory: the authoritative state while a visit goes on.

The event loop is one thread, so finding a visitor's session and starting one happen without
an await between them: concurrent hits of one visitor always land in one session. Ids are
allocated here too; the database gets each change through the writer. A restart reloads the
sessions still open (see `store.load_open_sessions`), so it does not split visits.

A session is found by the key of the id clients send back (`by_key`), or, for sessions the
server named, by its visitor (`by_visitor`): a client that names its sessions is taken at its word.

Every change is noted in `unwritten` until a write carries the session's latest state: its first
hit inserts its row at once, but under load later hits leave their changes there for the next
flush (see `store.prepare`), so that a busy visit is one row update every few seconds rather
than one per hit.

A leave ends a session, but the tracker sends one on every `pagehide`, and on an ordinary site
every click on a link unloads the page. So a hit that comes from another page of the same site
(`same_site`: its referrer is the site) within the timeout resumes the session it left; any
other hit after a leave starts a new one.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

RECENT_PAGEVIEWS = 8


class Session(msgspec.Struct, kw_only=True, gc=False):
    """One visit. `first` holds the first hit's columns until the row is known to be stored.

    Sessions live for minutes and there may be many: they are kept out of the cyclic garbage
    collector (`gc=False`; nothing they hold points back at them).
    """

    id: int
    site_id: int
    key: int  # the keyed hash of the id clients call it by
    visitor_key: int
    client_named: bool
    started: int
    touched: int  # wall clock of the last hit or heartbeat, for closing idle ones
    last_seen: int = 0
    ended: int | None = None
    pageviews: int = 0
    events: int = 0
    recent: list[int] = msgspec.field(default_factory=list)  # latest pageviews, for heartbeats
    first: tuple[object, ...] | None = None
    inserting: bool = False  # a job with its row's insert was built (it may be in flight)
    entry: str | None = None  # the path of its first pageview
    exit: str | None = None  # the path of its latest pageview
    # The public id of a session the server named (`Keys.session_name`), kept rather than
    # hashed again on every hit; "" until known (a client-named one, or one just reloaded).
    name: str = ""

    def __post_init__(self) -> None:
        self.last_seen = max(self.last_seen, self.started)

    @property
    def duration(self) -> int:
        """Seconds from the first hit to the last hit or heartbeat."""
        return max(0, (self.last_seen - self.started) // 1000)

    def snapshot(self) -> tuple[int, int, int, int, int | None, str | None, str | None, int]:
        """The columns that change as the visit goes on, as parameters of `store.UPDATE_SESSION`."""
        return (
            self.last_seen,
            self.duration,
            self.pageviews,
            self.events,
            self.ended,
            self.entry,
            self.exit,
            self.id,
        )


class SessionBook:
    """Every open session (and ended ones until they go idle, for late heartbeats).

    At most `max_open` are kept: starting one more first ends the session idle the longest, at
    its last hit, as `close_idle` would have later (its row is written by the next flush); a
    later hit of that visitor starts a new session. Memory stays bounded under any traffic.
    """

    def __init__(self, timeout_ms: int, next_id: int = 1, max_open: int = 100_000) -> None:
        self.timeout_ms = timeout_ms
        self.next_id = next_id
        self.max_open = max_open
        self.evicted = 0  # sessions ended early to stay within max_open
        # Ordered by last touch, oldest first: closing idle sessions pops from the front.
        self.by_id: OrderedDict[int, Session] = OrderedDict()
        self.by_key: dict[int, Session] = {}
        self.by_visitor: dict[tuple[int, int], Session] = {}
        # Sessions changed since their row was last written, by id (see the module docstring).
        self.unwritten: dict[int, Session] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def goes_on(self, session: Session, ts: int, same_site: bool = False) -> bool:
        """Whether a hit at `ts` continues the session rather than starting a new one.

        A session that was left goes on only for a hit from another of the site's pages.
        """
        if ts - session.last_seen > self.timeout_ms:
            return False
        return session.ended is None or same_site

    def find_named(self, site_id: int, key: int, ts: int, same_site: bool = False) -> Session | None:
        session = self.by_key.get(key)
        if session is None or session.site_id != site_id or not self.goes_on(session, ts, same_site):
            return None
        return session

    def find_for_visitor(
        self, site_id: int, visitor_key: int, ts: int, same_site: bool = False
    ) -> Session | None:
        session = self.by_visitor.get((site_id, visitor_key))
        if session is None or not self.goes_on(session, ts, same_site):
            return None
        return session

    def new_id(self) -> int:
        session_id = self.next_id
        self.next_id += 1
        return session_id

    def start(
        self,
        session_id: int,
        site_id: int,
        visitor_key: int,
        key: int,
        *,
        client_named: bool,
        ts: int,
        now: int,
    ) -> Session:
        """A new session (id from `new_id`), indexed; `key` is the keyed hash of its public id."""
        session = Session(
            id=session_id,
            site_id=site_id,
            key=key,
            visitor_key=visitor_key,
            client_named=client_named,
            started=ts,
            touched=now,
        )
        self.add(session)
        return session

    def add(self, session: Session) -> None:
        """Index a session (new, or reloaded after a restart); it replaces one under the same names."""
        while len(self.by_id) >= self.max_open:
            self._evict_oldest()
        self._end_replaced(self.by_key.get(session.key), session)
        self.by_id[session.id] = session
        self.by_key[session.key] = session
        if not session.client_named:
            self._end_replaced(self.by_visitor.get((session.site_id, session.visitor_key)), session)
            self.by_visitor[(session.site_id, session.visitor_key)] = session

    def _end_replaced(self, old: Session | None, new: Session) -> None:
        if old is not None and old is not new and old.ended is None:
            old.ended = old.last_seen
            self.unwritten[old.id] = old

    def hit(
        self, session: Session, ts: int, now: int, *, event_id: int, pageview: bool, path: str | None = None
    ) -> None:
        """Count a hit of the session (which reopens it, if it was left); `path` is a pageview's."""
        session.ended = None
        if pageview:
            session.pageviews += 1
            if path is not None:
                session.exit = path
                if session.entry is None:
                    session.entry = path
            recent = session.recent
            recent.append(event_id)
            if len(recent) > RECENT_PAGEVIEWS:
                del recent[0]
        else:
            session.events += 1
        session.last_seen = max(session.last_seen, ts)
        self.unwritten[session.id] = session
        self._touch(session, now)

    def heartbeat(self, session: Session, now: int) -> None:
        """Engagement: the session lasts until now (an ended one's end moves with it)."""
        session.last_seen = max(session.last_seen, now)
        if session.ended is not None:
            session.ended = max(session.ended, now)
        self.unwritten[session.id] = session
        self._touch(session, now)

    def leave(self, session: Session, now: int) -> None:
        """The visitor left: later hits start a new session unless they come from the site's
        own pages (see the module docstring); heartbeats may still come."""
        if session.ended is None:
            session.ended = max(now, session.last_seen)
            self.unwritten[session.id] = session

    def written(self, session: Session) -> None:
        """A write has taken the session's state as it is now."""
        self.unwritten.pop(session.id, None)

    def take_unwritten(self) -> list[Session]:
        """The sessions changed since their last write (no longer noted as such)."""
        taken = list(self.unwritten.values())
        self.unwritten = {}
        return taken

    def named(self, key: int) -> Session | None:
        """The session clients call by this key, open or recently ended (heartbeat, leave)."""
        return self.by_key.get(key)

    def close_idle(self, now: int) -> list[Session]:
        """Forget sessions untouched for the timeout; end those still open. Returns them all."""
        closed: list[Session] = []
        while self.by_id:
            session = next(iter(self.by_id.values()))
            if now - session.touched <= self.timeout_ms:
                break
            self.by_id.popitem(last=False)
            if session.ended is None:
                session.ended = session.last_seen
            self._forget(session)
            self.unwritten.pop(session.id, None)  # the caller writes it
            closed.append(session)
        return closed

    def _evict_oldest(self) -> None:
        _, session = self.by_id.popitem(last=False)
        if session.ended is None:
            session.ended = session.last_seen
        self._forget(session)
        self.unwritten[session.id] = session  # its end reaches the database with the next flush
        self.evicted += 1

    def _forget(self, session: Session) -> None:
        if self.by_key.get(session.key) is session:
            del self.by_key[session.key]
        names = (session.site_id, session.visitor_key)
        if self.by_visitor.get(names) is session:
            del self.by_visitor[names]

    def _touch(self, session: Session, now: int) -> None:
        session.touched = max(session.touched, now)
        self.by_id.move_to_end(session.id)
