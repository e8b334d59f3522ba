"""The pipeline's steps one by one: what each fills in, and the typed reason of each drop."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from appliance.config import TrackingConfig
from appliance.ingest import pipeline
from appliance.ingest.geo import Place
from appliance.ingest.identity import DAY_MS, Keys, Salts, day_of, derive_visitor
from appliance.ingest.models import Dropped, Hit, Origin, Reason
from appliance.ingest.sessions import SessionBook
from appliance.sites.models import Site

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
NOW = 1_750_000_000_000  # 2025-06-15, mid-day UTC
TIMEOUT = 30 * 60_000
SITE = Site(
    id=7,
    name="Shop",
    domain="shop.example.com",
    pixel_key="key-7",
    timezone="UTC",
    tracking_enabled=True,
    is_enabled=True,
    tracking_type="lightweight",
    channel_type="website",
    created_at=0,
)


class FakeSites:
    def __init__(self, *sites: Site) -> None:
        self.sites = {s.pixel_key: s for s in sites}

    def cached(self, key: str) -> tuple[bool, Site | None]:
        return True, self.sites.get(key)


class FakeLocator:
    def locate(self, ip: str) -> Place:
        return (
            Place(country="GB", region=None, city=None)
            if ip == "81.2.69.142"
            else Place(country=None, region=None, city=None)
        )


class Recording(pipeline.Context):
    """A context that also keeps the salts the pipeline asked to persist."""

    persisted: list[tuple[int, bytes]]


def context(*sites: Site, salts: dict[int, bytes] | None = None) -> Recording:
    persisted: list[tuple[int, bytes]] = []
    cx = Recording(
        sites=FakeSites(*(sites or (SITE,))),  # type: ignore[arg-type]
        keys=Keys(b"s" * 32),
        salts=Salts(salts),
        sessions=SessionBook(TIMEOUT),
        locator=FakeLocator(),  # type: ignore[arg-type]
        limits=TrackingConfig(),
        persist_salt=lambda day, salt: persisted.append((day, salt)),
    )
    cx.persisted = persisted
    return cx


def hit(
    *, now: int = NOW, trusted: bool = False, ua: str = CHROME, ip: str = "81.2.69.142", **fields: Any
) -> Hit:
    origin = Origin(ip=ip, user_agent=ua, received=now, trusted=trusted)
    fields.setdefault("path", "/")
    return Hit(
        key="key-7",
        kind=1 if fields.get("name") else 0,
        origin=origin,
        ts=now,
        ip=ip,
        user_agent=ua,
        **fields,
    )


def dropped(h: Hit, cx: pipeline.Context) -> tuple[Reason, str, int]:
    with pytest.raises(Dropped) as caught:
        pipeline.run(h, cx)
    return caught.value.reason, caught.value.message, caught.value.site_id


def test_the_pipeline_is_these_steps_in_this_order() -> None:
    assert [step.__name__ for step in pipeline.STEPS] == [
        "resolve_site",
        "check_enabled",
        "apply_server_fields",
        "normalise",
        "user_agent",
        "detect_bot",
        "locate",
        "attribute_source",
        "identify_visitor",
        "assign_session",
    ]


def test_a_pageview_comes_out_enriched() -> None:
    cx = context()
    h = pipeline.run(hit(path="/a?utm_source=mail&x=1", title=" T ", referrer="https://www.bing.com/"), cx)

    assert (h.site, h.path, h.title, h.utm_source, h.source, h.referrer_host) == (
        SITE,
        "/a",
        "T",
        "mail",
        "mail",
        "bing.com",
    )
    assert (h.browser, h.browser_version, h.os, h.device, h.country) == (
        "Chrome",
        "120",
        "Windows",
        "desktop",
        "GB",
    )
    assert (h.event_id, h.session.id, h.session.pageviews) == (1, 1, 1)
    assert h.visitor_id == derive_visitor(cx.salts.get(day_of(NOW)) or b"", SITE.id, "81.2.69.142", CHROME)
    assert h.visitor_key == cx.keys.key(h.visitor_id)
    assert h.session_id == cx.keys.session_name(1)
    assert h.session.first[:6] == (1, SITE.id, cx.keys.key(h.session_id), 0, h.visitor_key, NOW)
    assert pipeline.event_row(h)[:8] == (1, SITE.id, NOW, 1, h.visitor_key, 0, None, "/a")


def test_unknown_and_disabled_websites_are_dropped() -> None:
    disabled = msgspec.structs.replace(SITE, pixel_key="off", tracking_enabled=False)
    paused = msgspec.structs.replace(SITE, id=8, pixel_key="paused", is_enabled=False)
    cx = context(SITE, disabled, paused)

    assert dropped(msgspec.structs.replace(hit(), key="nope"), cx) == (
        Reason.UNKNOWN_SITE,
        "Website not found.",
        0,
    )
    for key, site_id in (("off", 7), ("paused", 8)):
        assert dropped(msgspec.structs.replace(hit(), key=key), cx) == (
            Reason.DISABLED_SITE,
            "Tracking is disabled for this website.",
            site_id,
        )
    assert len(cx.sessions) == 0 and cx.next_event_id == 1


def test_server_side_fields_need_trust() -> None:
    cx = context()
    for fields in ({"timestamp": 1}, {"given_ip": "8.8.8.8"}, {"given_user_agent": CHROME}):
        assert dropped(hit(**fields), cx)[0] is Reason.FORBIDDEN

    h = pipeline.run(
        hit(trusted=True, timestamp="2024-01-15T10:30:00Z", given_ip=" 8.8.8.8 ", given_user_agent=CHROME), cx
    )
    assert (h.ts, h.ip, h.user_agent, h.browser) == (1_705_314_600_000, "8.8.8.8", CHROME, "Chrome")


def test_bots_are_dropped_and_recorded() -> None:
    cx = context()
    seen: list[tuple[str | None, str | None, str | None]] = []
    cx.on_bot = lambda h: seen.append((h.bot_type, h.bot_name, h.path))

    assert dropped(hit(ua="Mozilla/5.0 (compatible; bingbot/2.0)", path="/x?q=1"), cx) == (
        Reason.BOT,
        "Bot traffic is not counted.",
        7,
    )
    assert dropped(hit(ua=""), cx)[0] is Reason.BOT
    assert seen == [("crawler", "Bingbot", "/x"), ("empty", None, "/")]


def test_a_pageview_needs_a_path_and_an_event_a_name() -> None:
    cx = context()
    assert dropped(hit(path=None), cx) == (Reason.INVALID, "The path field is required.", 7)
    assert dropped(hit(path=None, name=" \x00 "), cx)[:2] == (
        Reason.INVALID,
        "The name field is required.",
    )
    assert pipeline.run(hit(path=None, name="Signup"), cx).path is None


def test_concurrent_hits_of_one_visitor_share_one_session() -> None:
    cx = context()
    hits = [pipeline.run(hit(now=NOW + i, path=f"/{i}"), cx) for i in range(5)]
    hits.append(pipeline.run(hit(now=NOW + 9, name="Signup"), cx))

    assert {h.session.id for h in hits} == {1}
    assert {h.session_id for h in hits} == {cx.keys.session_name(1)}
    assert [h.event_id for h in hits] == [1, 2, 3, 4, 5, 6]
    session = hits[0].session
    assert (session.pageviews, session.events, session.recent) == (5, 1, [1, 2, 3, 4, 5])


def test_other_browsers_and_addresses_are_other_visitors() -> None:
    cx = context()
    a = pipeline.run(hit(), cx)
    b = pipeline.run(hit(ip="81.2.69.143"), cx)
    c = pipeline.run(hit(ua=CHROME.replace("120", "121")), cx)

    assert len({a.visitor_id, b.visitor_id, c.visitor_id}) == 3
    assert len({a.session.id, b.session.id, c.session.id}) == 3


def test_a_given_visitor_id_is_used_as_given() -> None:
    cx = context()
    a = pipeline.run(hit(visitor_id="v-1"), cx)
    b = pipeline.run(hit(visitor_id="v-1", ip="8.8.4.4", ua=CHROME.replace("120", "99")), cx)

    assert a.visitor_id == b.visitor_id == "v-1"
    assert a.visitor_key == b.visitor_key == cx.keys.key("v-1")
    assert a.session is b.session


def test_salts_rotate_at_midnight_without_splitting_visits() -> None:
    midnight = (day_of(NOW) + 1) * DAY_MS
    cx = context()
    before = pipeline.run(hit(now=midnight - 60_000), cx)
    assert cx.persisted == [(day_of(NOW), cx.salts.get(day_of(NOW)))]

    # Just after midnight the visit goes on under yesterday's id...
    after = pipeline.run(hit(now=midnight + 60_000), cx)
    assert after.visitor_id == before.visitor_id and after.session is before.session
    assert [day for day, _ in cx.persisted] == [day_of(NOW), day_of(NOW) + 1]

    # ...while a visitor new today gets today's id, which does not link to yesterday's.
    other = pipeline.run(hit(now=midnight + 60_000, ip="8.8.4.4"), cx)
    today = derive_visitor(cx.salts.get(day_of(midnight)) or b"", SITE.id, "8.8.4.4", CHROME)
    assert other.visitor_id == today

    # Once the visit is over, the same browser is a new visitor on the new day.
    later = pipeline.run(hit(now=midnight + 60_000 + TIMEOUT + 1), cx)
    assert later.visitor_id != before.visitor_id and later.session is not before.session


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_705_314_600_000, 1_705_314_600_000),
        ("2024-01-15T10:30:00Z", 1_705_314_600_000),
        ("2024-01-15T10:30:00.250+00:00", 1_705_314_600_250),
        ("2024-01-15 10:30", 1_705_314_600_000),
    ],
)
def test_timestamps(value: int | str, expected: int) -> None:
    assert pipeline.parse_timestamp(value, NOW) == expected


@pytest.mark.parametrize("value", ["soon", 0, NOW + 10 * 60_000, "1999-12-31T23:59:59Z"])
def test_bad_timestamps(value: int | str) -> None:
    with pytest.raises(Dropped) as caught:
        pipeline.parse_timestamp(value, NOW)
    assert caught.value.reason is Reason.INVALID
