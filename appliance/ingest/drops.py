"""What was filtered, counted in memory and written now and then: per site, UTC day and reason.

Requests with no known site are counted under site 0 here and stored with site_id NULL.

Bot detections are kept as records (site, time, type, name, path) for the bot-detection
feature; under a flood only the first `MAX_BOTS` per flush are recorded, all are counted.
"""

from __future__ import annotations

from collections import Counter

from appliance.ingest.identity import day_of
from appliance.ingest.models import Reason

MAX_BOTS = 10_000

BotRecord = tuple[int, int, str, str, str | None]


class DropCounts:
    def __init__(self) -> None:
        self._counts: Counter[tuple[int, int, str]] = Counter()
        self._bots: list[BotRecord] = []

    def count(self, site_id: int, reason: Reason, now: int) -> None:
        self._counts[(site_id, day_of(now), reason.value)] += 1

    def bot(self, site_id: int, ts: int, bot_type: str, bot_name: str, path: str | None) -> None:
        if len(self._bots) < MAX_BOTS:
            self._bots.append((site_id, ts, bot_type, bot_name, path))

    def __bool__(self) -> bool:
        return bool(self._counts or self._bots)

    def take(self) -> tuple[list[tuple[int | None, int, str, int]], list[BotRecord]]:
        """Everything counted since the last take, as rows for `store.write_drops`."""
        counts = [(site or None, day, reason, n) for (site, day, reason), n in self._counts.items()]
        bots = self._bots
        self._counts = Counter()
        self._bots = []
        return counts, bots

    def put_back(self, counts: list[tuple[int | None, int, str, int]], bots: list[BotRecord]) -> None:
        """Return what a failed flush took, to try again next time."""
        for site, day, reason, n in counts:
            self._counts[(site or 0, day, reason)] += n
        self._bots = (bots + self._bots)[:MAX_BOTS]
