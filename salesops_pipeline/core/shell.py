"""The `salesops` commands that messages suggest, quoted so they can be pasted into a shell.

A file name is user input: ``Q1 $(rm -rf ~).xlsx`` must reach the command as one argument and
run nothing. Every suggestion that carries a value is built here (``shlex.join``), so it
round-trips through ``shlex.split``.
"""

from __future__ import annotations

import shlex

__all__ = ["salesops_command"]


def salesops_command(*args: str) -> str:
    """``salesops`` with ``args``, each quoted for a POSIX shell where needed.

    >>> salesops_command("ingest", "--reimport", "north/Q1 report.xlsx")
    "salesops ingest --reimport 'north/Q1 report.xlsx'"
    """
    return shlex.join(["salesops", *args])
