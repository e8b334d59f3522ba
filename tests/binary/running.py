"""Running the single executable dist/almanac as a user would: under `env -i`, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("ALMANAC_BINARY", ROOT / "dist" / "almanac"))

# Budgets from issue 6.
MAX_SIZE_MB = 90
MAX_START_SECONDS = 4.0
MAX_IDLE_RSS_MB = 150

FIGURES: dict[str, str] = {}


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`env -i almanac ARGS`: no PATH, no HOME, no locale, as a bare system service would have."""
    done = subprocess.run(
        ["env", "-i", str(BINARY), *args], capture_output=True, text=True, timeout=60, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"almanac {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (2nd field) is in parentheses and may hold spaces: split after it.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@dataclass
class Appliance:
    """`almanac serve` from the binary on a free port, with a fresh data directory and a config file."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    started_in: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 10, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, **kwargs)

    def server_pid(self) -> int:
        """A one-file binary is a bootloader that unpacks and starts the real process as its child."""
        kids = children(self.process.pid)
        assert len(kids) == 1, f"expected one child of the bootloader, found {kids}"
        return kids[0]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_healthy(running: Appliance, started: float) -> float:
    """Seconds from start to the first 200 on /healthz."""
    deadline = started + 30
    with running.client(timeout=1) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                raise AssertionError(
                    f"almanac serve exited {running.process.returncode}:\n{running.output()}"
                )
            try:
                if client.get("/healthz").status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise AssertionError(f"no 200 on /healthz within 30 s:\n{running.output()}")
