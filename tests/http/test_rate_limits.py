from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, get, post
from litestar.params import FromPath
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from appliance.config import RateLimitsConfig
from appliance.http import errors
from appliance.http.client_ip import TrustedProxies
from appliance.http.ratelimit import RateLimiter
from appliance.server import create_app
from tests import support
from tests.support import PASSWORD, Env

PROXY = "10.0.0.1"
CLIENT = "198.51.100.1"
# 27.5 s before the minute ends at RESET.
T0 = 1_700_000_012.5
RESET = 1_700_000_040


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def behind_proxy(app: ASGIApp) -> ASGIApp:
    """Every request arrives from the trusted proxy; a test picks its client IP with `ip=`."""

    async def from_proxy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["client"] = (PROXY, 40000)
        await app(scope, receive, send)

    return from_proxy


@dataclass
class Limited:
    env: Env
    clock: Clock

    def request(self, method: str, path: str, ip: str = CLIENT, **kwargs: Any) -> httpx.Response:
        headers = {"X-Forwarded-For": f"1.1.1.1, {ip}", **kwargs.pop("headers", {})}
        return self.env.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, ip: str = CLIENT, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, ip, **kwargs)

    def login(self, ip: str = CLIENT, password: str = "wrong password", **body: Any) -> httpx.Response:
        json = {"email": "owner@example.com", "password": password, **body}
        return self.request("POST", "/api/login", ip, json=json)


def limits(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    h = response.headers
    return h.get("x-ratelimit-limit"), h.get("x-ratelimit-remaining"), h.get("x-ratelimit-reset")


def no_limit_headers(response: httpx.Response) -> bool:
    return not any(name.startswith("x-ratelimit") for name in response.headers) and (
        "retry-after" not in response.headers
    )


def limiter_of(app: Litestar) -> RateLimiter:
    return next(m for m in app.middleware if isinstance(m, RateLimiter))


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Limited]]:
    """Start the app with these rate limits, behind a trusted proxy, on a frozen clock at T0."""
    with ExitStack() as stack:

        def build(**rate_limits: int) -> Limited:
            config = support.test_config(
                tmp_path / "data", rate_limits=rate_limits, server={"trusted_proxies": [PROXY]}
            )
            app = create_app(config)
            clock = Clock(T0)
            limiter_of(app).clock = clock
            client = stack.enter_context(TestClient(behind_proxy(app)))
            env = Env(client=client, config=config)
            stack.callback(env.close)
            return Limited(env, clock)

        yield build


def test_the_sixth_login_in_a_minute_is_refused(start: Callable[..., Limited]) -> None:
    app = start(login_per_minute=5, api_per_minute=3)
    app.env.user("owner@example.com")

    answers = [app.login(password=PASSWORD)] + [app.login() for _ in range(4)]
    refused = app.login(password=PASSWORD)

    assert [r.status_code for r in answers] == [200, 401, 401, 401, 401]
    assert [limits(r) for r in answers] == [("5", str(n), str(RESET)) for n in (4, 3, 2, 1, 0)]
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    assert limits(refused) == ("5", "0", str(RESET))
    assert refused.headers["retry-after"] == "28"
    # Logins are counted per client IP, in their own pool.
    assert app.login(ip="198.51.100.2").status_code == 401
    assert limits(app.get("/api/user")) == ("3", "2", str(RESET))


def test_logins_are_allowed_again_when_the_minute_rolls_over(start: Callable[..., Limited]) -> None:
    app = start(login_per_minute=2)
    assert [app.login().status_code for _ in range(3)] == [401, 401, 429]

    app.clock.now = RESET - 0.25
    late = app.login()
    app.clock.now = RESET

    assert late.status_code == 429
    assert late.headers["retry-after"] == "1"
    answer = app.login()
    assert answer.status_code == 401
    assert limits(answer) == ("2", "1", str(RESET + 60))


def test_headers_count_down_then_429_in_the_api_format(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=3)
    headers = app.env.headers(app.env.user("owner@example.com"))

    answers = [app.get("/api/user", headers=headers) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [limits(r) for r in answers] == [
        ("3", "2", str(RESET)),
        ("3", "1", str(RESET)),
        ("3", "0", str(RESET)),
        ("3", "0", str(RESET)),
    ]
    assert answers[3].json() == {"message": "Too Many Attempts."}
    assert answers[3].headers["retry-after"] == "28"
    assert "retry-after" not in answers[2].headers


def test_each_token_has_its_own_budget(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=3)
    owner = app.env.user("owner@example.com")
    first, second = app.env.headers(owner), app.env.headers(owner)

    spent = [app.get("/api/user", headers=first).status_code for _ in range(4)]
    other = app.get("/api/user", headers=second)
    anonymous = app.get("/api/user")

    assert spent == [200, 200, 200, 429]
    assert (other.status_code, limits(other)) == (200, ("3", "2", str(RESET)))
    assert (anonymous.status_code, limits(anonymous)) == (401, ("3", "2", str(RESET)))


def test_a_session_cookie_has_its_own_budget(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=3)
    app.env.user("owner@example.com")
    assert app.login(password=PASSWORD, remember=True).status_code == 200

    with_cookie = [app.get("/api/user") for _ in range(3)]
    app.env.client.cookies.clear()
    anonymous = app.get("/api/user")

    assert [r.status_code for r in with_cookie] == [200, 200, 200]
    assert [limits(r)[1] for r in with_cookie] == ["2", "1", "0"]
    assert (anonymous.status_code, limits(anonymous)[1]) == (401, "2")


def test_anonymous_callers_are_counted_per_ip_across_both_surfaces(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=3)

    same_ip = [app.get("/api/user"), app.get("/analytics/websites"), app.get("/api/sites")]
    over = app.get("/analytics/websites")
    elsewhere = app.get("/api/user", ip="198.51.100.2")

    assert [limits(r)[1] for r in same_ip] == ["2", "1", "0"]
    assert over.status_code == 429
    assert limits(elsewhere) == ("3", "2", str(RESET))


def test_ipv6_clients_are_counted_per_64(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=3)

    same_block = [app.get("/api/user", ip=f"2001:db8:1:2::{n}").status_code for n in range(1, 5)]
    next_block = app.get("/api/user", ip="2001:db8:1:3::1")

    assert same_block == [401, 401, 401, 429]
    assert limits(next_block)[1] == "2"


def test_the_analytics_surface_answers_429_in_its_own_format(start: Callable[..., Limited]) -> None:
    app = start(api_per_minute=1)
    headers = app.env.headers(app.env.user("owner@example.com"))

    assert app.get("/analytics/websites", headers=headers).status_code == 200
    refused = app.get("/analytics/websites", headers=headers)

    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "error": "Too Many Attempts.", "code": "RATE_LIMITED"}
    assert limits(refused) == ("1", "0", str(RESET))
    assert refused.headers["retry-after"] == "28"


def test_zero_turns_a_limit_off(start: Callable[..., Limited]) -> None:
    app = start(login_per_minute=0, api_per_minute=2)

    logins = [app.login() for _ in range(8)]
    api = app.get("/api/user")

    assert {r.status_code for r in logins} == {401}
    assert all(no_limit_headers(r) for r in logins)
    assert limits(api) == ("2", "1", str(RESET))


def test_all_limits_off_means_no_headers(client: TestClient[Any]) -> None:
    answers = [client.get("/api/user") for _ in range(300)]

    assert {r.status_code for r in answers} == {401}
    assert all(no_limit_headers(r) for r in answers)


def test_reset_is_the_end_of_the_current_minute(tmp_path: Path) -> None:
    config = support.test_config(tmp_path / "data", rate_limits={"api_per_minute": 5})
    with TestClient(create_app(config)) as client:
        before = time.time()
        response = client.get("/api/user")
        after = time.time()

    reset = int(response.headers["x-ratelimit-reset"])
    assert before < reset <= after + 60
    assert reset % 60 == 0


def test_health_docs_and_dashboard_are_not_limited(start: Callable[..., Limited]) -> None:
    app = start(login_per_minute=1, api_per_minute=1, tracking_per_minute=1)

    answers = [app.get(path) for path in ["/healthz", "/docs", "/docs/openapi.json"] * 3]

    assert {r.status_code for r in answers} == {200}
    assert all(no_limit_headers(r) for r in answers)
    assert limits(app.get("/api/user")) == ("1", "0", str(RESET))


# The tracking endpoints arrive later; until then a small app with the same middleware and
# error handler stands in for them, and pool_and_key pins which paths they are.


@post(["/analytics/track", "/analytics/heartbeat", "/analytics/leave", "/analytics/event"], status_code=202)
async def tracked() -> None:
    return None


@post("/analytics/track/{key:str}", status_code=202)
async def tracked_with_key(key: FromPath[str]) -> None:
    return None


@get(["/analytics/pixel", "/analytics/gdpr/consent/status", "/analytics/trackers", "/api/sites"])
async def read() -> dict[str, bool]:
    return {"ok": True}


def tracking_app(limits: RateLimitsConfig) -> tuple[TestClient[Any], Clock]:
    clock = Clock(T0)
    limiter = RateLimiter(limits, TrustedProxies([PROXY]), clock=clock)
    app = Litestar(
        route_handlers=[tracked, tracked_with_key, read],
        middleware=[limiter],
        exception_handlers={Exception: errors.handle},
        logging_config=None,
    )
    return TestClient(behind_proxy(app)), clock


def test_tracking_endpoints_share_one_pool_per_ip() -> None:
    client, _ = tracking_app(RateLimitsConfig(tracking_per_minute=5, api_per_minute=2, login_per_minute=1))
    ip = {"X-Forwarded-For": CLIENT}

    with client:
        answers = [
            client.post("/analytics/track", headers=ip),
            client.post("/analytics/track/pk_123", headers=ip),
            client.get("/analytics/pixel", headers=ip),
            client.post("/analytics/heartbeat", headers=ip),
            client.get("/analytics/gdpr/consent/status", headers=ip),
        ]
        refused = client.post("/analytics/event", headers=ip)
        other_ip = client.post("/analytics/leave", headers={"X-Forwarded-For": "198.51.100.2"})
        management = client.get("/analytics/trackers", headers=ip)

    assert [r.status_code for r in answers] == [202, 202, 200, 202, 200]
    assert [limits(r) for r in answers] == [("5", str(n), str(RESET)) for n in (4, 3, 2, 1, 0)]
    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "error": "Too Many Attempts.", "code": "RATE_LIMITED"}
    assert refused.headers["retry-after"] == "28"
    assert limits(other_ip) == ("5", "4", str(RESET))
    # A path that merely starts like a tracking one is in the general API pool.
    assert limits(management) == ("2", "1", str(RESET))


@pytest.mark.parametrize(
    ("method", "path", "pool"),
    [
        ("POST", "/api/login", "login"),
        ("GET", "/api/login", "api"),
        ("POST", "/api/logout", "api"),
        ("GET", "/api", "api"),
        ("GET", "/api/sites/1/stats", "api"),
        ("POST", "/analytics/track", "tracking"),
        ("POST", "/analytics/track/0b7c4e", "tracking"),
        ("GET", "/analytics/pixel", "tracking"),
        ("POST", "/analytics/heartbeat", "tracking"),
        ("POST", "/analytics/leave", "tracking"),
        ("POST", "/analytics/event", "tracking"),
        ("POST", "/analytics/gdpr/consent", "tracking"),
        ("DELETE", "/analytics/gdpr/consent", "tracking"),
        ("GET", "/analytics/gdpr/consent/status", "tracking"),
        ("GET", "/analytics/experiment/variant", "tracking"),
        ("GET", "/analytics/events", "api"),
        ("GET", "/analytics/trackers", "api"),
        ("POST", "/analytics/gdpr/export/abc", "api"),
        ("GET", "/analytics/websites", "api"),
        ("GET", "/analytics", "api"),
        ("GET", "/healthz", None),
        ("GET", "/docs", None),
        ("GET", "/", None),
        ("GET", "/assets/index.js", None),
        ("GET", "/js/analytics.js", None),
        ("GET", "/apiary", None),
        ("GET", "/analyticsx", None),
    ],
)
def test_which_pool_counts_a_request(method: str, path: str, pool: str | None) -> None:
    limiter = RateLimiter(RateLimitsConfig(), TrustedProxies([]))
    scope: Any = {"type": "http", "method": method, "path": path, "headers": [], "client": (CLIENT, 1)}

    found = limiter.pool_and_key(scope)

    pools = {id(limiter.login): "login", id(limiter.tracking): "tracking", id(limiter.api): "api"}
    assert (pools[id(found[0])] if found else None) == pool


def scope_from(ip: str, *headers: tuple[bytes, bytes]) -> Any:
    return {"type": "http", "method": "GET", "path": "/api/user", "headers": list(headers), "client": (ip, 1)}


def test_keys_are_hashed_credentials_or_the_ip() -> None:
    limiter = RateLimiter(RateLimitsConfig(), TrustedProxies([]))

    def key(scope: Any) -> str:
        found = limiter.pool_and_key(scope)
        assert found is not None
        return found[1]

    bearer = key(scope_from(CLIENT, (b"authorization", b"Bearer alm_secret")))
    cookie = key(scope_from(CLIENT, (b"cookie", b"theme=dark; almanac_session=als_secret; x=1")))
    both = key(
        scope_from(
            CLIENT, (b"cookie", b"almanac_session=als_secret"), (b"authorization", b"bearer  alm_secret ")
        )
    )

    assert bearer.startswith("t:")
    assert "alm_secret" not in bearer
    assert both == bearer
    assert cookie.startswith("s:")
    assert "als_secret" not in cookie
    assert key(scope_from(CLIENT, (b"cookie", b"xalmanac_session=als_secret"))) == CLIENT
    assert key(scope_from(CLIENT, (b"authorization", b"Basic YTpi"))) == CLIENT
    assert key(scope_from(CLIENT, (b"authorization", b"Bearer "))) == CLIENT
    assert key(scope_from("2001:db8:1:2::5")) == key(scope_from("2001:db8:1:2:ffff::1"))
    assert key(scope_from("2001:db8:1:2::5")) != key(scope_from("2001:db8:1:3::5"))


def test_counts_are_dropped_when_the_minute_rolls_over() -> None:
    clock = Clock(T0)
    limiter = RateLimiter(RateLimitsConfig(api_per_minute=3), TrustedProxies([]), clock=clock)
    for n in range(50):
        limiter.hit(limiter.api, f"198.51.100.{n}")
    assert len(limiter.api.counts) == 50

    clock.now = RESET + 1
    limiter.hit(limiter.api, CLIENT)

    assert limiter.api.counts == {CLIENT: 1}


def test_a_window_holds_a_bounded_number_of_keys() -> None:
    limiter = RateLimiter(
        RateLimitsConfig(api_per_minute=3), TrustedProxies([]), clock=Clock(T0), max_keys=10
    )
    for n in range(10):
        limiter.hit(limiter.api, f"198.51.100.{n}")

    # Clients beyond the bound share one count; those already counted keep theirs.
    limiter.hit(limiter.api, "203.0.113.1")
    limiter.hit(limiter.api, "203.0.113.2")
    limiter.hit(limiter.api, "203.0.113.3")
    with pytest.raises(errors.RateLimited):
        limiter.hit(limiter.api, "203.0.113.4")
    remaining = dict(limiter.hit(limiter.api, "198.51.100.0"))[b"x-ratelimit-remaining"]

    assert len(limiter.api.counts) == 11
    assert remaining == b"1"


def test_gif_routes_over_the_limit_answer_the_gif_and_store_nothing(start: Callable[..., Limited]) -> None:
    app = start(tracking_per_minute=2)
    site = app.env.site(app.env.user("owner@example.com"))
    key = site["sid"]
    browser = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    }

    allowed = app.get(f"/analytics/pixel?key={key}&p=/one", headers=browser)
    by_key = app.request("POST", f"/analytics/track/{key}", json={"path": "/two"}, headers=browser)
    refused_pixel = app.get(f"/analytics/pixel?key={key}&p=/three", headers=browser)
    refused_by_key = app.request("POST", f"/analytics/track/{key}", json={"path": "/four"}, headers=browser)
    refused_json = app.request(
        "POST", "/analytics/track", json={"key": key, "path": "/five"}, headers=browser
    )

    for response in (allowed, by_key, refused_pixel, refused_by_key):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
    assert refused_json.status_code == 429
    assert refused_json.json() == {"ok": False, "error": "Too Many Attempts.", "code": "RATE_LIMITED"}
    stored = [row[0] for row in app.env.conn.execute("SELECT path FROM events ORDER BY id")]
    assert stored == ["/one", "/two"]
