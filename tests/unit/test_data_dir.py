from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from appliance.config import ConfigError, load_config


@pytest.fixture
def no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and a uid the password database does not know, as `env -i` can leave a service."""
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)

    def unknown(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", unknown)


@pytest.mark.usefixtures("no_home")
def test_no_home_asks_for_a_data_dir_in_one_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(environ={})
    assert str(raised.value) == (
        "no home directory to keep data in: pass --data-dir or set ALMANAC_SERVER_DATA_DIR"
    )


@pytest.mark.usefixtures("no_home")
def test_no_home_is_fine_with_a_data_dir() -> None:
    config = load_config(environ={"ALMANAC_SERVER_DATA_DIR": "/srv/almanac"})
    assert config.data_path == Path("/srv/almanac")


def test_home_from_the_password_database_when_home_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    home = pwd.getpwuid(os.getuid()).pw_dir
    assert load_config(environ={}).data_path == Path(home) / ".local" / "share" / "almanac"
