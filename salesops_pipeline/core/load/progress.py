"""Row counts of one import as it goes: what `salesops ingest` draws and the run log shows.

Why a callback: the rows of a file are counted where they pass (the parser's COPY stream in
staging, then the import's steps), but shown somewhere else (a bar on a terminal, a line in
Dagster's run log). Whoever counts calls a :class:`RowProgress`; :class:`Throttle` keeps the
calls cheap (at most one every ``INTERVAL_SECONDS`` per stage, the first and last always), and
the Dagster op that runs the import forwards each report to the listeners of its process
(:func:`listening`), which is how `salesops ingest`, running the job in-process, draws them.

A report is ``(file, stage, done, total)``: ``total`` is None while still counting; a stage is
over when ``done`` reaches a known ``total`` (:func:`is_final`). Pure: no Dagster, no database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Protocol

__all__ = ["INTERVAL_SECONDS", "RowProgress", "Stage", "Throttle", "describe", "is_final",
           "listening", "tell_listeners"]

INTERVAL_SECONDS = 0.5


class Stage(StrEnum):
    """The stages of one file's import, in order."""

    PARSE = "parse"  # read from the file (while counting: the sales lines streamed so far)
    STAGE = "stage"  # the good lines committed to staging (quarantined/skipped rows kept apart)
    PUBLISH = "publish"  # the staged lines switched into the facts


# stage → (while counting, when over, unit while counting, unit when over)
_WORDS = {
    Stage.PARSE: ("parsing", "parsed", "lines so far", "rows"),
    Stage.STAGE: ("staging", "staged", "lines", "lines"),
    Stage.PUBLISH: ("publishing", "published", "lines", "lines"),
}


class RowProgress(Protocol):
    """Told how far one stage of one file's import is."""

    def __call__(self, file: str, stage: Stage, done: int, total: int | None) -> None: ...


def is_final(done: int, total: int | None) -> bool:
    """The stage is over: its count reached the known total."""
    return total is not None and done >= total


def describe(file: str, stage: Stage, done: int, total: int | None) -> str:
    """One report in words: ``a.xlsx: parsed 120,000 rows``, ``a.xlsx: publishing 0 of 9 lines``."""
    going, over, unit, final_unit = _WORDS[stage]
    if is_final(done, total):
        return f"{file}: {over} {done:,} {final_unit}"
    of = f" of {total:,}" if total is not None else ""
    return f"{file}: {going}, {done:,}{of} {unit}"


class Throttle:
    """Passes reports on to ``to`` at most every ``seconds`` per stage of a file; a stage's
    first report and its last (final) one always go through."""

    def __init__(self, to: RowProgress, seconds: float = INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._to, self._seconds, self._clock = to, seconds, clock
        self._current: tuple[str, Stage] | None = None
        self._sent_at = 0.0

    def __call__(self, file: str, stage: Stage, done: int, total: int | None) -> None:
        now = self._clock()
        if (self._current == (file, stage) and now - self._sent_at < self._seconds
                and not is_final(done, total)):
            return
        self._current, self._sent_at = (file, stage), now
        self._to(file, stage, done, total)


_listeners: list[RowProgress] = []


@contextmanager
def listening(listener: RowProgress) -> Iterator[None]:
    """Within the block, every report of an import run in this process also goes to
    ``listener`` (`salesops ingest` draws them; runs in other processes are not seen)."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def tell_listeners(file: str, stage: Stage, done: int, total: int | None) -> None:
    """Hand one report to the listeners of this process (none: nothing happens)."""
    for listener in list(_listeners):
        listener(file, stage, done, total)
