"""The stats benchmark: every analytics endpoint of both surfaces, timed against DuckDB in the same run.

One run:

1. a fresh app (`create_app` on a temp data dir, the migrations applied at startup) with one site
   in Europe/London; synthetic traffic written straight into `events` and `sessions` (N events
   over the 90 days up to now: about 2.5 pageviews per session, 30% returning visitors, power-law
   pages, sources and countries, about half the sessions without a referrer, some UTM, custom
   events with properties; sessions consistent with their hits, the way ingestion makes them);
2. the rollups built for every day (`rollups.rebuild`, what `almanac rebuild-rollups` runs), timed;
   the refresher is kept idle during the run;
3. the raw `events` and `sessions` exported to Parquet, and DuckDB (2 threads) over them;
4. each endpoint, for the 30 local days up to yesterday, without a filter and with one filter
   (`country==US`, then `page==<the most viewed page>`), and the `today` variant: no filter over
   the 30 days up to today, with today's quarter hours marked dirty as live traffic keeps them
   (so today is read raw and merged with the rolled days); `--variants` picks among them; called
   through the real app in-process (Litestar's TestClient): one warm-up, then `runs` timed calls,
   p50 and p95; the equivalent SQL in DuckDB timed the same way; the whole dashboard (its
   overview-page calls in sequence) and realtime too.

It prints the figures and PASS/FAIL per target (issue 4, section 9), writes them as JSON under
build/bench/, and returns whether every target passed.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from litestar.testing import TestClient

from appliance import clock
from appliance.db import open_connection, transaction
from appliance.server import create_app
from appliance.stats import calendar, rollups
from tests.bench import machine
from tests.bench.options import Options
from tests.support import Env, test_config

RESULTS = Path(__file__).resolve().parents[2] / "build" / "bench"
TIMEZONE = "Europe/London"
DAYS = 90
RANGE_DAYS = 30
SEED = 20261124
DUCKDB_THREADS = 2

# Targets (issue 4, section 9), on the 2-core machine.
P95_TARGET_MS = {1_000_000: 25.0, 10_000_000: 50.0}
DUCKDB_RATIO_TARGET = 0.5
DASHBOARD_TARGET_MS = 200.0  # at 10M events
REALTIME_TARGET_MS = 20.0
GROWTH_TARGET = 2.0  # 1M -> 10M, per endpoint

# ---------------------------------------------------------------------------------------------
# Synthetic traffic


def _zipf(values: list[Any], exponent: float = 1.1) -> tuple[list[Any], list[float]]:
    """Values with power-law cumulative weights (the first the most frequent), for random.choices."""
    weights = [1 / (rank**exponent) for rank in range(1, len(values) + 1)]
    return values, list(itertools.accumulate(weights))


PAGES = _zipf(
    ["/", "/pricing", "/features", "/blog", "/docs", "/about", "/signup", "/login", "/contact"]
    + [f"/blog/post-{i}" for i in range(1, 120)]
    + [f"/docs/{section}/{i}" for section in ("start", "api", "guides") for i in range(1, 30)]
)
SOURCES = _zipf(
    [
        ("Google", "www.google.com"),
        ("Hacker News", "news.ycombinator.com"),
        ("Twitter", "t.co"),
        ("Reddit", "www.reddit.com"),
        ("DuckDuckGo", "duckduckgo.com"),
        ("Bing", "www.bing.com"),
        ("LinkedIn", "www.linkedin.com"),
        ("GitHub", "github.com"),
        ("Facebook", "l.facebook.com"),
    ]
    + [(f"blog{i}.example.org", f"blog{i}.example.org") for i in range(1, 60)]
)
COUNTRIES = _zipf(
    [
        "US",
        "GB",
        "DE",
        "IN",
        "FR",
        "CA",
        "NL",
        "BR",
        "AU",
        "ES",
        "IT",
        "SE",
        "PL",
        "JP",
        "CH",
        "AT",
        "BE",
        "DK",
        "FI",
        "NO",
        "IE",
        "PT",
        "CZ",
        "RO",
        "MX",
        "AR",
        "ZA",
        "NG",
        "KR",
        "SG",
    ],
    1.2,
)
REGIONS = {
    "US": [("CA", "San Francisco"), ("NY", "New York"), ("TX", "Austin"), ("WA", "Seattle")],
    "GB": [("ENG", "London"), ("ENG", "Manchester"), ("SCT", "Edinburgh")],
    "DE": [("BE", "Berlin"), ("BY", "Munich"), ("HH", "Hamburg")],
    "FR": [("IDF", "Paris"), ("ARA", "Lyon")],
}
BROWSERS = _zipf([("Chrome", "131"), ("Safari", "18"), ("Firefox", "133"), ("Edge", "131"), ("Opera", "115")])
SYSTEMS = _zipf([("Windows", "11"), ("iOS", "18"), ("Android", "15"), ("macOS", "15"), ("Linux", None)])
DEVICES = _zipf(["desktop", "mobile", "tablet"], 1.5)
SCREENS = _zipf([(1920, 1080), (390, 844), (1440, 900), (1536, 864), (412, 915), (2560, 1440), (768, 1024)])
LANGUAGES = _zipf(["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "nl-NL", "ja-JP"])
UTM = _zipf(
    [
        ("newsletter", "email", "november"),
        ("twitter", "social", "launch"),
        ("google", "cpc", "brand"),
        ("partner", "referral", "spring"),
        ("google", "cpc", "generic"),
    ]
)
CUSTOM_EVENTS = _zipf(
    [
        (
            "Signup",
            lambda r: {"plan": r.choice(["free", "pro", "team"]), "method": r.choice(["email", "google"])},
        ),
        ("Download", lambda r: {"file": r.choice(["guide.pdf", "app.dmg", "app.exe"])}),
        ("Outbound Link: Click", lambda r: {"url": f"https://github.com/example/{r.randint(1, 30)}"}),
        (
            "Purchase",
            lambda r: {
                "plan": r.choice(["pro", "team"]),
                "amount": r.choice([9, 29, 99]),
                "trial": r.random() < 0.3,
            },
        ),
        ("Play", lambda r: {"video": f"intro-{r.randint(1, 5)}"}),
    ]
)
# Sessions start more often in the afternoon and evening (UTC hours 0..23).
HOURS: tuple[list[Any], list[float]] = (
    list(range(24)),
    list(
        itertools.accumulate([1.0, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 10, 10, 10, 10, 9, 9, 8, 7, 6, 4, 3, 2])
    ),
)

EVENT_COLUMNS = (
    "id, site_id, ts, session_id, visitor_key, kind, name, path, title, referrer_host, source, utm_source, "
    "utm_medium, utm_campaign, utm_content, utm_term, country, region, city, browser, browser_version, os, "
    "os_version, device, screen_width, screen_height, language, props, time_on_page, scroll_depth"
)
SESSION_COLUMNS = (
    "id, site_id, session_key, client_named, visitor_key, started_at, last_seen_at, ended_at, duration, "
    "pageviews, events, entry_path, exit_path, source, referrer_host, utm_source, utm_medium, utm_campaign, "
    "utm_content, utm_term, country, device"
)
DIRECT = "Direct / None"
CHUNK_SESSIONS = 50_000


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cumulative = table
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def generate(path: Path, site_id: int, events: int, now: int, seed: int = SEED) -> dict[str, float]:
    """Write about `events` events and their sessions for `site_id` into the database at `path`."""
    rng = random.Random(seed)
    per_session = 2.5 + 0.25  # pageviews, and a custom event in about one session of four
    session_count = max(1, round(events / per_session))
    first = now - DAYS * 86_400_000
    day_starts = [first + d * 86_400_000 for d in range(DAYS + 1)]
    starts: list[int] = []
    for _ in range(session_count):
        day = rng.randrange(DAYS + 1)
        at = day_starts[day] - day_starts[day] % 86_400_000 + _pick(rng, HOURS) * 3_600_000
        at += rng.randrange(3_600_000)
        if not first <= at < now - 1000:
            at = first + rng.randrange(now - 1000 - first)
        starts.append(at)
    # A few visitors on the site right now, for realtime.
    for i in range(min(200, session_count // 100)):
        starts[i] = now - rng.randrange(4 * 60_000)
    starts.sort()
    visitors: list[int] = []
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    event_sql = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 30)})"
    session_sql = f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({', '.join('?' * 22)})"
    base_event = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    base_session = conn.execute("SELECT coalesce(max(id), 0) FROM sessions").fetchone()[0]
    event_id = base_event
    written = 0
    started = time.perf_counter()
    for chunk_start in range(0, session_count, CHUNK_SESSIONS):
        event_rows: list[tuple[Any, ...]] = []
        session_rows: list[tuple[Any, ...]] = []
        for index in range(chunk_start, min(session_count, chunk_start + CHUNK_SESSIONS)):
            session_id = base_session + index + 1
            if visitors and rng.random() < 0.3:
                visitor = visitors[int(len(visitors) * rng.random() ** 0.5)]  # returning, recent more likely
            else:
                visitor = rng.getrandbits(63) - 2**62
                visitors.append(visitor)
            if rng.random() < 0.5:
                source, referrer = DIRECT, None
            else:
                source, referrer = _pick(rng, SOURCES)
            utm = _pick(rng, UTM) if rng.random() < 0.12 else (None, None, None)
            content = "banner" if utm[0] and rng.random() < 0.3 else None
            term = "analytics" if utm[1] == "cpc" else None
            country = _pick(rng, COUNTRIES) if rng.random() < 0.98 else None
            region, city = rng.choice(REGIONS[country]) if country in REGIONS else (None, None)
            browser, browser_version = _pick(rng, BROWSERS)
            os_name, os_version = _pick(rng, SYSTEMS)
            device = _pick(rng, DEVICES)
            width, height = _pick(rng, SCREENS) if rng.random() < 0.95 else (None, None)
            language = _pick(rng, LANGUAGES)
            pageviews = 1
            while rng.random() < 0.6:
                pageviews += 1
            custom = 1 if rng.random() < 0.25 else 0
            ts = starts[index]
            paths: list[str] = []
            kinds = [0] * pageviews
            if custom:
                kinds.insert(rng.randrange(1, pageviews + 1), 1)
            for kind in kinds:
                event_id += 1
                if kind == 0:
                    page = _pick(rng, PAGES)
                    paths.append(page)
                    name = props = None
                    time_on_page = rng.randrange(5, 300) if rng.random() < 0.6 else None
                    scroll = rng.randrange(10, 101) if time_on_page else None
                else:
                    page = paths[-1]
                    name, make = _pick(rng, CUSTOM_EVENTS)
                    props = json.dumps(make(rng), separators=(",", ":"))
                    time_on_page = scroll = None
                event_rows.append(
                    (
                        event_id, site_id, ts, session_id, visitor, kind, name, page,
                        page.rsplit("/", 1)[-1].title() or "Home", referrer, source, *utm, content, term,
                        country, region, city, browser, browser_version, os_name, os_version, device,
                        width, height, language, props, time_on_page, scroll,
                    )
                )  # fmt: skip
                last = ts
                ts = min(ts + rng.randrange(10_000, 180_000), now)
            last_seen = last + (rng.randrange(5_000, 60_000) if pageviews > 1 or rng.random() < 0.5 else 0)
            last_seen = min(last_seen, now)
            ended = last_seen + 1_800_000 if last_seen + 1_800_000 < now else None
            session_rows.append(
                (
                    session_id, site_id, rng.getrandbits(63) - 2**62, 0, visitor, starts[index], last_seen,
                    ended, (last_seen - starts[index]) // 1000, pageviews, custom, paths[0], paths[-1],
                    source, referrer, *utm, content, term, country, device,
                )
            )  # fmt: skip
        conn.execute("BEGIN")
        conn.executemany(session_sql, session_rows)
        conn.executemany(event_sql, event_rows)
        conn.execute("COMMIT")
        written += len(event_rows)
    elapsed = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"events": written, "sessions": session_count, "seconds": elapsed, "rows_per_s": written / elapsed}


def export_parquet(path: Path, out: Path) -> dict[str, Path]:
    """The raw `events` and `sessions` tables as Parquet files in `out`."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    files = {}
    with closing(sqlite3.connect(path)) as conn:
        for table in ("events", "sessions"):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
            names = [d[0] for d in cursor.description]
            target = out / f"{table}.parquet"
            writer = None
            while rows := cursor.fetchmany(200_000):
                columns = list(zip(*rows, strict=True))
                batch = pa.table({n: pa.array(c) for n, c in zip(names, columns, strict=True)})
                if writer is None:
                    writer = pq.ParquetWriter(target, batch.schema)
                writer.write_table(batch.cast(writer.schema))
            assert writer is not None
            writer.close()
            files[table] = target
    return files


# ---------------------------------------------------------------------------------------------
# The equivalent SQL in DuckDB: the same definitions as appliance/stats, over the Parquet files.


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Duck:
    """DuckDB queries for one site, period and set of event filters (`column = value`)."""

    site: int
    start: int
    end: int
    filters: tuple[tuple[str, str], ...] = ()

    def at(self, start: int, end: int) -> Duck:
        return Duck(self.site, start, end, self.filters)

    @property
    def event_match(self) -> str:
        return " AND ".join(f"e.{c} = {_quote(v)}" for c, v in self.filters) or "TRUE"

    @property
    def session_match(self) -> str:
        if not self.filters:
            return "TRUE"
        return f"s.id IN (SELECT e.session_id FROM events e WHERE {self.event_where})"

    @property
    def event_where(self) -> str:
        return (
            f"e.site_id = {self.site} AND e.ts >= {self.start} AND e.ts < {self.end} AND {self.event_match}"
        )

    @property
    def session_where(self) -> str:
        return (
            f"s.site_id = {self.site} AND s.started_at >= {self.start} AND s.started_at < {self.end} "
            f"AND {self.session_match}"
        )

    def event_totals(self) -> str:
        return (
            "SELECT count(*) FILTER (WHERE e.kind = 0), count(*) FILTER (WHERE e.kind = 1), "
            "count(DISTINCT e.visitor_key), coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0), "
            f"count(e.time_on_page) FILTER (WHERE e.kind = 0) FROM events e WHERE {self.event_where}"
        )

    def session_totals(self) -> str:
        return (
            "SELECT count(*), count(*) FILTER (WHERE s.pageviews = 1), coalesce(sum(s.duration), 0), "
            f"count(DISTINCT s.visitor_key) FROM sessions s WHERE {self.session_where}"
        )

    def event_rows(
        self, value: str, limit: int, *, pages: bool = False, context: tuple[str, ...] = ()
    ) -> str:
        groups = ", ".join((*(f"e.{c}" for c in context), value))
        order = "pageviews" if pages else "visitors"
        return (
            f"SELECT {groups}, count(DISTINCT e.visitor_key) AS visitors, "
            "count(*) FILTER (WHERE e.kind = 0) AS pageviews, count(*) FILTER (WHERE e.kind = 1) AS events, "
            "coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0), "
            "count(e.time_on_page) FILTER (WHERE e.kind = 0), count(*) OVER () AS total "
            f"FROM events e WHERE {self.event_where} AND {value} IS NOT NULL "
            f"{'AND e.kind = 0' if pages else ''} GROUP BY {groups} "
            f"ORDER BY {order} DESC, visitors DESC, {groups} LIMIT {limit}"
        )

    def session_rows(self, column: str, limit: int) -> str:
        return (
            f"SELECT s.{column} AS value, count(DISTINCT s.visitor_key) AS visitors, count(*) AS sessions, "
            "count(*) FILTER (WHERE s.pageviews = 1), coalesce(sum(s.duration), 0), count(*) OVER () "
            f"FROM sessions s WHERE {self.session_where} AND s.{column} IS NOT NULL GROUP BY s.{column} "
            f"ORDER BY visitors DESC, visitors DESC, value LIMIT {limit}"
        )

    def entry_bounces(self, values: list[str]) -> str:
        listed = ", ".join(_quote(v) for v in values) or "NULL"
        return (
            "SELECT s.entry_path, count(*), count(*) FILTER (WHERE s.pageviews = 1) FROM sessions s "
            f"WHERE {self.session_where} AND s.entry_path IN ({listed}) GROUP BY s.entry_path"
        )

    def regions(self, countries: list[str]) -> str:
        listed = ", ".join(_quote(v) for v in countries) or "NULL"
        return (
            "SELECT e.country, e.region, count(DISTINCT e.visitor_key) AS visitors FROM events e "
            f"WHERE {self.event_where} AND e.region IS NOT NULL AND e.country IN ({listed}) "
            "GROUP BY e.country, e.region ORDER BY visitors DESC, e.region"
        )

    def event_names(self, limit: int) -> str:
        return (
            "SELECT e.name, count(*) AS count, count(DISTINCT e.visitor_key) AS visitors FROM events e "
            f"WHERE {self.event_where} AND e.kind = 1 GROUP BY e.name "
            f"ORDER BY count DESC, visitors DESC, e.name LIMIT {limit}"
        )

    def property_values(self, names: list[str]) -> str:
        listed = ", ".join(_quote(v) for v in names) or "NULL"
        return (
            "SELECT name, key, value, count FROM ("
            "  SELECT name, key, value, count(*) AS count,"
            "         sum(count(*)) OVER (PARTITION BY name, key) AS key_count,"
            "         row_number() OVER (PARTITION BY name, key ORDER BY count(*) DESC, value) AS rank"
            "  FROM (SELECT e.name AS name, k.key AS key, json_extract(e.props, '$.\"' || k.key || '\"') AS value"
            "        FROM events e, unnest(json_keys(e.props)) AS k(key)"
            f"        WHERE {self.event_where} AND e.kind = 1 AND e.props IS NOT NULL AND e.name IN ({listed}))"
            "  GROUP BY name, key, value)"
            " WHERE rank <= 20 ORDER BY name, key_count DESC, key, count DESC, value"
        )

    def per_bucket(self, buckets: list[tuple[int, int]]) -> tuple[str, str]:
        values = ", ".join(f"({lo}, {hi})" for lo, hi in buckets)
        table = f"(VALUES {values}) AS b(lo, hi)"
        events = (
            "SELECT b.lo, count(*) FILTER (WHERE e.kind = 0), count(DISTINCT e.visitor_key) "
            f"FROM {table} JOIN events e ON e.ts >= b.lo AND e.ts < b.hi WHERE {self.event_where} GROUP BY b.lo"
        )
        sessions = (
            f"SELECT b.lo, count(*) FROM {table} JOIN sessions s ON s.started_at >= b.lo "
            f"AND s.started_at < b.hi WHERE {self.session_where} GROUP BY b.lo"
        )
        return events, sessions

    def realtime(self, since: int) -> list[str]:
        recent = Duck(self.site, since, 2**62, self.filters)
        where = recent.event_where
        return [
            f"SELECT count(DISTINCT e.visitor_key), count(*) FILTER (WHERE e.kind = 0) FROM events e WHERE {where}",
            "SELECT e.path, count(DISTINCT e.visitor_key) AS visitors FROM events e "
            f"WHERE {where} AND e.kind = 0 GROUP BY e.path ORDER BY visitors DESC, e.path LIMIT 10",
            "SELECT e.country, count(DISTINCT e.visitor_key) AS visitors FROM events e "
            f"WHERE {where} AND e.country IS NOT NULL GROUP BY e.country ORDER BY visitors DESC, e.country LIMIT 10",
        ]


Run = Callable[[Any], Any]  # a DuckDB connection -> the answer


def _fetch(con: Any, sql: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = con.execute(sql).fetchall()
    return rows


def duck_endpoints(duck: Duck, previous: Duck, buckets: list[tuple[int, int]], now: int) -> dict[str, Run]:
    """For each endpoint, the DuckDB queries that compute the same answer, in sequence."""

    def totals(con: Any) -> None:
        _fetch(con, duck.event_totals())
        _fetch(con, duck.session_totals())

    def overview(con: Any) -> None:
        totals(con)
        _fetch(con, previous.event_totals())
        _fetch(con, previous.session_totals())

    def series(con: Any) -> None:
        for sql in duck.per_bucket(buckets):
            _fetch(con, sql)

    def pages(con: Any) -> None:
        rows = _fetch(con, duck.event_rows("e.path", 20, pages=True))
        _fetch(con, duck.entry_bounces([r[0] for r in rows]))

    def event_breakdown(value: str, context: tuple[str, ...] = ()) -> Run:
        def run(con: Any) -> None:
            _fetch(con, duck.event_rows(value, 20, context=context))
            _fetch(con, duck.event_totals())

        return run

    def session_breakdown(column: str, limit: int = 20) -> Run:
        def run(con: Any) -> None:
            _fetch(con, duck.session_rows(column, limit))
            _fetch(con, duck.session_totals())

        return run

    def locations(con: Any) -> None:
        rows = _fetch(con, duck.event_rows("e.country", 100))
        _fetch(con, duck.event_totals())
        _fetch(con, duck.regions([r[0] for r in rows]))

    def utm(con: Any) -> None:
        for column in ("utm_source", "utm_medium", "utm_campaign"):
            _fetch(con, duck.session_rows(column, 100))

    def events(con: Any) -> None:
        names = _fetch(con, duck.event_names(100))
        _fetch(con, duck.property_values([r[0] for r in names]))

    def realtime(con: Any) -> None:
        for sql in duck.realtime(now - 5 * 60_000):
            _fetch(con, sql)

    return {
        "overview": overview,
        "timeseries": series,
        "pageviews": pages,
        "referrers": session_breakdown("source", 100),
        "locations": locations,
        "utm-sources": utm,
        "events": events,
        "browsers": event_breakdown("e.browser"),
        "operating-systems": event_breakdown("e.os"),
        "devices": event_breakdown("e.device"),
        "entry-pages": session_breakdown("entry_path"),
        "exit-pages": session_breakdown("exit_path"),
        "screen-sizes": event_breakdown("(e.screen_width::VARCHAR || 'x' || e.screen_height::VARCHAR)"),
        "languages": event_breakdown("e.language"),
        "regions": event_breakdown("e.region", ("country",)),
        "cities": event_breakdown("e.city", ("country", "region")),
        "realtime": realtime,
        "004 stats": totals,
        "004 timeseries": series,
        "004 realtime": realtime,
    }


# ---------------------------------------------------------------------------------------------
# Timing


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


@dataclass
class Timing:
    endpoint: str
    variant: str
    p50_ms: float
    p95_ms: float
    duck_p50_ms: float | None = None
    duck_p95_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.p95_ms / self.duck_p95_ms if self.duck_p95_ms else None


def measure(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm-up: the page cache and SQLite's statement cache, as on a dashboard in use
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@dataclass
class Target:
    name: str
    passed: bool | None  # None: not measured in this run
    detail: str


@dataclass
class Report:
    command: str
    date: str
    events: int
    runs: int
    machine: list[str]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    generation: dict[str, float]
    export_seconds: float
    rollup_seconds: float = 0.0
    rollup_days: int = 0
    timings: list[Timing] = field(default_factory=list)
    dashboard: dict[str, float] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)


def endpoints(site_id: int) -> dict[str, str]:
    """Every analytics endpoint of both surfaces: name -> path (the period is added per call)."""
    api = f"/api/sites/{site_id}/analytics"
    paths = {
        name: f"{api}/{name}"
        for name in (
            "overview",
            "timeseries",
            "pageviews",
            "referrers",
            "locations",
            "utm-sources",
            "events",
            "browsers",
            "operating-systems",
            "devices",
            "entry-pages",
            "exit-pages",
            "screen-sizes",
            "languages",
            "regions",
            "cities",
            "realtime",
        )
    }
    spec004 = f"/analytics/websites/{site_id}"
    paths.update({f"004 {name}": f"{spec004}/{name}" for name in ("stats", "timeseries", "realtime")})
    return paths


# The overview page's calls when it opens (web/src/views/Overview.tsx): the KPIs and the previous
# period's, the time series, and the first tab of every panel.
DASHBOARD = (
    "overview",
    "overview-previous",
    "timeseries",
    "pageviews",
    "referrers",
    "locations",
    "browsers",
    "events",
)


def run(options: Options) -> bool:
    import duckdb

    events = options.events
    runs = options.runs
    work = Path(tempfile.mkdtemp(prefix="almanac-bench-stats-", dir=options.work_dir))
    print(f"stats benchmark: {events:,} events over {DAYS} days, {runs} runs per endpoint, in {work}")
    machine_lines = machine.describe().lines()
    for line in machine_lines:
        print(line)
    # The refresher stays out of the way: the rollups are built once, timed, after generation.
    config = test_config(work / "data", stats={"rollup_refresh_seconds": 86_400.0})
    try:
        with TestClient(create_app(config)) as client:
            env = Env(client=client, config=config)
            owner = env.user("bench@example.com", admin=True)
            headers = env.headers(owner)
            site = env.site(owner, "shop.example.com", timezone=TIMEZONE)
            env.close()
            now = clock.now_ms()
            generation = generate(config.database_path, site["id"], events, now)
            print(
                f"generated {generation['events']:,.0f} events and {generation['sessions']:,.0f} sessions in "
                f"{generation['seconds']:.1f} s ({generation['rows_per_s']:,.0f} events/s)"
            )
            started = time.perf_counter()
            with closing(open_connection(config.database_path, config.database)) as conn:
                rolled = asyncio.run(rollups.rebuild(conn, [site["id"]]))
                rollup_seconds = time.perf_counter() - started
                if "today" in options.variants:
                    mark_today_dirty(conn, site["id"], now)
            print(f"rolled up {len(rolled)} days in {rollup_seconds:.1f} s (almanac rebuild-rollups)")
            started = time.perf_counter()
            files = export_parquet(config.database_path, work)
            export_seconds = time.perf_counter() - started
            print(f"exported to Parquet in {export_seconds:.1f} s")
            con = duckdb.connect()
            con.execute(f"SET threads = {DUCKDB_THREADS}")
            for table, parquet in files.items():
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_quote(str(parquet))})")

            with closing(sqlite3.connect(config.database_path)) as conn:
                top_page = conn.execute(
                    "SELECT path FROM events WHERE kind = 0 GROUP BY path ORDER BY count(*) DESC LIMIT 1"
                ).fetchone()[0]

            zone = ZoneInfo(TIMEZONE)
            today = datetime.fromtimestamp(now / 1000, zone).date()
            last = today - timedelta(days=1)
            first = last - timedelta(days=RANGE_DAYS - 1)
            before_last = first - timedelta(days=1)
            before_first = before_last - timedelta(days=RANGE_DAYS - 1)

            def bounds(a: date, b: date) -> tuple[int, int]:
                lo = datetime(a.year, a.month, a.day, tzinfo=zone)
                hi = datetime(b.year, b.month, b.day, tzinfo=zone) + timedelta(days=1)
                return int(lo.astimezone(UTC).timestamp() * 1000), int(hi.astimezone(UTC).timestamp() * 1000)

            start, end = bounds(first, last)
            from appliance.stats.query import Period

            # name -> (filters, DuckDB's filters, the period's first and last local day)
            variants: dict[str, tuple[str | None, tuple[tuple[str, str], ...], date, date]] = {
                "none": (None, (), first, last),
                "country==US": ("country==US", (("country", "US"),), first, last),
                f"page=={top_page}": (f"page=={top_page}", (("path", top_page),), first, last),
                "today": (None, (), first + timedelta(days=1), today),
            }
            if options.quick:
                variants.pop(f"page=={top_page}")
            chosen = [v for v in variants if v.split("==")[0] in options.variants]
            variants = {v: variants[v] for v in chosen}
            paths = endpoints(site["id"])
            load_before = os.getloadavg()
            report = Report(
                command=options.command,
                date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                events=int(generation["events"]),
                runs=runs,
                machine=machine_lines,
                load_before=load_before,
                load_after=load_before,
                generation=generation,
                export_seconds=export_seconds,
                rollup_seconds=round(rollup_seconds, 2),
                rollup_days=len(rolled),
            )

            def params(name: str, filters: str | None, a: date = first, b: date = last) -> dict[str, str]:
                if name.startswith("004"):
                    found = {"start_date": a.isoformat(), "end_date": b.isoformat()}
                else:
                    found = {"period": "custom", "start_date": a.isoformat(), "end_date": b.isoformat()}
                if name.endswith("timeseries"):
                    found["interval"] = "day"
                if filters:
                    found["filters"] = filters
                return found

            def call(path: str, query: dict[str, str]) -> Callable[[], Any]:
                def go() -> Any:
                    response = client.get(path, params=query, headers=headers)
                    assert response.status_code == 200, response.text
                    return response

                return go

            for variant, (filters, duck_filters, a, b) in variants.items():
                lo, hi = bounds(a, b)
                days = [
                    (x.start, x.end)
                    for x in calendar.buckets(
                        Period(first=a, last=b, start=lo, end=hi), "day", calendar.zone(TIMEZONE)
                    )
                ]
                duck = Duck(site["id"], lo, hi, duck_filters)
                before = duck.at(*bounds(a - timedelta(days=RANGE_DAYS), a - timedelta(days=1)))
                duck_runs = duck_endpoints(duck, before, days, clock.now_ms())
                for name, path in paths.items():
                    ours = measure(call(path, params(name, filters, a, b)), runs)
                    theirs = measure(functools.partial(duck_runs[name], con), runs)
                    timing = Timing(
                        name,
                        variant,
                        round(statistics.median(ours), 2),
                        round(percentile(ours, 0.95), 2),
                        round(statistics.median(theirs), 2),
                        round(percentile(theirs, 0.95), 2),
                    )
                    report.timings.append(timing)
                    print(
                        f"  {variant:>14} {name:<18} p50 {timing.p50_ms:8.1f} ms  p95 {timing.p95_ms:8.1f} ms  "
                        f"duckdb p95 {timing.duck_p95_ms:7.1f} ms  ratio {timing.ratio:6.2f}",
                        flush=True,
                    )

            # The whole dashboard, its calls in sequence, without a filter.
            previous_query = {
                "period": "custom",
                "start_date": before_first.isoformat(),
                "end_date": before_last.isoformat(),
            }
            calls = [
                call(paths["overview"], previous_query)
                if name == "overview-previous"
                else call(paths[name], params(name, None))
                for name in DASHBOARD
            ]
            samples = measure(lambda: [c() for c in calls], runs)
            report.dashboard = {
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(percentile(samples, 0.95), 1),
            }
            print(
                f"  dashboard ({len(calls)} calls) p50 {report.dashboard['p50_ms']:.1f} ms  p95 {report.dashboard['p95_ms']:.1f} ms"
            )
            report.load_after = os.getloadavg()
            _check(report, con, Duck(site["id"], start, end), site["id"], client, headers, paths, params)
            con.close()
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    report.targets = targets(report)
    print(f"load average: before {_load(report.load_before)}, after {_load(report.load_after)}")
    for target in report.targets:
        verdict = "n/a " if target.passed is None else "PASS" if target.passed else "FAIL"
        print(f"{verdict} {target.name}: {target.detail}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"stats-{events}.json"
    out.write_text(json.dumps(asdict(report), indent=2, default=str))
    print(f"results: {out}")
    return all(t.passed is not False for t in report.targets)


def mark_today_dirty(conn: sqlite3.Connection, site_id: int, now: int) -> None:
    """Every quarter hour of today (local) up to now is dirty, as under live traffic (the refresher
    stays idle): today is read raw and merged with the rolled days."""
    local = datetime.fromtimestamp(now / 1000, ZoneInfo(TIMEZONE))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first, last = int(midnight.timestamp() * 1000) // 900_000, now // 900_000
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO rollup_dirty (site_id, slot) VALUES (?, ?)",
            [(site_id, slot) for slot in range(first, last + 1)],
        )


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def _check(
    report: Report, con: Any, duck: Duck, site_id: int, client: Any, headers: Any, paths: Any, params: Any
) -> None:
    """The same answer: the totals of the unfiltered 30 days, from the app and from DuckDB."""
    unfiltered = Duck(site_id, duck.start, duck.end)
    pageviews, _, visitors, _, _ = _fetch(con, unfiltered.event_totals())[0]
    got = client.get(paths["004 stats"], params=params("004 stats", None), headers=headers).json()
    same = got["total_pageviews"] == pageviews and got["unique_visitors"] == visitors
    print(
        f"same answer: app {got['total_pageviews']} pageviews / {got['unique_visitors']} visitors, "
        f"DuckDB {pageviews} / {visitors}: {'yes' if same else 'NO'}"
    )
    report.targets.append(
        Target("same totals as DuckDB (30 days)", same, f"{pageviews} pageviews, {visitors} visitors")
    )


def targets(report: Report) -> list[Target]:
    found = list(report.targets)
    scale = 10_000_000 if report.events >= 5_000_000 else 1_000_000
    limit = P95_TARGET_MS[scale]
    for t in report.timings:
        if "realtime" in t.endpoint:
            found.append(
                Target(
                    f"{t.endpoint} [{t.variant}] p95 < {REALTIME_TARGET_MS:.0f} ms",
                    t.p95_ms < REALTIME_TARGET_MS,
                    f"{t.p95_ms:.1f} ms",
                )
            )
        else:
            found.append(
                Target(
                    f"{t.endpoint} [{t.variant}] p95 <= {limit:.0f} ms",
                    t.p95_ms <= limit,
                    f"{t.p95_ms:.1f} ms",
                )
            )
        ratio = t.ratio
        found.append(
            Target(
                f"{t.endpoint} [{t.variant}] <= {DUCKDB_RATIO_TARGET} of DuckDB",
                ratio is not None and ratio <= DUCKDB_RATIO_TARGET,
                f"{ratio:.2f}x (DuckDB p95 {t.duck_p95_ms:.1f} ms)"
                if ratio is not None
                else "no DuckDB time",
            )
        )
    if report.dashboard:
        passed = report.dashboard["p95_ms"] < DASHBOARD_TARGET_MS if scale == 10_000_000 else None
        found.append(
            Target(
                f"dashboard < {DASHBOARD_TARGET_MS:.0f} ms at 10M",
                passed,
                f"{report.dashboard['p95_ms']:.1f} ms p95 at {report.events:,} events",
            )
        )
    found.append(
        Target(f"growth 1M -> 10M <= {GROWTH_TARGET:.0f}x", None, "needs both sizes in one run; not measured")
    )
    return found
