"""Request parameters to a `Query`: periods, dates, filters, pages. Raises `Invalid` naming the field.

Both surfaces call these with the raw strings they received, so both accept and refuse the same
things; each shapes the refusal in its own error format.

Filters are written `filters=page==/pricing;country!=US;source~goo`: conditions separated by
`;`, each a dimension, an operator (`==` is, `!=` is not, `~` contains) and a value. A value
may hold `;` or `\\` escaped with a backslash (`\\;`, `\\\\`). The whole parameter may be
URL-encoded as usual.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from appliance.errors import Invalid
from appliance.stats import calendar
from appliance.stats.query import (
    DIMENSIONS,
    INTERVALS,
    PERIODS,
    Dimension,
    Filter,
    Interval,
    Operator,
    Period,
    PeriodName,
    Query,
)

DEFAULT_PERIOD: PeriodName = "30d"
MAX_DAYS = 3660  # ten years: enough for any dashboard, bounded for the database
MAX_BUCKETS = 2000
MAX_FILTERS = 20
MAX_FILTER_VALUE = 2048
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # keeps offsets within SQLite integers
MAX_LIMIT = 1000
OPERATORS: dict[str, Operator] = {"==": "is", "!=": "is_not", "~": "contains"}
_CONDITION = re.compile(r"\s*([A-Za-z_]+)\s*(==|!=|~)(.*)", re.DOTALL)
_SEPARATOR = re.compile(r"\\(.)|(;)", re.DOTALL)
_DAYS_BACK: dict[str, int] = {"today": 0, "7d": 6, "30d": 29}


def timezone(name: str, field: str = "timezone") -> tzinfo:
    try:
        return calendar.zone(name)
    except (KeyError, ValueError):
        raise Invalid.field(
            field, f"The {field} must be a valid IANA time zone, such as Europe/London."
        ) from None


def parse_date(field: str, text: str, tz: tzinfo) -> date:
    """YYYY-MM-DD; a date-time (ISO 8601) is taken as the local date it falls on in `tz`."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise Invalid.field(field, f"The {field} must be a date (YYYY-MM-DD).") from None
        day = moment.astimezone(tz).date() if moment.tzinfo else moment.date()
    if not 1970 <= day.year <= 9000:
        raise Invalid.field(field, f"The {field} must be a date between 1970 and 9000.")
    return day


def _checked(first: date, last: date, tz: tzinfo) -> Period:
    if last < first:
        raise Invalid.field("end_date", "The end_date must be a date on or after start_date.")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid.field("end_date", f"The date range may span at most {MAX_DAYS} days.")
    return calendar.period(first, last, tz)


def named_period(
    name: str | None, start_date: str | None, end_date: str | None, tz: tzinfo, now: int
) -> Period:
    """Spec 000's `period`: the local days it names, ending today in `tz`, or the last 24 hours.

    `today`; `24h` (an extension), the 24 hours up to `now`, not aligned to local days; `7d` and
    `30d`, the last 7 or 30 days including today; `12mo`, this calendar month and the 11 before
    it (from the 1st of that month to today); `custom`, `start_date` to `end_date`. Without
    `period`, both dates mean custom and no date means 30d.
    """
    if name is None or name == "":
        name = "custom" if start_date or end_date else DEFAULT_PERIOD
    if name not in PERIODS:
        raise Invalid.field("period", f"The period must be one of: {', '.join(PERIODS)}.")
    if name != "custom":
        if start_date or end_date:
            raise Invalid.field("period", "The start_date and end_date fields go with period=custom only.")
        if name == "24h":
            return calendar.rolling(now, 24, tz)
        last = calendar.today(now, tz)
        if name == "12mo":
            return calendar.period(calendar.add_months(last, -11), last, tz)
        return calendar.period(last - timedelta(days=_DAYS_BACK[name]), last, tz)
    errors = {
        field: [f"The {field} field is required when period is custom."]
        for field, value in (("start_date", start_date), ("end_date", end_date))
        if not value
    }
    if errors:
        raise Invalid(errors)
    assert start_date and end_date
    return _checked(parse_date("start_date", start_date, tz), parse_date("end_date", end_date, tz), tz)


def date_range(start_date: str | None, end_date: str | None, tz: tzinfo, now: int) -> Period:
    """Spec 004's `start_date`/`end_date` (inclusive local dates): by default the 7 days to today."""
    last = parse_date("end_date", end_date, tz) if end_date else calendar.today(now, tz)
    first = parse_date("start_date", start_date, tz) if start_date else last - timedelta(days=6)
    return _checked(first, last, tz)


def parse_filters(text: str | None) -> tuple[Filter, ...]:
    """`page==/pricing;country!=US;source~goo` -> Filters; Invalid("filters") on anything else."""
    if not text or not text.strip():
        return ()
    found: list[Filter] = []
    for part in _split(text):
        if not part.strip():
            continue
        match = _CONDITION.fullmatch(part)
        if match is None:
            raise Invalid.field(
                "filters",
                f"The filter {part.strip()!r} must be a dimension, an operator (==, != or ~) and a value.",
            )
        name, operator, value = match.group(1), match.group(2), match.group(3).strip()
        if name not in DIMENSIONS:
            raise Invalid.field(
                "filters", f"The filter dimension {name!r} is unknown; use one of: {', '.join(DIMENSIONS)}."
            )
        if not value:
            raise Invalid.field("filters", f"The filter on {name} needs a value.")
        if len(value) > MAX_FILTER_VALUE:
            raise Invalid.field("filters", f"A filter value may be at most {MAX_FILTER_VALUE} characters.")
        dimension: Dimension = name
        found.append(Filter(dimension, OPERATORS[operator], value))
    if len(found) > MAX_FILTERS:
        raise Invalid.field("filters", f"At most {MAX_FILTERS} filters may be combined.")
    return tuple(found)


def _split(text: str) -> list[str]:
    """Split on `;` that are not escaped; `\\x` stands for x."""
    parts: list[str] = []
    current: list[str] = []
    position = 0
    for match in _SEPARATOR.finditer(text):
        current.append(text[position : match.start()])
        if match.group(1) is not None:
            current.append(match.group(1))
        else:
            parts.append("".join(current))
            current = []
        position = match.end()
    current.append(text[position:])
    parts.append("".join(current))
    return parts


def interval(name: str | None, span: Period, default: Interval = "day") -> Interval:
    """The timeseries interval, checked to give at most MAX_BUCKETS buckets for the period."""
    chosen = name or default
    if chosen not in INTERVALS:
        raise Invalid.field("interval", f"The interval must be one of: {', '.join(INTERVALS)}.")
    per_day = {"hour": 24, "day": 1}.get(chosen)
    if per_day is not None and span.days * per_day > MAX_BUCKETS:
        raise Invalid.field(
            "interval", f"The interval {chosen} gives more than {MAX_BUCKETS} points for this period."
        )
    result: Interval = chosen
    return result


def default_interval(span: Period) -> Interval:
    """Hours for a single day or a rolling period, months beyond 92 days, days otherwise."""
    if span.days == 1 or span.rolling:
        return "hour"
    return "month" if span.days > 92 else "day"


def pagination(page: int, per_page: int, maximum: int = MAX_PER_PAGE) -> tuple[int, int]:
    if not 1 <= page <= MAX_PAGE:
        raise Invalid.field("page", f"The page must be between 1 and {MAX_PAGE}.")
    if not 1 <= per_page <= maximum:
        raise Invalid.field("per_page", f"The per_page must be between 1 and {maximum}.")
    return page, per_page


def limit(value: int) -> int:
    if not 1 <= value <= MAX_LIMIT:
        raise Invalid.field("limit", f"The limit must be between 1 and {MAX_LIMIT}.")
    return value


def query(site_id: int, timezone_name: str, span: Period, filters: tuple[Filter, ...]) -> Query:
    """A query over `span` with the previous period of equal length for comparisons."""
    tz = timezone(timezone_name)
    return Query(
        site_id=site_id,
        timezone=timezone_name,
        period=span,
        previous=calendar.previous(span, tz),
        filters=filters,
    )
