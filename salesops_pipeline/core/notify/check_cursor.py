"""The check-alert sensor's cursor: where it stopped in the event log, and which warehouse-wide
findings it has alerted, so an unchanged finding is alerted once, not on every refresh.

A finding is a failed check's severity and the figures that say what is wrong
(:data:`FINDING_FIGURES`, e.g. ``count``; not ``lines_checked`` or ``share``, which move with
every import). It is alerted again when it changes, or after the check has passed in between.

Stored as JSON, ``{"after": 1234, "alerted": {"fact_sales_line:mismatched_total": "WARN
count=3"}}`` (``after``: the last event-log storage id read). The cursor of earlier versions,
the storage id alone (``"1234"``), reads as that id with nothing alerted yet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["FINDING_FIGURES", "BadCursor", "CheckCursor", "finding"]

#: The figures of a check that state its finding, in the order written: the rules' and
#: integrity's ``count``, control totals' ``mismatched``, reports_reconcile's
#: ``mismatched_weeks``. A check with none of them is fingerprinted by all its figures.
FINDING_FIGURES = ("count", "mismatched", "mismatched_weeks")


class BadCursor(ValueError):
    """The stored cursor is neither a storage id nor this module's JSON."""


def finding(severity: str, figures: Mapping[str, str]) -> str:
    """What a failed evaluation found, as compared between evaluations.

    >>> finding("WARN", {"count": "3", "lines_checked": "1200", "share": "0.25 %"})
    'WARN count=3'
    """
    named = [f"{name}={figures[name]}" for name in FINDING_FIGURES if name in figures]
    if not named:
        text = json.dumps(dict(figures), sort_keys=True, ensure_ascii=False)
        named = ["figures=" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]]
    return " ".join([severity, *named])


@dataclass
class CheckCursor:
    """``after``: the last storage id read; ``alerted``: check key → finding last alerted."""

    after: int = 0
    alerted: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> CheckCursor:
        """The stored cursor (JSON, or a plain storage id from before); BadCursor otherwise."""
        try:
            if text.strip().isdigit():
                return cls(int(text))
            data = json.loads(text)
            return cls(int(data["after"]), {str(k): str(v) for k, v in data["alerted"].items()})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BadCursor(f"unreadable check-alert cursor {text[:80]!r}") from exc

    def dump(self) -> str:
        return json.dumps({"after": self.after, "alerted": self.alerted}, sort_keys=True)

    def is_new(self, key: str, found: str) -> bool:
        """Whether ``found`` differs from what was last alerted for ``key``; it is remembered."""
        if self.alerted.get(key) == found:
            return False
        self.alerted[key] = found
        return True

    def passed(self, key: str) -> None:
        """The check passed: its next failure is new, whatever it finds."""
        self.alerted.pop(key, None)
