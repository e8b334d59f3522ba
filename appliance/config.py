"""Configuration: defaults < TOML file < ALMANAC_<SECTION>_<KEY> environment < command-line flags.

Every setting lives in one msgspec Struct tree and is documented in `config.example.toml`
(a test holds the two equal). Nothing here reads the environment at import time: callers
pass the environment they want to `load_config`.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import platformdirs

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(ge=1)]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: Port = 8000
    data_dir: str = ""
    trusted_proxies: list[str] = []
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    def __post_init__(self) -> None:
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: not an IP address or CIDR range: {entry!r}") from None


class DatabaseConfig(_Section):
    synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "FULL"
    busy_timeout_ms: NonNegative = 5000
    readers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    cache_size_mib: Positive = 96  # all connections together: half the writer, half the readers
    max_batch: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 512


class AuthConfig(_Section):
    session_days: Positive = 30
    invitation_days: Positive = 7


class RateLimitsConfig(_Section):
    login_per_minute: NonNegative = 5
    api_per_minute: NonNegative = 240
    tracking_per_minute: NonNegative = 10_000


class TrackingConfig(_Section):
    session_timeout_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 30
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1_048_576)] = 65_536
    max_field_length: Annotated[int, msgspec.Meta(ge=64, le=65_536)] = 2048
    max_properties: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 30
    max_property_length: Annotated[int, msgspec.Meta(ge=1, le=65_536)] = 500
    heartbeat_flush_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 2.0
    max_open_sessions: Annotated[int, msgspec.Meta(ge=1000, le=100_000_000)] = 100_000


class GeoConfig(_Section):
    country_db: str = ""
    city_db: str = ""


class AdminConfig(_Section):
    email: str = ""
    password: str = ""

    def __post_init__(self) -> None:
        # accounts.users.MIN_PASSWORD, checked here so a short one stops start-up naming the key
        # (config imports no domain code; a test holds the two equal).
        if self.password and len(self.password) < 8:
            raise ValueError("password: must be at least 8 characters")


class ExportConfig(_Section):
    max_limit: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 100_000


class StatsConfig(_Section):
    rollup_refresh_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 30.0


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    server: ServerConfig = msgspec.field(default_factory=ServerConfig)
    database: DatabaseConfig = msgspec.field(default_factory=DatabaseConfig)
    auth: AuthConfig = msgspec.field(default_factory=AuthConfig)
    rate_limits: RateLimitsConfig = msgspec.field(default_factory=RateLimitsConfig)
    tracking: TrackingConfig = msgspec.field(default_factory=TrackingConfig)
    geo: GeoConfig = msgspec.field(default_factory=GeoConfig)
    admin: AdminConfig = msgspec.field(default_factory=AdminConfig)
    export: ExportConfig = msgspec.field(default_factory=ExportConfig)
    stats: StatsConfig = msgspec.field(default_factory=StatsConfig)

    @property
    def data_path(self) -> Path:
        """The data directory: the configured one, else the platform's user data dir."""
        if self.server.data_dir:
            return Path(self.server.data_dir).expanduser()
        try:
            default = Path(platformdirs.user_data_dir("almanac", appauthor=False))
        except RuntimeError:  # no HOME and a uid the password database lacks (`env -i` can do that)
            default = Path()
        if not default.is_absolute():  # older platformdirs answer "~/.local/share/almanac" there
            raise ConfigError(
                "no home directory to keep data in: pass --data-dir or set ALMANAC_SERVER_DATA_DIR"
            )
        return default

    @property
    def database_path(self) -> Path:
        return self.data_path / "almanac.db"


class ConfigError(Exception):
    """A setting is missing, malformed or out of range; the message names the key."""


SECTIONS: dict[str, type[_Section]] = {f.name: f.type for f in msgspec.structs.fields(Config)}


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """ALMANAC_<SECTION>_<KEY> variables as a nested dict; lists are comma-separated."""
    out: dict[str, dict[str, Any]] = {}
    for section, struct in SECTIONS.items():
        for field in msgspec.structs.fields(struct):
            name = f"ALMANAC_{section}_{field.name}".upper()
            if name not in environ:
                continue
            raw = environ[name]
            value: Any = [v.strip() for v in raw.split(",") if v.strip()] if field.type == list[str] else raw
            out.setdefault(section, {})[field.name] = value
    return out


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: msgspec.ValidationError) -> str:
    # msgspec says "Expected `int`, got `str` - at `$.server.port`"; we lead with the key.
    text = str(error)
    message, _, where = text.partition(" - at `$")
    key = where.rstrip("`").lstrip(".") or "(top level)"
    return f"{key}: {message[0].lower()}{message[1:]}"


def load_config(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Build the configuration from its four layers; raise ConfigError naming the bad key."""
    environ = environ or {}
    path = path or environ.get("ALMANAC_CONFIG") or None
    layers: dict[str, Any] = {}
    if path:
        try:
            layers = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file unreadable: {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file is not valid TOML: {path}: {exc}") from None
    from_env = _env_overrides(environ)
    try:
        # The file must be typed correctly; environment strings may be coerced ("8000" -> 8000).
        msgspec.convert(layers, Config)
        merged = _merge(_merge(layers, from_env), overrides or {})
        config = msgspec.convert(merged, Config, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    _ = config.data_path  # with no data directory to be found, fail here rather than mid-command
    return config
