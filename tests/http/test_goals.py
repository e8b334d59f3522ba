"""Goals on both surfaces: whole answers, every goal and match type, the conversion rules.

Traffic is sent through the tracking endpoint with an admin's token, which may date hits
(`timestamp`), so that a test can place hits before and after a goal's creation.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from appliance.accounts.models import User
from appliance.db import transaction
from appliance.goals import conversions
from tests.support import ISO_TIME, Env, track

T0 = int(datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)  # the goals' creation
MIN = 60_000
DAY = {"start_date": "2024-03-01", "end_date": "2024-03-01"}
DAY_000 = {"period": "custom", **DAY}


class Site:
    """A site, its owner's headers, and one-line builders for traffic and goals."""

    def __init__(self, env: Env, owner: User, domain: str = "shop.example.com") -> None:
        self.env = env
        self.owner = owner
        self.headers = env.headers(owner)
        self.json = env.site(owner, domain)
        self.id: int = self.json["id"]
        self.key: str = self.json["sid"]

    def hit(self, at: int, session: str, path: str = "/", **fields: Any) -> None:
        """One pageview (or `type="event"`) at `at`, in the client-named session `session`."""
        response = track(
            self.env.client,
            self.key,
            headers=self.headers,
            path=path,
            timestamp=at,
            visitor_id=f"visitor-{session}",
            session_id=session,
            **fields,
        )
        assert response.status_code == 200, response.text

    def event(self, at: int, session: str, name: str, **fields: Any) -> None:
        self.hit(at, session, type="event", name=name, **fields)

    def goal(self, created_at: int = T0, **body: Any) -> dict[str, Any]:
        """Create a goal through spec 004 and date its creation at `created_at`."""
        body.setdefault("name", f"goal {body.get('match_value', body.get('threshold'))}")
        response = self.env.client.post(
            f"/analytics/websites/{self.id}/goals", json=body, headers=self.headers
        )
        assert response.status_code == 201, response.text
        goal: dict[str, Any] = response.json()["data"]
        with transaction(self.env.conn):
            self.env.conn.execute("UPDATE goals SET created_at = ? WHERE id = ?", (created_at, goal["id"]))
        return goal

    def stats(self, goal: dict[str, Any], **params: str) -> dict[str, Any]:
        response = self.env.client.get(
            f"/analytics/websites/{self.id}/goals/{goal['id']}/conversions/stats",
            params=params or DAY,
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def converted(self, goal: dict[str, Any], **params: str) -> int:
        return int(self.stats(goal, **params)["total_conversions"])


@pytest.fixture
def site(env: Env) -> Site:
    return Site(env, env.user("owner@example.com"))


# -- the goal itself, on both surfaces --------------------------------------------------------


def test_creating_a_goal_answers_it_whole_on_spec_004(site: Site) -> None:
    response = site.env.client.post(
        f"/analytics/websites/{site.id}/goals",
        json={
            "name": "Signup Completion",
            "type": "pageview",
            "match_type": "equals",
            "match_value": "/signup/complete",
        },
        headers=site.headers,
    )

    assert (response.status_code, response.json()) == (
        201,
        {
            "data": {
                "id": 1,
                "website_id": site.id,
                "name": "Signup Completion",
                "type": "pageview",
                "match_type": "equals",
                "match_value": "/signup/complete",
                "threshold": None,
                "value": None,
                "value_property": None,
                "created_at": ISO_TIME,
                "updated_at": ISO_TIME,
            }
        },
    )


def test_the_goal_crud_of_spec_000(site: Site) -> None:
    client, base = site.env.client, f"/api/sites/{site.id}/goals"

    created = client.post(
        base,
        json={"name": "Engaged", "type": "duration", "threshold": 120, "value": 2.5},
        headers=site.headers,
    )
    goal = {
        "id": 1,
        "site_id": site.id,
        "name": "Engaged",
        "type": "duration",
        "match_type": None,
        "match_value": "120",
        "threshold": 120,
        "value": 2.5,
        "value_property": None,
        "created_at": ISO_TIME,
        "updated_at": ISO_TIME,
    }
    assert (created.status_code, created.json()) == (201, {"goal": goal})
    assert client.get(base, headers=site.headers).json() == {"goals": [goal]}
    assert client.get(f"{base}/1", headers=site.headers).json() == {"goal": goal}

    changed = client.put(f"{base}/1", json={"threshold": 300, "name": "Very engaged"}, headers=site.headers)
    assert changed.json() == {"goal": goal | {"name": "Very engaged", "threshold": 300, "match_value": "300"}}

    assert client.delete(f"{base}/1", headers=site.headers).status_code == 204
    assert client.get(base, headers=site.headers).json() == {"goals": []}
    assert client.get(f"{base}/1", headers=site.headers).json() == {"message": "Goal not found."}


def test_the_goal_crud_of_spec_004(site: Site) -> None:
    client, base = site.env.client, f"/analytics/websites/{site.id}/goals"
    goal = site.goal(
        type="event", match_type="starts_with", match_value="checkout_", value_property="revenue"
    )

    assert client.get(base, headers=site.headers).json() == {"data": [goal | {"created_at": ISO_TIME}]}

    # A change of type drops the fields of the old type that are not given again.
    changed = client.put(
        f"{base}/{goal['id']}", json={"type": "pages_per_session", "threshold": 3}, headers=site.headers
    )
    assert changed.json()["data"] | {"created_at": None, "updated_at": None} == goal | {
        "type": "pages_per_session",
        "match_type": None,
        "match_value": "3",
        "threshold": 3,
        "value_property": None,
        "created_at": None,
        "updated_at": None,
    }

    assert client.delete(f"{base}/{goal['id']}", headers=site.headers).json() == {"ok": True}
    missing = client.get(f"{base}/{goal['id']}", headers=site.headers)
    assert (missing.status_code, missing.json()) == (
        404,
        {"ok": False, "error": "Goal not found.", "code": "NOT_FOUND"},
    )


def test_spec_004_may_give_a_session_goals_threshold_as_match_value(site: Site) -> None:
    goal = site.goal(type="pages_per_session", match_value="4")

    assert (goal["match_type"], goal["match_value"], goal["threshold"]) == (None, "4", 4)


def test_a_goal_of_another_site_is_not_found(site: Site) -> None:
    other = Site(site.env, site.owner, "other.example.com")
    goal = other.goal(type="pageview", match_value="/")

    for path in (
        f"/analytics/websites/{site.id}/goals/{goal['id']}",
        f"/api/sites/{site.id}/goals/{goal['id']}",
    ):
        assert site.env.client.get(path, headers=site.headers).status_code == 404
        assert site.env.client.delete(path, headers=site.headers).status_code == 404
    assert (
        site.env.client.get(
            f"/analytics/websites/{other.id}/goals/{goal['id']}", headers=site.headers
        ).status_code
        == 200
    )


INVALID = [
    (
        {"type": "pageview", "match_type": "regex", "match_value": "(a"},
        {"match_value": ["The regular expression is not valid: missing ): (a."]},
    ),
    (
        {"type": "pageview", "match_type": "regex", "match_value": "(a)\\1"},
        {"match_value": ["The regular expression is not valid: invalid escape sequence: \\1."]},
    ),
    (
        {"type": "pageview", "match_type": "regex", "match_value": "a" * 501},
        {"match_value": ["The match value may not be greater than 500 characters."]},
    ),
    (
        {"type": "pageview", "match_type": "regex", "match_value": "((a{100}){100}){100}"},
        {"match_value": ["The regular expression is not valid: invalid repetition size: {100}."]},
    ),
    (
        {"type": "pageview", "match_type": "regex", "match_value": r"\pL{1000}"},  # over RE2's memory budget
        {"match_value": ["The regular expression is not valid: pattern too large - compile failed."]},
    ),
    (
        {"type": "signup"},
        {"type": ["The type must be one of: pageview, event, duration, pages_per_session."]},
    ),
    ({}, {"type": ["The type field is required."]}),
    (
        {"type": "event", "match_type": "like"},
        {
            "match_type": ["The match type must be one of: equals, contains, starts_with, ends_with, regex."],
            "match_value": ["The match value field is required."],
        },
    ),
    ({"type": "duration"}, {"threshold": ["The threshold field (seconds) is required for duration goals."]}),
    (
        {"type": "pages_per_session", "threshold": 0, "match_type": "equals"},
        {
            "threshold": ["The threshold must be between 1 and 1000000 pageviews."],
            "match_type": ["The match type applies only to pageview and event goals."],
        },
    ),
    (
        {"type": "event", "match_value": "buy", "value": 5, "value_property": "revenue"},
        {"value": ["Give either a fixed value or a value property, not both."]},
    ),
    (
        {"type": "duration", "threshold": 60, "value_property": "revenue"},
        {"value_property": ["A value property applies only to pageview and event goals."]},
    ),
]


@pytest.mark.parametrize(("body", "errors"), INVALID)
def test_invalid_goals_are_refused_in_each_surfaces_format(
    site: Site, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    body = {"name": "Bad", **body}
    api = site.env.client.post(f"/api/sites/{site.id}/goals", json=body, headers=site.headers)
    analytics = site.env.client.post(f"/analytics/websites/{site.id}/goals", json=body, headers=site.headers)
    check = site.env.client.post(f"/api/sites/{site.id}/goals/validate", json=body, headers=site.headers)

    assert (api.status_code, api.json()) == (
        422,
        {"message": "The given data was invalid.", "errors": errors},
    )
    assert (check.status_code, check.json()) == (422, api.json())
    message = " ".join(m for messages in errors.values() for m in messages)
    assert (analytics.status_code, analytics.json()) == (
        400,
        {"ok": False, "error": message, "code": "VALIDATION_ERROR"},
    )
    assert site.env.client.get(f"/api/sites/{site.id}/goals", headers=site.headers).json() == {"goals": []}


def test_a_body_of_the_wrong_types_is_refused(site: Site) -> None:
    body = {"name": "Bad", "type": "duration", "threshold": "sixty"}

    api = site.env.client.post(f"/api/sites/{site.id}/goals", json=body, headers=site.headers)
    analytics = site.env.client.post(f"/analytics/websites/{site.id}/goals", json=body, headers=site.headers)

    assert (api.status_code, list(api.json()["errors"])) == (422, ["threshold"])
    assert (analytics.status_code, analytics.json()["code"]) == (400, "VALIDATION_ERROR")


def test_goal_names_are_unique_per_site(site: Site) -> None:
    site.goal(name="Signup", type="pageview", match_value="/signup")
    second = site.goal(name="Other", type="pageview", match_value="/other")
    taken = {"name": ["A goal with this name already exists on this site."]}

    again = site.env.client.post(
        f"/api/sites/{site.id}/goals",
        json={"name": "Signup", "type": "event", "match_value": "x"},
        headers=site.headers,
    )
    renamed = site.env.client.put(
        f"/api/sites/{site.id}/goals/{second['id']}", json={"name": "Signup"}, headers=site.headers
    )
    assert (again.status_code, again.json()["errors"]) == (422, taken)
    assert (renamed.status_code, renamed.json()["errors"]) == (422, taken)
    # Another site may use the name.
    Site(site.env, site.owner, "other.example.com").goal(name="Signup", type="pageview", match_value="/")


def test_validate_checks_a_would_be_goal_or_a_change(site: Site) -> None:
    goal = site.goal(name="Signup", type="pageview", match_value="/signup")
    url = f"/api/sites/{site.id}/goals/validate"
    body = {"name": "Signup", "type": "pageview", "match_type": "regex", "match_value": "^/signup/(done|ok)$"}

    fresh = site.env.client.post(url, json=body | {"name": "New"}, headers=site.headers)
    clash = site.env.client.post(url, json=body, headers=site.headers)
    as_change = site.env.client.post(url, params={"goal_id": goal["id"]}, json=body, headers=site.headers)

    assert (fresh.status_code, fresh.json()) == (200, {"valid": True})
    assert clash.status_code == 422
    assert (as_change.status_code, as_change.json()) == (200, {"valid": True})
    assert len(site.env.client.get(f"/api/sites/{site.id}/goals", headers=site.headers).json()["goals"]) == 1


# -- who may do what ---------------------------------------------------------------------------

GOAL_BODY = {"name": "Signup", "type": "pageview", "match_value": "/signup"}


def goal_routes(site_id: int, goal_id: int) -> list[tuple[str, str, str, dict[str, Any] | None, int]]:
    """(method, path, least role, body, status when allowed) of every goals and export route."""
    w, a = f"/analytics/websites/{site_id}/goals", f"/api/sites/{site_id}"
    return [
        ("GET", w, "viewer", None, 200),
        ("POST", w, "admin", GOAL_BODY | {"name": "New 004"}, 201),
        ("GET", f"{w}/{goal_id}", "viewer", None, 200),
        ("PUT", f"{w}/{goal_id}", "admin", {"value": 3}, 200),
        ("GET", f"{w}/{goal_id}/conversions", "viewer", None, 200),
        ("GET", f"{w}/{goal_id}/conversions/stats", "viewer", None, 200),
        ("GET", f"{a}/goals", "viewer", None, 200),
        ("POST", f"{a}/goals", "admin", GOAL_BODY | {"name": "New 000"}, 201),
        ("POST", f"{a}/goals/validate", "admin", GOAL_BODY | {"name": "Valid"}, 200),
        ("GET", f"{a}/goals/{goal_id}", "viewer", None, 200),
        ("PUT", f"{a}/goals/{goal_id}", "admin", {"value": 4}, 200),
        ("GET", f"{a}/analytics/goals", "viewer", None, 200),
        ("GET", f"{a}/export?format=csv&type=goals", "viewer", None, 200),
        ("DELETE", f"{w}/{goal_id}", "admin", None, 200),
    ]


@pytest.mark.parametrize("caller", ["viewer", "admin", "owner", "non-member", "anonymous"])
def test_viewers_read_admins_change_strangers_see_nothing(env: Env, caller: str) -> None:
    owner = env.user("owner@example.com")
    site = Site(env, owner)
    goal = site.goal(**GOAL_BODY)
    person = owner if caller == "owner" else env.user(f"{caller}@example.com")
    if caller in ("viewer", "admin"):
        env.member(site.id, person, caller)
    headers = {} if caller == "anonymous" else env.headers(person)
    rank = {"viewer": 1, "admin": 2, "owner": 3}

    answers = []
    expected = []
    for method, path, role, body, allowed in goal_routes(site.id, goal["id"]):
        response = env.client.request(method, path, json=body, headers=headers)
        answers.append((method, path, response.status_code))
        if caller == "anonymous":
            want = 401
        elif caller == "non-member":
            want = 404
        else:
            want = allowed if rank[caller] >= rank[role] else 403
        expected.append((method, path, want))
        if want == 403:
            api = path.startswith("/api")
            message = f"This action needs the {role} role on this site."
            assert response.json() == (
                {"message": message} if api else {"ok": False, "error": message, "code": "FORBIDDEN"}
            )

    assert answers == expected
    still = env.conn.execute("SELECT count(*) FROM goals").fetchone()[0]
    assert still == (0 if caller in ("admin", "owner") else 1) + (2 if caller in ("admin", "owner") else 0)


# -- what converts -------------------------------------------------------------------------------

PATHS = ["/pricing", "/signup/complete", "/blog/signup-tips", "/Signup/complete", "/thanks.html", "/a/thanks"]


@pytest.mark.parametrize(
    ("match_type", "match_value", "converting"),
    [
        ("equals", "/signup/complete", {"/signup/complete"}),
        ("contains", "signup", {"/signup/complete", "/blog/signup-tips"}),
        ("starts_with", "/signup", {"/signup/complete"}),
        ("ends_with", "thanks", {"/a/thanks"}),
        ("regex", "^/[a-z]+/(complete|thanks)$", {"/signup/complete", "/a/thanks"}),
        ("regex", "(?i)^/signup/", {"/signup/complete", "/Signup/complete"}),
        ("regex", r"\.html$", {"/thanks.html"}),
    ],
)
def test_pageview_goals_by_match_type(
    site: Site, match_type: str, match_value: str, converting: set[str]
) -> None:
    goal = site.goal(type="pageview", match_type=match_type, match_value=match_value)
    for i, path in enumerate(PATHS):
        site.hit(T0 + i * MIN, f"s{i}", path)

    conversions_ = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions", params=DAY, headers=site.headers
    ).json()["data"]

    assert {c["path"] for c in conversions_} == converting
    assert site.stats(goal) == {
        "total_conversions": len(converting),
        "conversion_rate": round(100 * len(converting) / len(PATHS), 1),
        "total_value": 0,
        "average_value": 0,
    }


@pytest.mark.parametrize(
    ("match_type", "match_value", "count"),
    [
        ("equals", "purchase", 1),
        ("contains", "chase", 3),
        ("starts_with", "pur", 1),
        ("ends_with", "_purchase", 1),
        ("regex", "^(pre_)?purchase$", 2),
    ],
)
def test_event_goals_match_the_event_name(site: Site, match_type: str, match_value: str, count: int) -> None:
    goal = site.goal(type="event", match_type=match_type, match_value=match_value)
    site.event(T0 + MIN, "a", "purchase")
    site.event(T0 + MIN, "b", "pre_purchase")
    site.event(T0 + MIN, "c", "Purchase")
    site.hit(T0 + MIN, "d", "/purchase")  # a pageview never meets an event goal

    assert site.converted(goal) == count


def test_duration_and_pages_per_session_goals_read_the_sessions_totals(site: Site) -> None:
    long_visit = site.goal(type="duration", threshold=120)
    deep_visit = site.goal(type="pages_per_session", threshold=3)
    site.hit(T0 + MIN, "short", "/")  # one page, 0 s
    for i, path in enumerate(["/", "/a", "/b"]):  # three pages over 2 minutes: both goals
        site.hit(T0 + MIN + i * MIN, "both", path)
    site.hit(T0 + MIN, "long", "/")  # two pages over 5 minutes: duration only
    site.hit(T0 + 6 * MIN, "long", "/x")

    assert site.converted(long_visit) == 2
    assert site.converted(deep_visit) == 1
    listed = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{long_visit['id']}/conversions",
        params=DAY,
        headers=site.headers,
    ).json()["data"]
    # Dated at the session's start; the path is the session's entry page.
    assert [(c["timestamp"], c["path"], c["event"]) for c in listed] == [
        ("2024-03-01T12:01:00Z", "/", None),
        ("2024-03-01T12:01:00Z", "/", None),
    ]


def test_a_goal_converts_at_most_once_per_session(site: Site) -> None:
    goal = site.goal(type="pageview", match_value="/thanks", value=10)
    for minute in (1, 2, 3):
        site.hit(T0 + minute * MIN, "repeat", "/thanks")
    site.hit(T0 + 4 * MIN, "once", "/thanks")
    site.hit(T0 + 4 * MIN, "never", "/")

    listed = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions", params=DAY, headers=site.headers
    ).json()
    assert listed == {
        "data": [
            {
                "timestamp": "2024-03-01T12:04:00Z",
                "session_id": 2,
                "path": "/thanks",
                "event": None,
                "value": 10.0,
            },
            {
                "timestamp": "2024-03-01T12:01:00Z",
                "session_id": 1,
                "path": "/thanks",
                "event": None,
                "value": 10.0,
            },
        ],
        "period": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-02T00:00:00Z"},
    }
    assert site.stats(goal) == {
        "total_conversions": 2,
        "conversion_rate": 66.7,
        "total_value": 20.0,
        "average_value": 10.0,
    }


def test_a_session_that_converted_before_a_period_does_not_convert_again_in_it(site: Site) -> None:
    goal = site.goal(type="pageview", match_value="/thanks")
    midnight = int(datetime(2024, 3, 2, tzinfo=UTC).timestamp() * 1000)
    site.hit(midnight - 5 * MIN, "night", "/thanks")
    site.hit(midnight + 5 * MIN, "night", "/thanks")  # the same session, after midnight
    site.hit(midnight + 6 * MIN, "morning", "/thanks")

    first = site.converted(goal, start_date="2024-03-01", end_date="2024-03-01")
    second = site.converted(goal, start_date="2024-03-02", end_date="2024-03-02")
    both = site.converted(goal, start_date="2024-03-01", end_date="2024-03-02")

    assert (first, second, both) == (1, 1, 2)


def test_traffic_before_the_goal_was_created_never_counts(site: Site) -> None:
    goal = site.goal(type="pageview", match_value="/thanks", created_at=T0)
    site.hit(T0 - 10 * MIN, "before", "/thanks")
    site.hit(T0 - 5 * MIN, "across", "/thanks")  # converted before the goal existed...
    site.hit(T0 + 5 * MIN, "across", "/thanks")  # ...so its first hit since creation counts
    site.hit(T0 + 6 * MIN, "after", "/thanks")
    sessions_goal = site.goal(type="pages_per_session", threshold=1, name="any visit", created_at=T0)

    listed = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions", params=DAY, headers=site.headers
    ).json()["data"]
    assert [c["timestamp"] for c in listed] == ["2024-03-01T12:06:00Z", "2024-03-01T12:05:00Z"]
    assert site.converted(sessions_goal) == 1  # only the session that started after creation


def test_values_come_from_a_numeric_property(site: Site) -> None:
    goal = site.goal(type="event", match_value="purchase", value_property="revenue")
    for session, revenue in [("a", "12.50"), ("b", 10), ("c", "free"), ("d", True), ("e", " 7.5 ")]:
        site.event(T0 + MIN, session, "purchase", properties={"revenue": revenue, "currency": "EUR"})
    site.event(T0 + MIN, "f", "purchase")  # no properties at all
    site.event(T0 + 2 * MIN, "a", "purchase", properties={"revenue": 99})  # not a second conversion

    assert site.stats(goal) == {
        "total_conversions": 6,
        "conversion_rate": 100.0,
        "total_value": 30.0,
        "average_value": 10.0,  # per conversion that carried a value
    }
    values = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions", params=DAY, headers=site.headers
    ).json()["data"]
    assert sorted((v["value"] is None, v["value"] or 0) for v in values) == [
        (False, 7.5),
        (False, 10.0),
        (False, 12.5),
        (True, 0),
        (True, 0),
        (True, 0),
    ]


def test_a_catastrophic_backtracking_pattern_runs_in_linear_time(site: Site) -> None:
    goal = site.goal(type="pageview", match_type="regex", match_value="(a+)+$")
    site.hit(T0 + MIN, "evil", "/" + "a" * 2000 + "!")
    site.hit(T0 + MIN, "plain", "/aaa")

    started = time.perf_counter()
    answer = site.stats(goal)

    assert time.perf_counter() - started < 1.0
    assert answer["total_conversions"] == 1


def test_spec_000_goal_report_is_exact(site: Site) -> None:
    signup = site.goal(name="Signup", type="pageview", match_value="/signup/complete")
    purchase = site.goal(name="Purchase", type="event", match_value="purchase", value=100)
    site.goal(name="Unused", type="pageview", match_value="/never")
    site.hit(T0 + MIN, "a", "/signup/complete")
    site.hit(T0 + MIN, "b", "/signup/complete")
    site.event(T0 + 2 * MIN, "b", "purchase")
    site.hit(T0 + MIN, "c", "/")

    response = site.env.client.get(
        f"/api/sites/{site.id}/analytics/goals", params=DAY_000, headers=site.headers
    )

    assert response.json() == {
        "data": [
            {"name": "Signup", "conversions": 2, "conversion_rate": 66.7, "total_value": 0},
            {"name": "Purchase", "conversions": 1, "conversion_rate": 33.3, "total_value": 100.0},
            {"name": "Unused", "conversions": 0, "conversion_rate": 0, "total_value": 0},
        ]
    }
    total = site.env.client.blocking_portal.call(
        conversions.total_conversions,
        site.env.client.app.state.db,
        site.id,
        T0 - 12 * 60 * MIN,
        T0 + 12 * 60 * MIN,
    )
    assert total == 3
    assert (signup["id"], purchase["id"]) == (1, 2)


def test_periods_are_checked(site: Site) -> None:
    goal = site.goal(type="pageview", match_value="/")

    api = site.env.client.get(
        f"/api/sites/{site.id}/analytics/goals", params={"period": "fortnight"}, headers=site.headers
    )
    analytics = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions/stats",
        params={"start_date": "yesterday"},
        headers=site.headers,
    )
    limit = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions",
        params={"limit": 0},
        headers=site.headers,
    )

    assert (api.status_code, list(api.json()["errors"])) == (422, ["period"])
    assert (analytics.status_code, analytics.json()["code"]) == (400, "VALIDATION_ERROR")
    assert (limit.status_code, limit.json()["code"]) == (400, "VALIDATION_ERROR")


def test_the_conversion_list_takes_a_limit(site: Site) -> None:
    goal = site.goal(type="pageview", match_value="/thanks")
    for i in range(5):
        site.hit(T0 + i * MIN, f"s{i}", "/thanks")

    listed = site.env.client.get(
        f"/analytics/websites/{site.id}/goals/{goal['id']}/conversions",
        params=DAY | {"limit": 2},
        headers=site.headers,
    ).json()["data"]

    assert [c["timestamp"] for c in listed] == ["2024-03-01T12:04:00Z", "2024-03-01T12:03:00Z"]


def test_the_overview_counts_every_goals_conversions_in_its_period(site: Site) -> None:
    thanks = site.goal(type="pageview", match_value="/thanks")
    site.goal(type="event", match_value="Signup")
    site.hit(T0 + 1 * MIN, "a", "/thanks")
    site.event(T0 + 2 * MIN, "a", "Signup")
    site.hit(T0 + 3 * MIN, "b", "/thanks")
    site.hit(T0 + 4 * MIN, "c", "/")

    overview = site.env.client.get(
        f"/api/sites/{site.id}/analytics/overview", params=DAY_000, headers=site.headers
    ).json()
    next_day = site.env.client.get(
        f"/api/sites/{site.id}/analytics/overview",
        params={"period": "custom", "start_date": "2024-03-02", "end_date": "2024-03-02"},
        headers=site.headers,
    ).json()

    assert site.converted(thanks) == 2
    assert overview["data"]["goals"] == 3
    assert next_day["data"]["goals"] == 0
