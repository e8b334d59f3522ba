from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.config import Config
from appliance.server import create_app
from tests.support import Env, test_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return test_config(tmp_path / "data")


@pytest.fixture
def client(config: Config) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(config)) as test_client:
        yield test_client


@pytest.fixture
def env(client: TestClient[Any], config: Config) -> Iterator[Env]:
    built = Env(client=client, config=config)
    yield built
    built.close()
