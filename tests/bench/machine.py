"""What a benchmark ran on, and how busy the machine was: figures mean little without it."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    memory_gib: float
    kernel: str
    python: str
    sqlite: str
    granian: str
    wrk: str

    def lines(self) -> list[str]:
        return [
            f"machine: {self.cpus} CPUs ({self.cpu_model}), {self.memory_gib:.1f} GiB, Linux {self.kernel}",
            f"software: Python {self.python}, SQLite {self.sqlite}, granian {self.granian}, {self.wrk}",
        ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _wrk_version() -> str:
    try:
        run = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "wrk (missing)"
    first = (run.stdout or run.stderr).splitlines()
    return " ".join(first[0].split()[:2]) if first else "wrk"


def describe() -> Machine:
    from granian import __version__ as granian_version

    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        memory_gib=_memory_gib(),
        kernel=platform.release(),
        python=sys.version.split()[0],
        sqlite=sqlite3.sqlite_version,
        granian=granian_version,
        wrk=_wrk_version(),
    )


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def busy_processes(exclude: set[int], limit: int = 5) -> list[str]:
    """The other processes using CPU now (ps's lifetime average), busiest first: 'pid %cpu command'."""
    run = subprocess.run(
        ["ps", "-eo", "pid=,pcpu=,args=", "--sort=-pcpu"], capture_output=True, text=True, check=False
    )
    found: list[str] = []
    for line in run.stdout.splitlines():
        pid, cpu, command = [*line.split(None, 2), "", ""][:3]
        if not pid.isdigit() or int(pid) in exclude or int(pid) == os.getpid() or float(cpu or 0) < 5:
            continue
        found.append(f"{pid} {cpu}% {command[:90]}")
        if len(found) == limit:
            break
    return found


def filesystem(path: Path) -> str:
    """The file system type of `path` (tmpfs would make fsync free and the benchmark meaningless)."""
    for command in (["findmnt", "-n", "-o", "FSTYPE", "-T"], ["stat", "-f", "-c", "%T"]):
        try:
            run = subprocess.run([*command, str(path)], capture_output=True, text=True, check=False)
        except OSError:
            continue
        if run.returncode == 0 and run.stdout.strip():
            return run.stdout.strip()
    return "unknown"


def revision(root: Path) -> str:
    """The commit measured, and whether appliance/ had uncommitted changes (read-only git calls)."""
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "appliance"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not head:
        return "unknown (not a git checkout)"
    return f"{head} with uncommitted changes in appliance/" if changed else head
