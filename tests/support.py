"""Small builders shared by the tests: users, tokens and sites in one line each."""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from appliance.accounts import credentials, secrets, users
from appliance.accounts.models import User
from appliance.config import Config, load_config
from appliance.db import open_connection, transaction

PASSWORD = "correct horse battery"


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
