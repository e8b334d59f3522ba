"""The options every benchmark takes (`python -m tests.bench --help`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    duration: float = 60.0  # seconds of measured load against Almanac
    connections: int = 64  # keep-alive connections
    threads: int = 2  # wrk threads
    keep: bool = False  # keep the work directory (data, logs, acknowledged ids)
    work_dir: str | None = None  # where the temp work directory goes (a disk, not tmpfs)
    events: int = 1_000_000  # stats: synthetic events to generate
    runs: int = 50  # stats: timed calls per endpoint and variant
    quick: bool = False  # stats: fewer variants (no page filter)
    variants: tuple[str, ...] = ("none", "country", "page", "today")  # stats: which variants to time
    command: str = "python -m tests.bench"
