"""Background jobs, declared as a table: name, function, period.

Each job runs every `period` seconds in its own asyncio task, started and stopped by the
app's lifespan. A failure is logged and the job runs again at its next period: a background
job never stops the process. Stopping cancels the loops between runs (a run in progress
finishes first); what is left in memory is written by the owners' drains afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from appliance.config import Config
from appliance.db import upkeep
from appliance.ingest.intake import Intake
from appliance.stats import rollups

log = logging.getLogger("almanac.tasks")


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    run: Callable[[], Awaitable[None]]
    period: float  # seconds between the end of one run and the start of the next


def table(config: Config, intake: Intake) -> list[Task]:
    """Every background job of a running appliance."""

    async def refresh_rollups() -> None:
        await rollups.refresh(intake.db)

    async def checkpoint_wal() -> None:
        await upkeep.checkpoint_wal(intake.db)

    async def optimize_planner() -> None:
        await upkeep.optimize_planner(intake.db)

    return [
        Task("flush heartbeats", intake.flush_heartbeats, config.tracking.heartbeat_flush_seconds),
        Task("flush drop counts", intake.flush_drops, 10.0),
        Task("close idle sessions", intake.close_idle_sessions, 30.0),
        Task("rotate salts", intake.rotate_salts, 60.0),
        Task("refresh rollups", refresh_rollups, config.stats.rollup_refresh_seconds),
        Task("checkpoint the WAL", checkpoint_wal, 60.0),
        Task("refresh planner statistics", optimize_planner, 3600.0),
    ]


class Scheduler:
    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks
        self._loops: list[asyncio.Task[None]] = []
        self._runs: set[asyncio.Future[bool]] = set()

    def start(self) -> None:
        for task in self.tasks:
            self._loops.append(asyncio.create_task(self._loop(task), name=f"almanac: {task.name}"))

    async def _loop(self, task: Task) -> None:
        while True:
            await asyncio.sleep(task.period)
            run = asyncio.ensure_future(run_once(task))
            self._runs.add(run)
            run.add_done_callback(self._runs.discard)
            await asyncio.shield(run)  # stopping cancels the loop, not the run

    async def stop(self) -> None:
        """Stop every loop; a run in progress is let finish."""
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        await asyncio.gather(*self._runs, return_exceptions=True)
        self._loops.clear()


async def run_once(task: Task) -> bool:
    """Run a job once; log a failure instead of raising it. Whether it succeeded."""
    try:
        await task.run()
    except Exception:
        log.exception("background job %r failed; it runs again in %s s", task.name, task.period)
        return False
    return True
