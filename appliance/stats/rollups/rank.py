"""The top rows of a breakdown without counting every value's visitors exactly.

Counts (pageviews, events, sessions) of a value are sums over days, exact from the rollups'
sums; its distinct visitors over several days are not. Each value gets bounds from the day rows
(at least the most of any one day, at most the sum of the days) and an exact count only when it
may rank among the first `n`:

1. the `n` values with the best upper bounds are counted exactly (bitmap unions);
2. the n-th best key, taking exact counts where known and lower bounds elsewhere, is a threshold
   that `n` values reach for sure; every value whose best possible key reaches it is counted too.

Values that cannot reach the threshold cannot be among the first `n`. Keys end with the value
(rows order by the metric, then visitors, both descending, then value ascending), so no two
keys tie and the order is total.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from appliance.stats.rollups.tally import Tally

Key = tuple[str | None, ...]
OrderKey = tuple[int, int, tuple[tuple[int, str], ...]]


@dataclass(slots=True)
class Candidate:
    key: Key
    tally: Tally = field(default_factory=Tally)  # exact counts; visitors once resolved
    low: int = 0
    high: int = 0
    visitors: int | None = None  # exact, once known


def sortable(key: Key) -> tuple[tuple[int, str], ...]:
    """SQL's ascending order of the key's parts: NULL first, then text by code point."""
    return tuple((0, "") if part is None else (1, part) for part in key)


def metric_of(candidate: Candidate, metric: str, visitors: int) -> int:
    if metric == "pageviews":
        return candidate.tally.pageviews
    if metric == "events":
        return candidate.tally.events
    if metric == "sessions":
        return candidate.tally.sessions
    return visitors


def order_key(candidate: Candidate, metric: str, visitors: int) -> OrderKey:
    return (-metric_of(candidate, metric, visitors), -visitors, sortable(candidate.key))


Resolve = Callable[[list[Candidate]], Awaitable[None]]


async def top(candidates: list[Candidate], metric: str, n: int, resolve: Resolve) -> list[Candidate]:
    """The first `n` candidates in order, each with its exact visitors; `resolve` sets `visitors`
    of the candidates it is given."""

    def exact(c: Candidate) -> OrderKey:
        assert c.visitors is not None
        return order_key(c, metric, c.visitors)

    def worst(c: Candidate) -> OrderKey:
        return order_key(c, metric, c.low if c.visitors is None else c.visitors)

    def best(c: Candidate) -> OrderKey:
        return order_key(c, metric, c.high if c.visitors is None else c.visitors)

    if n <= 0:
        return []
    if len(candidates) <= n:
        await resolve([c for c in candidates if c.visitors is None])
        return sorted(candidates, key=exact)
    await resolve([c for c in heapq.nsmallest(n, candidates, key=best) if c.visitors is None])
    threshold = heapq.nsmallest(n, (worst(c) for c in candidates))[-1]
    await resolve([c for c in candidates if c.visitors is None and best(c) <= threshold])
    return heapq.nsmallest(n, (c for c in candidates if c.visitors is not None), key=exact)
