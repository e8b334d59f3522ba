"""Running wrk (Debian's package, installed by scripts/ensure-wrk) with a Lua script, and its results."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENSURE = ROOT / "scripts" / "ensure-wrk"
TIMEOUT_SLACK = 60  # seconds beyond the run's duration before wrk is killed


def ensure() -> None:
    subprocess.run([str(ENSURE)], check=True)


@dataclass(frozen=True)
class Result:
    """What one wrk run saw. Latencies in milliseconds; `acked` is the path of the acknowledged ids."""

    duration: float
    requests: int
    errors: dict[str, int]
    statuses: dict[str, int]
    latency_ms: dict[str, float]
    acked_count: int
    nulls: int
    sent_pageviews: int
    sent_events: int
    new_visitors: int
    acked: Path
    output: str

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.requests / self.duration if self.duration else 0.0

    @property
    def acked_rate(self) -> float:
        """Acknowledged events (a 200 carrying an event_id) per second."""
        return self.acked_count / self.duration if self.duration else 0.0

    @property
    def failures(self) -> int:
        return sum(self.errors.values())

    def acked_ids(self) -> set[int]:
        with self.acked.open() as ids:
            return {int(line) for line in ids if line.strip()}


def run(
    url: str,
    script: Path,
    *,
    key: str,
    out_prefix: Path,
    duration: float,
    connections: int,
    threads: int,
    timeout: float = 5.0,
) -> Result:
    """wrk on `url` for `duration` seconds; the script's done() writes out_prefix.json and .ids."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={timeout:g}s",
        "--latency",
        f"--script={script}",
        url,
    ]
    env = os.environ | {"BENCH_KEY": key, "BENCH_OUT": str(out_prefix)}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=duration + TIMEOUT_SLACK, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(Path(f"{out_prefix}.json").read_text())
    latency = figures["latency_us"]
    return Result(
        duration=figures["duration_us"] / 1e6,
        requests=figures["requests"],
        errors=figures["errors"],
        statuses=figures["statuses"],
        latency_ms={name: value / 1000 for name, value in latency.items()},
        acked_count=figures["acked"],
        nulls=figures["nulls"],
        sent_pageviews=figures["sent_pageviews"],
        sent_events=figures["sent_events"],
        new_visitors=figures["visitors"],
        acked=Path(f"{out_prefix}.ids"),
        output=done.stdout + done.stderr,
    )
