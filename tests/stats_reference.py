"""The obviously-correct answers: every analytics endpoint computed in plain Python over raw rows.

Independent of `appliance.stats` on purpose: no SQL, no UTC bounds. An event is in the period
when its local date (zoneinfo) is one of the period's days; buckets are found by reading local
clocks. The rules are those of docs/STATS.md:

- session dimensions (entry/exit page, source, referrer, utm_*) are read from the session, the
  others from each event; `is not` holds for unknown values; `contains` ignores the case of A-Z;
- counted events: in the period, every event filter holds, their session passes session filters;
- counted sessions: started in the period, pass session filters, and, when there are event
  filters, have a counted event.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from appliance.stats.countries import NAMES  # a lookup table, not logic

Row = dict[str, Any]
Filters = list[tuple[str, str, str]]  # (dimension, "is" | "is_not" | "contains", value)

SESSION_COLUMNS = {
    "entry_page": "entry_path",
    "exit_page": "exit_path",
    "source": "source",
    "referrer": "referrer_host",
    **{f"utm_{k}": f"utm_{k}" for k in ("source", "medium", "campaign", "content", "term")},
}
EVENT_COLUMNS = {
    "page": "path",
    "event_name": "name",
    **{k: k for k in ("country", "region", "city", "browser", "os", "device", "language")},
}
TYPE_NAMES = {type(None): "null", bool: "bool", int: "integer", float: "real", str: "text"}


def lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def local_time(ms: int, tz: ZoneInfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).astimezone(tz)


def event_value(row: Row, dimension: str) -> Any:
    if dimension == "screen_size":
        w, h = row["screen_width"], row["screen_height"]
        return None if w is None or h is None else f"{w}x{h}"
    return row[EVENT_COLUMNS[dimension]]


def holds(value: Any, operator: str, wanted: str) -> bool:
    if operator == "is":
        return bool(value == wanted)
    if operator == "is_not":
        return bool(value != wanted)
    return value is not None and lower(wanted) in lower(value)


def percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def mean(values: list[int]) -> int:
    return round(sum(values) / len(values)) if values else 0


def change(now: int, before: int) -> float:
    if before == 0:
        return 100.0 if now else 0.0
    return round((now - before) * 100 / before, 1)


def ranked(rows: Iterable[Row], *keys: Callable[[Row], Any]) -> list[Row]:
    return sorted(rows, key=lambda r: tuple(k(r) for k in keys))


def nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else "")


class Site:
    """One site's raw rows, and the questions asked of them."""

    def __init__(self, tz: str, events: list[Row], sessions: list[Row]) -> None:
        self.tz = ZoneInfo(tz)
        self.events = events
        self.sessions = {s["id"]: s for s in sessions}

    def day(self, ms: int) -> date:
        return local_time(ms, self.tz).date()

    def session_ok(self, session: Row, filters: Filters) -> bool:
        return all(holds(session[SESSION_COLUMNS[d]], op, v) for d, op, v in filters if d in SESSION_COLUMNS)

    def event_ok(self, event: Row, filters: Filters) -> bool:
        return all(holds(event_value(event, d), op, v) for d, op, v in filters if d not in SESSION_COLUMNS)

    def counted(self, first: date, last: date, filters: Filters) -> tuple[list[Row], list[Row]]:
        """The counted events and the counted sessions of the local days first..last."""
        events = [
            e
            for e in self.events
            if first <= self.day(e["ts"]) <= last
            and self.event_ok(e, filters)
            and self.session_ok(self.sessions[e["session_id"]], filters)
        ]
        with_event = {e["session_id"] for e in events}
        event_filters = any(d not in SESSION_COLUMNS for d, _, _ in filters)
        sessions = [
            s
            for s in self.sessions.values()
            if first <= self.day(s["started_at"]) <= last
            and self.session_ok(s, filters)
            and (not event_filters or s["id"] in with_event)
        ]
        return events, sessions

    # -- spec 000 -----------------------------------------------------------------------------

    def totals(self, first: date, last: date, filters: Filters) -> Row:
        events, sessions = self.counted(first, last, filters)
        return {
            "pageviews": sum(e["kind"] == 0 for e in events),
            "unique_visitors": len({e["visitor_key"] for e in events}),
            "sessions": len(sessions),
            "bounce_rate": percent(sum(s["pageviews"] == 1 for s in sessions), len(sessions)),
            "avg_session_duration": mean([s["duration"] for s in sessions]),
            "events": sum(e["kind"] == 1 for e in events),
        }

    def overview(self, first: date, last: date, filters: Filters) -> Row:
        days = (last - first).days + 1
        now = self.totals(first, last, filters)
        before = self.totals(first - timedelta(days=days), first - timedelta(days=1), filters)
        return {
            "data": {**now, "goals": 0},
            "comparison": {
                "pageviews_change": change(now["pageviews"], before["pageviews"]),
                "visitors_change": change(now["unique_visitors"], before["unique_visitors"]),
                "bounce_rate_change": round(now["bounce_rate"] - before["bounce_rate"], 1),
            },
            "period": {"start_date": first.isoformat(), "end_date": last.isoformat()},
        }

    def pageviews(self, first: date, last: date, filters: Filters, page: int, per_page: int) -> Row:
        events, sessions = self.counted(first, last, filters)
        views: dict[str, list[Row]] = defaultdict(list)
        for e in events:
            if e["kind"] == 0:
                views[e["path"]].append(e)
        rows = []
        for path, found in views.items():
            entered = [s for s in sessions if s["entry_path"] == path]
            timed = [e["time_on_page"] for e in found if e["time_on_page"] is not None]
            rows.append(
                {
                    "page": path,
                    "pageviews": len(found),
                    "unique_visitors": len({e["visitor_key"] for e in found}),
                    "avg_time_on_page": mean(timed),
                    "bounce_rate": percent(sum(s["pageviews"] == 1 for s in entered), len(entered)),
                }
            )
        rows = ranked(rows, lambda r: -r["pageviews"], lambda r: -r["unique_visitors"], lambda r: r["page"])
        return paginated(rows, page, per_page)

    def session_rows(self, sessions: list[Row], column: str) -> list[Row]:
        groups: dict[str, list[Row]] = defaultdict(list)
        for s in sessions:
            if s[column] is not None:
                groups[s[column]].append(s)
        base = len({s["visitor_key"] for s in sessions})
        rows = [
            {
                "name": value,
                "visitors": len({s["visitor_key"] for s in found}),
                "percentage": percent(len({s["visitor_key"] for s in found}), base),
                "sessions": len(found),
                "bounce_rate": percent(sum(s["pageviews"] == 1 for s in found), len(found)),
            }
            for value, found in groups.items()
        ]
        return ranked(rows, lambda r: -r["visitors"], lambda r: r["name"])

    def event_rows(self, events: list[Row], dimension: str) -> list[Row]:
        place = {"region": ("country",), "city": ("country", "region")}.get(dimension, ())
        groups: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for e in events:
            value = event_value(e, dimension)
            if value is not None:
                groups[(value, *(e[p] for p in place))].add(e["visitor_key"])
        base = len({e["visitor_key"] for e in events})
        rows = [
            {
                "name": key[0],
                "visitors": len(visitors),
                "percentage": percent(len(visitors), base),
                **dict(zip(place, key[1:], strict=True)),
            }
            for key, visitors in groups.items()
        ]
        return ranked(
            rows,
            lambda r: -r["visitors"],
            lambda r: r["name"],
            *(lambda r, p=p: nulls_first(r[p]) for p in place),
        )

    def referrers(self, first: date, last: date, filters: Filters) -> Row:
        _, sessions = self.counted(first, last, filters)
        return {
            "data": [
                {"source": r["name"], "visitors": r["visitors"], "percentage": r["percentage"]}
                for r in self.session_rows(sessions, "source")
            ]
        }

    def locations(self, first: date, last: date, filters: Filters) -> Row:
        events, _ = self.counted(first, last, filters)
        data = []
        for row in self.event_rows(events, "country"):
            regions: dict[str, set[int]] = defaultdict(set)
            for e in events:
                if e["country"] == row["name"] and e["region"] is not None:
                    regions[e["region"]].add(e["visitor_key"])
            item = {
                "country": row["name"],
                "country_name": NAMES.get(row["name"], row["name"]),
                "visitors": row["visitors"],
                "percentage": row["percentage"],
            }
            if regions:
                item["regions"] = [
                    {"region": name, "visitors": len(v)}
                    for name, v in sorted(regions.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                ]
            data.append(item)
        return {"data": data}

    def utm_sources(self, first: date, last: date, filters: Filters) -> Row:
        _, sessions = self.counted(first, last, filters)
        return {
            plural: [
                {key: r["name"], "visitors": r["visitors"]} for r in self.session_rows(sessions, f"utm_{key}")
            ]
            for plural, key in (("sources", "source"), ("mediums", "medium"), ("campaigns", "campaign"))
        }

    def custom_events(self, first: date, last: date, filters: Filters) -> Row:
        events, _ = self.counted(first, last, filters)
        by_name: dict[str, list[Row]] = defaultdict(list)
        for e in events:
            if e["kind"] == 1:
                by_name[e["name"]].append(e)
        data = []
        for name, found in by_name.items():
            values: dict[str, Counter[tuple[str, Any]]] = defaultdict(Counter)
            for e in found:
                for key, value in json.loads(e["props"] or "{}").items():
                    kind = TYPE_NAMES[type(value)]
                    if kind == "bool":
                        kind = "true" if value else "false"
                    values[key][(kind, value)] += 1
            properties = {
                key: [value for (_, value), _ in sorted(counts.items(), key=value_order)[:20]]
                for key, counts in sorted(values.items(), key=lambda kv: (-kv[1].total(), kv[0]))[:30]
            }
            item: Row = {
                "name": name,
                "count": len(found),
                "unique_visitors": len({e["visitor_key"] for e in found}),
            }
            if properties:
                item["properties"] = properties
            data.append(item)
        return {
            "data": ranked(data, lambda r: -r["count"], lambda r: -r["unique_visitors"], lambda r: r["name"])
        }

    def realtime(self, now: int, filters: Filters) -> Row:
        events = [
            e
            for e in self.events
            if e["ts"] >= now - 300_000
            and self.event_ok(e, filters)
            and self.session_ok(self.sessions[e["session_id"]], filters)
        ]
        return {
            "current_visitors": len({e["visitor_key"] for e in events}),
            "pageviews_last_5min": sum(e["kind"] == 0 for e in events),
            "top_pages": top(events, "path", "page", lambda e: e["kind"] == 0),
            "top_countries": top(events, "country", "country", lambda e: e["country"] is not None),
        }

    def timeseries(self, first: date, last: date, filters: Filters, interval: str) -> list[Row]:
        events, sessions = self.counted(first, last, filters)
        visitors: dict[str, set[int]] = defaultdict(set)
        views: Counter[str] = Counter()
        started: Counter[str] = Counter()
        for e in events:
            key = self.bucket(e["ts"], interval)
            visitors[key].add(e["visitor_key"])
            views[key] += e["kind"] == 0
        for s in sessions:
            started[self.bucket(s["started_at"], interval)] += 1
        return [
            {"date": key, "visitors": len(visitors[key]), "pageviews": views[key], "sessions": started[key]}
            for key in self.bucket_keys(first, last, interval)
        ]

    def bucket(self, ms: int, interval: str) -> str:
        moment = local_time(ms, self.tz)
        day = moment.date()
        if interval == "hour":
            return moment.replace(minute=0, second=0, microsecond=0).isoformat()
        if interval == "week":
            return (day - timedelta(days=day.weekday())).isoformat()
        if interval == "month":
            return day.replace(day=1).isoformat()
        return day.isoformat()

    def bucket_keys(self, first: date, last: date, interval: str) -> list[str]:
        """Every key, found by reading the local clock every quarter of an hour across the days."""
        keys: list[str] = []
        moment = datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC)
        while moment.date() <= last + timedelta(days=1):
            here = moment.astimezone(self.tz)
            if first <= here.date() <= last:
                key = self.bucket(int(moment.timestamp() * 1000), interval)
                if not keys or keys[-1] != key:
                    keys.append(key)
            moment += timedelta(minutes=15)
        return keys

    def breakdown(
        self, first: date, last: date, filters: Filters, dimension: str, page: int, per_page: int
    ) -> Row:
        events, sessions = self.counted(first, last, filters)
        if dimension in SESSION_COLUMNS:
            rows = self.session_rows(sessions, SESSION_COLUMNS[dimension])
        else:
            rows = self.event_rows(events, dimension)
        return paginated(rows, page, per_page)

    # -- spec 004 -----------------------------------------------------------------------------

    def stats(self, first: date, last: date, filters: Filters) -> Row:
        totals = self.totals(first, last, filters)
        return {
            "total_pageviews": totals["pageviews"],
            "unique_visitors": totals["unique_visitors"],
            "bounce_rate": totals["bounce_rate"],
            "avg_session_duration": totals["avg_session_duration"],
        }


def value_order(item: tuple[tuple[str, Any], int]) -> tuple[Any, ...]:
    (kind, value), count = item
    return (-count, kind, value if value is not None else 0)


def top(events: list[Row], column: str, label: str, keep: Callable[[Row], bool]) -> list[Row]:
    visitors: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if keep(e):
            visitors[e[column]].add(e["visitor_key"])
    ordered = sorted(visitors.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:10]
    return [{label: value, "visitors": len(v)} for value, v in ordered]


def paginated(rows: list[Row], page: int, per_page: int) -> Row:
    return {
        "data": rows[(page - 1) * per_page : page * per_page],
        "pagination": {
            "current_page": page,
            "per_page": per_page,
            "total": len(rows),
            "total_pages": max(1, -(-len(rows) // per_page)),
        },
    }
