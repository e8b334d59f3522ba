"""The dashboard in a real browser against a real `almanac serve`, with traffic from the real tracker.

Every dashboard page fails its test on a console error, an uncaught exception or a dialog (an
injected `alert()`); the only console errors allowed are the browser's own notes of the 4xx
answers a test provokes on purpose (EXPECTED_CONSOLE). Each main view is screenshotted at 1280 and 375 px
into test-artifacts/screenshots/ (printed at the end of the run).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, expect

from tests.browser.conftest import DESKTOP_UA, SCREENSHOTS
from tests.browser.running import ADMIN_EMAIL, ADMIN_PASSWORD, Almanac, Pages, tracker_page, wait_until

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
SETTINGS = {
    "ALMANAC_TRACKING_HEARTBEAT_FLUSH_SECONDS": "0.2",
    # A dashboard makes a dozen calls per view; these tests sign in more often than a person does.
    "ALMANAC_RATE_LIMITS_TRACKING_PER_MINUTE": "0",
    "ALMANAC_RATE_LIMITS_API_PER_MINUTE": "0",
    "ALMANAC_RATE_LIMITS_LOGIN_PER_MINUTE": "0",
}
# The browser logs every 4xx answer as a console error by itself; these are the answers the tests
# provoke on purpose: a wrong password, and the goal form's live validation of an invalid regex.
EXPECTED_CONSOLE = {(401, "/api/login"), (422, "/goals/validate")}
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")
SECOND_UA = DESKTOP_UA.replace("X11; Linux x86_64", "Windows NT 10.0; Win64; x64")
THIRD_UA = DESKTOP_UA.replace("X11; Linux x86_64", "Macintosh; Intel Mac OS X 10_15_7")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Almanac]:
    running = Almanac.start(tmp_path_factory.mktemp("dashboard"), SETTINGS)
    yield running
    running.stop()


def api(server: Almanac, path: str) -> Any:
    """GET an /api path with the admin's token: what the dashboard should show."""
    response = server.server.client.get(path, headers={"Authorization": f"Bearer {server.token}"})
    assert response.status_code == 200, response.text
    return response.json()


def session_cookies(server: Almanac) -> list[Any]:
    """Sign in as the dashboard does (remember: the cookie session) and hand over its cookies."""
    with httpx.Client(base_url=server.url) as client:
        response = client.post(
            "/api/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "remember": True}
        )
        assert response.status_code == 200, response.text
        return [
            {
                "name": cookie.name,
                "value": cookie.value or "",
                "url": server.url,
                "httpOnly": cookie.name == "almanac_session",
                "sameSite": "Strict",
            }
            for cookie in client.cookies.jar
        ]


class Watched:
    """What went wrong on a page: console errors, uncaught exceptions, dialogs."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page) -> Page:
        def console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            failed = FAILED_LOAD.search(message.text)
            url = message.location.get("url", "")
            if failed and any(int(failed[1]) == code and part in url for code, part in EXPECTED_CONSOLE):
                return
            self.problems.append(f"console: {message.text} ({message.location.get('url')})")

        def dialog(shown: Dialog) -> None:
            self.problems.append(f"dialog: {shown.message}")
            shown.dismiss()

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("dialog", dialog)
        return page


@pytest.fixture
def watched() -> Iterator[Watched]:
    found = Watched()
    yield found
    assert not found.problems, f"the dashboard reported problems: {found.problems}"


def new_context(
    browser: Browser, server: Almanac, *, signed_in: bool = True, width: int = 1280
) -> BrowserContext:
    context = browser.new_context(
        user_agent=DESKTOP_UA,
        viewport={"width": width, "height": 900},
        locale="en-GB",
        accept_downloads=True,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    if signed_in:
        context.add_cookies(session_cookies(server))
    return context


@pytest.fixture
def dashboard(browser: Browser, server: Almanac, watched: Watched) -> Iterator[Page]:
    """A signed-in dashboard tab at 1280 px."""
    context = new_context(browser, server)
    page = watched.watch(context.new_page())
    yield page
    context.close()


@pytest.fixture
def visitor(browser: Browser, watched: Watched) -> Iterator[Page]:
    """A tab on the tracked sites (another browser profile than the dashboard's)."""
    context = browser.new_context(
        user_agent=SECOND_UA, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    page = watched.watch(context.new_page())
    yield page
    context.close()


def shoot(page: Page, name: str, *, dark: bool = False) -> None:
    """Screenshot the view at 1280 and 375 px wide (full page), also in the dark theme if asked."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    schemes: tuple[Literal["light", "dark"], ...] = ("light", "dark") if dark else ("light",)
    for scheme in schemes:
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(250)  # the chart redraws on resize and on a change of theme
            suffix = "-dark" if scheme == "dark" else ""
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}{suffix}.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def open_view(page: Page, server: Almanac, path: str) -> None:
    page.goto(f"{server.url}{path}")
    expect(page.locator("[role=status].loading")).to_have_count(0, timeout=10_000)


def visit(page: Page, server: Almanac, pages: Pages, host: str, key: str, path: str, **extra: Any) -> None:
    referer = extra.pop("referer", None)
    prefix = pages.add(tracker_page(server, key, **extra))
    page.goto(pages.url(host, f"{prefix}{path}"), referer=referer)


# Formatting as the dashboard does it (web/src/format.ts), for the small numbers of these tests.


def compact(n: float) -> str:
    return f"{n:.0f}" if n < 1000 else f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "k"


def percent(n: float) -> str:
    return f"{n:.1f}".rstrip("0").rstrip(".") + "%"


def duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m {s % 60:02d}s"


def kpis(page: Page) -> dict[str, str]:
    cards = page.locator(".kpi")
    return {
        str(cards.nth(i).get_attribute("data-kpi")): cards.nth(i).locator(".kpi-value").inner_text()
        for i in range(cards.count())
    }


def expected_kpis(overview: dict[str, Any]) -> dict[str, str]:
    data = overview["data"]
    return {
        "unique_visitors": compact(data["unique_visitors"]),
        "pageviews": compact(data["pageviews"]),
        "sessions": compact(data["sessions"]),
        "bounce_rate": percent(data["bounce_rate"]),
        "avg_session_duration": duration(data["avg_session_duration"]),
        "events": compact(data["events"]),
        "goals": compact(data["goals"]),
    }


def settled(probe: Callable[[], Any], what: str) -> Any:
    """Poll until `probe` answers the same twice, half a second apart (heartbeats have been counted)."""
    previous: list[Any] = [None]

    def same() -> Any:
        time.sleep(0.5)
        now = probe()
        stable = now == previous[0]
        previous[0] = now
        return now if stable else None

    return wait_until(same, 20, what)


def every_tab_loads(page: Page) -> None:
    """Click through every tab of every panel; each must load without an error."""
    panels = page.locator("section.panel", has=page.get_by_role("tablist"))
    for p in range(panels.count()):
        panel = panels.nth(p)
        tabs = panel.get_by_role("tab")
        for t in range(tabs.count()):
            tabs.nth(t).click()
            expect(tabs.nth(t)).to_have_attribute("aria-selected", "true")
            expect(panel.get_by_role("tabpanel")).to_have_attribute("aria-busy", "false")
            expect(panel.locator(".error-note")).to_have_count(0)


# The tests


def test_sign_in_wrong_password_sign_out_and_back(
    browser: Browser, server: Almanac, watched: Watched
) -> None:
    context = new_context(browser, server, signed_in=False)
    page = watched.watch(context.new_page())

    page.goto(f"{server.url}/account/tokens")
    page.wait_for_url(re.compile(r"/login\?next=%2Faccount%2Ftokens$"))
    shoot(page, "login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("These credentials do not match our records.")

    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/account/tokens")
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["almanac_session"]["httpOnly"] is True
    assert cookies["almanac_session"]["sameSite"] == "Strict"
    assert "almanac_session" not in page.evaluate("document.cookie")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login")
    page.goto(f"{server.url}/sites")
    page.wait_for_url(re.compile(r"/login\?next=%2Fsites$"))
    context.close()


def test_create_a_site_copy_the_snippet_and_see_the_first_pageview(
    dashboard: Page, visitor: Page, server: Almanac, pages: Pages
) -> None:
    open_view(dashboard, server, "/sites")
    dashboard.get_by_role("link", name="Add a site").click()
    dashboard.get_by_label("Domain").fill("first.test")
    dashboard.get_by_label("Name").fill("First site")
    dashboard.get_by_label("Time zone").select_option("Europe/Berlin")
    dashboard.get_by_role("button", name="Add site").click()
    dashboard.wait_for_url(re.compile(r"/sites/\d+/setup$"))
    site_id = int(dashboard.url.split("/")[-2])
    site = api(server, f"/api/sites/{site_id}")["site"]
    assert (site["name"], site["domain"], site["timezone"]) == ("First site", "first.test", "Europe/Berlin")

    waiting = dashboard.locator(".waiting")
    expect(waiting).to_have_attribute("data-state", "waiting")
    dashboard.get_by_role("button", name="Copy tracking code").click()
    expect(dashboard.get_by_role("button", name="Copied")).to_be_visible()
    snippet = dashboard.evaluate("navigator.clipboard.readText()")
    assert snippet == (f'<script defer data-key="{site["sid"]}" src="{server.url}/js/analytics.js"></script>')
    shoot(dashboard, "setup-waiting")

    # A page of the site with exactly the copied snippet in its head.
    prefix = pages.add(
        f"<!doctype html><html><head><link rel=icon href='data:,'><title>Home</title>{snippet}</head></html>"
    )
    visitor.goto(pages.url("first.test", f"{prefix}/"))

    expect(waiting).to_have_attribute("data-state", "received", timeout=15_000)
    expect(waiting).to_contain_text("Pageviews are arriving")
    shoot(dashboard, "setup-received")

    # A returning visitor, tracked server-side in three different hours: one visitor, not three.
    now = int(time.time() * 1000)
    for hours_ago in (5, 3, 1):
        answer = server.server.client.post(
            "/analytics/track",
            json={
                "key": site["sid"],
                "path": "/again",
                "visitor_id": "returning-visitor",
                "timestamp": now - hours_ago * 3_600_000,
            },
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert answer.status_code in (200, 201, 202), answer.text
    server.events(site_id, 4)

    open_view(dashboard, server, "/sites")
    card = dashboard.locator(".site-card", has_text="First site")
    expect(card.locator(".site-visitors strong")).to_have_text("2")
    assert api(server, f"/api/sites/{site_id}/analytics/overview?period=24h")["data"]["unique_visitors"] == 2
    expect(card.locator("svg.sparkline polyline")).to_have_count(2)
    shoot(dashboard, "sites", dark=True)


@pytest.fixture(scope="module")
def shop(server: Almanac, browser: Browser, pages: Pages) -> dict[str, Any]:
    """A site with traffic from the real tracker: two visitors, four pageviews, two custom events.
    Its pages live under `prefix` (the fixture server's path for them)."""
    site_id, key = server.site("shop.test")
    body = "<button onclick=\"almanac('Signup', {props: {plan: 'pro'}})\">Sign up</button>"
    prefix = pages.add(tracker_page(server, key, title="Shop", body=body))
    visits = [
        (
            DESKTOP_UA,
            ["/", "/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring"],
            "http://search.test/q",
        ),
        (SECOND_UA, ["/pricing", "/docs"], None),
    ]
    stored = 0
    for ua, paths, referer in visits:
        context = browser.new_context(user_agent=ua, locale="en-GB")
        page = context.new_page()
        for n, path in enumerate(paths):
            page.goto(pages.url("shop.test", f"{prefix}{path}"), referer=referer if n == 0 else None)
            stored += 1
            server.events(site_id, stored)
        page.click("button")
        stored += 1
        server.events(site_id, stored)
        context.close()
    return {"id": site_id, "key": key, "prefix": prefix}


def test_the_overview_shows_what_the_api_answers_and_filters_and_periods_change_it(
    dashboard: Page, server: Almanac, shop: dict[str, Any]
) -> None:
    site_id = shop["id"]
    overview = settled(
        lambda: api(server, f"/api/sites/{site_id}/analytics/overview?period=30d"), "steady numbers"
    )
    assert overview["data"]["pageviews"] == 4

    open_view(dashboard, server, f"/sites/{site_id}")
    expect(dashboard.locator(".kpi").first).to_be_visible()
    assert kpis(dashboard) == expected_kpis(overview)
    expect(dashboard.locator(".chart canvas").first).to_be_visible()
    pages_panel = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Pages"))
    pricing = f"{shop['prefix']}/pricing"
    expect(pages_panel.get_by_role("button", name=pricing)).to_be_visible()
    expect(
        dashboard.locator("section.panel", has_text="Sources").get_by_role("button", name="search.test")
    ).to_be_visible()
    expect(dashboard.get_by_role("link", name="IP geolocation by DB-IP").first).to_have_attribute(
        "href", "https://db-ip.com"
    )
    shoot(dashboard, "overview", dark=True)

    # A click on a row filters the whole view; the filter is a chip and lives in the URL.
    pages_panel.get_by_role("button", name=pricing).click()
    encoded = quote(f"page=={pricing}", safe="")
    dashboard.wait_for_url(f"{server.url}/sites/{site_id}?filters={encoded}")
    expect(dashboard.locator(".chip")).to_have_count(1)
    expect(dashboard.locator(".chip")).to_contain_text(f"Page is {pricing}")
    filtered = api(server, f"/api/sites/{site_id}/analytics/overview?period=30d&filters={encoded}")
    expect(dashboard.locator('[data-kpi="pageviews"] .kpi-value')).to_have_text(
        compact(filtered["data"]["pageviews"])
    )
    assert kpis(dashboard) == expected_kpis(filtered)
    shoot(dashboard, "overview-filtered")

    # Reloading the URL gives the same view (bookmarkable), then the chip's button removes it.
    dashboard.reload()
    expect(dashboard.locator(".chip")).to_have_count(1)
    dashboard.get_by_role("button", name=f"Remove filter: Page is {pricing}").click()
    dashboard.wait_for_url(f"{server.url}/sites/{site_id}")
    expect(dashboard.locator(".chip")).to_have_count(0)
    expect(dashboard.locator('[data-kpi="pageviews"] .kpi-value')).to_have_text("4")

    # The period picker: a preset, then a custom range; both land in the URL and in the API call.
    with dashboard.expect_request(re.compile(r"/analytics/overview\?period=7d")):
        dashboard.get_by_label("Period").select_option("7d")
    dashboard.wait_for_url(re.compile(r"\?period=7d$"))
    week = api(server, f"/api/sites/{site_id}/analytics/overview?period=7d")
    expect(dashboard.locator('[data-kpi="pageviews"] .kpi-value')).to_have_text(
        compact(week["data"]["pageviews"])
    )
    assert dashboard.locator(".period-shown").inner_text().endswith("(UTC)")

    dashboard.get_by_label("Period").select_option("custom")
    start, end = week["period"]["start_date"], week["period"]["end_date"]
    dashboard.get_by_label("From", exact=True).fill(start)
    dashboard.get_by_label("To", exact=True).fill(end)
    with dashboard.expect_request(
        re.compile(rf"/analytics/overview\?period=custom&start_date={start}&end_date={end}")
    ):
        dashboard.get_by_role("button", name="Apply").click()
    dashboard.wait_for_url(re.compile(rf"period=custom&start_date={start}&end_date={end}"))

    # The interval of the chart, too.
    with dashboard.expect_request(re.compile(r"/analytics/timeseries\?.*interval=hour")):
        dashboard.get_by_role("button", name="Hour").click()
    dashboard.wait_for_url(re.compile(r"interval=hour"))


def test_every_panel_tab_loads(dashboard: Page, server: Almanac, shop: dict[str, Any]) -> None:
    open_view(dashboard, server, f"/sites/{shop['id']}")
    every_tab_loads(dashboard)
    dashboard.get_by_role("tab", name="Map").click()
    expect(dashboard.locator("svg.world-map .tile")).not_to_have_count(0)
    events = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Events"))
    events.get_by_text("Properties").click()
    expect(events.locator("dl")).to_contain_text("plan")
    expect(events.locator("dl")).to_contain_text("pro")


def test_realtime_shows_the_active_visitor(
    dashboard: Page, visitor: Page, server: Almanac, pages: Pages
) -> None:
    site_id, key = server.site("live.test")
    open_view(dashboard, server, f"/sites/{site_id}/realtime")
    expect(dashboard.locator('[data-kpi="current_visitors"] .kpi-value')).to_have_text("0")

    visit(visitor, server, pages, "live.test", key, "/now-reading", title="Live")

    # The view refreshes itself: no reload here.
    expect(dashboard.locator('[data-kpi="current_visitors"] .kpi-value')).to_have_text("1", timeout=15_000)
    expect(dashboard.locator(".panel", has_text="Active pages")).to_contain_text("/now-reading")
    realtime = api(server, f"/api/sites/{site_id}/analytics/realtime")
    assert realtime["current_visitors"] == 1
    expect(dashboard.locator(".updated")).to_contain_text("(UTC)")
    shoot(dashboard, "realtime")


def test_invite_a_team_member_who_accepts(
    dashboard: Page, browser: Browser, server: Almanac, watched: Watched
) -> None:
    site_id, _ = server.site("team.test")
    open_view(dashboard, server, f"/sites/{site_id}/team")
    dashboard.get_by_label("Email", exact=True).fill("new.member@example.com")
    dashboard.get_by_label("Role", exact=True).select_option("admin")
    dashboard.get_by_role("button", name="Invite").click()
    link = dashboard.locator(".code-block code").inner_text()
    assert re.fullmatch(rf"{re.escape(server.url)}/invitations/[A-Za-z0-9_-]+", link)
    pending = dashboard.locator("section.card", has_text="Pending invitations")
    expect(pending).to_contain_text("new.member@example.com")
    shoot(dashboard, "team")

    # The invitee opens the link signed out, creates the account, and lands on the site.
    context = new_context(browser, server, signed_in=False)
    invitee = watched.watch(context.new_page())
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join team.test")).to_be_visible()
    invitee.get_by_label("Your name").fill("New Member")
    invitee.get_by_label("Choose a password").fill("a long enough password")
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url(f"{server.url}/sites/{site_id}")
    expect(invitee.get_by_role("heading", name="team.test")).to_be_visible()
    # Signed in by the accept answer's cookie session, as a sign-in would be: no API token made.
    cookies = {c["name"]: c for c in context.cookies()}
    assert (cookies["almanac_session"]["httpOnly"], cookies["almanac_session"]["sameSite"]) == (
        True,
        "Strict",
    )
    new_tokens = server.rows(
        "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = ?",
        "new.member@example.com",
    )
    assert new_tokens == []
    context.close()

    dashboard.reload()
    members = dashboard.locator("section.card", has_text="Members")
    expect(members).to_contain_text("new.member@example.com")
    expect(pending).to_contain_text("No pending invitations.")
    team = api(server, f"/api/sites/{site_id}/team")
    assert {(m["email"], m["role"]) for m in team["members"]} == {
        (ADMIN_EMAIL, "owner"),
        ("new.member@example.com", "admin"),
    }

    row = members.locator("tr", has_text="new.member@example.com")
    row.get_by_role("button", name="Remove").click()
    dashboard.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(members).not_to_contain_text("new.member@example.com")


def test_a_goal_with_live_validation_converts(
    dashboard: Page, visitor: Page, server: Almanac, pages: Pages
) -> None:
    site_id, key = server.site("goals.test")
    open_view(dashboard, server, f"/sites/{site_id}/goals")
    form = dashboard.locator("form.goal-form")
    form.get_by_label("Name").fill("Thanks")
    form.get_by_label("Match").select_option("regex")
    form.get_by_label("Page path").fill("^/thanks(")
    expect(form.locator(".field-error")).to_be_visible()
    shoot(dashboard, "goals-invalid")
    form.get_by_label("Page path").fill("^/thanks$")
    expect(form.get_by_text("Looks good.")).to_be_visible()
    form.get_by_role("button", name="Create goal").click()
    row = dashboard.locator('tr[data-goal="Thanks"]')
    expect(row).to_contain_text("Page matches the regex ^/thanks$")
    expect(row.locator(".conversions")).to_have_text("0")

    visit(visitor, server, pages, "goals.test", key, "/thanks", title="Thank you")
    server.events(site_id, 1)
    prefix_path = server.events(site_id)[0]["path"]
    assert prefix_path.endswith("/thanks")

    # The fixture page lives under a prefix: a second goal that matches its real path converts.
    form.get_by_label("Name").fill("Thanked")
    form.get_by_label("Match").select_option("ends_with")
    form.get_by_label("Page path").fill("/thanks")
    form.get_by_role("button", name="Create goal").click()
    expect(dashboard.locator('tr[data-goal="Thanked"]')).to_be_visible()
    visit(visitor, server, pages, "goals.test", key, "/thanks", title="Thank you")
    server.events(site_id, 2)
    wait_until(
        lambda: any(
            g["conversions"] for g in api(server, f"/api/sites/{site_id}/analytics/goals?period=30d")["data"]
        ),
        what="a conversion",
    )
    dashboard.reload()
    expect(dashboard.locator('tr[data-goal="Thanked"] .conversions')).to_have_text("1")
    shoot(dashboard, "goals")

    open_view(dashboard, server, f"/sites/{site_id}")
    goals_panel = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Goals"))
    expect(goals_panel.locator("tr", has_text="Thanked")).to_contain_text("1")

    open_view(dashboard, server, f"/sites/{site_id}/goals")
    dashboard.locator('tr[data-goal="Thanks"]').get_by_role("button", name="Delete").click()
    dashboard.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(dashboard.locator('tr[data-goal="Thanks"]')).to_have_count(0)
    assert [g["name"] for g in api(server, f"/api/sites/{site_id}/goals")["goals"]] == ["Thanked"]


def test_export_downloads_a_csv_of_the_period(dashboard: Page, server: Almanac, shop: dict[str, Any]) -> None:
    open_view(dashboard, server, f"/sites/{shop['id']}?period=7d")
    dashboard.get_by_text("Export").click()
    dashboard.get_by_label("Data").select_option("pageviews")
    dashboard.get_by_label("Format").select_option("csv")
    with dashboard.expect_download() as info:
        dashboard.get_by_role("link", name="Download").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 4

    dashboard.get_by_label("Format").select_option("json")
    with dashboard.expect_download() as info:
        dashboard.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename.endswith(".json")
    json.loads(Path(info.value.path()).read_text(encoding="utf-8"))


def test_api_tokens_are_shown_once_and_revoked(dashboard: Page, server: Almanac) -> None:
    open_view(dashboard, server, "/account/tokens")
    dashboard.get_by_label("Name of the new token").fill("reporting script")
    dashboard.get_by_role("button", name="Create token").click()
    token = dashboard.locator(".code-block code").inner_text()
    assert token.startswith("alm_")
    assert dashboard.evaluate("localStorage.length + sessionStorage.length") == 0
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/user", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    shoot(dashboard, "tokens")

    dashboard.reload()
    expect(dashboard.locator(".code-block")).to_have_count(0)  # shown once
    row = dashboard.locator("tr", has_text="reporting script")
    row.get_by_role("button", name="Revoke").click()
    dashboard.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(dashboard.locator("tr", has_text="reporting script")).to_have_count(0)
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/user", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_site_settings_save_and_delete_with_confirmation(dashboard: Page, server: Almanac) -> None:
    site_id, _ = server.site("settings.test")
    open_view(dashboard, server, f"/sites/{site_id}/settings")
    dashboard.get_by_label("Name").fill("Renamed")
    dashboard.get_by_label("Time zone").select_option("America/New_York")
    dashboard.get_by_label("Tracking enabled").uncheck()
    dashboard.get_by_role("button", name="Save").click()
    expect(dashboard.get_by_text("Saved.")).to_be_visible()
    site = api(server, f"/api/sites/{site_id}")["site"]
    assert (site["name"], site["timezone"], site["tracking_enabled"]) == (
        "Renamed",
        "America/New_York",
        False,
    )
    expect(dashboard.get_by_role("heading", name="Renamed", exact=True)).to_be_visible()
    shoot(dashboard, "settings")

    dashboard.get_by_role("button", name="Delete site").click()
    dialog = dashboard.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Delete forever")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type settings.test to confirm").fill("settings.test")
    confirm.click()
    dashboard.wait_for_url(f"{server.url}/sites")
    ids = [s["id"] for s in api(server, "/api/sites")["sites"]]
    assert site_id not in ids


def test_hostile_strings_are_shown_as_text_in_every_view(
    dashboard: Page, visitor: Page, server: Almanac, pages: Pages
) -> None:
    site_id, key = server.site("hostile.test")
    # The real tracker: a hostile title, event name and event property.
    button = (
        f"<button onclick='almanac({json.dumps(HOSTILE)}, {{props: {{{json.dumps(HOSTILE)}: {json.dumps(HOSTILE)}}}}})'>"
        "x</button>"
    )
    visit(visitor, server, pages, "hostile.test", key, "/", title=HOSTILE, body=button)
    server.events(site_id, 1)
    visitor.click("button")
    server.events(site_id, 2)
    # Server-side tracking carries what a browser would percent-encode: a raw path and referrer. Another
    # user agent makes it another visitor, whose session starts with these UTM tags.
    with httpx.Client(base_url=server.url, headers={"User-Agent": THIRD_UA}) as client:
        answer = client.post(
            "/analytics/track",
            json={
                "key": key,
                "path": f"/{HOSTILE}",
                "title": HOSTILE,
                "referrer": f"http://evil.test/{HOSTILE}",
                "utm_source": HOSTILE,
                "utm_campaign": HOSTILE,
            },
        )
        assert answer.status_code in (200, 201, 202), answer.text
    server.events(site_id, 3)

    canary = "window.__xss = 0; window.alert = () => { window.__xss++ };"
    dashboard.add_init_script(canary)
    open_view(dashboard, server, f"/sites/{site_id}")
    pages_panel = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Pages"))
    expect(pages_panel.get_by_role("button", name=f"/{HOSTILE}")).to_be_visible()
    every_tab_loads(dashboard)
    events = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Events"))
    expect(events.get_by_role("button", name=HOSTILE)).to_be_visible()
    events.get_by_text("Properties").click()
    expect(events.locator("dl")).to_contain_text(HOSTILE)
    utm = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Sources"))
    utm.get_by_role("tab", name="UTM sources").click()
    expect(utm.get_by_role("button", name=HOSTILE)).to_be_visible()
    # Filtering by a hostile value puts it in the URL and on a chip, still as text.
    events.get_by_role("button", name=HOSTILE).click()
    expect(dashboard.locator(".chip")).to_contain_text(HOSTILE)
    shoot(dashboard, "hostile-overview")

    open_view(dashboard, server, f"/sites/{site_id}/realtime")
    expect(dashboard.locator(".panel", has_text="Active pages")).to_contain_text(HOSTILE)

    open_view(dashboard, server, f"/sites/{site_id}/goals")
    form = dashboard.locator("form.goal-form")
    form.get_by_label("Name").fill(HOSTILE)
    form.get_by_label("Converts when a visitor").select_option("event")
    form.get_by_label("Event name").fill(HOSTILE)
    form.get_by_role("button", name="Create goal").click()
    expect(dashboard.locator("table.list")).to_contain_text(HOSTILE)

    for path in [f"/sites/{site_id}", f"/sites/{site_id}/realtime", f"/sites/{site_id}/goals", "/sites"]:
        open_view(dashboard, server, path)
        assert dashboard.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0
        assert dashboard.evaluate("window.__xss") == 0


def test_the_overview_works_from_the_keyboard(dashboard: Page, server: Almanac, shop: dict[str, Any]) -> None:
    site_id = shop["id"]
    open_view(dashboard, server, f"/sites/{site_id}")
    expect(dashboard.locator(".kpi").first).to_be_visible()

    dashboard.keyboard.press("Tab")
    skip = dashboard.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert dashboard.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    pages_panel = dashboard.locator("section.panel", has=dashboard.get_by_role("heading", name="Pages"))
    pages_panel.get_by_role("tab", name="Top pages").focus()
    dashboard.keyboard.press("ArrowRight")
    entry = pages_panel.get_by_role("tab", name="Entry pages")
    expect(entry).to_be_focused()
    expect(entry).to_have_attribute("aria-selected", "true")

    row = pages_panel.locator(".row-filter").first
    expect(row).to_be_visible()
    value = row.inner_text()
    row.focus()
    dashboard.keyboard.press("Enter")
    dashboard.wait_for_url(f"{server.url}/sites/{site_id}?filters={quote(f'entry_page=={value}', safe='')}")
    remove = dashboard.get_by_role("button", name=re.compile("Remove filter: Entry page is"))
    remove.focus()
    dashboard.keyboard.press("Enter")
    dashboard.wait_for_url(f"{server.url}/sites/{site_id}")
