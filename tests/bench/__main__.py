"""`python -m tests.bench [NAME ...] [--duration S] [--connections N]`: run benchmarks by name (all by default).

The exit status is 1 when a benchmark misses one of its targets.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence

from tests.bench import ingest, stats, triggers
from tests.bench.options import Options

BENCHMARKS: dict[str, Callable[[Options], bool]] = {
    "ingest": ingest.run,
    "stats": stats.run,
    "triggers": triggers.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of measured load (default 60)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--events", type=int, default=1_000_000, help="stats: events to generate (1000000)")
    parser.add_argument("--runs", type=int, default=50, help="stats: timed calls per endpoint (default 50)")
    parser.add_argument("--quick", action="store_true", help="stats: without the page filter variant")
    parser.add_argument(
        "--variants",
        default="none,country,page,today",
        help="stats: variants to time, comma-separated: none, country, page, today (default all)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, logs, ids)")
    parser.add_argument("--work-dir", help="parent of the temp work directory (must be a disk, not tmpfs)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.duration < 5 or args.connections < args.threads or args.threads < 1:
        parser.error("--duration must be at least 5 s, and --connections at least --threads (at least 1)")
    options = Options(
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        keep=args.keep,
        events=args.events,
        runs=args.runs,
        quick=args.quick,
        variants=tuple(v.strip() for v in args.variants.split(",") if v.strip()),
        work_dir=args.work_dir,
        command=shlex.join(["python", "-m", "tests.bench", *(argv if argv is not None else sys.argv[1:])]),
    )
    failed = [name for name in args.names or BENCHMARKS if not BENCHMARKS[name](options)]
    if failed:
        print(f"missed targets: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
