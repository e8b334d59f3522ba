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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import commits, machine, servers, wrk
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

# Targets (issue 3, section 8): on the 2-core machine, full pipeline, synchronous=FULL.
RATIO_TARGET = 0.30
RATIO_STRETCH = 0.40
P99_TARGET_MS = 50.0
IDLE_RSS_TARGET_MB = 100.0
LOAD_RSS_TARGET_MB = 300.0


@dataclass
class Target:
    name: str
    measured: str
    goal: str
    ok: bool
    note: str = ""

    def line(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        return f"  {verdict}  {self.name:<28} {self.measured:>12}   goal {self.goal:<10} {self.note}".rstrip()


@dataclass
class Report:
    date: str
    command: str
    revision: str
    machine: list[str]
    cpus: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    busy_before: list[str] = field(default_factory=list)
    data_filesystem: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    connections: int = 0
    threads: int = 0
    reference_rps: list[float] = field(default_factory=list)
    reference_cpu_share: list[float] = field(default_factory=list)
    reference_per_cpu_s: float = 0.0
    cpu_share: float = 0.0  # CPU seconds per second of the server under load (1.0 = one core)
    events_per_cpu_s: float = 0.0
    cpu_ratio: float = 0.0
    events_per_s: float = 0.0
    requests: int = 0
    acknowledged: int = 0
    sent_pageviews: int = 0
    sent_events: int = 0
    new_visitors: int = 0
    not_acknowledged: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    reference_latency_ms: dict[str, float] = field(default_factory=dict)
    commits_per_s: float | None = None
    rows_per_commit: float | None = None
    wal_syncs: int | None = None
    file_syncs: int | None = None
    idle_rss_mb: float = 0.0
    load_rss_peak_mb: float = 0.0
    load_rss_hwm_mb: float = 0.0
    load_rss_growth_mb_per_s: float = 0.0  # over the second half of the run
    rss_samples_mb: list[float] = field(default_factory=list)
    acknowledged_total: int = 0
    stored: int = 0
    lost: int = 0
    stored_unacknowledged: int = 0
    sessions: int = 0
    orphan_events: int = 0
    database_mb: float = 0.0
    disk_write_mb_per_s: float = 0.0  # what the server wrote to storage under load (WAL and checkpoints)
    database_growth_mb_per_s: float = 0.0
    server_exit: int | None = None
    server_errors: int = 0
    ratio: float = 0.0
    targets: list[dict[str, Any]] = field(default_factory=list)


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
    if syncs is not None:
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


def _targets(report: Report) -> list[Target]:
    ratio_note = f"stretch {RATIO_STRETCH:.2f}: {'met' if report.ratio >= RATIO_STRETCH else 'not met'}"
    answered = sum(report.not_acknowledged.values())
    return [
        Target("events/s ÷ bare granian req/s", f"{report.ratio:.3f}", f">= {RATIO_TARGET:.2f}", report.ratio >= RATIO_TARGET, ratio_note),
        Target("p99 latency", f"{report.latency_ms['p99']:.1f} ms", f"< {P99_TARGET_MS:g} ms", report.latency_ms["p99"] < P99_TARGET_MS),
        Target("acknowledged but not stored", str(report.lost), "0", report.lost == 0 and report.orphan_events == 0,
               f"{report.acknowledged_total:,} acknowledged, {report.orphan_events} events without session"),
        Target("idle RSS", f"{report.idle_rss_mb:.0f} MB", f"< {IDLE_RSS_TARGET_MB:g} MB", report.idle_rss_mb < IDLE_RSS_TARGET_MB),
        Target("RSS under load (peak)", f"{report.load_rss_peak_mb:.0f} MB", f"< {LOAD_RSS_TARGET_MB:g} MB",
               report.load_rss_peak_mb < LOAD_RSS_TARGET_MB, f"VmHWM {report.load_rss_hwm_mb:.0f} MB"),
        Target("requests not acknowledged", str(answered), "0", answered == 0,
               ", ".join(f"{k}: {v}" for k, v in report.not_acknowledged.items()) or "every answer a 200 with an event_id"),
    ]  # fmt: skip


def _print(report: Report, targets: list[Target]) -> None:
    ref = report.reference_rps
    lat, ref_lat = report.latency_ms, report.reference_latency_ms
    busy = report.load_before[0] > 0.5 * report.cpus
    lines = [
        "",
        f"Almanac ingest benchmark, {report.date}",
        f"  command: {report.command}",
        f"  code: {report.revision}",
        *(f"  {line}" for line in report.machine),
        f"  load average before: {' '.join(f'{x:.2f}' for x in report.load_before)}"
        f"{' (BUSY: other processes were running)' if busy else ''}; after: "
        f"{' '.join(f'{x:.2f}' for x in report.load_after)}",
        *(f"    busy: {line}" for line in report.busy_before),
        f"  server: {', '.join(f'{k}={v}' for k, v in report.settings.items())}; data on {report.data_filesystem}",
        f"  load: wrk, {report.threads} threads, {report.connections} keep-alive connections, "
        f"{report.duration_s:.1f} s (reference: 2 x {report.settings.get('reference_seconds', '?')} s)",
        "",
        f"  bare granian (reference): {' / '.join(f'{r:,.0f}' for r in ref)} req/s before / after, "
        f"mean {sum(ref) / len(ref):,.0f}; p50 {ref_lat.get('p50', 0):.1f} ms, p99 {ref_lat.get('p99', 0):.1f} ms",
        f"  almanac: {report.events_per_s:,.0f} events/s sustained ({report.acknowledged:,} acknowledged of "
        f"{report.requests:,} answered; sent {report.sent_pageviews:,} pageviews, {report.sent_events:,} events, "
        f"{report.new_visitors:,} new visitors)",
        f"  latency: p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f} ms, p99 {lat['p99']:.1f} ms, "
        f"p99.9 {lat['p999']:.1f} ms, max {lat['max']:.1f} ms",
    ]
    if report.commits_per_s is not None:
        lines.append(
            f"  commits: {report.commits_per_s:,.0f}/s, {report.rows_per_commit or 0:.1f} events per commit "
            f"(WAL fsyncs {report.wal_syncs:,}, database-file fsyncs {report.file_syncs:,}; counted by perf)"
        )
    else:
        lines.append(
            "  commits: not counted (perf unavailable); the writer's counters would need an endpoint"
        )
    lines += [
        f"  RSS: idle {report.idle_rss_mb:.0f} MB, under load peak {report.load_rss_peak_mb:.0f} MB (0.5 s samples), "
        f"growing {report.load_rss_growth_mb_per_s:.2f} MB/s over the run's second half",
        f"  disk: the server wrote {report.disk_write_mb_per_s:.1f} MB/s (WAL and checkpoints) while the "
        f"database grew {report.database_growth_mb_per_s:.2f} MB/s",
        f"  stored: {report.stored:,} events, {report.sessions:,} sessions, {report.database_mb:.0f} MB on disk; "
        f"{report.stored_unacknowledged} stored but unacknowledged (in flight when wrk stopped)",
        f"  server: exit code {report.server_exit}, {report.server_errors} ERROR lines in its log",
        f"  ratio: {report.events_per_s:,.0f} / {sum(ref) / len(ref):,.0f} = {report.ratio:.3f}",
        f"  CPU: almanac used {report.cpu_share:.2f} CPU under load ({report.events_per_cpu_s:,.0f} events per "
        f"CPU-second), the reference {' / '.join(f'{c:.2f}' for c in report.reference_cpu_share)} CPU "
        f"({report.reference_per_cpu_s:,.0f} requests per CPU-second): per-CPU ratio {report.cpu_ratio:.3f}",
        "",
        "  targets:",
        *(target.line() for target in targets),
        "",
    ]
    print("\n".join(lines), flush=True)


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
    targets = _targets(report)
    report.targets = [asdict(t) for t in targets]
    _print(report, targets)
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = RESULTS / f"ingest-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    saved.write_text(json.dumps(asdict(report), indent=2) + "\n")
    _log(f"figures written to {saved.relative_to(wrk.ROOT)}")
    return all(target.ok for target in targets)
