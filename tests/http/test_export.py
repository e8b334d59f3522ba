"""GET /api/sites/{id}/export: every type in both formats, limits, hostile text, streaming."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.config import Config
from appliance.db import Database, transaction
from appliance.export import exports, tables
from appliance.server import create_app
from tests.support import Env, open_database, track
from tests.support import test_config as config_on

T0 = int(datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
DAY = {"period": "custom", "start_date": "2024-03-01", "end_date": "2024-03-01"}
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tindented",
    "\rreturn",
    'a "quoted", comma',
    "two\nlines\r\nand more",
    "plain",
]


class Site:
    def __init__(self, env: Env) -> None:
        self.env = env
        owner = env.user("owner@example.com")
        self.headers = env.headers(owner)
        self.json = env.site(owner, "shop.example.com")
        self.id: int = self.json["id"]

    def hit(self, at: int, session: str, **fields: Any) -> None:
        fields.setdefault("path", "/")
        response = track(
            self.env.client,
            self.json["sid"],
            headers=self.headers,
            timestamp=at,
            visitor_id=f"visitor-{session}",
            session_id=session,
            **fields,
        )
        assert response.status_code == 200, response.text

    def export(self, **params: Any) -> Any:
        return self.env.client.get(f"/api/sites/{self.id}/export", params=DAY | params, headers=self.headers)

    def rows(self, kind: str) -> list[dict[str, str]]:
        response = self.export(format="csv", type=kind)
        assert response.status_code == 200, response.text
        return list(csv.DictReader(io.StringIO(response.text, newline="")))

    def insert(self, count: int, **columns: Any) -> None:
        """`count` pageviews straight into the tables, one session, from T0 a second apart."""
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        conn = self.env.conn
        with transaction(conn):
            session = conn.execute(
                "INSERT INTO sessions (site_id, session_key, visitor_key, started_at, last_seen_at, pageviews) "
                "VALUES (?, 1, -5, ?, ?, ?) RETURNING id",
                (self.id, T0, T0 + count * 1000, count),
            ).fetchone()[0]
            conn.executemany(
                f"INSERT INTO events (site_id, ts, session_id, visitor_key, kind{', ' if columns else ''}{names}) "
                f"VALUES (?, ?, ?, -5, 0{', ' if columns else ''}{marks})",
                [(self.id, T0 + i * 1000, session, *columns.values()) for i in range(count)],
            )


@pytest.fixture
def site(env: Env) -> Site:
    return Site(env)


@pytest.fixture
def traffic(site: Site) -> Site:
    """Two sessions: a bounce, and a visit of two pages and a purchase, with a goal on the purchase."""
    site.hit(T0, "a", path="/pricing", title="Pricing", referrer="https://www.google.com/search?q=x")
    site.hit(T0 + MIN, "b", path="/", title="Home")
    site.hit(T0 + 2 * MIN, "b", path="/signup", title="Sign up")
    site.hit(T0 + 3 * MIN, "b", type="event", name="purchase", path="/signup", properties={"revenue": "9.90"})
    goal = site.env.client.post(
        f"/api/sites/{site.id}/goals",
        json={"name": "Purchase", "type": "event", "match_value": "purchase", "value_property": "revenue"},
        headers=site.headers,
    )
    assert goal.status_code == 201
    with transaction(site.env.conn):
        site.env.conn.execute("UPDATE goals SET created_at = ?", (T0 - MIN,))
    return site


def test_every_type_has_its_documented_columns_in_both_formats(traffic: Site) -> None:
    for kind, table in tables.TABLES.items():
        csv_answer = traffic.export(format="csv", type=kind)
        json_answer = traffic.export(format="json", type=kind)
        header = next(csv.reader(io.StringIO(csv_answer.text)))
        records = json_answer.json()

        assert header == list(table.columns), kind
        assert records and all(list(r) == list(table.columns) for r in records), kind
        assert len(list(csv.DictReader(io.StringIO(csv_answer.text, newline="")))) == len(records), kind


def test_pageviews_and_events(traffic: Site) -> None:
    pageviews = traffic.rows("pageviews")
    events = traffic.export(format="json", type="events").json()

    assert [(r["timestamp"], r["path"], r["title"], r["referrer"], r["source"]) for r in pageviews] == [
        ("2024-03-01T12:00:00.000Z", "/pricing", "Pricing", "google.com", "Google"),
        ("2024-03-01T12:01:00.000Z", "/", "Home", "", "Direct / None"),
        ("2024-03-01T12:02:00.000Z", "/signup", "Sign up", "", "Direct / None"),
    ]
    assert pageviews[1]["visitor"] == pageviews[2]["visitor"] != pageviews[0]["visitor"]
    assert len(pageviews[0]["visitor"]) == 16
    assert events == [
        {
            "event_id": 4,
            "timestamp": "2024-03-01T12:03:00.000Z",
            "name": "purchase",
            "path": "/signup",
            "properties": {"revenue": "9.90"},
            "country": None,
            "region": None,
            "city": None,
            "browser": None,  # an admin's server-side hit names no browser (no user_agent given)
            "os": None,
            "device": None,
            "session_id": 2,
            "visitor": pageviews[1]["visitor"],
        }
    ]


def test_sessions_visitors_and_goals(traffic: Site) -> None:
    sessions = traffic.export(format="json", type="sessions").json()
    visitors = traffic.rows("visitors")
    goals = traffic.export(format="json", type="goals").json()

    assert [
        (
            s["session_id"],
            s["started_at"],
            s["duration"],
            s["pageviews"],
            s["events"],
            s["bounce"],
            s["entry_path"],
            s["exit_path"],
        )
        for s in sessions
    ] == [
        (1, "2024-03-01T12:00:00.000Z", 0, 1, 0, True, "/pricing", "/pricing"),
        (2, "2024-03-01T12:01:00.000Z", 120, 2, 1, False, "/", "/signup"),
    ]
    assert sorted((v["sessions"], v["pageviews"], v["events"], v["total_duration"]) for v in visitors) == [
        ("1", "1", "0", "0"),
        ("1", "2", "1", "120"),
    ]
    assert goals == [
        {
            "goal_id": 1,
            "goal": "Purchase",
            "timestamp": "2024-03-01T12:03:00.000Z",
            "session_id": 2,
            "visitor": sessions[1]["visitor"],
            "path": "/signup",
            "event": "purchase",
            "value": 9.9,
        }
    ]


def test_the_file_is_an_attachment_named_after_the_site_type_and_dates(traffic: Site) -> None:
    as_csv = traffic.export(format="csv", type="pageviews")
    as_json = traffic.export(format="json", type="sessions", start_date="2024-02-01", end_date="2024-03-31")

    assert (
        as_csv.headers["content-disposition"]
        == 'attachment; filename="shop.example.com-pageviews-2024-03-01-2024-03-01.csv"'
    )
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        as_json.headers["content-disposition"]
        == 'attachment; filename="shop.example.com-sessions-2024-02-01-2024-03-31.json"'
    )
    assert as_json.headers["content-type"] == "application/json"
    assert as_csv.headers["x-content-type-options"] == "nosniff"


def test_a_site_with_a_port_gets_a_safe_file_name() -> None:
    from datetime import date

    from appliance.stats.query import Period

    span = Period(first=date(2024, 1, 1), last=date(2024, 1, 31), start=0, end=1)

    assert exports.filename("Shop.Example.com:8080", "events", span, "json") == (
        "shop.example.com_8080-events-2024-01-01-2024-01-31.json"
    )


def test_an_empty_export_is_a_header_or_an_empty_array(site: Site) -> None:
    assert site.export(format="csv", type="events").text == (
        "event_id,timestamp,name,path,properties,country,region,city,browser,os,device,session_id,visitor\r\n"
    )
    assert site.export(format="json", type="goals").json() == []


def test_the_period_bounds_the_rows(traffic: Site) -> None:
    traffic.hit(T0 + 24 * 60 * MIN, "c", path="/tomorrow")

    today = traffic.rows("pageviews")
    both = traffic.export(format="json", type="pageviews", end_date="2024-03-02").json()

    assert [r["path"] for r in today] == ["/pricing", "/", "/signup"]
    assert [r["path"] for r in both] == ["/pricing", "/", "/signup", "/tomorrow"]


def test_limit_defaults_to_1000_and_cuts_the_rows(site: Site) -> None:
    site.insert(1005, path="/bulk")

    default = site.rows("pageviews")
    three = site.export(format="json", type="pageviews", limit=3).json()

    assert len(default) == 1000
    assert [r["timestamp"] for r in three] == [
        "2024-03-01T12:00:00.000Z",
        "2024-03-01T12:00:01.000Z",
        "2024-03-01T12:00:02.000Z",
    ]


def test_bad_requests_are_422_with_every_field_named(site: Site) -> None:
    missing = site.env.client.get(f"/api/sites/{site.id}/export", headers=site.headers)
    wrong = site.export(format="xlsx", type="users", limit=0)
    too_many = site.export(format="csv", type="events", limit=100_001)
    bad_period = site.export(format="csv", type="events", period="week")

    assert (missing.status_code, missing.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {"format": ["The format field is required."], "type": ["The type field is required."]},
        },
    )
    assert wrong.json()["errors"] == {
        "format": ["The format must be one of: csv, json."],
        "type": ["The type must be one of: pageviews, visitors, events, goals, sessions."],
        "limit": ["The limit must be between 1 and 100000."],
    }
    assert too_many.json()["errors"] == {"limit": ["The limit must be between 1 and 100000."]}
    assert (bad_period.status_code, list(bad_period.json()["errors"])) == (422, ["period"])


def test_the_maximum_limit_is_configurable(tmp_path: Path) -> None:
    config = config_on(tmp_path / "data", export={"max_limit": 5})
    with TestClient(create_app(config)) as client:
        env = Env(client=client, config=config)
        site = Site(env)
        try:
            assert site.export(format="csv", type="events", limit=5).status_code == 200
            assert site.export(format="csv", type="events", limit=6).json()["errors"] == {
                "limit": ["The limit must be between 1 and 5."]
            }
        finally:
            env.close()


# -- hostile text -------------------------------------------------------------------------------


def test_csv_quotes_commas_quotes_and_line_breaks_and_defuses_formulas(site: Site) -> None:
    for text in HOSTILE:
        site.insert(1, path="/p," + text, title=text)

    answer = site.export(format="csv", type="pageviews")
    parsed = list(csv.DictReader(io.StringIO(answer.text, newline="")))

    defused = ["'" + t if t[0] in "=+-@\t\r" else t for t in HOSTILE]
    assert [r["title"] for r in parsed] == defused
    assert [r["path"] for r in parsed] == ["/p," + t for t in HOSTILE]  # a path starts with /: safe
    assert '"a ""quoted"", comma"' in answer.text


def test_hostile_text_sent_by_visitors_is_defused_in_csv_and_exact_in_json(site: Site) -> None:
    site.hit(T0, "x", path="/a,b", title="=1+2", type="pageview")
    site.hit(T0 + 1, "x", type="event", name="@cmd", properties={"note": "-1", "why": '"q", c'})

    pageviews = site.rows("pageviews")
    events = site.rows("events")
    as_json = site.export(format="json", type="events").json()

    assert (pageviews[0]["path"], pageviews[0]["title"]) == ("/a,b", "'=1+2")
    assert events[0]["name"] == "'@cmd"
    assert json.loads(events[0]["properties"]) == {"note": "-1", "why": '"q", c'}
    assert (as_json[0]["name"], as_json[0]["properties"]) == ("@cmd", {"note": "-1", "why": '"q", c'})


def test_json_keeps_hostile_text_exact(site: Site) -> None:
    for text in HOSTILE:
        site.insert(1, path="/p", title=text)

    answer = site.export(format="json", type="pageviews")

    assert [r["title"] for r in answer.json()] == HOSTILE


# -- streaming -----------------------------------------------------------------------------------


def test_rows_are_read_page_by_page(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.insert(1050, path="/bulk")
    monkeypatch.setattr(tables, "PAGE_SIZE", 100)
    reads: list[tuple[int, int]] = []
    fetchall = Database.fetchall

    async def counting(self: Database, sql: str, params: Any = ()) -> Any:
        rows = await fetchall(self, sql, params)
        if "FROM events" in sql:
            reads.append((params["n"], len(rows)))
        return rows

    monkeypatch.setattr(Database, "fetchall", counting)

    answer = site.export(format="csv", type="pageviews", limit=1020)

    assert len(answer.text.splitlines()) == 1 + 1020
    assert reads == [(100, 100)] * 10 + [(20, 20)]


async def consume(db: Database, site_id: int, kind: str, limit: int) -> tuple[int, int]:
    """Bytes streamed, and the peak of memory allocated while streaming them."""
    from appliance.sites.models import Site as SiteRow

    row = await db.fetchone("SELECT * FROM sites WHERE id = ?", (site_id,))
    assert row is not None
    export = exports.prepare(
        db,
        SiteRow.from_row(row),
        fmt="csv",
        kind=kind,
        period="custom",
        start_date="2024-03-01",
        end_date="2024-03-01",
        limit=limit,
        max_limit=1_000_000,
        now_ms=T0,
    )
    tracemalloc.start()
    size = 0
    async for chunk in export.chunks:
        size += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, peak


def test_memory_stays_flat_however_many_rows_are_exported(site: Site, config: Config) -> None:
    site.insert(20_000, path="/a-fairly-long-path/" + "x" * 100, title="A title " * 10)

    async def measure() -> tuple[tuple[int, int], tuple[int, int]]:
        async with open_database(config) as db:
            return await consume(db, site.id, "pageviews", 2_000), await consume(
                db, site.id, "pageviews", 20_000
            )

    (small_size, small_peak), (large_size, large_peak) = asyncio.run(measure())

    assert large_size > 9 * small_size  # ten times the rows streamed...
    assert large_peak < 2 * small_peak + 256 * 1024  # ...in about the same memory
