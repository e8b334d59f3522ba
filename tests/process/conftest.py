"""A real `almanac serve` process for tests whose behaviour crosses the process boundary.

`serve()` starts one on a free port and a temp data dir, waits for /healthz, and hands back a
`Server`; every server a test started is stopped after it, and a failing test's report shows
the servers' logs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

STARTUP_SECONDS = 20.0
STOP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ALMANAC_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALMANAC_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env | dict(extra or {})


def almanac_command(*args: str) -> list[str]:
    """The `almanac` command line of the Python running the tests (the project's venv)."""
    return [sys.executable, "-m", "appliance", *args]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=10)
        return self._client

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_healthy(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"almanac serve exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"almanac serve was not healthy within {timeout} s:\n{self.logs()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = STOP_SECONDS) -> int:
        """Send `sig` and return the exit code; kill and fail if it does not exit in time."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"almanac serve did not exit within {timeout} s of {sig.name}") from None
        return self.process.returncode


Serve = Callable[..., Server]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    servers: list[Server] = getattr(item, "almanac_servers", [])
    if report.failed and servers:
        for n, server in enumerate(servers, 1):
            report.sections.append((f"almanac serve #{n} log ({server.log_path})", server.logs()))


@pytest.fixture
def serve(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Serve]:
    """Start `almanac serve`: serve(data_dir=None, env=None, args=()) -> a healthy Server."""
    servers: list[Server] = []
    request.node.almanac_servers = servers

    def start(
        data_dir: Path | None = None, env: Mapping[str, str] | None = None, args: Sequence[str] = ()
    ) -> Server:
        data_dir = data_dir or tmp_path / "data"
        port = free_port()
        log_path = tmp_path / f"serve-{len(servers) + 1}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                almanac_command("serve", "--port", str(port), "--data-dir", str(data_dir), *args),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=clean_environment(env),
            )
        server = Server(process=process, port=port, data_dir=data_dir, log_path=log_path)
        servers.append(server)
        server.wait_healthy()
        return server

    yield start

    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        if server._client is not None:
            server._client.close()
