"""Local days, periods and timeseries buckets: DST days of 23 and 25 hours, far and half-hour zones."""

from __future__ import annotations

from datetime import date, tzinfo
from itertools import pairwise

import pytest

from appliance.stats import calendar, parse
from appliance.stats.query import Interval, Period
from tests.traffic import ms

LONDON = calendar.zone("Europe/London")
NEW_YORK = calendar.zone("America/New_York")
AUCKLAND = calendar.zone("Pacific/Auckland")
KOLKATA = calendar.zone("Asia/Kolkata")
HOUR = 3_600_000


def hours(span: Period) -> float:
    return (span.end - span.start) / HOUR


@pytest.mark.parametrize(
    ("tz", "day", "start", "length"),
    [
        (LONDON, date(2026, 3, 29), "2026-03-29T00:00:00Z", 23),  # clocks go forward
        (LONDON, date(2026, 10, 25), "2026-10-24T23:00:00Z", 25),  # clocks go back
        (LONDON, date(2026, 7, 1), "2026-06-30T23:00:00Z", 24),
        (NEW_YORK, date(2026, 3, 8), "2026-03-08T05:00:00Z", 23),
        (NEW_YORK, date(2026, 11, 1), "2026-11-01T04:00:00Z", 25),
        (AUCKLAND, date(2026, 4, 5), "2026-04-04T11:00:00Z", 25),
        (AUCKLAND, date(2026, 9, 27), "2026-09-26T12:00:00Z", 23),
        (KOLKATA, date(2026, 1, 1), "2025-12-31T18:30:00Z", 24),
    ],
)
def test_a_local_day_is_bounded_by_its_own_midnights(tz: tzinfo, day: date, start: str, length: int) -> None:
    span = calendar.period(day, day, tz)

    assert (span.start, hours(span)) == (ms(start), length)


def test_a_day_whose_midnight_falls_in_a_gap_starts_when_the_clocks_jump() -> None:
    # Santiago moved its clocks from 24:00 to 01:00 on 2022-09-11: that day begins at 01:00 -03.
    span = calendar.period(date(2022, 9, 11), date(2022, 9, 11), calendar.zone("America/Santiago"))

    assert (span.start, hours(span)) == (ms("2022-09-11T04:00:00Z"), 23)


def test_periods_are_local_days_ending_today() -> None:
    # 10:30 UTC on 2026-03-29 is already the 29th in Auckland (23:30 +13) and still in London.
    now = ms("2026-03-29T10:30:00Z")
    resolved = {
        name: (span.first.isoformat(), span.last.isoformat())
        for name in ("today", "7d", "30d", "12mo")
        for span in [parse.named_period(name, None, None, LONDON, now)]
    }

    assert resolved == {
        "today": ("2026-03-29", "2026-03-29"),
        "7d": ("2026-03-23", "2026-03-29"),
        "30d": ("2026-02-28", "2026-03-29"),
        "12mo": ("2025-04-01", "2026-03-29"),
    }
    assert parse.named_period("today", None, None, AUCKLAND, ms("2026-03-29T11:30:00Z")).first == date(
        2026, 3, 30
    )


def test_the_previous_period_is_as_many_days_just_before() -> None:
    span = parse.named_period("custom", "2026-03-23", "2026-03-29", LONDON, 0)

    before = calendar.previous(span, LONDON)

    assert (before.first, before.last, before.end) == (date(2026, 3, 16), date(2026, 3, 22), span.start)


def test_24h_is_the_24_hours_up_to_now_and_the_24_before_wherever_days_begin() -> None:
    now = ms("2026-03-29T12:30:00Z")  # 13:30 BST, the day the clocks went forward in London

    span = parse.named_period("24h", None, None, LONDON, now)
    before = calendar.previous(span, LONDON)

    assert (span.first, span.last, span.start, span.end, span.rolling) == (
        date(2026, 3, 28),
        date(2026, 3, 29),
        now + 1 - 24 * HOUR,
        now + 1,  # exclusive: a hit stamped at `now` counts
        True,
    )
    assert (before.first, before.last, before.start, before.end, before.rolling) == (
        date(2026, 3, 27),
        date(2026, 3, 28),
        span.start - 24 * HOUR,
        span.start,
        True,
    )
    assert parse.default_interval(span) == "hour"


def test_the_hour_buckets_of_24h_cut_the_first_and_last_hour_and_keep_their_keys() -> None:
    span = parse.named_period("24h", None, None, LONDON, ms("2026-03-29T12:30:00Z"))

    found = calendar.buckets(span, "hour", LONDON)
    days = calendar.buckets(span, "day", LONDON)

    # 12:30 GMT on the 28th to 13:30 BST on the 29th: 24 hours, 25 buckets (the 01:00 skipped).
    assert len(found) == 25
    assert (found[0].key, found[0].start, found[0].end) == (
        "2026-03-28T12:00:00+00:00",
        span.start,
        ms("2026-03-28T13:00:00Z"),
    )
    assert [b.key for b in found[11:14]] == [
        "2026-03-28T23:00:00+00:00",
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T02:00:00+01:00",
    ]
    assert (found[-1].key, found[-1].start, found[-1].end) == (
        "2026-03-29T13:00:00+01:00",
        ms("2026-03-29T12:00:00Z"),
        span.end,
    )
    assert all(a.end == b.start for a, b in pairwise(found))
    assert [(b.key, b.start, b.end) for b in days] == [
        ("2026-03-28", span.start, ms("2026-03-29T00:00:00Z")),
        ("2026-03-29", ms("2026-03-29T00:00:00Z"), span.end),
    ]


def test_spec_004_dates_default_to_the_seven_days_up_to_today() -> None:
    now = ms("2026-01-28T12:00:00Z")

    span = parse.date_range(None, None, calendar.zone("UTC"), now)
    from_datetime = parse.date_range("2026-01-21T23:30:00-02:00", "2026-01-22", LONDON, now)

    assert (span.first, span.last, span.start, span.end) == (
        date(2026, 1, 22),
        date(2026, 1, 28),
        ms("2026-01-22T00:00:00Z"),
        ms("2026-01-29T00:00:00Z"),
    )
    assert (from_datetime.first, from_datetime.last) == (date(2026, 1, 22), date(2026, 1, 22))


def keys(span: Period, interval: Interval, tz: tzinfo) -> list[str]:
    return [b.key for b in calendar.buckets(span, interval, tz)]


def test_hour_buckets_follow_the_local_clock_through_both_transitions() -> None:
    spring = calendar.period(date(2026, 3, 29), date(2026, 3, 29), LONDON)
    autumn = calendar.period(date(2026, 10, 25), date(2026, 10, 25), LONDON)

    assert keys(spring, "hour", LONDON)[:3] == [
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T02:00:00+01:00",
        "2026-03-29T03:00:00+01:00",
    ]
    assert len(keys(spring, "hour", LONDON)) == 23
    assert keys(autumn, "hour", LONDON)[:4] == [
        "2026-10-25T00:00:00+01:00",
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:00:00+00:00",
        "2026-10-25T02:00:00+00:00",
    ]
    assert len(keys(autumn, "hour", LONDON)) == 25


def test_hour_buckets_of_a_half_hour_zone_start_at_its_whole_hours() -> None:
    day = calendar.period(date(2026, 1, 1), date(2026, 1, 1), KOLKATA)

    found = calendar.buckets(day, "hour", KOLKATA)

    assert (found[0].key, found[0].start, found[-1].key, found[-1].end) == (
        "2026-01-01T00:00:00+05:30",
        ms("2025-12-31T18:30:00Z"),
        "2026-01-01T23:00:00+05:30",
        ms("2026-01-01T18:30:00Z"),
    )


def test_buckets_cover_the_period_exactly_and_in_order() -> None:
    span = calendar.period(date(2026, 3, 25), date(2026, 4, 7), LONDON)

    intervals: tuple[Interval, ...] = ("hour", "day", "week", "month")
    for interval in intervals:
        found = calendar.buckets(span, interval, LONDON)
        assert found[0].start == span.start and found[-1].end == span.end
        assert all(a.end == b.start for a, b in pairwise(found))


def test_weeks_start_on_monday_and_months_on_the_first_cut_to_the_period() -> None:
    span = calendar.period(date(2026, 3, 25), date(2026, 4, 7), LONDON)  # a Wednesday to a Tuesday

    weeks = calendar.buckets(span, "week", LONDON)
    months = calendar.buckets(span, "month", LONDON)

    assert [(b.key, b.start) for b in weeks] == [
        ("2026-03-23", span.start),
        ("2026-03-30", ms("2026-03-29T23:00:00Z")),
        ("2026-04-06", ms("2026-04-05T23:00:00Z")),
    ]
    assert [(b.key, b.start, b.end) for b in months] == [
        ("2026-03-01", span.start, ms("2026-03-31T23:00:00Z")),
        ("2026-04-01", ms("2026-03-31T23:00:00Z"), span.end),
    ]
