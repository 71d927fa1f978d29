"""`salesops api-key create|list|revoke` and the local admin key of `make up`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import ensure_local_admin_key, key_hash, revoke_key
from salesops_pipeline.api.main import create_app
from salesops_pipeline.cli.main import build_parser, main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_prints_the_key_last_and_it_works(api_db: str, capsys, sql) -> None:
    code, out, _ = _run(capsys, "api-key", "create", "--role", "viewer", "--name", "dash")
    assert code == 0
    key = out.strip().splitlines()[-1]
    assert key.startswith("sok_")
    assert sql("SELECT role, key_hash FROM salesops.api_key WHERE name = 'dash'") == \
        [("viewer", key_hash(key))]
    with TestClient(create_app(), headers={"X-API-Key": key}) as client:
        assert client.get("/reports/weekly-summary").status_code == 200
        assert client.get("/imports").status_code == 403


def test_duplicate_name_exits_1(api_db: str, capsys) -> None:
    assert _run(capsys, "api-key", "create", "--role", "admin", "--name", "ops")[0] == 0
    code, out, err = _run(capsys, "api-key", "create", "--role", "viewer", "--name", "ops")
    assert code == 1
    assert "named 'ops' exists already" in err
    assert "sok_" not in out


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "-dash", "semi;colon"])
def test_invalid_name_exits_1(api_db: str, capsys, name: str) -> None:
    code, _, err = _run(capsys, "api-key", "create", "--role", "viewer", f"--name={name}")
    assert code == 1
    assert "invalid key name" in err


def test_list_and_revoke(api_db: str, capsys) -> None:
    assert _run(capsys, "api-key", "list")[1].startswith("no API keys yet")
    _run(capsys, "api-key", "create", "--role", "viewer", "--name", "bi")
    key = _run(capsys, "api-key", "create", "--role", "admin", "--name", "ops")[1].split()[-1]
    code, out, _ = _run(capsys, "api-key", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "PREFIX", "CREATED", "REVOKED"]
    assert [line.split()[:3] for line in lines[1:]] == [["bi", "viewer", lines[1].split()[2]],
                                                        ["ops", "admin", key[:16]]]
    assert key not in out
    code, out, _ = _run(capsys, "api-key", "revoke", "ops")
    assert code == 0 and "revoked API key 'ops'" in out
    assert _run(capsys, "api-key", "list")[1].splitlines()[2].split()[-1] != "-"
    code, _, err = _run(capsys, "api-key", "revoke", "ops")
    assert code == 1 and "revoked already" in err
    code, _, err = _run(capsys, "api-key", "revoke", "ghost")
    assert code == 1 and "no API key named 'ghost'" in err


@pytest.mark.parametrize("argv", [["api-key"], ["api-key", "create"],
                                  ["api-key", "create", "--role", "root", "--name", "x"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2


@pytest.mark.parametrize("argv", [["api-key"], ["api-key", "create"], ["api-key", "list"],
                                  ["api-key", "revoke"]])
def test_every_action_has_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: salesops api-key" in capsys.readouterr().out


def test_local_admin_key_is_created_once(api_db: str, tmp_path: Path) -> None:
    key_file = tmp_path / "home" / "api-admin.key"
    key = ensure_local_admin_key(api_db, key_file)
    assert key and key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ensure_local_admin_key(api_db, key_file) == key  # later starts: the stored one
    with TestClient(create_app(), headers={"X-API-Key": key}) as client:
        assert client.get("/imports").status_code == 200
    key_file.unlink()
    assert ensure_local_admin_key(api_db, key_file) is None  # not recreated
    key_file.write_text(key)
    revoke_key(api_db, "local-admin")
    assert ensure_local_admin_key(api_db, key_file) is None  # revoked: not resurrected
