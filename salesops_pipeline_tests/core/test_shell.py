"""Suggested commands are shell-quoted: a file name reaches the command as one argument."""

from __future__ import annotations

import shlex

import pytest

from salesops_pipeline.core.load.import_log import reimport_command, reimport_hint
from salesops_pipeline.core.shell import salesops_command

NAMES = ["plain.xlsx", "north/Q1 report.xlsx", "it's \"final\".xlsx", "$(touch pwned).xlsx",
         "`id`.csv", "a;b&c|d>e.xlsx", "tab\there.csv", "line\nbreak.xlsx", "ñ 😀 $HOME.xlsx",
         "*.xlsx"]


@pytest.mark.parametrize("name", NAMES)
def test_a_suggestion_round_trips_through_shlex_split(name: str) -> None:
    assert shlex.split(salesops_command("ingest", "--reimport", name)) == [
        "salesops", "ingest", "--reimport", name]
    assert shlex.split(reimport_command(name)) == ["salesops", "ingest", "--reimport", name]


@pytest.mark.parametrize("name", NAMES)
def test_the_reimport_hint_carries_the_quoted_command(name: str) -> None:
    hint = reimport_hint(name)
    assert hint == f"`{reimport_command(name)}` brings it back"


def test_plain_names_stay_unquoted_and_a_leading_dash_is_no_option() -> None:
    assert reimport_command("north/jan.xlsx") == "salesops ingest --reimport north/jan.xlsx"
    assert shlex.split(reimport_command("-rf.xlsx")) == [
        "salesops", "ingest", "--reimport", "--", "-rf.xlsx"]
