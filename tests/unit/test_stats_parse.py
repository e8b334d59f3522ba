"""Request parameters to a stats Query: the filter syntax, periods, intervals and pages, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from appliance.errors import Invalid
from appliance.stats import calendar, parse
from appliance.stats.query import Filter
from appliance.stats.selection import compile_filter, select
from tests.traffic import ms

LONDON = calendar.zone("Europe/London")


def refusal(call: Callable[..., object], *args: object) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        call(*args)
    return caught.value.errors


def test_filters_read_dimension_operator_value_separated_by_semicolons() -> None:
    found = parse.parse_filters(" page==/pricing ; country!=US;source~goo;utm_campaign==a==b;")

    assert found == (
        Filter("page", "is", "/pricing"),
        Filter("country", "is_not", "US"),
        Filter("source", "contains", "goo"),
        Filter("utm_campaign", "is", "a==b"),
    )


def test_a_backslash_escapes_a_semicolon_or_itself_in_a_value() -> None:
    assert parse.parse_filters(r"page==/a\;b;event_name==x\\y\z") == (
        Filter("page", "is", "/a;b"),
        Filter("event_name", "is", "x\\yz"),
    )


def test_no_filters_is_an_empty_tuple() -> None:
    assert parse.parse_filters(None) == parse.parse_filters("") == parse.parse_filters(" ; ") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour==red",
            "The filter dimension 'colour' is unknown; use one of: page, entry_page, exit_page, source, "
            "referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, city, "
            "browser, os, device, screen_size, language, event_name, goal.",
        ),
        ("page=/x", "The filter 'page=/x' must be a dimension, an operator (==, != or ~) and a value."),
        ("page>=3", "The filter 'page>=3' must be a dimension, an operator (==, != or ~) and a value."),
        ("page==", "The filter on page needs a value."),
        ("==x", "The filter '==x' must be a dimension, an operator (==, != or ~) and a value."),
        (";".join(["page==/"] * 21), "At most 20 filters may be combined."),
        ("page==" + "x" * 2049, "A filter value may be at most 2048 characters."),
    ],
)
def test_malformed_filters_are_refused_with_a_clear_message(text: str, message: str) -> None:
    assert refusal(parse.parse_filters, text) == {"filters": [message]}


def test_filters_compile_to_bound_parameters_on_a_closed_list_of_columns() -> None:
    hostile = compile_filter(Filter("page", "is", "x' OR 1=1 --"), 0)

    assert (hostile.sql, hostile.params) == ("e.path = :f0", {"f0": "x' OR 1=1 --"})
    assert compile_filter(Filter("source", "is_not", "X"), 1).sql == "s.source IS NOT :f1"
    contains = compile_filter(Filter("os", "contains", "MacÉ"), 2)
    assert (contains.sql, contains.params) == ("instr(lower(e.os), :f2) > 0", {"f2": "macÉ"})


def test_a_selection_joins_sessions_only_for_session_filters() -> None:
    span = calendar.period(date(2026, 1, 1), date(2026, 1, 1), LONDON)
    query = parse.query(7, "Europe/London", span, parse.parse_filters("page==/a;source==Google"))

    sel = select(query, span.start, span.end)

    assert sel.events == "events e JOIN sessions s ON s.id = e.session_id"
    assert sel.event_match == "e.path = :f0 AND s.source = :f1"
    assert sel.session_match == (
        "s.source = :f1 AND s.id IN (SELECT e.session_id FROM events e WHERE e.site_id = :site "
        "AND e.ts >= :start AND e.ts < :end AND e.path = :f0)"
    )
    assert sel.params == {"site": 7, "start": span.start, "end": span.end, "f0": "/a", "f1": "Google"}
    plain = select(parse.query(7, "UTC", span, ()), span.start, span.end)
    assert (plain.events, plain.event_match, plain.session_match) == ("events e", "1", "1")


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        (("week", None, None), {"period": ["The period must be one of: today, 24h, 7d, 30d, 12mo, custom."]}),
        (
            ("custom", None, None),
            {
                "start_date": ["The start_date field is required when period is custom."],
                "end_date": ["The end_date field is required when period is custom."],
            },
        ),
        (
            ("7d", "2026-01-01", None),
            {"period": ["The start_date and end_date fields go with period=custom only."]},
        ),
        (
            ("custom", "2026-13-01", "2026-01-02"),
            {"start_date": ["The start_date must be a date (YYYY-MM-DD)."]},
        ),
        (
            ("custom", "2026-01-02", "2026-01-01"),
            {"end_date": ["The end_date must be a date on or after start_date."]},
        ),
        (
            ("custom", "2000-01-01", "2026-01-01"),
            {"end_date": ["The date range may span at most 3660 days."]},
        ),
        (
            ("custom", "0900-01-01", "2026-01-01"),
            {"start_date": ["The start_date must be a date between 1970 and 9000."]},
        ),
    ],
)
def test_bad_periods_are_refused_naming_the_field(
    args: tuple[str | None, ...], errors: dict[str, list[str]]
) -> None:
    assert refusal(parse.named_period, *args, LONDON, 0) == errors


def test_dates_alone_mean_a_custom_period_and_nothing_means_30_days() -> None:
    now = ms("2026-03-29T10:00:00Z")

    custom = parse.named_period(None, "2026-01-01", "2026-01-31", LONDON, now)
    default = parse.named_period(None, None, None, LONDON, now)

    assert (custom.first, custom.last) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (default.first, default.last) == (date(2026, 2, 28), date(2026, 3, 29))


def test_intervals_pages_limits_and_time_zones_are_checked() -> None:
    year = calendar.period(date(2025, 1, 1), date(2025, 12, 31), LONDON)

    assert parse.interval(None, year, "month") == "month"
    assert refusal(parse.interval, "minute", year) == {
        "interval": ["The interval must be one of: hour, day, week, month."]
    }
    assert refusal(parse.interval, "hour", year) == {
        "interval": ["The interval hour gives more than 2000 points for this period."]
    }
    assert parse.default_interval(calendar.period(date(2025, 1, 1), date(2025, 1, 1), LONDON)) == "hour"
    assert parse.default_interval(year) == "month"
    assert refusal(parse.pagination, 0, 20) == {"page": ["The page must be between 1 and 1000000."]}
    assert refusal(parse.pagination, 10**30, 20) == {"page": ["The page must be between 1 and 1000000."]}
    assert refusal(parse.pagination, 1, 101) == {"per_page": ["The per_page must be between 1 and 100."]}
    assert refusal(parse.limit, 0) == {"limit": ["The limit must be between 1 and 1000."]}
    assert refusal(parse.timezone, "Mars/Olympus") == {
        "timezone": ["The timezone must be a valid IANA time zone, such as Europe/London."]
    }
