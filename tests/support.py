"""Small builders shared by the tests: users, tokens and sites in one line each."""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from httpx import Response
from litestar.testing import TestClient

from appliance.accounts import credentials, secrets, users
from appliance.accounts.models import User
from appliance.clock import iso
from appliance.config import Config, load_config
from appliance.db import Database, open_connection, transaction

PASSWORD = "correct horse battery"


class Matches:
    """Equal to any string that fully matches a pattern: for the parts of a whole answer that vary."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"


ISO_TIME = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
API_TOKEN = Matches(r"alm_[A-Za-z0-9_-]{43}")
UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@functools.cache
def password_hash(password: str) -> str:
    # argon2 is slow on purpose; tests reuse one hash per password.
    return secrets.hash_password(password)


def test_config(data_dir: Path, **sections: dict[str, Any]) -> Config:
    """A config on a temp data dir; rate limits are off unless a test turns them on."""
    overrides: dict[str, dict[str, Any]] = {
        "server": {"data_dir": str(data_dir)},
        "rate_limits": {"login_per_minute": 0, "api_per_minute": 0, "tracking_per_minute": 0},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_config(environ={}, overrides=overrides)


@dataclass
class Env:
    """A running app (Litestar test client) on a real SQLite file, with builders."""

    client: TestClient[Any]
    config: Config
    _conn: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def conn(self) -> sqlite3.Connection:
        # A second connection beside the server's writer, as the CLI would have.
        if self._conn is None:
            self._conn = open_connection(self.config.database_path, self.config.database)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def user(self, email: str, *, admin: bool = False, password: str = PASSWORD, name: str = "") -> User:
        with transaction(self.conn):
            return users.insert_user(
                self.conn,
                email=email,
                name=name or email.split("@")[0],
                password_hash=password_hash(password),
                is_admin=admin,
            )

    def token(self, user: User) -> str:
        with transaction(self.conn):
            return credentials.insert_token(self.conn, user.id, "test").token

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def site(self, owner: User, domain: str = "example.com", **fields: Any) -> dict[str, Any]:
        """Create a site through the API as `owner`; returns its spec-000 JSON."""
        response = self.client.post(
            "/api/sites", json={"domain": domain, "name": domain, **fields}, headers=self.headers(owner)
        )
        assert response.status_code == 201, response.text
        site: dict[str, Any] = response.json()["site"]
        return site

    def member(self, site_id: int, user: User, role: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO memberships (site_id, user_id, role, created_at) VALUES (?, ?, ?, 0)",
                (site_id, user.id, role),
            )


@asynccontextmanager
async def open_database(config: Config) -> AsyncIterator[Database]:
    """The server's database handle (writer and readers) on the config's file, closed on exit."""
    db = Database(config.database_path, config.database)
    await db.open(data_dir=config.data_path)
    try:
        yield db
    finally:
        await db.close()


def user_json(user: User) -> dict[str, Any]:
    """A user as spec 000's `/api/user` and `/api/login` show it."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "is_admin": user.is_admin,
        "created_at": iso(user.created_at),
    }


# -- tracking: hits in one line (spec 004's public endpoints) ----------------------------------

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def track(
    client: TestClient[Any],
    key: str,
    *,
    browser: str = BROWSER,
    headers: dict[str, str] | None = None,
    route: str = "/analytics/track",
    **fields: Any,
) -> Any:
    """POST one hit (JSON) to a tracking route with `browser` as its User-Agent; the raw response."""
    return client.post(route, json={"key": key, **fields}, headers={"User-Agent": browser, **(headers or {})})


def pageview(client: TestClient[Any], key: str, path: str = "/", **fields: Any) -> dict[str, Any]:
    """Track one pageview and return the answer (`event_id`, `visitor_id`, `session_id`)."""
    response = track(client, key, path=path, **fields)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def custom_event(client: TestClient[Any], key: str, name: str, **fields: Any) -> dict[str, Any]:
    """Track one custom event through POST /analytics/event and return the answer."""
    response = track(client, key, route="/analytics/event", name=name, **fields)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def flush_tracking(client: TestClient[Any]) -> None:
    """Write what tracking keeps in memory (heartbeats, drop counts) now, not at the next tick."""
    intake = client.app.state.intake
    client.blocking_portal.call(intake.flush_heartbeats)
    client.blocking_portal.call(intake.flush_drops)


def rows(env: Env, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of a query on the appliance's database, as plain tuples."""
    return [tuple(row) for row in env.conn.execute(sql, params).fetchall()]


def cookie_attributes(response: Response, name: str) -> tuple[str, set[str]]:
    """The value and the attributes (lower case) of the Set-Cookie header for `name`."""
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    first, *attributes = (part.strip() for part in header.split(";"))
    return first.partition("=")[2], {a.lower() for a in attributes}
