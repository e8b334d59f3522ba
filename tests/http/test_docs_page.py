"""The interactive API docs work offline: every asset comes from the appliance itself."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient


def test_the_docs_page_loads_nothing_from_another_host(client: TestClient[Any]) -> None:
    page = client.get("/docs")
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)

    assert page.status_code == 200
    assert assets, "the page links its scripts and styles"
    assert [a for a in assets if not a.startswith("/docs/assets/")] == []
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/docs/openapi.json").json()["info"]["title"] == "Almanac"
