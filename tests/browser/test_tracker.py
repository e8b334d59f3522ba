"""The real tracker in a real browser against a real appliance: what a visit sends and what is stored.

Every page here fails its test on a console error, an uncaught exception or a dialog (conftest).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from tests.browser.running import Almanac, Pages, Sent, tracker_page, wait_until
from tests.support import Matches

pytestmark = pytest.mark.browser

ALLOW = "data-allow-localhost"
QUEUE_STUB = (
    "<script>window.almanac=window.almanac||function(){(almanac.q=almanac.q||[]).push(arguments)}</script>"
)
HOSTILE = "<img src=x onerror=alert(1)>"
TALL = "<style>body{margin:0}</style><div style='height:4000px'>tall</div>"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANY_ID = Matches(r"[A-Za-z0-9_-]{1,200}")
# The stored fields that a pageview checks.
FIELDS = (
    "kind",
    "path",
    "title",
    "referrer_host",
    "utm_source",
    "utm_campaign",
    "screen_width",
    "screen_height",
    "language",
    "session_id",
)


def test_a_pageview_arrives_with_its_fields(
    almanac: Almanac, pages: Pages, page: Page, context: BrowserContext, sent: Sent
) -> None:
    site_id, key = almanac.site("shop.test")
    prefix = pages.add(tracker_page(almanac, key, title="Pricing · Shop"))
    page.goto(
        pages.url("shop.test", f"{prefix}/pricing?utm_source=newsletter&utm_campaign=spring&x=1"),
        referer="http://search.test/results?q=shop",
    )

    [event] = almanac.events(site_id, 1)
    [session] = almanac.sessions(site_id)

    assert sent.bodies("track") == [
        {
            "key": key,
            "path": f"{prefix}/pricing?utm_source=newsletter&utm_campaign=spring&x=1",
            "title": "Pricing · Shop",
            "referrer": "http://search.test/results?q=shop",
            "screen_width": 1920,
            "screen_height": 1080,
            "language": "en-GB",
        }
    ]
    assert {name: event[name] for name in FIELDS} == {
        "kind": 0,
        "path": f"{prefix}/pricing",
        "title": "Pricing · Shop",
        "referrer_host": "search.test",
        "utm_source": "newsletter",
        "utm_campaign": "spring",
        "screen_width": 1920,
        "screen_height": 1080,
        "language": "en-GB",
        "session_id": session["id"],
    }
    assert session["pageviews"] == 1
    assert session["entry_path"] == f"{prefix}/pricing"
    # Cookieless by default: nothing on the device, on either origin.
    assert context.cookies() == []
    assert page.evaluate("localStorage.length") == 0


def test_spa_navigations_are_pageviews_of_one_session(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("spa.test")
    prefix = pages.add(tracker_page(almanac, key, title="App"))
    page.goto(pages.url("spa.test", f"{prefix}/"), referer="http://search.test/")
    almanac.events(site_id, 1)

    page.evaluate("history.pushState({}, '', 'settings?tab=2'); document.title = 'Settings'")
    almanac.events(site_id, 2)
    page.evaluate("history.replaceState({}, '', 'settings?tab=2')")  # the same path: no pageview
    page.evaluate("history.back()")
    events = almanac.events(site_id, 3)

    # An app sets its title after pushState: the tracker reads it when the request goes.
    assert [(event["kind"], event["path"], event["title"]) for event in events] == [
        (0, f"{prefix}/", "App"),
        (0, f"{prefix}/settings", "Settings"),
        (0, f"{prefix}/", "Settings"),
    ]
    assert len({event["session_id"] for event in events}) == 1
    [session] = almanac.sessions(site_id)
    assert session["pageviews"] == 3
    # The page's referrer belongs to its first pageview only; later ones carry the session.
    tracks = sent.bodies("track")
    assert [track.get("referrer") for track in tracks] == ["http://search.test/", None, None]
    assert "session_id" not in tracks[0]
    assert tracks[1]["session_id"] == tracks[2]["session_id"]


def test_custom_events_arrive_with_their_properties_even_when_queued_early(
    almanac: Almanac, pages: Pages, page: Page
) -> None:
    site_id, key = almanac.site("events.test")
    queued = "<script>almanac('Early', {props: {when: 'before load'}})</script>"
    button = (
        "<button onclick=\"almanac('Signup', {props: {plan: 'pro', seats: 3, annual: true}})\">Go</button>"
    )
    prefix = pages.add(tracker_page(almanac, key, head=QUEUE_STUB + queued, body=button))
    page.goto(pages.url("events.test", f"{prefix}/signup"))
    almanac.events(site_id, 2)

    page.click("button")
    events = almanac.events(site_id, 3)

    assert [(event["kind"], event["name"], event["path"]) for event in events] == [
        (0, None, f"{prefix}/signup"),
        (1, "Early", f"{prefix}/signup"),
        (1, "Signup", f"{prefix}/signup"),
    ]
    assert json.loads(str(events[1]["props"])) == {"when": "before load"}
    assert json.loads(str(events[2]["props"])) == {"plan": "pro", "seats": 3, "annual": True}
    assert len({event["session_id"] for event in events}) == 1


def test_outbound_links_and_downloads_are_events_when_enabled(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("links.test")
    extras = f"{almanac.url}/js/analytics-extras.js"
    links = (
        "<a id=inside href='other'>inside</a>"
        "<a id=file href='/files/report.PDF?v=2'>report</a>"
        f"<a id=out href='{pages.url('elsewhere.test', '/landing?ref=links#top')}'>elsewhere</a>"
        # The page handles these links itself, as an app would, so that the test stays on it.
        "<script>for (const a of document.querySelectorAll('#inside, #file'))"
        " a.addEventListener('click', (e) => e.preventDefault())</script>"
    )
    prefix = pages.add(tracker_page(almanac, key, attributes="data-outbound data-downloads", body=links))
    with page.expect_request(extras):  # the core asks for the extras, as the tag enables them
        page.goto(pages.url("links.test", f"{prefix}/"))
    # The same module again: settles once the core's import of it has run.
    page.evaluate(f"import({json.dumps(extras)}).then(() => 0)")
    almanac.events(site_id, 1)

    page.click("#inside")
    page.click("#file")
    almanac.events(site_id, 2)
    with page.expect_navigation():
        page.click("#out")
    events = almanac.events(site_id, 3)

    assert [(event["name"], json.loads(str(event["props"]))) for event in events[1:]] == [
        ("File Download", {"url": pages.url("links.test", "/files/report.PDF")}),
        ("Outbound Link", {"url": pages.url("elsewhere.test", "/landing")}),
    ]
    assert page.title() == "Elsewhere"


def test_links_are_not_events_without_the_option(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("quiet-links.test")
    link = f"<a href='{pages.url('elsewhere.test', '/')}'>elsewhere</a>"
    prefix = pages.add(tracker_page(almanac, key, body=link))
    extras: list[str] = []
    page.on("request", lambda request: "analytics-extras" in request.url and extras.append(request.url))
    page.goto(pages.url("quiet-links.test", f"{prefix}/"))
    almanac.events(site_id, 1)

    with page.expect_navigation():
        page.click("a")
    page.wait_for_timeout(300)

    assert [event["kind"] for event in almanac.events(site_id)] == [0]
    assert sent.bodies("event") == []
    assert extras == []


def pause_clock(page: Page) -> None:
    """Fake timers, paused: the tracker's seconds tick only when the test runs the clock."""
    page.clock.install(time=START)
    page.clock.pause_at(START + timedelta(hours=1))


def settle(page: Page, sent: Sent) -> dict[str, object]:
    """Wait until the tracker has the answer to its pageview: a custom event waits for that answer,
    so once one is sent, it knows its event and session ids. Answers the event's body."""
    page.evaluate("almanac('Settled')")
    [body] = wait_until(lambda: sent.bodies("event"), what="the tracker to settle")
    return dict(body)


def test_heartbeats_record_engaged_time_and_scroll_depth(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("reader.test")
    prefix = pages.add(tracker_page(almanac, key, body=TALL))
    pause_clock(page)
    page.goto(pages.url("reader.test", f"{prefix}/article"))
    settle(page, sent)
    [pageview, _] = almanac.events(site_id, 2)
    assert (pageview["time_on_page"], pageview["scroll_depth"]) == (None, None)

    # Half way down: (1280 + 720) / 4000 of the page seen.
    page.evaluate("window.scrollTo(0, 1280)")
    page.clock.run_for(16_000)  # a heartbeat after 15 visible seconds

    wait_until(lambda: engagement(almanac, site_id) == (15, 50), what="the heartbeat to be stored")
    assert sent.bodies("heartbeat") == [
        {"event_id": pageview["id"], "session_id": ANY_ID, "time_on_page": 15, "scroll_depth": 50}
    ]


def engagement(almanac: Almanac, site_id: int) -> tuple[object, object]:
    pageview = almanac.events(site_id)[0]
    return pageview["time_on_page"], pageview["scroll_depth"]


def test_leaving_sends_the_last_heartbeat_and_ends_the_session(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("leaver.test")
    prefix = pages.add(tracker_page(almanac, key, body=TALL))
    pause_clock(page)
    page.goto(pages.url("leaver.test", f"{prefix}/"))
    settle(page, sent)
    [session] = almanac.sessions(site_id)
    assert session["ended_at"] is None

    page.clock.run_for(7_000)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.goto(pages.url("elsewhere.test", "/"))

    wait_until(
        lambda: almanac.sessions(site_id)[0]["ended_at"] is not None, what="the leave to end the session"
    )
    wait_until(lambda: engagement(almanac, site_id) == (7, 100), what="the last heartbeat to be stored")
    # Requests of a page being unloaded are not reported by Playwright: the database is the witness.
    assert [session["pageviews"] for session in almanac.sessions(site_id)] == [1]


def test_a_hostile_title_path_and_event_are_stored_as_plain_text(
    almanac: Almanac, pages: Pages, page: Page
) -> None:
    site_id, key = almanac.site("hostile.test")
    name = '"><script>alert(2)</script>'
    button = f"<button onclick='almanac({json.dumps(name)}, {{props: {{html: {json.dumps(HOSTILE)}}}}})'>x</button>"
    prefix = pages.add(tracker_page(almanac, key, title=HOSTILE, body=button))
    page.goto(pages.url("hostile.test", f"{prefix}/{HOSTILE}"))
    page.evaluate(f"history.pushState({{}}, '', {json.dumps(HOSTILE + '2')})")
    almanac.events(site_id, 2)
    page.click("button")
    events = almanac.events(site_id, 3)
    location_path = page.evaluate("location.pathname")

    assert [event["title"] for event in events[:2]] == [HOSTILE, HOSTILE]
    # The browser sends the path percent-encoded (as location.pathname has it); stored as it came.
    assert events[1]["path"] == location_path
    assert "%3Cimg%20src=x%20onerror=alert(1)%3E" in str(events[0]["path"])
    assert events[2]["name"] == name
    assert json.loads(str(events[2]["props"])) == {"html": HOSTILE}


def test_hash_routing_counts_fragments_when_enabled(almanac: Almanac, pages: Pages, page: Page) -> None:
    site_id, key = almanac.site("hash.test")
    prefix = pages.add(tracker_page(almanac, key, attributes="data-hash"))
    page.goto(pages.url("hash.test", f"{prefix}/#/inbox"))
    almanac.events(site_id, 1)

    page.evaluate("location.hash = '#/settings'")
    events = almanac.events(site_id, 2)

    assert [event["path"] for event in events] == [f"{prefix}/#/inbox", f"{prefix}/#/settings"]


def test_persist_keeps_the_visitor_id_in_local_storage(
    almanac: Almanac, pages: Pages, page: Page, sent: Sent
) -> None:
    site_id, key = almanac.site("persist.test")
    prefix = pages.add(tracker_page(almanac, key, attributes="data-persist"))
    page.goto(pages.url("persist.test", f"{prefix}/"))
    almanac.events(site_id, 1)
    stored = wait_until(
        lambda: page.evaluate("localStorage.getItem('almanac')"), what="the stored visitor id"
    )

    page.reload()
    events = almanac.events(site_id, 2)

    assert "visitor_id" not in sent.bodies("track")[0]
    assert sent.bodies("track")[1]["visitor_id"] == stored
    assert events[0]["visitor_key"] == events[1]["visitor_key"]


def test_localhost_is_ignored_unless_allowed(almanac: Almanac, pages: Pages, page: Page, sent: Sent) -> None:
    site_id, key = almanac.site("local.test")
    ignored = pages.add(tracker_page(almanac, key, head=QUEUE_STUB + "<script>almanac('Queued')</script>"))
    allowed = pages.add(tracker_page(almanac, key, attributes=ALLOW))

    page.goto(pages.url("127.0.0.1", f"{ignored}/"))
    page.wait_for_function("window.almanac && !window.almanac.q")
    page.evaluate("almanac('Later', {props: {a: 1}})")  # defined, and silent
    page.goto(pages.url("localhost", f"{ignored}/"))
    page.wait_for_function("window.almanac && !window.almanac.q")
    page.wait_for_timeout(300)
    assert sent.requests == []
    assert almanac.events(site_id) == []

    page.goto(pages.url("127.0.0.1", f"{allowed}/"))
    [event] = almanac.events(site_id, 1)
    assert event["path"] == f"{allowed}/"


def test_privacy_signals_are_honoured_when_the_site_asks(
    almanac: Almanac, pages: Pages, page: Page, context: BrowserContext, sent: Sent
) -> None:
    site_id, key = almanac.site("privacy.test")
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    respectful = pages.add(tracker_page(almanac, key, attributes="data-respect-dnt"))
    indifferent = pages.add(tracker_page(almanac, key))

    page.goto(pages.url("privacy.test", f"{respectful}/"))
    page.wait_for_function("!!window.almanac")
    page.wait_for_timeout(300)
    assert sent.requests == []

    page.goto(pages.url("privacy.test", f"{indifferent}/"))
    [event] = almanac.events(site_id, 1)
    assert event["path"] == f"{indifferent}/"


def test_a_failing_network_stays_silent(almanac: Almanac, pages: Pages, context: BrowserContext) -> None:
    """The appliance's tracking routes fail (aborted requests): the page sees no error of ours. The
    browser's own "Failed to load resource" lines are expected here and not held against us."""
    _, key = almanac.site("offline.test")
    tried: list[str] = []

    def fail(route: Route) -> None:
        tried.append(route.request.url.rsplit("/", 1)[-1])
        route.abort()

    context.route(f"{almanac.url}/analytics/**", fail)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and problems.append(message.text)
        ),
    )
    prefix = pages.add(tracker_page(almanac, key, attributes="data-outbound", head=QUEUE_STUB, body=TALL))
    page.goto(pages.url("offline.test", f"{prefix}/"))
    page.wait_for_function("window.almanac && !window.almanac.q")
    page.evaluate("almanac('Signup', {props: {a: 1}}); history.pushState({}, '', 'next'); scrollTo(0, 500)")
    page.wait_for_timeout(300)
    page.close()

    assert problems == []
    assert tried[:3] == ["track", "event", "track"]
