"""Server-side tracking from Python: spec 004's `$tracking->track($website, [...], $request)`.

    from appliance.client import Visit, Website, track

    site = Website("https://analytics.example.com", "pixel-key", token="alm_...")
    track(site, {"type": "pageview", "path": "/api/endpoint",
                 "visitor_id": request.headers.get("X-Visitor-ID")},
          Visit(ip=client_ip, user_agent=request.headers.get("User-Agent")))

It posts to `POST /analytics/track` with the standard library only. With the visitor's
request (`Visit`) or a `timestamp` in `data`, the website's `token` must be an API token of an
admin of the website: only they may say where and when a hit happened. Without a `Visit`
and with a token, the hit has no IP and no User-Agent (not even the calling server's).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appliance import __version__

USER_AGENT = f"Almanac-Python/{__version__}"


@dataclass(frozen=True, slots=True)
class Website:
    url: str  # where the appliance answers, e.g. "https://analytics.example.com"
    pixel_key: str
    token: str | None = None  # an admin's API token, for server-side fields


@dataclass(frozen=True, slots=True)
class Visit:
    """What the visitor's own request tells about them."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Tracked:
    """The stored hit. `event_id` is None when it was not counted (a bot)."""

    event_id: int | None
    visitor_id: str | None
    session_id: str | None


class TrackingError(Exception):
    """The appliance refused the hit: its status, spec 004 code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def track(
    website: Website,
    data: Mapping[str, Any],
    request: Visit | None = None,
    *,
    timeout: float = 10.0,
) -> Tracked:
    """Send one pageview or event (`data` as spec 004's JSON body, without `key`).

    Returns the stored hit's ids; raises TrackingError when the appliance refuses it.
    """
    if not website.url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {website.url!r}")
    body: dict[str, Any] = {k: v for k, v in data.items() if v is not None}
    body["key"] = website.pixel_key
    if request is not None:
        if request.ip:
            body["ip"] = request.ip
        if request.user_agent:
            body["user_agent"] = request.user_agent
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if website.token:
        headers["Authorization"] = f"Bearer {website.token}"
    http_request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        website.url.rstrip("/") + "/analytics/track",
        data=json.dumps(body).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 (checked above)
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                error = json.loads(exc.read())
            except ValueError:
                error = {}
        raise TrackingError(
            exc.code, str(error.get("code", "")), str(error.get("error", exc.reason))
        ) from None
    return Tracked(
        event_id=answer.get("event_id"),
        visitor_id=answer.get("visitor_id"),
        session_id=answer.get("session_id"),
    )
