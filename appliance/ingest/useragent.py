"""User-Agent to browser, OS, device type and bot verdict, cached per User-Agent string.

ua-parser's Rust-backed resolver names browsers and systems (the pure-Python one is about a hundred
times slower); crawlerdetect and ua-parser's "Spider" device find crawlers; our own short table
finds headless browsers, HTTP libraries and uptime monitors, which those miss or misname.
"""

from __future__ import annotations

import functools
import re
import threading

import msgspec
from crawlerdetect import CrawlerDetect  # type: ignore[import-untyped]
from ua_parser import Domain, Result, load_lazy_builtins
from ua_parser.regex import Resolver

MAX_LENGTH = 512  # longer agents are hostile or broken; the first 512 characters decide
MIN_LENGTH = 20  # no browser sends less ("Mozilla/5.0" alone is a script)
CACHE_SIZE = 16_384  # about 15 MB at worst: keys are cut to MAX_LENGTH before they are cached


class Agent(msgspec.Struct, frozen=True, kw_only=True):
    browser: str  # "Chrome", "Firefox", "Safari", ...; "" when unknown
    browser_version: str  # major version, e.g. "120"; "" when unknown
    os: str  # "Windows", "macOS", "iOS", "Android", "Linux", ...; "" when unknown
    os_version: str  # e.g. "10", "14", "10.15"; "" when unknown
    device: str  # "desktop" | "mobile" | "tablet" | "" (unknown)
    bot_type: str | None  # None for humans; else "crawler", "headless", "scraper", "monitor" or "empty"
    bot_name: str | None  # e.g. "Googlebot", "HeadlessChrome", "python-requests"; None for humans


# Our own signatures, checked before crawlerdetect, as lower-case text: (text, bot type, name).
# Plain substring tests: one regex alternation of them costs a hundred times more per new agent.
# Electron is left out on purpose: desktop apps (Slack, VS Code) show people pages with it.
_ANYWHERE: tuple[tuple[str, str, str], ...] = (
    ("headlesschrome", "headless", "HeadlessChrome"),
    ("phantomjs", "headless", "PhantomJS"),
    ("slimerjs", "headless", "SlimerJS"),
    ("lighthouse", "headless", "Lighthouse"),
    ("puppeteer", "headless", "Puppeteer"),
    ("playwright", "headless", "Playwright"),
    ("selenium", "headless", "Selenium"),
    ("cypress/", "headless", "Cypress"),
    ("jsdom/", "headless", "jsdom"),
    ("htmlunit", "headless", "HtmlUnit"),
    ("zombie.js", "headless", "Zombie.js"),
    ("nightmare", "headless", "Nightmare"),
    (" splash ", "headless", "Splash"),
    ("prerender", "headless", "Prerender"),
    ("gtmetrix", "headless", "GTmetrix"),
    ("uptimerobot", "monitor", "UptimeRobot"),
    ("pingdom", "monitor", "Pingdom"),
    ("statuscake", "monitor", "StatusCake"),
    ("site24x7", "monitor", "Site24x7"),
    ("better stack", "monitor", "Better Stack"),
    ("better uptime", "monitor", "Better Stack"),
    ("betteruptime", "monitor", "Better Stack"),
    ("uptime-kuma", "monitor", "Uptime Kuma"),
    ("freshping", "monitor", "Freshping"),
    ("datadog/synthetics", "monitor", "Datadog Synthetics"),
    ("datadogsynthetics", "monitor", "Datadog Synthetics"),
    ("newrelicpinger", "monitor", "New Relic"),
    ("checkly", "monitor", "Checkly"),
    ("hetrixtools", "monitor", "HetrixTools"),
    ("ohdear", "monitor", "Oh Dear"),
    ("updown.io", "monitor", "updown.io"),
    ("hyperping", "monitor", "Hyperping"),
    ("cronitor", "monitor", "Cronitor"),
    ("route53-health-check", "monitor", "Route 53 health check"),
    ("elb-healthchecker", "monitor", "ELB health check"),
    ("kube-probe", "monitor", "Kubernetes probe"),
    ("googlestackdrivermonitoring", "monitor", "Google Cloud uptime check"),
    ("zabbix", "monitor", "Zabbix"),
    ("nagios", "monitor", "Nagios"),
    ("check_http", "monitor", "Nagios"),
    (" aiohttp/", "scraper", "aiohttp"),
    ("windowspowershell/", "scraper", "PowerShell"),
)
# HTTP libraries put their name first; further in, it is the engine under a named crawler
# ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient ...)").
_FIRST: tuple[tuple[str, str, str], ...] = (
    ("curl/", "scraper", "curl"),
    ("pycurl/", "scraper", "curl"),
    ("wget/", "scraper", "Wget"),
    ("python-requests/", "scraper", "python-requests"),
    ("python-httpx/", "scraper", "httpx"),
    ("python-urllib3/", "scraper", "urllib3"),
    ("python-urllib/", "scraper", "urllib"),
    ("scrapy/", "scraper", "Scrapy"),
    ("go-http-client/", "scraper", "Go-http-client"),
    ("axios/", "scraper", "axios"),
    ("node-fetch", "scraper", "node-fetch"),
    ("undici", "scraper", "undici"),
    ("got (", "scraper", "got"),
    ("bun/", "scraper", "Bun"),
    ("deno/", "scraper", "Deno"),
    ("dart/", "scraper", "Dart"),
    ("okhttp/", "scraper", "OkHttp"),
    ("java-http-client/", "scraper", "Java HttpClient"),
    ("apache-httpclient/", "scraper", "Apache HttpClient"),
    ("java/", "scraper", "Java"),
    ("libwww-perl/", "scraper", "libwww-perl"),
    ("faraday v", "scraper", "Faraday"),
    ("guzzlehttp/", "scraper", "Guzzle"),
    ("postmanruntime/", "scraper", "Postman"),
    ("insomnia/", "scraper", "Insomnia"),
    ("httpie/", "scraper", "HTTPie"),
    ("aria2/", "scraper", "aria2"),
)
_FIRST_TEXTS = tuple(text for text, _, _ in _FIRST)
_WHOLE = {"node": ("scraper", "Node.js"), "ruby": ("scraper", "Ruby")}

# ua-parser's families, reduced to the browser: the device column already says "mobile".
_BROWSERS = {
    "Chrome": "Chrome",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "Chromium": "Chromium",
    "Firefox": "Firefox",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Safari": "Safari",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari (in-app)",
    "Edge": "Edge",
    "Edge Mobile": "Edge",
    "Opera": "Opera",
    "Opera Mobile": "Opera",
    "Opera Mini": "Opera Mini",
    "Samsung Internet": "Samsung Internet",
    "Yandex Browser": "Yandex Browser",
    "Vivaldi": "Vivaldi",
    "Brave": "Brave",
    "DuckDuckGo Mobile": "DuckDuckGo",
    "UC Browser": "UC Browser",
    "MiuiBrowser": "Mi Browser",
    "Amazon Silk": "Silk",
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "Facebook": "Facebook (in-app)",
    "Instagram": "Instagram (in-app)",
    "Electron": "Electron",
}
_LINUX = frozenset(
    {"Ubuntu", "Kubuntu", "Fedora", "Debian", "Linux Mint", "Mint", "Arch Linux", "Red Hat", "CentOS"}
    | {"SUSE", "openSUSE", "Gentoo", "Slackware", "Mandriva", "Linux"}
)
_OSES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"} | dict.fromkeys(_LINUX, "Linux")
_DESKTOP_OSES = frozenset(
    {"Windows", "macOS", "Linux", "ChromeOS", "FreeBSD", "OpenBSD", "NetBSD", "Solaris"}
)
_MOBILE_OSES = frozenset({"iOS", "Windows Phone", "KaiOS", "Symbian OS", "BlackBerry OS", "Firefox OS"})
_BOT_NAMES = {"bingbot": "Bingbot"}
# Televisions and consoles: none of our three device types fits, so "" (unknown).
_TV = re.compile(r"SMART-?TV|\bTV\b|\bAFT[A-Z]|BRAVIA|CrKey|Web0S|PlayStation|Xbox|Nintendo")

_lock = threading.Lock()  # CrawlerDetect keeps the last match on the instance


@functools.cache
def _resolver() -> Resolver:
    return Resolver(load_lazy_builtins())  # about 0.15 s, once


@functools.cache
def _crawler_detect() -> CrawlerDetect:
    return CrawlerDetect()


def prepare() -> None:
    """Build the parsers now (about 0.2 s) rather than on the first hit: call it at start-up."""
    _resolver()
    with _lock:
        _crawler_detect().is_crawler("Mozilla/5.0 (compatible; warm-up)")  # compiles its patterns


def parse_agent(user_agent: str) -> Agent:
    """Browser, OS, device type and bot verdict of a User-Agent header (cut to 512 characters)."""
    return _parse(user_agent[:MAX_LENGTH])


@functools.lru_cache(maxsize=CACHE_SIZE)
def _parse(user_agent: str) -> Agent:
    ua = user_agent.strip()
    parsed = _resolver()(ua, Domain.ALL).complete()
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    os = parsed.os.family if parsed.os else "Other"
    bot_type, bot_name = _bot(ua, parsed)
    # Only people and headless browsers have a device worth counting; a library has none.
    device = _device(ua, parsed) if bot_type in (None, "headless") else ""
    return Agent(
        browser="" if browser == "Other" else _BROWSERS.get(browser, browser),
        browser_version=(parsed.user_agent.major or "") if parsed.user_agent else "",
        os="" if os == "Other" else _OSES.get(os, os),
        os_version=_os_version(parsed),
        device=device,
        bot_type=bot_type,
        bot_name=bot_name,
    )


def _bot(ua: str, parsed: Result) -> tuple[str | None, str | None]:
    if not ua:
        return "empty", None
    if signed := _signature(ua.lower()):
        return signed
    family = parsed.user_agent.family if parsed.user_agent else "Other"
    named = family != "Other" and family not in _BROWSERS  # ua-parser knows this bot by name
    spider = parsed.device is not None and parsed.device.family == "Spider"
    if spider and named:
        return "crawler", _BOT_NAMES.get(family, family)
    detector = _crawler_detect()
    with _lock:
        crawler: bool = detector.is_crawler(ua)
        matched: str | None = detector.get_matches()
    if crawler or spider:
        if named:
            return "crawler", _BOT_NAMES.get(family, family)
        return "crawler", (matched or "").strip(" /_;:(").removesuffix(" v") or "unknown"
    if len(ua) < MIN_LENGTH:
        return "empty", None
    return None, None


def _signature(lowered: str) -> tuple[str, str] | None:
    if lowered in _WHOLE:
        return _WHOLE[lowered]
    if lowered.startswith(_FIRST_TEXTS):
        return next((kind, name) for text, kind, name in _FIRST if lowered.startswith(text))
    return next(((kind, name) for text, kind, name in _ANYWHERE if text in lowered), None)


def _os_version(parsed: Result) -> str:
    if not parsed.os or not parsed.os.major:
        return ""
    os, major, minor = parsed.os.family, parsed.os.major, parsed.os.minor
    # "Windows NT 6.3" is 8.1, and Safari froze macOS at 10.15 where 10 alone says little.
    if minor and ((os == "Windows" and major == "8") or (os == "Mac OS X" and major == "10")):
        return f"{major}.{minor}"
    return major


def _device(ua: str, parsed: Result) -> str:
    family = parsed.device.family if parsed.device else ""
    brand = parsed.device.brand if parsed.device else ""
    os = parsed.os.family if parsed.os else ""
    if family == "Spider" or _TV.search(ua):
        return ""
    if family in {"iPad", "Kindle", "Generic Tablet"} or brand == "Generic_Android_Tablet":
        return "tablet"
    if os == "Android" and "Mobi" not in ua:
        return "tablet"  # Android browsers say "Mobile" on phones only
    if "Mobi" in ua or family in {"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"}:
        return "mobile"
    if os in _MOBILE_OSES:
        return "mobile"
    if _OSES.get(os, os) in _DESKTOP_OSES or "X11" in ua:
        return "desktop"
    return ""
