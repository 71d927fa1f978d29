"""The UI's front door as `salesops up` renders it: nginx accepts the configuration, which
allows only the configured hosts and keeps everything under SALESOPS_HOME."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from salesops_pipeline.cli.door import Door, door_of, find_nginx
from salesops_pipeline.errors import ConfigError
from salesops_pipeline.settings import Settings


def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_nginx_accepts_the_rendered_configuration(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    door = door_of(settings(tmp_path, monkeypatch, SALESOPS_DAGSTER_PORT="3100"))
    conf = door.prepare().read_text()
    checked = subprocess.run([*door.command(find_nginx()), "-t"], capture_output=True,
                             text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert stat.S_IMODE(door.folder.stat().st_mode) == 0o700
    assert door.folder == (tmp_path / "home" / "door").resolve()
    assert f"server unix:{door.socket};" in conf and "listen 127.0.0.1:3100;" in conf
    # Nothing of the machine's own nginx: pid, logs and temp files stay in the door's folder.
    for line in conf.splitlines():
        if line.strip().startswith(("pid ", "error_log ", "access_log ")) or "_temp_path" in line:
            assert str(door.folder) in line, line


def test_only_the_allowed_hosts_are_served(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(tmp_path, monkeypatch, SALESOPS_DAGSTER_URL="https://dagster.corp.example",
                 SALESOPS_UI_HOSTS="ops.example.com, 10.1.2.3")
    assert s.ui_allowed_hosts() == ("127.0.0.1", "localhost", "dagster.corp.example",
                                    "ops.example.com", "10.1.2.3")
    conf = door_of(s).prepare().read_text()
    assert ("server_name 127.0.0.1 localhost dagster.corp.example ops.example.com 10.1.2.3;"
            in conf)
    assert "server_name _;\n        return 421;" in conf


@pytest.mark.parametrize("bad", ["http://x", "x:3000", "*.example.com", "a b;c"])
def test_a_host_that_is_not_a_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              bad: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        settings(tmp_path, monkeypatch, SALESOPS_UI_HOSTS=bad)


def test_a_socket_path_too_long_for_unix_is_refused(tmp_path: Path) -> None:
    door = Door(tmp_path / ("x" * 120), 3000, 8000, ("127.0.0.1",))
    with pytest.raises(ConfigError, match="shorter SALESOPS_HOME"):
        door.prepare()
