"""Response bodies of spec 000's analytics (`/api/sites/{id}/analytics/...`), exactly as it shows them.

Keys that spec 000 shows only sometimes (a country's `regions`, an event's `properties`) are left
out when there is nothing to show.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from appliance import stats
from appliance.stats.custom_events import PropertyValue

T = TypeVar("T")


class ListOut(msgspec.Struct, Generic[T], kw_only=True):
    data: list[T]


class DataPeriod(msgspec.Struct, kw_only=True):
    start_date: str
    end_date: str


class Pagination(msgspec.Struct, kw_only=True):
    current_page: int
    per_page: int
    total: int
    total_pages: int


class OverviewData(msgspec.Struct, kw_only=True):
    pageviews: int
    unique_visitors: int
    sessions: int
    bounce_rate: float
    avg_session_duration: int
    events: int
    goals: int


class OverviewOut(msgspec.Struct, kw_only=True):
    data: OverviewData
    comparison: stats.Comparison
    period: DataPeriod


class PageOut(msgspec.Struct, kw_only=True):
    page: str
    pageviews: int
    unique_visitors: int
    avg_time_on_page: int
    bounce_rate: float


class PagesOut(msgspec.Struct, kw_only=True):
    data: list[PageOut]
    pagination: Pagination


class ReferrerOut(msgspec.Struct, kw_only=True):
    source: str
    visitors: int
    percentage: float


class RegionOut(msgspec.Struct, kw_only=True):
    region: str
    visitors: int


class CountryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    country: str
    country_name: str
    visitors: int
    percentage: float
    regions: list[RegionOut] | None = None


class UtmSourceOut(msgspec.Struct, kw_only=True):
    source: str
    visitors: int


class UtmMediumOut(msgspec.Struct, kw_only=True):
    medium: str
    visitors: int


class UtmCampaignOut(msgspec.Struct, kw_only=True):
    campaign: str
    visitors: int


class UtmOut(msgspec.Struct, kw_only=True):
    sources: list[UtmSourceOut]
    mediums: list[UtmMediumOut]
    campaigns: list[UtmCampaignOut]


class CustomEventOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    count: int
    unique_visitors: int
    properties: dict[str, list[PropertyValue]] | None = None


class RealtimePage(msgspec.Struct, kw_only=True):
    page: str
    visitors: int


class RealtimeCountry(msgspec.Struct, kw_only=True):
    country: str
    visitors: int


class RealtimeOut(msgspec.Struct, kw_only=True):
    current_visitors: int
    pageviews_last_5min: int
    top_pages: list[RealtimePage]
    top_countries: list[RealtimeCountry]


class TimeseriesOut(msgspec.Struct, kw_only=True):
    data: list[stats.Point]
    interval: str
    period: DataPeriod


class BreakdownRowOut(msgspec.Struct, kw_only=True):
    """A dashboard breakdown row. Entry and exit pages add `sessions` and `bounce_rate`; regions
    add their `country`, cities their `country` and `region` (names alone are ambiguous)."""

    name: str
    visitors: int
    percentage: float
    sessions: int | msgspec.UnsetType = msgspec.UNSET
    bounce_rate: float | msgspec.UnsetType = msgspec.UNSET
    country: str | msgspec.UnsetType | None = msgspec.UNSET
    region: str | msgspec.UnsetType | None = msgspec.UNSET

    @classmethod
    def of(cls, row: stats.Row, dimension: stats.Dimension) -> BreakdownRowOut:
        out = cls(name=row.value, visitors=row.visitors, percentage=row.percentage)
        if dimension in ("entry_page", "exit_page"):
            out.sessions, out.bounce_rate = row.sessions, row.bounce_rate
        if dimension in ("region", "city"):
            out.country = row.country
        if dimension == "city":
            out.region = row.region
        return out


class BreakdownOut(msgspec.Struct, kw_only=True):
    data: list[BreakdownRowOut]
    pagination: Pagination
