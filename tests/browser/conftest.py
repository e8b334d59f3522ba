"""Browser tests: Debian's chromium, driven by Playwright, on fixture pages that embed the real built
tracker from a real `almanac serve`.

The fixture pages are served on host names under `.test`, which chromium resolves to 127.0.0.1
(--host-resolver-rules): the tracker is cross-origin to the appliance, as on a real site, and not on
localhost, which it ignores unless the tag allows it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Playwright, sync_playwright

from appliance.http.tracker_scripts import TRACKER_DIR
from tests.browser.running import Almanac, Pages, Sent

CHROMIUM = Path("/usr/bin/chromium")
# Where test_dashboard.py puts its screenshots of each view (gitignored; printed after the run).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP *.test 127.0.0.1",
]
# HeadlessChrome is (rightly) a bot to the server: the context presents an ordinary desktop browser.
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
)
SETTINGS = {
    # Heartbeats are coalesced in memory and flushed on this period: short, for the tests' patience.
    "ALMANAC_TRACKING_HEARTBEAT_FLUSH_SECONDS": "0.2",
    "ALMANAC_RATE_LIMITS_TRACKING_PER_MINUTE": "0",
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("almanac")
    if report.failed and isinstance(running, Almanac):
        report.sections.append(("almanac serve log (the end)", running.server.logs()[-5000:]))


@pytest.fixture(scope="session")
def almanac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Almanac]:
    for name in ("analytics.js", "analytics-extras.js"):
        if not (TRACKER_DIR / name).is_file():
            pytest.fail(f"{TRACKER_DIR / name} is missing: build it with `make web`")
    running = Almanac.start(tmp_path_factory.mktemp("almanac"), SETTINGS)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def pages() -> Iterator[Pages]:
    served = Pages()
    yield served
    served.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium (`make test` does)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(
        user_agent=DESKTOP_UA,
        viewport={"width": 1280, "height": 720},
        screen={"width": 1920, "height": 1080},
        locale="en-GB",
    )
    yield opened
    opened.close()


@pytest.fixture
def sent(context: BrowserContext, almanac: Almanac) -> Sent:
    recorder = Sent(prefix=f"{almanac.url}/analytics/")
    context.on("request", recorder.record)
    return recorder


@pytest.fixture
def page(context: BrowserContext, sent: Sent) -> Iterator[Page]:
    """A page whose console errors, uncaught exceptions and dialogs (an injected alert()) fail the test."""
    opened = context.new_page()
    sent.pump = lambda: opened.wait_for_timeout(1)
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def dialog(shown: Dialog) -> None:
        problems.append(f"dialog: {shown.message}")
        shown.dismiss()

    opened.on("console", console)
    opened.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    opened.on("dialog", dialog)
    yield opened
    opened.close()
    assert not problems, f"the page reported problems: {problems}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the dashboard tests put their screenshots (test_dashboard.py, not committed)."""
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"dashboard screenshots: {len(shots)} in {SCREENSHOTS}")
