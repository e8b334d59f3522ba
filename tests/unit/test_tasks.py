"""Background jobs: a table of (name, function, period); failures are logged and retried."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from appliance import tasks
from appliance.tasks import Scheduler, Task
from tests import support


def test_the_appliance_runs_these_jobs(tmp_path: Path) -> None:
    class FakeIntake:
        async def flush_heartbeats(self) -> None: ...
        async def flush_drops(self) -> None: ...
        async def close_idle_sessions(self) -> None: ...
        async def rotate_salts(self) -> None: ...

    config = support.test_config(
        __import__("pathlib").Path("/nonexistent"), tracking={"heartbeat_flush_seconds": 0.5}
    )
    table = tasks.table(config, FakeIntake())  # type: ignore[arg-type]

    assert [(t.name, t.run.__name__, t.period) for t in table] == [
        ("flush heartbeats", "flush_heartbeats", 0.5),
        ("flush drop counts", "flush_drops", 10.0),
        ("close idle sessions", "close_idle_sessions", 30.0),
        ("rotate salts", "rotate_salts", 60.0),
        ("refresh rollups", "refresh_rollups", 30.0),
        ("checkpoint the WAL", "checkpoint_wal", 60.0),
        ("refresh planner statistics", "optimize_planner", 3600.0),
    ]


def test_a_failing_job_is_logged_and_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    async def main() -> None:
        scheduler = Scheduler([Task("flaky", flaky, 0.01)])
        scheduler.start()
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        await scheduler.stop()

    with caplog.at_level(logging.ERROR, logger="almanac.tasks"):
        asyncio.run(main())

    assert len(calls) >= 3
    assert [r.getMessage() for r in caplog.records] == [
        "background job 'flaky' failed; it runs again in 0.01 s"
    ]


def test_stopping_lets_a_run_in_progress_finish() -> None:
    finished: list[bool] = []
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append(True)

    async def main() -> None:
        scheduler = Scheduler([Task("slow", slow, 0.001)])
        scheduler.start()
        await started.wait()
        await scheduler.stop()
        assert finished == [True]
        await asyncio.sleep(0.02)
        assert finished == [True]  # and none starts after the stop

    asyncio.run(main())
