"""The cost of the rollup triggers on the write path: the same writes with and without them.

100,000 rows of each kind that ingest writes (event inserts, session inserts, heartbeat updates
of events, session updates, with the statements of `appliance.ingest.store`), in transactions of
500 rows as the group-commit writer makes them, on a fresh database with `synchronous=OFF` (so
that fsync does not hide CPU), once with the `rollup_dirty` triggers of migration 0004 and once
without; the median of five runs each way. The target: at most 5 us more per row.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from appliance.config import DatabaseConfig
from appliance.db import migrations, open_connection
from appliance.ingest import store
from tests.bench.options import Options

ROWS = 100_000
BATCH = 500
RUNS = 5
TARGET_US = 5.0
BASE = 1_780_000_000_000
EVENT = (
    "INSERT INTO events (site_id, ts, session_id, visitor_key, kind, path, title, source, country, browser, "
    "os, device, screen_width, screen_height, language) VALUES (1, ?, ?, ?, 0, '/p', 't', 'Direct / None', "
    "'US', 'Chrome', 'Linux', 'desktop', 1920, 1080, 'en')"
)
SESSION = (
    "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at) "
    "VALUES (?, 1, ?, ?, ?, ?)"
)


def _once(work: Path, triggers: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(dir=work))
    conn = open_connection(folder / "almanac.db", DatabaseConfig(synchronous="OFF"))
    try:
        migrations.migrate(conn)
        conn.execute(
            "INSERT INTO sites (id, name, domain, pixel_key, created_at) VALUES (1, 'a', 'a.example', 'k', 0)"
        )
        if not triggers:
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f"DROP TRIGGER {name}")
        rng = random.Random(1)

        def timed(sql: str, rows: list[tuple[object, ...]]) -> float:
            started = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                conn.execute("BEGIN")
                conn.executemany(sql, rows[i : i + BATCH])
                conn.execute("COMMIT")
            return (time.perf_counter() - started) / len(rows) * 1e6

        return {
            "event insert": timed(
                EVENT, [(BASE + i * 900, i // 3 + 1, rng.randint(1, 10**9)) for i in range(ROWS)]
            ),
            "session insert": timed(
                SESSION,
                [(i + 1, i, rng.randint(1, 10**9), BASE + i * 2700, BASE + i * 2700) for i in range(ROWS)],
            ),
            "heartbeat update": timed(
                store.UPDATE_HEARTBEAT, [(10, 50, i + 1, i // 3 + 1) for i in range(ROWS)]
            ),
            "session update": timed(
                store.UPDATE_SESSION,
                [(BASE + i * 2700 + 60_000, 60, 2, 0, None, "/", "/b", i + 1) for i in range(ROWS)],
            ),
        }
    finally:
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)


def run(options: Options) -> bool:
    work = Path(tempfile.mkdtemp(prefix="almanac-bench-triggers-", dir=options.work_dir))
    try:
        samples: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(RUNS):
            for triggers in (False, True):
                samples[triggers].append(_once(work, triggers))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"rollup triggers: {ROWS:,} rows per kind, transactions of {BATCH}, median of {RUNS} runs")
    passed = True
    for kind in samples[True][0]:
        without = statistics.median(s[kind] for s in samples[False])
        with_ = statistics.median(s[kind] for s in samples[True])
        extra = with_ - without
        passed = passed and extra <= TARGET_US
        verdict = "PASS" if extra <= TARGET_US else "FAIL"
        print(
            f"{verdict} {kind:<17} {without:6.2f} -> {with_:6.2f} us/row (+{extra:.2f}, target <= {TARGET_US} us)"
        )
    return passed
