"""Referrer URL (or utm_source) to a traffic source: "Google", "Hacker News", "example.org", "Direct / None".

The table is our own. Brands with many country domains (google.de, google.co.uk, yandex.com.tr...)
match by structure rather than by listing them. Every listed domain covers its subdomains
(l.facebook.com is Facebook), and the most specific listed name wins (mail.google.com is Gmail).
"""

from __future__ import annotations

import functools
import re

import msgspec

DIRECT = "Direct / None"
MAX_REFERRER = 2048  # a host sits near the front; the rest of a longer URL never matters
MAX_AUTHORITY = 260  # a 253-character host, a port, IPv6 brackets
MAX_UTM = 100
CACHE_SIZE = 8192


class Source(msgspec.Struct, frozen=True, kw_only=True):
    source: str  # canonical name ("Google"), else the referrer's host without "www.", else DIRECT
    referrer_host: str | None  # the referrer's host without "www."; None when none or internal
    internal: bool = False  # the referrer is a page of the site itself (a navigation within it)


SEARCH = {
    "bing.com": "Bing",
    "duckduckgo.com": "DuckDuckGo",
    "ya.ru": "Yandex",
    "baidu.com": "Baidu",
    "ecosia.org": "Ecosia",
    "search.brave.com": "Brave Search",
    "startpage.com": "Startpage",
    "qwant.com": "Qwant",
    "naver.com": "Naver",
    "seznam.cz": "Seznam",
    "kagi.com": "Kagi",
    "search.aol.com": "AOL",
    "ask.com": "Ask",
    "sogou.com": "Sogou",
    "so.com": "360 Search",
    "daum.net": "Daum",
    "mojeek.com": "Mojeek",
    "metager.org": "MetaGer",
    "metager.de": "MetaGer",
    "swisscows.com": "Swisscows",
    "presearch.com": "Presearch",
    "you.com": "You.com",
    "news.google.com": "Google News",
}
SOCIAL = {
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "fb.me": "Facebook",
    "messenger.com": "Messenger",
    "instagram.com": "Instagram",
    "threads.net": "Threads",
    "threads.com": "Threads",
    "x.com": "X",
    "twitter.com": "X",
    "t.co": "X",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "reddit.com": "Reddit",
    "redd.it": "Reddit",
    "news.ycombinator.com": "Hacker News",
    "lobste.rs": "Lobsters",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "pin.it": "Pinterest",
    "bsky.app": "Bluesky",
    "t.me": "Telegram",
    "telegram.org": "Telegram",
    "whatsapp.com": "WhatsApp",
    "wa.me": "WhatsApp",
    "discord.com": "Discord",
    "discordapp.com": "Discord",
    "discord.gg": "Discord",
    "slack.com": "Slack",
    "snapchat.com": "Snapchat",
    "tumblr.com": "Tumblr",
    "vk.com": "VK",
    "ok.ru": "Odnoklassniki",
    "weibo.com": "Weibo",
    "quora.com": "Quora",
    "medium.com": "Medium",
    "substack.com": "Substack",
    "producthunt.com": "Product Hunt",
    "github.com": "GitHub",
    "stackoverflow.com": "Stack Overflow",
    "wikipedia.org": "Wikipedia",
}
EMAIL = {
    "mail.google.com": "Gmail",
    "outlook.live.com": "Outlook",
    "outlook.office.com": "Outlook",
    "outlook.office365.com": "Outlook",
    "mail.yahoo.com": "Yahoo Mail",
    "mail.proton.me": "Proton Mail",
    "mail.protonmail.com": "Proton Mail",
    "mail.aol.com": "AOL Mail",
    "mail.yandex.ru": "Yandex Mail",
    "mail.yandex.com": "Yandex Mail",
    "mail.zoho.com": "Zoho Mail",
    "fastmail.com": "Fastmail",
}
AI = {
    "chatgpt.com": "ChatGPT",
    "chat.openai.com": "ChatGPT",
    "perplexity.ai": "Perplexity",
    "claude.ai": "Claude",
    "gemini.google.com": "Gemini",
    "bard.google.com": "Gemini",
    "copilot.microsoft.com": "Copilot",
    "deepseek.com": "DeepSeek",
    "chat.mistral.ai": "Mistral Le Chat",
    "meta.ai": "Meta AI",
    "grok.com": "Grok",
    "phind.com": "Phind",
}
# Android apps send "android-app://<package>/" as the referrer.
APPS = {
    "com.google.android.googlequicksearchbox": "Google",
    "com.google.android.gm": "Gmail",
    "com.facebook.katana": "Facebook",
    "com.instagram.android": "Instagram",
    "com.twitter.android": "X",
    "com.linkedin.android": "LinkedIn",
    "com.reddit.frontpage": "Reddit",
    "org.telegram.messenger": "Telegram",
    "com.whatsapp": "WhatsApp",
    "com.slack": "Slack",
    "com.discord": "Discord",
    "com.microsoft.office.outlook": "Outlook",
}
DOMAINS: dict[str, str] = SEARCH | SOCIAL | EMAIL | AI
# Brands under "<brand>.<country suffix>": google.de, google.co.uk, google.com.au, yandex.com.tr...
# Google only as the search page itself (docs.google.com is not a search); the others with subdomains.
BRANDS: dict[str, tuple[str, bool]] = {
    "google": ("Google", False),
    "yahoo": ("Yahoo", True),
    "yandex": ("Yandex", True),
    "pinterest": ("Pinterest", True),
}
NAMES = frozenset(DOMAINS.values()) | frozenset(APPS.values()) | {name for name, _ in BRANDS.values()}
# utm_source values that name a source of the table ("google", "Facebook", "t.co") count as that
# source, so a tagged and an untagged visit from one place add up; other values are kept as given.
UTM_NAMES: dict[str, str] = (
    {name.lower(): name for name in NAMES}
    | {domain: name for domain, name in DOMAINS.items()}
    | {brand: name for brand, (name, _) in BRANDS.items()}
    | {"fb": "Facebook", "ig": "Instagram", "twitter": "X", "hn": "Hacker News", "ycombinator": "Hacker News"}
)

_URL = re.compile(r"([a-z][a-z0-9+.-]*):(?=//)|(?=//)|(?=[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[:/?#]|$))", re.I)
_AUTHORITY = re.compile(r"(?://)?([^/?#\\]*)")
_HOST = re.compile(
    r"(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*|\[[0-9a-f:.]+\]"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def classify(referrer: str | None, site_domain: str, utm_source: str | None = None) -> Source:
    """The source of a hit: utm_source when given, else its referrer; the site itself is no source."""
    host = _referrer_host(referrer[:MAX_REFERRER]) if referrer else None
    internal = host is not None and _is_internal(host, _site(site_domain))
    if internal:
        host = None
    utm = _CONTROL.sub("", utm_source).strip()[:MAX_UTM] if utm_source else ""
    if utm:
        return Source(source=_utm_source(utm), referrer_host=host, internal=internal)
    if host is None:
        return Source(source=DIRECT, referrer_host=None, internal=internal)
    return Source(source=_source(host), referrer_host=host)


def _referrer_host(referrer: str) -> str | None:
    # Not cached by URL: click ids (fbclid, gclid) make most referrers unique. Hosts are cached.
    text = referrer.strip()
    start = _URL.match(text)
    if start is None:
        return None  # javascript:, data:, about:blank, junk
    scheme = (start.group(1) or "").lower()
    if scheme not in ("", "http", "https", "android-app"):
        return None
    authority = _AUTHORITY.match(text, start.end())
    raw = authority.group(1).rpartition("@")[2] if authority else ""
    if len(raw) > MAX_AUTHORITY:
        return None
    return _normalise_host(raw, scheme == "android-app")


def _utm_source(utm: str) -> str:
    """A table name for "google", "Facebook", "t.co" or "news.ycombinator.com"; other values as given."""
    key = utm.lower()
    if name := UTM_NAMES.get(key):
        return name
    if "." in key and _HOST.fullmatch(key) and (known := _source(key.removeprefix("www."))) in NAMES:
        return known
    return utm


@functools.lru_cache(maxsize=CACHE_SIZE)
def _normalise_host(raw: str, app: bool) -> str | None:
    if raw.startswith("["):
        host = raw[: raw.find("]") + 1].lower()
    else:
        host = raw.partition(":")[0].rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not _HOST.fullmatch(host):
        return None
    if app:
        return f"android-app:{host}"
    return host.removeprefix("www.") or None


@functools.lru_cache(maxsize=1024)
def _site(site_domain: str) -> str:
    host = site_domain.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0]
    return host.partition(":")[0].rstrip(".").removeprefix("www.")


def _is_internal(host: str, site: str) -> bool:
    return bool(site) and (host == site or host.endswith("." + site))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _source(host: str) -> str:
    """The canonical name of a referrer host, or the host itself when it is not in the table."""
    if host.startswith("android-app:"):
        return APPS.get(host.removeprefix("android-app:"), host)
    labels = host.split(".")
    for i in range(len(labels) - 1):  # most specific first: mail.google.com before google.com
        if name := DOMAINS.get(".".join(labels[i:])):
            return name
    for i, label in enumerate(labels[:-1]):
        brand = BRANDS.get(label)
        if brand and (i == 0 or brand[1]) and _country_suffix(labels[i + 1 :]):
            return brand[0]
    return host


def _country_suffix(labels: list[str]) -> bool:
    """'com', 'de', 'co.uk', 'com.au': what follows a brand on its country sites."""
    if len(labels) == 1:
        return labels[0] == "com" or _is_country(labels[0])
    return len(labels) == 2 and labels[0] in ("co", "com") and _is_country(labels[1])


def _is_country(label: str) -> bool:
    return len(label) == 2 and label.isascii() and label.isalpha()
