"""User-Agent parsing: browsers, systems and device types of real agents, and every kind of bot."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import ua_parser.regex

from appliance.ingest import useragent
from appliance.ingest.useragent import Agent, parse_agent


def human(browser: str, version: str, os: str, os_version: str, device: str) -> Agent:
    return Agent(
        browser=browser,
        browser_version=version,
        os=os,
        os_version=os_version,
        device=device,
        bot_type=None,
        bot_name=None,
    )


def bot(
    kind: str,
    name: str | None,
    browser: str = "",
    version: str = "",
    os: str = "",
    os_version: str = "",
    device: str = "",
) -> Agent:
    return Agent(
        browser=browser,
        browser_version=version,
        os=os,
        os_version=os_version,
        device=device,
        bot_type=kind,
        bot_name=name,
    )


PEOPLE = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        human("Chrome", "131", "Windows", "10", "desktop"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        human("Firefox", "133", "Windows", "10", "desktop"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        human("Edge", "131", "Windows", "10", "desktop"),
    ),
    (
        "Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
        human("Chrome", "109", "Windows", "8.1", "desktop"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        human("Safari", "18", "macOS", "10.15", "desktop"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        human("Chrome", "131", "macOS", "10.15", "desktop"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
        human("Firefox", "133", "macOS", "14", "desktop"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        human("Chrome", "131", "Linux", "", "desktop"),
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        human("Firefox", "133", "Linux", "", "desktop"),
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        human("Chrome", "131", "ChromeOS", "14541", "desktop"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        human("Safari", "18", "iOS", "18", "mobile"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        human("Chrome", "131", "iOS", "18", "mobile"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
        human("Firefox", "133", "iOS", "18", "mobile"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        human("Safari", "18", "iOS", "18", "tablet"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        human("Chrome", "131", "Android", "10", "mobile"),
    ),
    (  # Chrome on an Android tablet: the same reduced agent without "Mobile"
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        human("Chrome", "131", "Android", "10", "tablet"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        human("Samsung Internet", "27", "Android", "14", "mobile"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Safari/537.36",
        human("Chrome", "131", "Android", "14", "tablet"),
    ),
    (
        "Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        human("Firefox", "133", "Android", "15", "mobile"),
    ),
    (
        "Mozilla/5.0 (Android 15; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
        human("Firefox", "133", "Android", "15", "tablet"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36 EdgA/131.0.2903.87",
        human("Edge", "131", "Android", "14", "mobile"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36",
        human("Silk", "120", "Android", "11", "tablet"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36",
        human("Android WebView", "131", "Android", "13", "mobile"),
    ),
    (  # a television: none of our device types
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
        human("Samsung Internet", "4", "Tizen", "6", ""),
    ),
    (  # Electron apps (Slack, VS Code...) show real people pages: not a bot sign on its own
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.95.3 Chrome/128.0.6613.186 Electron/32.2.1 Safari/537.36",
        human("Electron", "32", "macOS", "10.15", "desktop"),
    ),
]

BOTS = [
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36",
        bot("crawler", "Googlebot", "Googlebot", "2"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        Agent(
            browser="Googlebot",
            browser_version="2",
            os="Android",
            os_version="6",
            device="",
            bot_type="crawler",
            bot_name="Googlebot",
        ),
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        bot("crawler", "Bingbot", "bingbot", "2"),
    ),
    (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        bot("crawler", "AhrefsBot", "AhrefsBot", "7"),
    ),
    (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        bot("crawler", "YandexBot", "YandexBot", "3"),
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        bot("crawler", "GPTBot", "GPTBot", "1"),
    ),
    (  # named by ua-parser although the agent ends in a library's name
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        bot("crawler", "LinkedInBot", "LinkedInBot", "1"),
    ),
    (  # caught by crawlerdetect only; its match names it
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Google-Read-Aloud",
        bot("crawler", "Google-Read-Aloud", "Chrome", "131", "Windows", "10"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36",
        bot("headless", "HeadlessChrome", "HeadlessChrome", "131", "Linux", device="desktop"),
    ),
    (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        bot("headless", "PhantomJS", "PhantomJS", "2", "Linux", device="desktop"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        Agent(
            browser="Chrome",
            browser_version="131",
            os="Android",
            os_version="11",
            device="mobile",
            bot_type="headless",
            bot_name="Lighthouse",
        ),
    ),
    ("curl/8.11.0", bot("scraper", "curl", "curl", "8")),
    ("Wget/1.24.5", bot("scraper", "Wget", "Wget", "1")),
    ("python-requests/2.32.3", bot("scraper", "python-requests", "Python Requests", "2")),
    ("python-httpx/0.28.1", bot("scraper", "httpx")),
    ("Go-http-client/1.1", bot("scraper", "Go-http-client", "Go-http-client", "1")),
    ("axios/1.7.9", bot("scraper", "axios", "axios", "1")),
    ("node", bot("scraper", "Node.js")),
    (
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        bot("monitor", "UptimeRobot", "UptimeRobot", "2"),
    ),
    ("Datadog/Synthetics", bot("monitor", "Datadog Synthetics")),
    ("", bot("empty", None)),
    ("   ", bot("empty", None)),
    ("Mozilla/5.0", bot("empty", None)),
    ("-", bot("empty", None)),
]


@pytest.mark.parametrize(("user_agent", "expected"), PEOPLE, ids=[e.browser + " " + e.os for _, e in PEOPLE])
def test_people(user_agent: str, expected: Agent) -> None:
    assert parse_agent(user_agent) == expected


@pytest.mark.parametrize(("user_agent", "expected"), BOTS, ids=[str(e.bot_name) for _, e in BOTS])
def test_bots(user_agent: str, expected: Agent) -> None:
    assert parse_agent(user_agent) == expected


def test_long_agents_are_cut_before_parsing_and_caching() -> None:
    hostile = PEOPLE[0][0] + " " + "A" * 1_000_000
    useragent._parse.cache_clear()

    assert parse_agent(hostile) == parse_agent(hostile[: useragent.MAX_LENGTH]) == PEOPLE[0][1]
    assert useragent._parse.cache_info().currsize == 1  # one entry, keyed by the first 512 characters


def test_the_cache_is_bounded_and_the_rust_resolver_is_used() -> None:
    assert useragent._parse.cache_info().maxsize == useragent.CACHE_SIZE
    assert isinstance(useragent._resolver(), ua_parser.regex.Resolver)


def test_concurrent_parsing_names_every_bot_right() -> None:
    # CrawlerDetect keeps its last match on the shared instance: the lock keeps threads apart.
    # These agents reach crawlerdetect (ua-parser sees Chrome), and each has its own match.
    chrome = PEOPLE[0][0]
    agents = [f"{chrome} feed{i}reader/1.0" for i in range(400)]
    useragent._parse.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        parsed = list(pool.map(parse_agent, agents))

    assert [(agent.bot_type, agent.bot_name) for agent in parsed] == [
        ("crawler", f"feed{i}reader") for i in range(400)
    ]


def test_costs() -> None:
    """Not a benchmark: a sanity bound, and the figures for `pytest -s`."""
    agents = [f"{ua} v{i}" for i in range(40) for ua, _ in PEOPLE]
    useragent._parse.cache_clear()
    start = time.perf_counter()
    for agent in agents:
        parse_agent(agent)
    cold = (time.perf_counter() - start) / len(agents)
    start = time.perf_counter()
    for _ in range(10):
        for agent in agents:
            parse_agent(agent)
    cached = (time.perf_counter() - start) / len(agents) / 10
    print(f"parse_agent: {cold * 1e6:.1f} µs cold, {cached * 1e6:.2f} µs cached")
    assert cached < 5e-6
