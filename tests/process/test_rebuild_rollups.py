"""`almanac rebuild-rollups` as a real process, beside a database that has traffic."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from appliance.db import open_connection, transaction
from appliance.db.migrations import migrate
from appliance.stats.rollups.plan import day_number
from tests.process.conftest import clean_environment
from tests.support import test_config as config_on
from tests.traffic import _EVENT_INSERT, _SESSION_INSERT, _event_row, _session_row, visit


def almanac(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=60,
        check=False,
    )


def test_rebuild_rollups_builds_every_day_with_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    config = config_on(data_dir)
    conn = open_connection(config.database_path, config.database)
    try:
        migrate(conn)
        hits = visit("/", "/a", at="2026-06-01T12:00:00Z") + visit("/b", at="2026-06-03T23:30:00Z", session=2)
        with transaction(conn):
            conn.execute(
                "INSERT INTO sites (id, name, domain, pixel_key, timezone, created_at) "
                "VALUES (1, 'a', 'a.example', 'k1', 'Europe/Paris', 0)"
            )
            for number, session in ((1, hits[:2]), (2, hits[2:])):
                conn.execute(_SESSION_INSERT, _session_row(1, number, number, session))
                conn.executemany(_EVENT_INSERT, [_event_row(1, number, h) for h in session])
    finally:
        conn.close()

    done = almanac(data_dir, "rebuild-rollups")
    assert done.returncode == 0, done.stderr
    # 1 June (and the 2nd, which overlaps its UTC day), the 3rd and the 4th (23:30Z is 01:30 in Paris).
    assert done.stdout.startswith("rebuilt 4 days of 1 sites in "), done.stdout
    conn = open_connection(config.database_path, config.database)
    try:
        days = [
            r[0] for r in conn.execute("SELECT day FROM rollup_days WHERE built_at IS NOT NULL ORDER BY day")
        ]
        totals = conn.execute("SELECT sum(pageviews) FROM rollup_events WHERE dim = ''").fetchone()[0]
    finally:
        conn.close()
    assert days == [day_number(date(2026, 6, day)) for day in (1, 2, 3, 4)]
    assert totals == 3

    again = almanac(data_dir, "rebuild-rollups", "--site", "1")
    assert again.returncode == 0 and again.stdout.startswith("rebuilt 4 days of 1 sites"), again

    unknown = almanac(data_dir, "rebuild-rollups", "--site", "9")
    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (1, "", "almanac: no site with id 9\n")
