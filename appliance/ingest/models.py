"""What tracking requests carry, what a hit becomes on its way through the pipeline, and why one
may be dropped.

Bodies are strict: unknown fields, wrong types and out-of-range numbers are rejected. Text
fields are not limited here but cut by the pipeline (see `text.py`), so that a long title
still counts as a pageview.

Every hit allocates these, and none of them can be part of a reference cycle, so they are
kept out of the cyclic garbage collector (`gc=False`): fewer and shorter collections.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import msgspec

from appliance.sites.models import Site

MAX_ID = 200
MAX_SCREEN = 100_000
MAX_TIME_ON_PAGE = 7 * 86_400

# Ids are hashed, never cut: two long ids with one prefix must not become one visitor.
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID)]
Screen = Annotated[int, msgspec.Meta(ge=0, le=MAX_SCREEN)]
PropertyValue = str | int | float | bool | None


class Reason(enum.StrEnum):
    """Why a request stored nothing: the closed set that drop counters are kept by."""

    INVALID = "invalid"  # malformed body, wrong types, missing fields
    TOO_LARGE = "too_large"  # body over tracking.max_body_bytes
    UNKNOWN_SITE = "unknown_site"  # no site has this pixel key
    DISABLED_SITE = "disabled_site"  # the site or its tracking is switched off
    BOT = "bot"  # a crawler, scraper, monitor or headless browser
    FORBIDDEN = "forbidden"  # server-side fields without an admin's token


class Dropped(Exception):
    """A hit that stores nothing, with the reason it is counted under and a message for clients."""

    def __init__(self, reason: Reason, message: str, site_id: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.site_id = site_id


class _HitFields(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    type: Literal["pageview", "event"] = "pageview"
    visitor_id: Id | None = None
    session_id: Id | None = None
    path: str | None = None
    title: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    screen_width: Screen | None = None
    screen_height: Screen | None = None
    language: str | None = None
    name: str | None = None
    properties: dict[str, PropertyValue] | None = None
    # Server-side tracking only (an admin's bearer token): when, from where, with which browser.
    timestamp: int | str | None = None
    ip: str | None = None
    user_agent: str | None = None


class TrackBody(_HitFields, kw_only=True, forbid_unknown_fields=True, gc=False):
    """POST /analytics/track: spec 004's JSON body."""

    key: str


class KeyedTrackBody(_HitFields, kw_only=True, forbid_unknown_fields=True, gc=False):
    """POST /analytics/track/{pixelKey}: the key is in the path; one in the body is ignored."""

    key: str | None = None


class EventBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """POST /analytics/event: a custom event. `path` is ours, beyond the spec: the page it happened on."""

    key: str
    name: str
    visitor_id: Id | None = None
    session_id: Id | None = None
    properties: dict[str, PropertyValue] | None = None
    path: str | None = None


class HeartbeatBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """POST /analytics/heartbeat: engaged seconds and deepest scroll (percent) of a pageview so far."""

    event_id: Annotated[int, msgspec.Meta(ge=1, le=2**62)]
    session_id: Id
    time_on_page: Annotated[float, msgspec.Meta(ge=0, le=MAX_TIME_ON_PAGE)] | None = None
    scroll_depth: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None


class LeaveBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """POST /analytics/leave: the visitor left; their session ends."""

    session_id: Id


class Origin(msgspec.Struct, kw_only=True, gc=False):
    """Where a request came from, as the HTTP surface saw it.

    `trusted` is set when an admin of the request's site authenticated it: only then may the
    body override the time, the IP and the User-Agent.
    """

    ip: str
    user_agent: str
    received: int
    trusted: bool = False
    page: str | None = None  # the Referer header: the page of a <noscript> pixel


class Hit(msgspec.Struct, kw_only=True, gc=False):
    """One pageview or custom event on its way through the pipeline; each step fills in more."""

    key: str
    kind: int  # 0 pageview, 1 custom event
    origin: Origin
    ts: int
    visitor_id: str | None = None
    session_id: str | None = None
    path: str | None = None
    title: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    screen_width: int | None = None
    screen_height: int | None = None
    language: str | None = None
    name: str | None = None
    properties: dict[str, Any] | None = None
    # Server-side fields as given; the step `apply_server_fields` checks and applies them.
    timestamp: int | str | None = None
    given_ip: str | None = None
    given_user_agent: str | None = None
    # The client as seen (or as an admin said): hashed into the visitor id, never stored.
    ip: str = ""
    user_agent: str = ""
    # Filled in by the steps.
    site: Site | None = None
    bot_type: str | None = None
    bot_name: str | None = None
    props: str | None = None
    referrer_host: str | None = None
    same_site: bool = False  # came from another page of the site: it may resume a session left
    source: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device: str | None = None
    visitor_key: int = 0
    event_id: int = 0
    resumed: bool = False  # it reopened a session its visitor had left
    session: Any = None  # sessions.Session; Any keeps this module free of the session book


class Tracked(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A stored hit: the ids a client may send back (heartbeats, leave, later hits)."""

    event_id: int
    visitor_id: str
    session_id: str
