"""The single executable under test: dist/almanac, run as a user would, under `env -i`.

`make smoke` builds it first (`make binary`) and runs these tests; `make test` calls `make smoke`
after the rest of the suite. The figures measured against the budgets are printed at the end.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.binary.running import BINARY, FIGURES, Appliance, free_port, wait_healthy


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("dist/almanac against its budgets")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="module")
def appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: build it with `make binary`")
    home = tmp_path_factory.mktemp("binary")
    data_dir, port, log = home / "data", free_port(), home / "serve.log"
    config = home / "almanac.toml"
    config.write_text(f'[server]\nport = {port}\ndata_dir = "{data_dir}"\nlog_level = "info"\n')
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            ["env", "-i", str(BINARY), "serve", "--config", str(config)], stdout=out, stderr=out
        )
    running = Appliance(data_dir=data_dir, port=port, process=process, log=log)
    try:
        running.started_in = wait_healthy(running, started)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
