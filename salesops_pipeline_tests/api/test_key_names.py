"""API key names from careless or hostile input: refused before anything is generated or stored,
with a short escaped message and never a key, prefix or hash on screen."""

from __future__ import annotations

import os

import pytest

from salesops_pipeline.api import keys
from salesops_pipeline.cli.main import main
from salesops_pipeline.errors import InvalidKeyName, excerpt
from salesops_pipeline_tests.cli.support import salesops

#: Names the shell can pass (argv cannot hold a NUL: that one goes through main() below).
BAD_NAMES = {
    "trailing-newline": "ops\n",
    "100000-characters": "x" * 100_000,
    "only-spaces": "   ",
    "surrounding-space": " ops ",
    "tab": "o\tps",
    "carriage-return": "ops\r",
    "escape-sequence": "ops\x1b[2J",
    "right-to-left-override": "ops\u202egpj",
    "line-separator": "ops\u2028",
}
MESSAGE_LIMIT = 300


def _assert_refused_cleanly(code: int, out: str, err: str, sql) -> None:
    assert code == 1
    assert "Traceback" not in out + err
    assert "sok_" not in out + err
    assert err.startswith("error: invalid key name ") and len(err) < MESSAGE_LIMIT, err
    assert out == ""
    assert sql("SELECT count(*) FROM salesops.api_key") == [(0,)]


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_create_refuses_the_name_in_a_real_process(api_db: str, sql, name: str) -> None:
    done = salesops("api-key", "create", "--role", "admin", "--name", name, env=dict(os.environ))
    _assert_refused_cleanly(done.returncode, done.stdout, done.stderr, sql)


def test_create_refuses_a_nul(api_db: str, sql, capsys) -> None:
    code = main(["api-key", "create", "--role", "viewer", "--name", "ops\x00"])
    out, err = capsys.readouterr()
    _assert_refused_cleanly(code, out, err, sql)
    assert r"'ops\x00'" in err


def test_a_long_name_is_quoted_as_a_short_excerpt(api_db: str, capsys) -> None:
    assert main(["api-key", "create", "--role", "viewer", "--name", "y" * 100_000]) == 1
    err = capsys.readouterr().err
    assert err == ("error: invalid key name 'yyyyyyyyyyyyyyyyyyyy'... (100000 characters): it is "
                   "100000 characters long; use 1-64 characters from A-Z a-z 0-9 . _ @ - "
                   "(starting with a letter or digit)\n")


@pytest.mark.parametrize("name", ["ops\n", "ops\x00", " ops", "z" * 100_000, ""])
def test_revoke_answers_a_weird_name_cleanly(api_db: str, sql, capsys, name: str) -> None:
    keys.create_key(api_db, name="ops", role="viewer")
    code = main(["api-key", "revoke", name])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("error: invalid key name ") and len(err) < MESSAGE_LIMIT, err
    assert sql("SELECT name, revoked_at FROM salesops.api_key") == [("ops", None)]


def test_a_key_the_database_refuses_is_never_shown(api_db: str, sql, capsys,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a name ever pass the check but not the table's CHECK constraint (whose DETAIL
    quotes the row: prefix and hash), the command still says only that nothing was stored."""
    monkeypatch.setattr(keys, "check_name", lambda name: name)
    code = main(["api-key", "create", "--role", "admin", "--name", "ops\n"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("error: the API key was not stored and was not shown: ")
    assert "sok_" not in err and "Traceback" not in err
    assert sql("SELECT count(*) FROM salesops.api_key") == [(0,)]


@pytest.mark.parametrize("name", ["a", "dashboards", "ops@example.org", "bi-team_2.0", "9" * 64])
def test_valid_names(name: str) -> None:
    assert keys.check_name(name) == name


@pytest.mark.parametrize(("name", "problem"), [
    ("", "it is empty"),
    ("   ", "it is only whitespace"),
    ("ops\n", r"it contains the control or unprintable character '\n'"),
    ("o\x00ps", r"it contains the control or unprintable character '\x00'"),
    (" ops", "it begins or ends with a space (names are not trimmed)"),
    ("x" * 65, "it is 65 characters long"),
    ("semi;colon", "it contains ';'"),
    ("has space", "it contains ' '"),
    ("é", "it contains 'é'"),
    ("-dash", "it does not start with a letter or digit"),
])
def test_invalid_names_say_what_is_wrong(name: str, problem: str) -> None:
    with pytest.raises(InvalidKeyName) as caught:
        keys.check_name(name)
    assert caught.value.problem == f"{problem}; {keys.NAME_RULE}"
    assert str(caught.value) == f"invalid key name {excerpt(name)}: {caught.value.problem}"


def test_excerpt() -> None:
    assert excerpt("ops\n") == r"'ops\n'"
    assert excerpt("x" * 500, 3) == "'xxx'... (500 characters)"
    assert excerpt("\x00" * 21) == repr("\x00" * 20) + "... (21 characters)"
