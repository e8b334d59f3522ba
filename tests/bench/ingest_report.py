"""The figures of the ingest benchmark, its targets (issue 3, section 8), and how they are printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def targets_of(report: Report) -> list[Target]:
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


def print_report(report: Report, targets: list[Target]) -> None:
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
            "  commits: not counted (no perf, or no fsync per commit); the writer's counters need an endpoint"
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
