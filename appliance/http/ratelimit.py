"""Rate limits: fixed one-minute windows counted in memory, as spec 000 and spec 004 set them.

Three pools, each configured in `[rate_limits]` (0 turns one off):

- login: `POST /api/login`, per client IP;
- tracking: the public tracking endpoints (`TRACKING_PREFIXES`), per client IP, one pool
  shared by all of them (spec 004's "shared pool");
- api: everything else under `/api` and `/analytics`, per credential (a keyed hash of the
  bearer token or of the session cookie), per client IP when anonymous.

Every counted response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (epoch seconds). Over the limit, the middleware raises `RateLimited`,
which the app's exception handler shapes in the surface's format with `Retry-After` -- except
on the GIF routes, which spec 004 has always answer the GIF: there the request gets the GIF
and nothing is stored, so a flood learns nothing from the answer.

Windows are aligned to the minute; when the minute rolls over every count is dropped, and a
window holds at most `max_keys` keys per pool, so memory stays bounded under a flood of
distinct clients (the overflow shares one count). IPv6 clients are counted per /64, the
block one subscriber usually gets. Counts are per process.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from appliance.config import RateLimitsConfig
from appliance.http.analytics import raw
from appliance.http.auth import SESSION_COOKIE
from appliance.http.client_ip import TrustedProxies, parse_ip
from appliance.http.errors import RateLimited

WINDOW_SECONDS = 60
LOGIN_PATH = "/api/login"
# The public tracking endpoints; a path is one of them when it is a prefix or starts with prefix + "/".
TRACKING_PREFIXES = (
    "/analytics/track",
    "/analytics/pixel",
    "/analytics/heartbeat",
    "/analytics/leave",
    "/analytics/event",
    "/analytics/gdpr/consent",
    "/analytics/experiment/variant",
)
MAX_KEYS = 100_000
OVERFLOW = "overflow"

_TRACKING = re.compile("(?:" + "|".join(re.escape(p) for p in TRACKING_PREFIXES) + ")(?:/|$)")
_SESSION = re.compile(rb"(?:^|;)\s*" + re.escape(SESSION_COOKIE.encode()) + rb"=([^;]*)")
_HASH_KEY = os.urandom(16)
# The tracking routes that answer a GIF whatever happens (spec 004).
_GIF_ROUTE = re.compile(r"/analytics/(?:pixel|track/[^/]+)/?$")


class _Pool:
    __slots__ = ("counts", "limit", "limit_header")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.limit_header = str(limit).encode()
        self.counts: dict[str, int] = {}


def _ip_key(ip: str) -> str:
    if ":" not in ip:
        return ip
    packed = parse_ip(ip)
    if packed is None or len(packed) == 4:
        return ip
    return "v6:" + packed[:8].hex()


def _credential_key(scope: Scope) -> str | None:
    """A keyed hash of the bearer token, else of the session cookie; None when there is neither."""
    session: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and token:
                return "t:" + hashlib.blake2b(token, digest_size=16, key=_HASH_KEY).hexdigest()
        elif name == b"cookie" and session is None and (match := _SESSION.search(value)):
            session = match.group(1).strip() or None
    if session is None:
        return None
    return "s:" + hashlib.blake2b(session, digest_size=16, key=_HASH_KEY).hexdigest()


class RateLimiter:
    """The counts of all three pools. Called with a route's ASGI app, it wraps it (Litestar middleware)."""

    def __init__(
        self,
        limits: RateLimitsConfig,
        proxies: TrustedProxies,
        *,
        clock: Callable[[], float] = time.time,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.proxies = proxies
        self.clock = clock
        self.max_keys = max_keys
        self.login = _Pool(limits.login_per_minute)
        self.tracking = _Pool(limits.tracking_per_minute)
        self.api = _Pool(limits.api_per_minute)
        self._window = -1
        self._reset_header = b""

    def __call__(self, app: ASGIApp) -> ASGIApp:
        return RateLimitMiddleware(app, self)

    def pool_and_key(self, scope: HTTPScope) -> tuple[_Pool, str] | None:
        """Which pool counts this request and under which key; None when it is not limited."""
        path: str = scope["path"]
        if _TRACKING.match(path):
            pool, by_credential = self.tracking, False
        elif path == LOGIN_PATH and scope["method"] == "POST":
            pool, by_credential = self.login, False
        elif path.startswith(("/api/", "/analytics/")) or path in ("/api", "/analytics"):
            pool, by_credential = self.api, True
        else:
            return None
        if not pool.limit:
            return None
        key = _credential_key(scope) if by_credential else None
        return pool, key or _ip_key(self.proxies.client_ip(scope))

    def hit(self, pool: _Pool, key: str) -> list[tuple[bytes, bytes]]:
        """Count one request; the headers to add, or raise RateLimited when over the limit."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._roll_over(window)
        counts = pool.counts
        count = counts.get(key)
        if count is None:
            if len(counts) >= self.max_keys:
                key = OVERFLOW
                count = counts.get(key, 0)
            else:
                count = 0
        count += 1
        counts[key] = count
        if count > pool.limit:
            reset = (window + 1) * WINDOW_SECONDS
            raise RateLimited(
                {
                    "X-RateLimit-Limit": str(pool.limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset),
                    "Retry-After": str(max(1, math.ceil(reset - now))),
                }
            )
        return [
            (b"x-ratelimit-limit", pool.limit_header),
            (b"x-ratelimit-remaining", str(pool.limit - count).encode()),
            (b"x-ratelimit-reset", self._reset_header),
        ]

    def _roll_over(self, window: int) -> None:
        self._window = window
        self._reset_header = str((window + 1) * WINDOW_SECONDS).encode()
        for pool in (self.login, self.tracking, self.api):
            pool.counts = {}


class RateLimitMiddleware:
    """Pure ASGI: counts the request before the route runs and adds the headers to its response."""

    __slots__ = ("app", "limiter")

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or (found := self.limiter.pool_and_key(scope)) is None:
            await self.app(scope, receive, send)
            return
        try:
            headers = self.limiter.hit(*found)
        except RateLimited:
            if not _GIF_ROUTE.match(scope["path"]):
                raise
            await raw.send_gif(send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
