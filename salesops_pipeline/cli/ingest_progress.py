"""How `salesops ingest` shows the row counts of its runs (core/load/progress.py reports).

A bar per stage of each file on a terminal (tqdm: it redraws in place and keeps each finished
bar as one line); plain lines, one per stage of each file once it is over, everywhere else (a
pipe, a log file, CI), so nothing there is full of carriage returns.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from salesops_pipeline.core.load.progress import Stage, describe, is_final

__all__ = ["BarProgress", "LineProgress"]


class LineProgress:
    """Progress as plain lines (not a terminal): one per stage of each file, when it is over."""

    def __init__(self, keys: list[str], echo: Callable[[str], object] = print) -> None:
        self._index = {key: n for n, key in enumerate(keys, 1)}
        self._echo = echo

    def _span(self, file: str) -> str:
        return f"[{self._index.get(file, '?')}/{len(self._index)}]"

    def __call__(self, file: str, stage: Stage, done: int, total: int | None) -> None:
        if is_final(done, total):
            self._echo(f"{self._span(file)} {describe(file, stage, done, total)}")

    def close(self) -> None:
        """Nothing is left open by plain lines."""


class BarProgress(LineProgress):
    """A bar per stage of each file on a terminal; each finished bar stays as one line."""

    COUNTING = "{desc}  [{elapsed}, {rate_fmt}]"  # no total yet: a count and its rate
    KNOWN = "{desc} |{bar:24}| {percentage:3.0f}% [{elapsed}]"

    def __init__(self, keys: list[str], stream: TextIO | None = None) -> None:
        from tqdm import tqdm  # only on a terminal: the command starts faster without

        super().__init__(keys)
        self._tqdm = tqdm
        self._stream = stream or sys.stdout
        self._bar: Any = None
        self._at: tuple[str, Stage] | None = None

    def __call__(self, file: str, stage: Stage, done: int, total: int | None) -> None:
        words = f"{self._span(file)} {describe(file, stage, done, total)}"
        shape = self.COUNTING if total is None else self.KNOWN
        if self._at != (file, stage):
            self.close()
            self._at = (file, stage)
            self._bar = self._tqdm(file=self._stream, total=total, desc=words, bar_format=shape,
                             unit=" lines", unit_scale=True, leave=True)
        bar = self._bar
        bar.total, bar.bar_format = total, shape
        bar.set_description_str(words, refresh=False)
        bar.update(done - bar.n)
        if is_final(done, total):
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._at = None, None
