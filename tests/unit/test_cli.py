"""The `almanac` command line, run in-process on a temp data directory."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from litestar.testing import TestClient

from appliance import __version__
from appliance.accounts import credentials, users
from appliance.cli import main
from appliance.config import Config
from appliance.db import migrations, open_connection, transaction
from appliance.server import create_app
from tests.support import API_TOKEN, ISO_TIME, open_database
from tests.support import test_config as config_on

PASSWORD = "a-long-password"


class Run(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads os.environ: start every test without ALMANAC_* settings."""
    import os

    for key in list(os.environ):
        if key.startswith("ALMANAC_"):
            monkeypatch.delenv(key)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def almanac(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Run `almanac ARGS --data-dir <tmp>` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str, data: bool = True) -> Run:
        code = main([*args, *(["--data-dir", str(data_dir)] if data else [])])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run


def config_for(data_dir: Path) -> Config:
    return config_on(data_dir)


def authenticate(data_dir: Path, email: str, password: str) -> bool:
    async def check() -> bool:
        async with open_database(config_for(data_dir)) as db:
            return await users.authenticate(db, email, password) is not None

    return asyncio.run(check())


def dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


def test_version(almanac: Any) -> None:
    assert almanac("version", data=False) == (0, f"almanac {__version__}\n", "")


def test_user_create_the_first_user_is_admin(almanac: Any, data_dir: Path) -> None:
    first = almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD, "--name", "Ada")
    second = almanac("user", "create", "--email", "bob@example.com", "--password", PASSWORD)
    third = almanac("user", "create", "--email", "cy@example.com", "--password", PASSWORD, "--admin")

    assert first == (0, "created user 1 <ada@example.com> (admin)\n", "")
    assert second == (0, "created user 2 <bob@example.com>\n", "")
    assert third == (0, "created user 3 <cy@example.com> (admin)\n", "")
    assert authenticate(data_dir, "ada@example.com", PASSWORD)


def test_user_create_duplicate_email(almanac: Any) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)

    again = almanac("user", "create", "--email", "ADA@example.com", "--password", PASSWORD)

    assert again == (1, "", "almanac: email: The email has already been taken.\n")


def test_user_create_invalid_input(almanac: Any, data_dir: Path) -> None:
    both = almanac("user", "create", "--email", "not-an-email", "--password", "short")
    name = almanac(
        "user", "create", "--email", "ada@example.com", "--password", PASSWORD, "--name", "x" * 201
    )

    assert both == (
        1,
        "",
        "almanac: email: The email must be a valid email address.; "
        "password: The password must be at least 8 characters.\n",
    )
    assert name == (1, "", "almanac: name: The name may not be greater than 200 characters.\n")
    with closing(sqlite3.connect(data_dir / "almanac.db")) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_user_create_without_a_password_and_no_terminal(
    almanac: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    result = almanac("user", "create", "--email", "ada@example.com")

    assert result == (1, "", "almanac: --password is required when not run from a terminal\n")


def test_user_list(almanac: Any) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD, "--name", "Ada Lovelace")
    almanac("user", "create", "--email", "bob@example.com", "--password", PASSWORD)

    code, out, err = almanac("user", "list")

    assert (code, err) == (0, "")
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows == [
        ["1", "ada@example.com", "Ada Lovelace", "admin", ISO_TIME],
        ["2", "bob@example.com", "", "user", ISO_TIME],
    ]


def test_user_list_on_a_fresh_data_dir(almanac: Any) -> None:
    assert almanac("user", "list") == (0, "", "")


def test_user_passwd(almanac: Any, data_dir: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)
    with closing(open_connection(data_dir / "almanac.db", Config().database)) as conn, transaction(conn):
        credentials.insert_login_session(conn, 1, 30)

    result = almanac("user", "passwd", "--email", "ada@example.com", "--password", "another-password")

    assert result == (0, "password changed for <ada@example.com>\n", "")
    assert not authenticate(data_dir, "ada@example.com", PASSWORD)
    assert authenticate(data_dir, "ada@example.com", "another-password")
    # A new password signs the user out of the dashboard everywhere.
    with closing(sqlite3.connect(data_dir / "almanac.db")) as conn:
        assert conn.execute("SELECT count(*) FROM login_sessions").fetchone() == (0,)


def test_user_passwd_errors(almanac: Any, data_dir: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)

    short = almanac("user", "passwd", "--email", "ada@example.com", "--password", "short")
    nobody = almanac("user", "passwd", "--email", "nobody@example.com", "--password", PASSWORD)

    assert short == (1, "", "almanac: password: The password must be at least 8 characters.\n")
    assert nobody == (1, "", "almanac: no user with email nobody@example.com\n")
    assert authenticate(data_dir, "ada@example.com", PASSWORD)


def test_token_create_prints_a_working_token(almanac: Any, data_dir: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)

    code, out, err = almanac("token", "create", "--email", "ada@example.com", "--name", "deploy")

    assert (code, out, err) == (0, out, "")
    token = out.strip()
    assert out == f"{token}\n" and token == API_TOKEN
    with TestClient(create_app(config_for(data_dir))) as client:
        me = client.get("/api/user", headers={"Authorization": f"Bearer {token}"})
        listed = client.get("/api/user/tokens", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json()["user"]["email"]) == (200, "ada@example.com")
    assert [t["name"] for t in listed.json()["tokens"]] == ["deploy"]


def test_token_create_for_an_unknown_user(almanac: Any) -> None:
    assert almanac("token", "create", "--email", "nobody@example.com") == (
        1,
        "",
        "almanac: no user with email nobody@example.com\n",
    )


def test_check_on_a_fresh_data_dir(almanac: Any, data_dir: Path) -> None:
    assert almanac("check") == (
        0,
        f"config: ok (data directory {data_dir})\ndatabase: none yet (created on first start)\n",
        "",
    )
    assert not data_dir.exists()  # checking creates nothing


def test_check_on_a_migrated_data_dir(almanac: Any, data_dir: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)
    latest = len(migrations.available())

    assert almanac("check") == (
        0,
        f"config: ok (data directory {data_dir})\nmigrations: at version {latest}, 0 pending\nintegrity: ok\n",
        "",
    )


@pytest.mark.parametrize("version", [0, 1])
def test_check_reports_pending_migrations_without_applying_them(
    almanac: Any, data_dir: Path, version: int
) -> None:
    data_dir.mkdir()
    with closing(open_connection(data_dir / "almanac.db", Config().database)) as conn:
        migrations.migrate(conn, known=migrations.available()[:version])
    todo = migrations.available()[version:]
    names = f" ({', '.join(m.name for m in todo)})" if todo else ""

    result = almanac("check")

    assert result == (
        0,
        f"config: ok (data directory {data_dir})\n"
        f"migrations: at version {version}, {len(todo)} pending{names}\n"
        "integrity: ok\n",
        "",
    )
    with closing(sqlite3.connect(data_dir / "almanac.db")) as conn:
        assert migrations.current_version(conn) == version


def test_check_on_a_file_that_is_not_a_database(almanac: Any, data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "almanac.db").write_bytes(b"this is not SQLite" * 100)

    assert almanac("check") == (
        1,
        f"config: ok (data directory {data_dir})\n",
        "almanac: database error: file is not a database\n",
    )


def test_backup_to_a_file(almanac: Any, data_dir: Path, tmp_path: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)
    dest = tmp_path / "copies" / "almanac-backup.db"

    result = almanac("backup", str(dest))

    assert result == (0, f"backup written to {dest}\n", "")
    with closing(sqlite3.connect(dest)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert dump(dest) == dump(data_dir / "almanac.db")
    assert any("ada@example.com" in line for line in dump(dest))


def test_backup_to_a_directory(almanac: Any, data_dir: Path, tmp_path: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)
    folder = tmp_path / "backups"
    folder.mkdir()

    code, out, err = almanac("backup", str(folder))

    [written] = folder.iterdir()
    assert (code, out, err) == (0, f"backup written to {written}\n", "")
    assert written.name.startswith("almanac-") and written.suffix == ".db"
    assert dump(written) == dump(data_dir / "almanac.db")


def test_backup_refuses_to_overwrite(almanac: Any, tmp_path: Path) -> None:
    almanac("user", "create", "--email", "ada@example.com", "--password", PASSWORD)
    dest = tmp_path / "existing.db"
    dest.write_bytes(b"precious")

    result = almanac("backup", str(dest))

    assert result == (1, "", f"almanac: {dest} exists already; choose a new file\n")
    assert dest.read_bytes() == b"precious"


def test_backup_without_a_database(almanac: Any, data_dir: Path, tmp_path: Path) -> None:
    result = almanac("backup", str(tmp_path / "copy.db"))

    assert result == (1, "", f"almanac: no database at {data_dir / 'almanac.db'}\n")


def test_config_error_is_one_line_and_exit_2(almanac: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALMANAC_SERVER_PORT", "abc")

    assert almanac("check") == (2, "", "almanac: config error: server.port: expected `int`, got `str`\n")


def test_serve_refuses_a_short_admin_password_before_starting(
    almanac: Any, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setenv("ALMANAC_ADMIN_EMAIL", "root@example.com")
    monkeypatch.setenv("ALMANAC_ADMIN_PASSWORD", "short")

    assert almanac("serve") == (
        2,
        "",
        "almanac: config error: admin: password: must be at least 8 characters\n",
    )
    assert not data_dir.exists()


def test_config_file_errors_exit_2(almanac: Any, tmp_path: Path) -> None:
    bad = tmp_path / "almanac.toml"
    bad.write_text("[database]\nreaders = 0\n", encoding="utf-8")

    result = almanac("user", "list", "--config", str(bad))

    assert result == (2, "", "almanac: config error: database.readers: expected `int` >= 1\n")


def test_config_file_from_the_environment(
    almanac: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    config = tmp_path / "almanac.toml"
    config.write_text(f'[server]\ndata_dir = "{other}"\n', encoding="utf-8")
    monkeypatch.setenv("ALMANAC_CONFIG", str(config))

    result = almanac("check", data=False)

    assert result == (
        0,
        f"config: ok (data directory {other})\ndatabase: none yet (created on first start)\n",
        "",
    )
