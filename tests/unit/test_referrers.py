"""Referrer to source: our table, country domains, the site itself, utm_source, and junk."""

from __future__ import annotations

import time

import pytest

from appliance.ingest import referrers
from appliance.ingest.referrers import DIRECT, Source, classify

SITE = "example.com"


def source(name: str, host: str | None) -> Source:
    return Source(source=name, referrer_host=host)


NONE = source(DIRECT, None)
INTERNAL = Source(source=DIRECT, referrer_host=None, internal=True)  # a page of the site itself

CASES = [
    # no referrer
    (None, NONE),
    ("", NONE),
    ("   ", NONE),
    # search engines, their country domains by structure, and the Google pages that are not search
    ("https://www.google.com/", source("Google", "google.com")),
    ("https://www.google.co.uk/", source("Google", "google.co.uk")),
    ("https://www.google.com.au/search?q=almanac", source("Google", "google.com.au")),
    ("https://www.google.de/", source("Google", "google.de")),
    ("https://google.co.jp/", source("Google", "google.co.jp")),
    ("https://news.google.com/articles/x", source("Google News", "news.google.com")),
    ("https://docs.google.com/document/d/1", source("docs.google.com", "docs.google.com")),
    ("https://google.org/", source("google.org", "google.org")),
    ("https://google.com.evil.net/", source("google.com.evil.net", "google.com.evil.net")),
    ("https://www.bing.com/search?q=x", source("Bing", "bing.com")),
    ("https://cn.bing.com/", source("Bing", "cn.bing.com")),
    ("https://duckduckgo.com/", source("DuckDuckGo", "duckduckgo.com")),
    ("https://html.duckduckgo.com/html/", source("DuckDuckGo", "html.duckduckgo.com")),
    ("https://search.yahoo.com/search?p=x", source("Yahoo", "search.yahoo.com")),
    ("https://uk.search.yahoo.com/", source("Yahoo", "uk.search.yahoo.com")),
    ("https://search.yahoo.co.jp/", source("Yahoo", "search.yahoo.co.jp")),
    ("https://yandex.ru/search/?text=x", source("Yandex", "yandex.ru")),
    ("https://yandex.com.tr/", source("Yandex", "yandex.com.tr")),
    ("https://ya.ru/", source("Yandex", "ya.ru")),
    ("https://www.baidu.com/link?url=x", source("Baidu", "baidu.com")),
    ("https://www.ecosia.org/search?q=x", source("Ecosia", "ecosia.org")),
    ("https://search.brave.com/search?q=x", source("Brave Search", "search.brave.com")),
    ("https://www.startpage.com/", source("Startpage", "startpage.com")),
    ("https://www.qwant.com/", source("Qwant", "qwant.com")),
    ("https://search.naver.com/search.naver", source("Naver", "search.naver.com")),
    ("https://search.seznam.cz/", source("Seznam", "search.seznam.cz")),
    # social networks
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com", source("Facebook", "l.facebook.com")),
    ("https://m.facebook.com/", source("Facebook", "m.facebook.com")),
    ("https://lm.facebook.com/", source("Facebook", "lm.facebook.com")),
    ("https://l.instagram.com/", source("Instagram", "l.instagram.com")),
    ("https://t.co/AbCdEf", source("X", "t.co")),
    ("https://x.com/someone/status/1", source("X", "x.com")),
    ("https://mobile.twitter.com/", source("X", "mobile.twitter.com")),
    ("https://www.linkedin.com/feed/", source("LinkedIn", "linkedin.com")),
    ("https://lnkd.in/abc", source("LinkedIn", "lnkd.in")),
    ("https://out.reddit.com/t3_x", source("Reddit", "out.reddit.com")),
    ("https://old.reddit.com/r/python/", source("Reddit", "old.reddit.com")),
    ("https://news.ycombinator.com/item?id=1", source("Hacker News", "news.ycombinator.com")),
    ("https://www.youtube.com/", source("YouTube", "youtube.com")),
    ("https://m.youtube.com/", source("YouTube", "m.youtube.com")),
    ("https://www.tiktok.com/", source("TikTok", "tiktok.com")),
    ("https://www.pinterest.co.uk/pin/1", source("Pinterest", "pinterest.co.uk")),
    ("https://bsky.app/profile/x", source("Bluesky", "bsky.app")),
    ("https://www.threads.net/@x", source("Threads", "threads.net")),
    ("https://t.me/channel", source("Telegram", "t.me")),
    ("https://web.whatsapp.com/", source("WhatsApp", "web.whatsapp.com")),
    ("https://en.m.wikipedia.org/wiki/Analytics", source("Wikipedia", "en.m.wikipedia.org")),
    # email
    ("https://mail.google.com/mail/u/0/", source("Gmail", "mail.google.com")),
    ("https://outlook.live.com/mail/0/", source("Outlook", "outlook.live.com")),
    ("https://outlook.office.com/mail/", source("Outlook", "outlook.office.com")),
    ("https://mail.yahoo.com/d/folders/1", source("Yahoo Mail", "mail.yahoo.com")),
    ("https://uk.mail.yahoo.com/", source("Yahoo Mail", "uk.mail.yahoo.com")),
    ("https://mail.proton.me/u/0/inbox", source("Proton Mail", "mail.proton.me")),
    # AI assistants
    ("https://chatgpt.com/", source("ChatGPT", "chatgpt.com")),
    ("https://chat.openai.com/c/1", source("ChatGPT", "chat.openai.com")),
    ("https://www.perplexity.ai/search/x", source("Perplexity", "perplexity.ai")),
    ("https://claude.ai/chat/1", source("Claude", "claude.ai")),
    ("https://gemini.google.com/app", source("Gemini", "gemini.google.com")),
    ("https://copilot.microsoft.com/", source("Copilot", "copilot.microsoft.com")),
    ("https://chat.deepseek.com/", source("DeepSeek", "chat.deepseek.com")),
    # Android apps
    ("android-app://com.google.android.gm/", source("Gmail", "android-app:com.google.android.gm")),
    (
        "android-app://com.google.android.googlequicksearchbox/https/www.google.com",
        source("Google", "android-app:com.google.android.googlequicksearchbox"),
    ),
    (
        "android-app://org.example.reader/",
        source("android-app:org.example.reader", "android-app:org.example.reader"),
    ),
    # other sites: the host without www.
    ("https://www.other.org/post/1", source("other.org", "other.org")),
    ("http://blog.other.org", source("blog.other.org", "blog.other.org")),
    ("https://example.com.evil.net/", source("example.com.evil.net", "example.com.evil.net")),
    ("https://notexample.com/", source("notexample.com", "notexample.com")),
    ("https://192.0.2.7:8080/admin", source("192.0.2.7", "192.0.2.7")),
    ("http://[2001:DB8::1]:8080/", source("[2001:db8::1]", "[2001:db8::1]")),
    # the site itself, its www. variant and its subdomains are no source
    ("https://example.com/pricing", INTERNAL),
    ("https://www.example.com/", INTERNAL),
    ("https://blog.example.com/post", INTERNAL),
    ("https://EXAMPLE.COM:8443/", INTERNAL),
    ("https://example.com./", INTERNAL),
    # uppercase, ports, user info, no scheme, protocol-relative
    ("HTTPS://WWW.GOOGLE.CO.UK:443/SEARCH", source("Google", "google.co.uk")),
    ("https://user:secret@other.org/", source("other.org", "other.org")),
    ("https://google.com@other.org/", source("other.org", "other.org")),
    ("google.de/search?q=x", source("Google", "google.de")),
    ("news.ycombinator.com", source("Hacker News", "news.ycombinator.com")),
    ("//t.co/x", source("X", "t.co")),
    ("  https://t.co/x  ", source("X", "t.co")),
    # international hosts become their ASCII form, as browsers send them
    ("https://münchen.de/", source("xn--mnchen-3ya.de", "xn--mnchen-3ya.de")),
    ("https://BÜCHER.example/", source("xn--bcher-kva.example", "xn--bcher-kva.example")),
    # junk
    ("javascript:alert(1)", NONE),
    ("javascript://%0aalert(1)", NONE),
    ("data:text/html,<script>alert(1)</script>", NONE),
    ("about:blank", NONE),
    ("chrome-extension://abcdef/page.html", NONE),
    ("file:///etc/passwd", NONE),
    ("mailto:someone@other.org", NONE),
    ("not a url", NONE),
    ("https://", NONE),
    ("https:///path", NONE),
    ("https://exa mple.com/", NONE),
    ("https://<script>/", NONE),
    ("https://" + "a" * 300 + ".com/", NONE),
    ("https://" + "a." * 2000 + "com/", NONE),
    ("https://t.co/" + "x" * 100_000, source("X", "t.co")),
    ("https://\u0000evil.com/", NONE),
    ("https://xn--/", source("xn--", "xn--")),
]


@pytest.mark.parametrize(("referrer", "expected"), CASES, ids=[repr(r)[:60] for r, _ in CASES])
def test_referrers(referrer: str | None, expected: Source) -> None:
    assert classify(referrer, SITE) == expected


@pytest.mark.parametrize(
    ("referrer", "utm_source", "expected"),
    [
        ("https://t.co/x", "newsletter", source("newsletter", "t.co")),
        (None, "newsletter", source("newsletter", None)),
        (
            "https://example.com/",
            "Spring Launch",
            Source(source="Spring Launch", referrer_host=None, internal=True),
        ),
        (None, "  padded  ", source("padded", None)),
        (None, "x" * 500, source("x" * 100, None)),
        (None, "tab\there\x00\x1b", source("tabhere", None)),
        # values that name a source of the table count as that source
        (None, "google", source("Google", None)),
        (None, "Facebook", source("Facebook", None)),
        (None, "fb", source("Facebook", None)),
        (None, "twitter", source("X", None)),
        (None, "news.ycombinator.com", source("Hacker News", None)),
        (None, "www.google.co.uk", source("Google", None)),
        (None, "chatgpt.com", source("ChatGPT", None)),
        (None, "other.org", source("other.org", None)),
        # empty values do not count
        ("https://t.co/x", "", source("X", "t.co")),
        ("https://t.co/x", "   ", source("X", "t.co")),
        ("https://t.co/x", None, source("X", "t.co")),
    ],
)
def test_utm_source_takes_precedence(referrer: str | None, utm_source: str | None, expected: Source) -> None:
    assert classify(referrer, SITE, utm_source) == expected


@pytest.mark.parametrize(
    ("site_domain", "referrer", "expected"),
    [
        ("www.example.com", "https://example.com/", INTERNAL),
        ("www.example.com", "https://shop.example.com/", INTERNAL),
        ("Example.com", "https://example.com/", INTERNAL),
        ("example.com:8000", "http://example.com:8000/", INTERNAL),
        ("blog.example.com", "https://example.com/", source("example.com", "example.com")),
        ("blog.example.com", "https://blog.example.com/", INTERNAL),
        ("", "https://example.com/", source("example.com", "example.com")),
        ("google.com", "https://www.google.com/", INTERNAL),
    ],
)
def test_the_sites_own_domain(site_domain: str, referrer: str, expected: Source) -> None:
    assert classify(referrer, site_domain) == expected


def test_every_table_entry_classifies_as_itself() -> None:
    for domain, name in referrers.DOMAINS.items():
        assert classify(f"https://{domain}/", SITE) == source(name, domain.removeprefix("www."))
        assert classify(f"https://sub.{domain}/", SITE).source == name


def test_costs() -> None:
    """Not a benchmark: a sanity bound, and the figures for `pytest -s`."""
    urls = [f"https://www.google.co.uk/search?q={i}" for i in range(500)] + [
        f"https://blog{i % 50}.other.org/post/{i}" for i in range(500)
    ]
    referrers._source.cache_clear()
    referrers._normalise_host.cache_clear()
    start = time.perf_counter()
    for url in urls:
        classify(url, SITE)
    first = (time.perf_counter() - start) / len(urls)
    start = time.perf_counter()
    for _ in range(10):
        for url in urls:
            classify(url, SITE)
    again = (time.perf_counter() - start) / len(urls) / 10
    print(f"classify: {first * 1e6:.1f} µs first, {again * 1e6:.2f} µs with hosts cached")
    assert again < 20e-6
