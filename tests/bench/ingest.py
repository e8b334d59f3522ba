"""The ingest benchmark: durable tracking throughput of a real `almanac serve`, against bare granian.

One run, on 127.0.0.1 only:

1. the reference: the bare granian app of `tests.bench.bare`, loaded by wrk with the same
   script (`ingest.lua`) for a quarter of the duration;
2. a fresh `almanac serve` (new temp data dir, `synchronous=FULL`, the tracking rate limit off,
   127.0.0.1 a trusted proxy so X-Forwarded-For makes many visitors; one site made through the
   CLI and the API), idle RSS read, a short warm-up, then the full duration with RSS sampled every
   0.5 s and the WAL's fsyncs counted (commits); then every acknowledged event_id is looked up in
   the database while the server still runs, and the server stops with SIGTERM;
3. the reference again, and its two figures averaged: the machines are shared and noisy, the
   bracket catches a neighbour that starts or stops mid-run.

It prints the figures and PASS/FAIL per target, writes them as JSON under build/bench/, and
returns whether every target passed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from tests.bench import commits, machine, servers, wrk
from tests.bench.ingest_report import Report, print_report, targets_of
from tests.bench.options import Options

SCRIPT = Path(__file__).with_name("ingest.lua")
RESULTS = wrk.ROOT / "build" / "bench"
SITE = {"name": "Example Shop", "domain": "shop.example.com"}
ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench-password-123"
SERVER_ENV = {
    "ALMANAC_DATABASE_SYNCHRONOUS": "FULL",
    "ALMANAC_RATE_LIMITS_TRACKING_PER_MINUTE": "0",  # the default (10,000 a minute per IP) would throttle wrk
    "ALMANAC_SERVER_TRUSTED_PROXIES": "127.0.0.1",  # wrk's X-Forwarded-For are the visitors' IPs
}
IDLE_SETTLE_SECONDS = 2.0


def _log(message: str) -> None:
    print(f"[ingest] {message}", flush=True)


def _cli(data_dir: Path, *args: str) -> str:
    command = [sys.executable, "-m", "appliance", *args, "--data-dir", str(data_dir)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=servers.environment(SERVER_ENV), check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"almanac {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _create_site(url: str, token: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/sites",
        data=json.dumps(SITE).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        key: str = json.load(response)["site"]["sid"]
    return key


def _load(url: str, work: Path, label: str, key: str, seconds: float, options: Options) -> wrk.Result:
    return wrk.run(
        url,
        SCRIPT,
        key=key,
        out_prefix=work / label,
        duration=seconds,
        connections=options.connections,
        threads=options.threads,
    )


def _reference(
    work: Path, label: str, seconds: float, warmup: float, options: Options
) -> tuple[wrk.Result, float]:
    """The bare app's run, and the CPU seconds it used in it."""
    server = servers.start_reference(work / f"{label}.log")
    try:
        _load(server.url, work, f"{label}-warmup", "reference", warmup, options)
        cpu = servers.cpu_seconds(server.pid)
        result = _load(server.url, work, label, "reference", seconds, options)
        cpu = servers.cpu_seconds(server.pid) - cpu
    finally:
        server.stop()
    _log(f"{label}: {result.rate:,.0f} requests/s, p99 {result.latency_ms['p99']:.1f} ms")
    return result, cpu


def _check_stored(database: Path, acknowledged: set[int]) -> tuple[int, int, int, int]:
    """(stored events, acknowledged but missing, sessions, events without their session)."""
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM events")}
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM events e LEFT JOIN sessions s ON s.id = e.session_id WHERE s.id IS NULL"
        ).fetchone()[0]
    return len(stored), len(acknowledged - stored), sessions, orphans


def _almanac(work: Path, report: Report, warmup: float, options: Options) -> None:
    data = work / "data"
    _cli(data, "user", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--admin")
    token = _cli(data, "token", "create", "--email", ADMIN_EMAIL, "--name", "bench")
    report.data_filesystem = machine.filesystem(data)
    server = servers.start_almanac(data, work / "almanac.log", SERVER_ENV)
    counter: commits.SyncCounter | None = None
    try:
        key = _create_site(server.url, token)
        time.sleep(IDLE_SETTLE_SECONDS)
        report.idle_rss_mb = servers.status_mb(server.pid, "VmRSS")
        _log(
            f"almanac serve (pid {server.pid}) idle: {report.idle_rss_mb:.0f} MB RSS; warming up {warmup:g} s"
        )
        first = _load(server.url, work, "almanac-warmup", key, warmup, options)
        counter = commits.start(server.pid, data / "almanac.db")
        sampler = servers.RssSampler(server.pid)
        sampler.start()
        _log(f"almanac: {options.duration:g} s at {options.connections} connections")
        cpu, written, size = servers.cpu_seconds(server.pid), servers.written_bytes(server.pid), _size(data)
        result = _load(server.url, work, "almanac", key, options.duration, options)
        cpu = servers.cpu_seconds(server.pid) - cpu
        written = servers.written_bytes(server.pid) - written
        size = _size(data) - size
        sampler.stop()
        syncs = counter.stop() if counter is not None else None
        report.load_rss_peak_mb = sampler.peak
        report.rss_samples_mb = [round(mb, 1) for mb in sampler.samples]
        report.load_rss_growth_mb_per_s = servers.growth(sampler.samples, sampler.interval)
        report.load_rss_hwm_mb = servers.status_mb(server.pid, "VmHWM")
        _log(f"almanac: {result.acked_rate:,.0f} events/s, p99 {result.latency_ms['p99']:.1f} ms; checking")
        acknowledged = first.acked_ids() | result.acked_ids()
        stored, lost, sessions, orphans = _check_stored(data / "almanac.db", acknowledged)
    finally:
        if counter is not None:
            counter.stop()  # when something failed mid-run; a second stop() is a no-op
        report.server_exit = server.stop()
    report.server_errors = sum(" ERROR " in line for line in server.logs().splitlines())
    report.duration_s = result.duration
    report.requests = result.requests
    report.acknowledged = result.acked_count
    report.events_per_s = result.acked_rate
    report.sent_pageviews = result.sent_pageviews
    report.sent_events = result.sent_events
    report.new_visitors = result.new_visitors
    report.latency_ms = result.latency_ms
    report.cpu_share = cpu / result.duration
    report.disk_write_mb_per_s = written / 1e6 / result.duration
    report.database_growth_mb_per_s = size / 1e6 / result.duration
    report.events_per_cpu_s = result.acked_count / cpu if cpu else 0.0
    report.not_acknowledged = {
        **{f"http {status}": count for status, count in result.statuses.items()},
        **{f"socket {kind}": count for kind, count in result.errors.items() if kind != "status" and count},
        **({"200 without event_id": result.nulls} if result.nulls else {}),
    }
    if syncs is not None and syncs.commits:
        report.wal_syncs, report.file_syncs = syncs.wal, syncs.database
        report.commits_per_s = syncs.commits / result.duration
        report.rows_per_commit = result.acked_count / syncs.commits if syncs.commits else None
    report.acknowledged_total = len(acknowledged)
    report.stored = stored
    report.lost = lost
    report.stored_unacknowledged = stored - (len(acknowledged) - lost)
    report.sessions = sessions
    report.orphan_events = orphans
    report.database_mb = _size(data) / 1e6


def _size(data: Path) -> int:
    """Bytes of the database file (the WAL comes and goes with checkpoints)."""
    database = data / "almanac.db"
    return database.stat().st_size if database.exists() else 0


def run(options: Options) -> bool:
    """Run the benchmark, print its report, write it under build/bench/; whether every target passed."""
    wrk.ensure()
    work = Path(tempfile.mkdtemp(prefix="almanac-bench-", dir=options.work_dir))
    reference_seconds = max(5.0, options.duration / 4)
    warmup = min(5.0, max(2.0, options.duration / 10))
    host = machine.describe()
    report = Report(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=options.command,
        revision=machine.revision(wrk.ROOT),
        machine=host.lines(),
        cpus=host.cpus,
        load_before=machine.load_average(),
        busy_before=machine.busy_processes(exclude=set()),
        settings={
            "synchronous": SERVER_ENV["ALMANAC_DATABASE_SYNCHRONOUS"],
            "rate_limits.tracking_per_minute": "0 (off for the run)",
            "trusted_proxies": SERVER_ENV["ALMANAC_SERVER_TRUSTED_PROXIES"],
            "reference_seconds": f"{reference_seconds:g}",
        },
        connections=options.connections,
        threads=options.threads,
    )
    _log(f"work directory {work}; load average {report.load_before[0]:.2f}")
    try:
        before, before_cpu = _reference(work, "reference-before", reference_seconds, warmup, options)
        _almanac(work, report, warmup, options)
        after, after_cpu = _reference(work, "reference-after", reference_seconds, warmup, options)
    finally:
        report.load_after = machine.load_average()
        if options.keep:
            _log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report.reference_rps = [before.rate, after.rate]
    report.reference_latency_ms = {
        name: (before.latency_ms[name] + after.latency_ms[name]) / 2 for name in before.latency_ms
    }
    report.ratio = report.events_per_s / (sum(report.reference_rps) / 2)
    report.reference_cpu_share = [before_cpu / before.duration, after_cpu / after.duration]
    reference_cpu = before_cpu + after_cpu
    report.reference_per_cpu_s = (before.requests + after.requests) / reference_cpu if reference_cpu else 0.0
    report.cpu_ratio = (
        report.events_per_cpu_s / report.reference_per_cpu_s if report.reference_per_cpu_s else 0.0
    )
    targets = targets_of(report)
    report.targets = [asdict(t) for t in targets]
    print_report(report, targets)
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = RESULTS / f"ingest-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    saved.write_text(json.dumps(asdict(report), indent=2) + "\n")
    _log(f"figures written to {saved.relative_to(wrk.ROOT)}")
    return all(target.ok for target in targets)
