"""Configuration layers (defaults < TOML < ALMANAC_* env < flags), bad values, and the docs."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from appliance.accounts import users
from appliance.config import Config, ConfigError, load_config

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def write(tmp_path: Path, text: str, name: str = "almanac.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    config = load_config(environ={})

    assert msgspec.to_builtins(config) == {
        "server": {
            "host": "127.0.0.1",
            "port": 8000,
            "data_dir": "",
            "trusted_proxies": [],
            "log_level": "info",
        },
        "database": {
            "synchronous": "FULL",
            "busy_timeout_ms": 5000,
            "readers": 4,
            "cache_size_mib": 96,
            "max_batch": 512,
        },
        "auth": {"session_days": 30, "invitation_days": 7},
        "rate_limits": {"login_per_minute": 5, "api_per_minute": 240, "tracking_per_minute": 10000},
        "tracking": {
            "session_timeout_minutes": 30,
            "max_body_bytes": 65536,
            "max_field_length": 2048,
            "max_properties": 30,
            "max_property_length": 500,
            "heartbeat_flush_seconds": 2.0,
            "max_open_sessions": 100_000,
        },
        "geo": {"country_db": "", "city_db": ""},
        "admin": {"email": "", "password": ""},
        "export": {"max_limit": 100000},
        "stats": {"rollup_refresh_seconds": 30.0},
    }
    assert config == Config()


def test_toml_file_layer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[server]\nport = 9000\ntrusted_proxies = ["10.0.0.0/8"]\n'
        '[database]\nsynchronous = "NORMAL"\n[tracking]\nheartbeat_flush_seconds = 5\n',
    )

    config = load_config(path, environ={})

    assert config.server.port == 9000
    assert config.server.trusted_proxies == ["10.0.0.0/8"]
    assert config.database.synchronous == "NORMAL"
    assert config.tracking.heartbeat_flush_seconds == 5.0
    # What the file does not name keeps its default.
    assert config.server.host == "127.0.0.1"
    assert config.auth == Config().auth


def test_environment_layer() -> None:
    config = load_config(
        environ={
            "ALMANAC_SERVER_PORT": "9100",
            "ALMANAC_SERVER_HOST": "0.0.0.0",
            "ALMANAC_DATABASE_SYNCHRONOUS": "NORMAL",
            "ALMANAC_TRACKING_HEARTBEAT_FLUSH_SECONDS": "0.5",
            "ALMANAC_ADMIN_EMAIL": "root@example.com",
            "ALMANAC_SERVER_BOGUS": "ignored: only known settings are read",
            "PORT": "1",
        }
    )

    assert config.server.port == 9100
    assert config.server.host == "0.0.0.0"
    assert config.database.synchronous == "NORMAL"
    assert config.tracking.heartbeat_flush_seconds == 0.5
    assert config.admin.email == "root@example.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.0.0.0/8, 192.168.1.1 ,::1", ["10.0.0.0/8", "192.168.1.1", "::1"]),
        ("127.0.0.1", ["127.0.0.1"]),
        ("", []),
        (" , ", []),
    ],
)
def test_environment_lists_are_comma_separated(raw: str, expected: list[str]) -> None:
    config = load_config(environ={"ALMANAC_SERVER_TRUSTED_PROXIES": raw})

    assert config.server.trusted_proxies == expected


def test_almanac_config_names_the_file(tmp_path: Path) -> None:
    named = write(tmp_path, "[server]\nport = 9200\n", "named.toml")
    given = write(tmp_path, "[server]\nport = 9300\n", "given.toml")

    assert load_config(environ={"ALMANAC_CONFIG": str(named)}).server.port == 9200
    # An explicit path (--config) wins over ALMANAC_CONFIG.
    assert load_config(given, environ={"ALMANAC_CONFIG": str(named)}).server.port == 9300


def test_flags_override_environment() -> None:
    config = load_config(
        environ={"ALMANAC_SERVER_PORT": "9100", "ALMANAC_SERVER_DATA_DIR": "/from/env"},
        overrides={"server": {"port": 9400}},
    )

    assert config.server.port == 9400
    assert config.server.data_dir == "/from/env"


def test_precedence_defaults_toml_env_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[server]\nport = 9001\nlog_level = "debug"\n[database]\nreaders = 2\nbusy_timeout_ms = 100\n',
    )
    environ = {"ALMANAC_SERVER_PORT": "9002", "ALMANAC_DATABASE_READERS": "3"}

    config = load_config(path, environ=environ, overrides={"server": {"port": 9003}})

    assert config.server.host == "127.0.0.1"  # defaults only
    assert config.server.log_level == "debug"  # TOML over defaults
    assert config.database.busy_timeout_ms == 100  # TOML over defaults
    assert config.database.readers == 3  # env over TOML
    assert config.server.port == 9003  # flags over env over TOML


@pytest.mark.parametrize(
    ("toml", "environ", "overrides", "message"),
    [
        ("", {"ALMANAC_SERVER_PORT": "abc"}, {}, "server.port: expected `int`, got `str`"),
        ("", {"ALMANAC_SERVER_PORT": "0"}, {}, "server.port: expected `int` >= 1"),
        ("", {}, {"server": {"port": 70000}}, "server.port: expected `int` <= 65535"),
        # The file must be typed: a quoted number there is a mistake, not a coercion.
        ('[server]\nport = "9000"\n', {}, {}, "server.port: expected `int`, got `str`"),
        ("[database]\nreaders = 0\n", {}, {}, "database.readers: expected `int` >= 1"),
        ("[database]\nmax_batch = 1.5\n", {}, {}, "database.max_batch: expected `int`, got `float`"),
        ("", {"ALMANAC_AUTH_SESSION_DAYS": "1.5"}, {}, "auth.session_days: expected `int`, got `str`"),
        (
            "",
            {"ALMANAC_TRACKING_HEARTBEAT_FLUSH_SECONDS": "0"},
            {},
            "tracking.heartbeat_flush_seconds: expected `float` > 0.0",
        ),
        ("[server]\nbogus = 1\n", {}, {}, "server: object contains unknown field `bogus`"),
        ("[nosuch]\nx = 1\n", {}, {}, "(top level): object contains unknown field `nosuch`"),
        ("server = 1\n", {}, {}, "server: expected `object`, got `int`"),
        ("", {"ALMANAC_DATABASE_SYNCHRONOUS": "LOUD"}, {}, "database.synchronous: invalid enum value 'LOUD'"),
        # Enums are exact: PRAGMA values are upper case, log levels lower case.
        (
            "",
            {"ALMANAC_DATABASE_SYNCHRONOUS": "normal"},
            {},
            "database.synchronous: invalid enum value 'normal'",
        ),
        ('[server]\nlog_level = "loud"\n', {}, {}, "server.log_level: invalid enum value 'loud'"),
        (
            "",
            {"ALMANAC_SERVER_TRUSTED_PROXIES": "10.0.0.0/8,nope"},
            {},
            "server: trusted_proxies: not an IP address or CIDR range: 'nope'",
        ),
        (
            '[server]\ntrusted_proxies = ["10.0.0.300"]\n',
            {},
            {},
            "server: trusted_proxies: not an IP address or CIDR range: '10.0.0.300'",
        ),
        ("", {"ALMANAC_ADMIN_PASSWORD": "short"}, {}, "admin: password: must be at least 8 characters"),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, toml: str, environ: dict[str, str], overrides: dict[str, Any], message: str
) -> None:
    path = write(tmp_path, toml) if toml else None

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ, overrides=overrides)

    assert str(caught.value) == message


def test_admin_password_rule_is_the_users_rule() -> None:
    at_least = "x" * users.MIN_PASSWORD

    assert load_config(environ={"ALMANAC_ADMIN_PASSWORD": at_least}).admin.password == at_least
    with pytest.raises(ConfigError):
        load_config(environ={"ALMANAC_ADMIN_PASSWORD": at_least[1:]})


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert str(caught.value) == f"config file not found: {path}"


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert str(caught.value) == (
        f"config file is not valid TOML: {path}: "
        "Expected ']' at the end of a table declaration (at line 1, column 8)"
    )


def test_unreadable_files(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[server]")

    with pytest.raises(ConfigError) as not_utf8:
        load_config(binary, environ={})
    with pytest.raises(ConfigError) as directory:
        load_config(tmp_path, environ={})

    assert str(not_utf8.value) == (
        f"config file unreadable: {binary}: "
        "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    )
    assert (
        str(directory.value) == f"config file unreadable: {tmp_path}: [Errno 21] Is a directory: '{tmp_path}'"
    )


# The docs test: config.example.toml documents every setting with its default (STYLE rule 9).


def settings(struct: type[msgspec.Struct], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf setting of a Struct tree as (dotted key, default value)."""
    for field in msgspec.structs.fields(struct):
        default = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            yield from settings(field.type, f"{prefix}{field.name}.")
        else:
            yield f"{prefix}{field.name}", default


def documented() -> dict[str, tuple[str, str]]:
    """Each `key = value` line of the example file as {dotted key: (raw value, line above)}."""
    found: dict[str, tuple[str, str]] = {}
    section = ""
    previous = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif stripped and not stripped.startswith("#"):
            key, _, raw = stripped.partition("=")
            found[f"{section}.{key.strip()}"] = (raw.strip(), previous)
        previous = stripped
    return found


def test_every_setting_is_documented_with_its_default() -> None:
    docs = documented()
    expected = dict(settings(Config))

    assert sorted(docs) == sorted(expected)
    for key, default in expected.items():
        raw, above = docs[key]
        assert tomllib.loads(f"value = {raw}")["value"] == default, key
        assert above.startswith("# ") and len(above) > 10, f"{key} has no comment line above it"


def test_example_file_loads_as_the_defaults() -> None:
    assert load_config(EXAMPLE, environ={}) == Config()
