"""The processes a benchmark measures: a real `almanac serve`, the bare reference, and their RSS.

Both listen on 127.0.0.1 only. Each is stopped with SIGTERM (then SIGKILL after a grace
period) by whoever started it, whatever happens to the benchmark.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_SECONDS = 30.0
STOP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without ALMANAC_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALMANAC_")}
    return env | {"PYTHONUNBUFFERED": "1"} | dict(extra)


class Process:
    """A server process on 127.0.0.1:`port`, its output in `log_path`."""

    def __init__(self, command: Sequence[str], port: int, log_path: Path, env: Mapping[str, str]) -> None:
        self.port = port
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                list(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=dict(env)
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, path: str, method: str = "GET", timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.log_path.name}: exited with {self.popen.returncode}:\n{self.logs()}"
                )
            try:
                request = urllib.request.Request(
                    self.url + path, method=method, data=b"{}" if method == "POST" else None
                )
                with urllib.request.urlopen(request, timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.log_path.name}: not ready within {timeout} s:\n{self.logs()}")

    def stop(self, timeout: float = STOP_SECONDS) -> int:
        """SIGTERM, and SIGKILL if it has not exited within `timeout`; the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def start_almanac(data_dir: Path, log_path: Path, env: Mapping[str, str]) -> Process:
    """`almanac serve` (the project's Python, `python -m appliance`) on a free port; waits for /healthz."""
    port = free_port()
    command = [sys.executable, "-m", "appliance", "serve", "--host", HOST, "--port", str(port)]
    process = Process([*command, "--data-dir", str(data_dir)], port, log_path, environment(env))
    try:
        process.wait_ready("/healthz")
    except BaseException:
        process.stop()
        raise
    return process


def start_reference(log_path: Path) -> Process:
    """The bare granian app of `tests.bench.bare` on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "tests.bench.bare", "--host", HOST, "--port", str(port)]
    process = Process(command, port, log_path, environment({}))
    try:
        process.wait_ready("/", method="POST")
    except BaseException:
        process.stop()
        raise
    return process


def status_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM) in MB (10^6 bytes); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6
    except (OSError, ValueError):
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far, all threads; 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def written_bytes(pid: int) -> int:
    """Bytes the process has caused to be written to storage (/proc/PID/io write_bytes); 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[float] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(status_mb(self.pid, "VmRSS"))
            self._stop_event.wait(self.interval)

    def stop(self) -> list[float]:
        self._stop_event.set()
        self.join()
        return self.samples

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)


def growth(samples: list[float], interval: float) -> float:
    """The least-squares slope (MB/s) of the second half of evenly spaced samples."""
    half = samples[len(samples) // 2 :]
    if len(half) < 2:
        return 0.0
    xs = [i * interval for i in range(len(half))]
    mean_x, mean_y = sum(xs) / len(xs), sum(half) / len(half)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, half, strict=True)) / spread
