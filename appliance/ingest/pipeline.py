"""Ingestion as an ordered list of small named steps.

Each step takes the hit and the context, and either fills in more of the hit or raises
`Dropped` with a typed reason (counted per site, reason and day). The steps are synchronous:
from finding the visitor's session to allocating the event id nothing awaits, so concurrent
hits of one visitor cannot start two sessions. The site is loaded into the cache before the
steps run (the one await), and the hit is persisted after them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from appliance.config import TrackingConfig
from appliance.ingest import text
from appliance.ingest.geo import Locator
from appliance.ingest.identity import DAY_MS, Keys, Salts, day_of
from appliance.ingest.models import Dropped, Hit, Reason
from appliance.ingest.referrers import classify
from appliance.ingest.sessions import SessionBook
from appliance.ingest.site_keys import SiteKeys
from appliance.ingest.useragent import parse_agent

EARLIEST = 946_684_800_000  # 2000-01-01: older timestamps are typos
FUTURE_SLACK_MS = 5 * 60_000  # clocks of servers that send timestamps drift
MAX_LANGUAGE = 35


@dataclass(slots=True)
class Context:
    """What the steps read and change: the caches, the identity secrets and the open sessions."""

    sites: SiteKeys
    keys: Keys
    salts: Salts
    sessions: SessionBook
    locator: Locator
    limits: TrackingConfig
    persist_salt: Callable[[int, bytes], None]
    next_event_id: int = 1
    on_bot: Callable[[Hit], None] | None = None


Step = Callable[[Hit, Context], None]


def resolve_site(hit: Hit, cx: Context) -> None:
    """The site of the pixel key (already loaded into the cache)."""
    _, site = cx.sites.cached(hit.key)
    if site is None:
        raise Dropped(Reason.UNKNOWN_SITE, "Website not found.")
    hit.site = site


def check_enabled(hit: Hit, cx: Context) -> None:
    site = hit.site
    assert site is not None
    if not (site.is_enabled and site.tracking_enabled):
        raise Dropped(Reason.DISABLED_SITE, "Tracking is disabled for this website.", site.id)


def apply_server_fields(hit: Hit, cx: Context) -> None:
    """timestamp, ip and user_agent from the body: only for a request an admin authenticated."""
    if hit.timestamp is None and hit.given_ip is None and hit.given_user_agent is None:
        return
    site_id = hit.site.id if hit.site else 0
    if not hit.origin.trusted:
        raise Dropped(
            Reason.FORBIDDEN,
            "Only a website admin's API token (Authorization: Bearer) may set timestamp, ip or user_agent.",
            site_id,
        )
    if hit.timestamp is not None:
        hit.ts = parse_timestamp(hit.timestamp, hit.origin.received, site_id)
    if hit.given_ip is not None:
        try:
            hit.ip = str(ipaddress.ip_address(hit.given_ip.strip()))
        except ValueError:
            raise Dropped(Reason.INVALID, "The ip field must be an IPv4 or IPv6 address.", site_id) from None
    if hit.given_user_agent is not None:
        hit.user_agent = text.clean(hit.given_user_agent, cx.limits.max_field_length) or ""


def parse_timestamp(value: int | str, now: int, site_id: int = 0) -> int:
    """Epoch milliseconds, or ISO 8601 (without a zone: UTC), between 2000 and a few minutes ahead."""
    if isinstance(value, int):
        ms = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise Dropped(
                Reason.INVALID,
                "The timestamp field must be epoch milliseconds or an ISO 8601 date-time.",
                site_id,
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        ms = int(parsed.timestamp() * 1000)
    if not EARLIEST <= ms <= now + FUTURE_SLACK_MS:
        raise Dropped(
            Reason.INVALID, "The timestamp field must be after 2000 and not in the future.", site_id
        )
    return ms


def normalise(hit: Hit, cx: Context) -> None:
    """Text cleaned and cut; the path split from its query (utm_* come from there when not given)."""
    limit = cx.limits.max_field_length
    clean = text.clean
    site_id = hit.site.id if hit.site else 0
    raw_path = hit.path
    if raw_path is None and hit.kind == 0:
        if not hit.origin.page:
            raise Dropped(Reason.INVALID, "The path field is required.", site_id)
        raw_path = text.split_path(hit.origin.page)[0]
    if raw_path is not None:
        path, query = text.split_path(raw_path.strip())
        hit.path = clean(path, limit) or "/"
        if query:
            for name, value in text.utm_from_query(query).items():
                if getattr(hit, name) is None:
                    setattr(hit, name, value)
    # Spelled out field by field: this runs for every hit, and most of these are None.
    if hit.title is not None:
        hit.title = clean(hit.title, limit)
    if hit.referrer is not None:
        hit.referrer = clean(hit.referrer, limit)
    if hit.language is not None:
        hit.language = clean(hit.language, MAX_LANGUAGE)
    if hit.utm_source is not None:
        hit.utm_source = clean(hit.utm_source, limit)
    if hit.utm_medium is not None:
        hit.utm_medium = clean(hit.utm_medium, limit)
    if hit.utm_campaign is not None:
        hit.utm_campaign = clean(hit.utm_campaign, limit)
    if hit.utm_content is not None:
        hit.utm_content = clean(hit.utm_content, limit)
    if hit.utm_term is not None:
        hit.utm_term = clean(hit.utm_term, limit)
    if hit.kind == 1:
        hit.name = clean(hit.name, limit)
        if hit.name is None:
            raise Dropped(Reason.INVALID, "The name field is required.", site_id)
    if hit.properties:
        try:
            hit.props = text.clean_properties(
                hit.properties, cx.limits.max_properties, cx.limits.max_property_length
            )
        except text.PropertyError as exc:
            raise Dropped(Reason.INVALID, str(exc), site_id) from None


def user_agent(hit: Hit, cx: Context) -> None:
    """Browser, OS and device; the bot verdict for the next step. A server-side hit that gave no
    User-Agent has none: the admin who sent it vouches for it."""
    if hit.origin.trusted and hit.given_user_agent is None:
        hit.user_agent = ""
        return
    agent = parse_agent(hit.user_agent)
    hit.browser = agent.browser or None
    hit.browser_version = agent.browser_version or None
    hit.os = agent.os or None
    hit.os_version = agent.os_version or None
    hit.device = agent.device or None
    hit.bot_type = agent.bot_type
    hit.bot_name = agent.bot_name


def detect_bot(hit: Hit, cx: Context) -> None:
    """Bots are never counted; what they were is recorded for the bot-detection feature."""
    if hit.bot_type is None:
        return
    site_id = hit.site.id if hit.site else 0
    if cx.on_bot is not None:
        cx.on_bot(hit)
    raise Dropped(Reason.BOT, "Bot traffic is not counted.", site_id)


def locate(hit: Hit, cx: Context) -> None:
    place = cx.locator.locate(hit.ip)
    hit.country = place.country or None
    hit.region = place.region or None
    hit.city = place.city or None


def attribute_source(hit: Hit, cx: Context) -> None:
    """Where the visitor came from: utm_source first, then the referrer; the site itself is none."""
    assert hit.site is not None
    found = classify(hit.referrer, hit.site.domain, hit.utm_source)
    hit.source = found.source or None
    hit.referrer_host = found.referrer_host or None
    hit.same_site = found.internal


def identify_visitor(hit: Hit, cx: Context) -> None:
    """The given visitor id, or one derived from today's salt, the site, the IP and the User-Agent.

    Just after midnight a visitor whose session began yesterday keeps yesterday's id, so that
    the salt's rotation does not split their visit.
    """
    assert hit.site is not None
    if hit.visitor_id is not None:
        hit.visitor_key = cx.keys.key(hit.visitor_id)
        return
    now = hit.origin.received
    today = day_of(now)
    salt, created = cx.salts.for_day(today)
    if created:
        cx.persist_salt(today, salt)
    visitor, key = cx.keys.visitor(salt, hit.site.id, hit.ip, hit.user_agent)
    yesterday = cx.salts.get(today - 1)
    if yesterday is not None and now - today * DAY_MS <= cx.sessions.timeout_ms:
        earlier, earlier_key = cx.keys.visitor(yesterday, hit.site.id, hit.ip, hit.user_agent)
        if cx.sessions.find_for_visitor(hit.site.id, earlier_key, hit.ts, hit.same_site) is not None:
            visitor, key = earlier, earlier_key
    hit.visitor_id = visitor
    hit.visitor_key = key


def assign_session(hit: Hit, cx: Context) -> None:
    """The visit this hit belongs to, started when there is none; and the event's id."""
    assert hit.site is not None
    sessions, keys = cx.sessions, cx.keys
    site_id, ts, now = hit.site.id, hit.ts, hit.origin.received
    if hit.session_id is not None:
        key = keys.key(hit.session_id)
        session = sessions.find_named(site_id, key, ts, hit.same_site)
        if session is None:
            session = sessions.start(
                sessions.new_id(), site_id, hit.visitor_key, key, client_named=True, ts=ts, now=now
            )
            session.first = _first_columns(hit, session.id, key, client_named=True)
    else:
        session = sessions.find_for_visitor(site_id, hit.visitor_key, ts, hit.same_site)
        if session is None:
            session_id = sessions.new_id()
            hit.session_id = name = keys.session_name(session_id)
            key = keys.key(name)
            session = sessions.start(
                session_id, site_id, hit.visitor_key, key, client_named=False, ts=ts, now=now
            )
            session.name = name
            session.first = _first_columns(hit, session_id, key, client_named=False)
        else:
            if not session.name:  # reloaded after a restart: named again once
                session.name = keys.session_name(session.id)
            hit.session_id = session.name
    hit.visitor_key = session.visitor_key  # an event always belongs to its session's visitor
    hit.event_id = cx.next_event_id
    cx.next_event_id += 1
    hit.resumed = session.ended is not None
    pageview = hit.kind == 0
    sessions.hit(
        session, ts, now, event_id=hit.event_id, pageview=pageview, path=hit.path if pageview else None
    )
    hit.session = session


def _first_columns(hit: Hit, session_id: int, key: int, *, client_named: bool) -> tuple[object, ...]:
    """The session's columns that its first hit decides (see store.SESSION_FIRST_COLUMNS)."""
    assert hit.site is not None
    return (
        session_id,
        hit.site.id,
        key,
        int(client_named),
        hit.visitor_key,
        hit.ts,
        hit.source,
        hit.referrer_host,
        hit.utm_source,
        hit.utm_medium,
        hit.utm_campaign,
        hit.utm_content,
        hit.utm_term,
        hit.country,
        hit.device,
    )


STEPS: tuple[Step, ...] = (
    resolve_site,
    check_enabled,
    apply_server_fields,
    normalise,
    user_agent,
    detect_bot,
    locate,
    attribute_source,
    identify_visitor,
    assign_session,
)


def run(hit: Hit, cx: Context, steps: tuple[Step, ...] = STEPS) -> Hit:
    """Every step in order; raises Dropped from the first that drops the hit."""
    for step in steps:
        step(hit, cx)
    return hit


def event_row(hit: Hit) -> tuple[object, ...]:
    """The hit as a row of `events` (see store.EVENT_COLUMNS)."""
    assert hit.site is not None and hit.session is not None
    return (
        hit.event_id,
        hit.site.id,
        hit.ts,
        hit.session.id,
        hit.visitor_key,
        hit.kind,
        hit.name,
        hit.path,
        hit.title,
        hit.referrer_host,
        hit.source,
        hit.utm_source,
        hit.utm_medium,
        hit.utm_campaign,
        hit.utm_content,
        hit.utm_term,
        hit.country,
        hit.region,
        hit.city,
        hit.browser,
        hit.browser_version,
        hit.os,
        hit.os_version,
        hit.device,
        hit.screen_width,
        hit.screen_height,
        hit.language,
        hit.props,
    )
