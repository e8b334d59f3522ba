"""A tally: counts and the exact set of visitors of one group (a value, a bucket, a period).

Visitors are kept as a roaring bitmap of their ordinals (`visitor_ordinals`) plus, for raw rows
of visitors that have no ordinal yet, their keys: the two never overlap, since every visitor of a
built day has an ordinal. So the number of distinct visitors is exact: no sketch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyroaring import BitMap


@dataclass(slots=True)
class Tally:
    pageviews: int = 0
    events: int = 0
    time_total: int = 0
    time_count: int = 0
    sessions: int = 0
    bounces: int = 0
    duration: int = 0
    ordinals: BitMap = field(default_factory=BitMap)
    strangers: set[int] = field(default_factory=set)  # keys of raw visitors without an ordinal

    @property
    def visitors(self) -> int:
        return len(self.ordinals) + len(self.strangers)

    def add_counts(self, other: Tally) -> None:
        """Add `other`'s counts (not its visitors)."""
        self.pageviews += other.pageviews
        self.events += other.events
        self.time_total += other.time_total
        self.time_count += other.time_count
        self.sessions += other.sessions
        self.bounces += other.bounces
        self.duration += other.duration

    def add_visitors(self, ordinals: str | None, strangers: str | None) -> None:
        """Add the visitors of group_concat lists: of ordinals, and of keys without an ordinal."""
        if ordinals:
            self.ordinals |= parse_ordinals(ordinals)
        if strangers:
            self.strangers.update(map(int, strangers.split(",")))


def parse_ordinals(text: str | None) -> BitMap:
    """The bitmap of a group_concat of ordinals ('3,17,42'); empty for NULL."""
    if not text:
        return BitMap()
    return BitMap(map(int, text.split(",")))
