"""The session book: what continues a visit, what ends it, and what a restart must find again."""

from __future__ import annotations

from appliance.ingest.sessions import RECENT_PAGEVIEWS, Session, SessionBook

MINUTE = 60_000
TIMEOUT = 30 * MINUTE
T0 = 1_700_000_000_000
SITE = 1
VISITOR = 42


def start(book: SessionBook, at: int = T0, *, key: int | None = None, visitor: int = VISITOR) -> Session:
    session_id = book.new_id()
    return book.start(
        session_id,
        SITE,
        visitor,
        key if key is not None else 1000 + session_id,
        client_named=key is not None,
        ts=at,
        now=at,
    )


def test_hits_within_the_timeout_continue_the_visit() -> None:
    book = SessionBook(TIMEOUT)
    session = start(book)
    book.hit(session, T0, T0, event_id=1, pageview=True)

    at = T0 + TIMEOUT  # exactly the timeout after the last hit still counts
    assert book.find_for_visitor(SITE, VISITOR, at) is session
    book.hit(session, at, at, event_id=2, pageview=True)
    assert book.find_for_visitor(SITE, VISITOR, at + TIMEOUT) is session
    assert book.find_for_visitor(SITE, VISITOR, at + TIMEOUT + 1) is None
    assert (session.pageviews, session.events, session.duration) == (2, 0, TIMEOUT // 1000)


def test_a_new_session_of_the_visitor_ends_the_old_one() -> None:
    book = SessionBook(TIMEOUT)
    old = start(book)
    book.hit(old, T0, T0, event_id=1, pageview=True)

    new = start(book, T0 + TIMEOUT + 1)

    assert old.ended == T0
    assert book.find_for_visitor(SITE, VISITOR, T0 + TIMEOUT + 2) is new
    assert new.id == old.id + 1


def test_leave_ends_the_visit_but_heartbeats_still_find_it() -> None:
    book = SessionBook(TIMEOUT)
    session = start(book)
    book.hit(session, T0, T0, event_id=1, pageview=True)

    book.leave(session, T0 + 5_000)
    assert session.ended == T0 + 5_000
    assert book.find_for_visitor(SITE, VISITOR, T0 + 6_000) is None
    assert book.named(session.key) is session

    book.heartbeat(session, T0 + 7_000)
    assert (session.ended, session.last_seen, session.duration) == (T0 + 7_000, T0 + 7_000, 7)


def test_sessions_the_client_named_are_found_by_name_only() -> None:
    book = SessionBook(TIMEOUT)
    named = start(book, key=777)

    assert book.find_for_visitor(SITE, VISITOR, T0) is None
    assert book.find_named(SITE, 777, T0) is named
    assert book.find_named(SITE + 1, 777, T0) is None  # another site's session of that name


def test_close_idle_ends_and_forgets_untouched_sessions_oldest_first() -> None:
    book = SessionBook(TIMEOUT)
    quiet = start(book)
    busy = start(book, visitor=VISITOR + 1)
    book.hit(quiet, T0, T0, event_id=1, pageview=True)
    book.hit(busy, T0, T0, event_id=2, pageview=True)
    book.heartbeat(busy, T0 + 20 * MINUTE)

    closed = book.close_idle(T0 + TIMEOUT + 1)

    assert closed == [quiet]
    assert quiet.ended == T0
    assert book.named(quiet.key) is None and book.find_for_visitor(SITE, VISITOR, T0) is None
    assert list(book.by_id) == [busy.id]
    assert book.close_idle(T0 + 20 * MINUTE + TIMEOUT + 1) == [busy]
    assert busy.ended == T0 + 20 * MINUTE
    assert len(book) == 0


def test_only_the_latest_pageviews_are_kept_for_heartbeats() -> None:
    book = SessionBook(TIMEOUT)
    session = start(book)
    for event_id in range(1, RECENT_PAGEVIEWS + 3):
        book.hit(session, T0, T0, event_id=event_id, pageview=True)
    book.hit(session, T0, T0, event_id=99, pageview=False)

    assert session.recent == list(range(3, RECENT_PAGEVIEWS + 3))
    assert (session.pageviews, session.events) == (RECENT_PAGEVIEWS + 2, 1)


def test_a_left_session_resumes_only_for_a_hit_from_the_sites_own_pages() -> None:
    book = SessionBook(TIMEOUT)
    session = start(book)
    book.hit(session, T0, T0, event_id=1, pageview=True)
    book.leave(session, T0 + MINUTE)

    assert book.find_for_visitor(SITE, VISITOR, T0 + 2 * MINUTE) is None
    assert book.find_for_visitor(SITE, VISITOR, T0 + 2 * MINUTE, same_site=True) is session
    assert book.find_for_visitor(SITE, VISITOR, T0 + MINUTE + TIMEOUT + 1, same_site=True) is None

    book.hit(session, T0 + 2 * MINUTE, T0 + 2 * MINUTE, event_id=2, pageview=True)
    assert session.ended is None
    assert book.find_for_visitor(SITE, VISITOR, T0 + 3 * MINUTE) is session


def test_the_book_is_bounded_by_ending_the_session_idle_the_longest() -> None:
    book = SessionBook(TIMEOUT, max_open=3)
    sessions = [start(book, T0 + i, visitor=VISITOR + i) for i in range(3)]
    for i, session in enumerate(sessions):
        book.hit(session, T0 + i, T0 + i, event_id=i + 1, pageview=True)
    book.take_unwritten()
    book.hit(sessions[0], T0 + 10, T0 + 10, event_id=9, pageview=True)  # the first is busy again

    newest = start(book, T0 + 20, visitor=VISITOR + 9)

    evicted = sessions[1]  # idle the longest
    assert len(book) == 3 and book.evicted == 1
    assert list(book.by_id) == [sessions[2].id, sessions[0].id, newest.id]
    assert evicted.ended == evicted.last_seen == T0 + 1
    assert book.named(evicted.key) is None
    assert book.find_for_visitor(SITE, VISITOR + 1, T0 + 21) is None  # a later hit starts anew
    assert list(book.unwritten) == [sessions[0].id, evicted.id]  # its end is written by the next flush


def test_changes_are_noted_until_written() -> None:
    book = SessionBook(TIMEOUT)
    session = start(book)
    book.hit(session, T0, T0, event_id=1, pageview=True, path="/a")
    book.hit(session, T0 + 1, T0 + 1, event_id=2, pageview=True, path="/b")
    book.hit(session, T0 + 2, T0 + 2, event_id=3, pageview=False)

    assert (session.entry, session.exit) == ("/a", "/b")
    assert book.take_unwritten() == [session] and book.unwritten == {}
    book.heartbeat(session, T0 + 5_000)
    assert list(book.unwritten) == [session.id]
    book.written(session)
    assert book.unwritten == {}
