"""Pixel key -> site, cached in memory: every tracking request asks, sites rarely change.

The cache is emptied whenever `appliance.sites.sites.generation` moves (every committed
create, update or delete of a site). Unknown keys are cached too, so a flood of made-up
keys costs one query each at most, and the cache is bounded.
"""

from __future__ import annotations

from appliance.db import Database
from appliance.sites import sites
from appliance.sites.models import SITE_COLUMNS, Site

MAX_ENTRIES = 50_000
MAX_KEY = 100


class SiteKeys:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sites: dict[str, Site | None] = {}
        self._generation = sites.generation

    def cached(self, key: str) -> tuple[bool, Site | None]:
        """(whether the key is known to the cache, its site or None)."""
        if self._generation != sites.generation:
            self._sites.clear()
            self._generation = sites.generation
        if key in self._sites:
            return True, self._sites[key]
        return False, None

    async def load(self, key: str) -> Site | None:
        """The site of a pixel key, from the cache or the database."""
        known, site = self.cached(key)
        if known:
            return site
        if len(key) > MAX_KEY:
            return None
        generation = sites.generation
        row = await self._db.fetchone(f"SELECT {SITE_COLUMNS} FROM sites WHERE pixel_key = ?", (key,))
        site = Site.from_row(row) if row is not None else None
        # A site changed while we read: what we read may be stale, so it is not kept.
        if generation == sites.generation == self._generation:
            if len(self._sites) >= MAX_ENTRIES:
                self._sites.clear()
            self._sites[key] = site
        return site
