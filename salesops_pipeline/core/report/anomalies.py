"""Unusual business figures: a week's revenue (the total, a seller's, a product's) against its
trailing weeks, and the thresholds that say what is unusual (SALESOPS_FIGURE_THRESHOLDS).

A figure is judged against the median of its last :data:`TRAILING_WEEKS` weeks (a week without
sales counts as 0) and their spread, the median absolute deviation (MAD): robust, so one odd
week in the history neither hides nor causes a finding.

- **silent**: sold in at least :data:`USUAL_WEEKS` of those weeks, nothing this week.
- **drop**: below ``median × (1 − drop %)`` and more than ``spread × MAD`` below the median.
- **jump**: above ``median × (1 + jump %)`` and more than ``spread × MAD`` above the median.

The spread test keeps ordinary noise quiet: a seller whose weeks swing by half anyway is not
flagged for one more such swing. A figure whose median is 0 (sold in fewer than half the
weeks) has no usual level, so only silence can be found.

Thresholds syntax, like SALESOPS_RULE_THRESHOLDS: ``scope=term[,term]``, scopes separated by
``;``; scope ``total``, ``seller`` or ``product``; terms ``drop>P%``, ``jump>P%``,
``spread>K`` and ``error`` (findings fail the check as ERROR instead of WARN)::

    total=drop>30%,jump>50%; seller=drop>60%,spread>2
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from salesops_pipeline.core.report.figures import money_text
from salesops_pipeline.core.report.rules import Severity
from salesops_pipeline.errors import ConfigError

__all__ = ["SCOPES", "TRAILING_WEEKS", "USUAL_WEEKS", "FigureFinding", "Limits", "assess",
           "parse_figure_thresholds"]

VARIABLE = "SALESOPS_FIGURE_THRESHOLDS"
TRAILING_WEEKS = 8
USUAL_WEEKS = 6
"""Weeks with sales (of the trailing ones) that make a seller or product a usual one."""
SCOPES = ("total", "seller", "product")
_TERM = re.compile(r"(?i)(drop|jump|spread)\s*>\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)|(error|warn)")
_PCT = Decimal("0.01")


@dataclass(frozen=True)
class Limits:
    """What is unusual for one scope: percentages for drop and jump, MADs for the spread."""

    drop: Decimal = Decimal(50)
    jump: Decimal = Decimal(100)
    spread: Decimal = Decimal(3)
    severity: Severity = Severity.WARN


DEFAULTS = {"total": Limits(drop=Decimal(30), jump=Decimal(50)), "seller": Limits(),
            "product": Limits()}


@dataclass(frozen=True)
class FigureFinding:
    """One unusual figure, with the figures that make it so."""

    scope: str
    name: str
    kind: str
    """``drop``, ``jump`` or ``silent``."""
    week: date
    revenue: Decimal
    median: Decimal
    spread: Decimal
    weeks_with_sales: int
    change_pct: Decimal | None
    """(revenue − median) / median × 100, two decimals; None when the median is 0."""

    def text(self) -> str:
        """One line for people: ``seller Ada: drop, revenue 120.00 vs median 1000.00 (−88 %)``."""
        pct = "" if self.change_pct is None else f" ({self.change_pct:+f} %)"
        return (f"{self.scope} {self.name}: {self.kind} in the week of {self.week}, revenue "
                f"{money_text(self.revenue)} vs median {money_text(self.median)} of the last "
                f"{TRAILING_WEEKS} weeks{pct}, spread {money_text(self.spread)}, "
                f"{self.weeks_with_sales} weeks with sales")


def assess(scope: str, name: str, week: date, history: Sequence[Decimal], current: Decimal,
           limits: Limits) -> FigureFinding | None:
    """The finding for one figure (None: usual). ``history``: the trailing weeks' revenue,
    oldest first, 0 for a week without sales."""
    mid = Decimal(median(history)) if history else Decimal(0)
    spread = Decimal(median([abs(h - mid) for h in history])) if history else Decimal(0)
    sold = sum(1 for h in history if h != 0)
    pct = ((current - mid) * 100 / mid).quantize(_PCT, ROUND_HALF_UP) if mid > 0 else None
    found = FigureFinding(scope, name, "", week, current, mid, spread, sold, pct)
    if current == 0 and sold >= USUAL_WEEKS:
        return replace(found, kind="silent")
    if mid <= 0 or abs(current - mid) <= limits.spread * spread:
        return None
    if current < mid * (100 - limits.drop) / 100:
        return replace(found, kind="drop")
    if current > mid * (100 + limits.jump) / 100:
        return replace(found, kind="jump")
    return None


def parse_figure_thresholds(text: str) -> dict[str, Limits]:
    """Every scope's limits: the defaults, overridden by ``text`` (the syntax above);
    ConfigError naming the variable for anything it cannot read."""
    result = dict(DEFAULTS)
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        scope, sep, terms = (s.strip() for s in part.partition("="))
        if not sep or scope not in SCOPES:
            raise _error(f"{part!r} is not scope=term[,term] with scope one of "
                         f"{', '.join(SCOPES)}")
        if scope in seen:
            raise _error(f"{scope!r} is listed twice; give each scope once")
        seen.add(scope)
        result[scope] = _parse_terms(scope, terms, result[scope])
    return result


def _parse_terms(scope: str, terms: str, limits: Limits) -> Limits:
    for term in (t.strip() for t in terms.split(",")):
        match = _TERM.fullmatch(term)
        if match is None:
            raise _error(f"{scope}: {term!r} is not drop>P%, jump>P%, spread>K, error or warn")
        if match[4]:
            limits = replace(limits, severity=Severity(match[4].lower()))
            continue
        what, number, percent = match[1].lower(), Decimal(match[2]), bool(match[3])
        if (what == "spread") == percent:
            raise _error(f"{scope}: {term!r}: drop and jump are percentages (drop>50%), "
                         "spread a number of MADs (spread>3)")
        if what == "drop" and number >= 100:
            raise _error(f"{scope}: drop>{number}% is never crossed; give less than 100%")
        if what == "drop":
            limits = replace(limits, drop=number)
        elif what == "jump":
            limits = replace(limits, jump=number)
        else:
            limits = replace(limits, spread=number)
    return limits


def _error(reason: str) -> ConfigError:
    return ConfigError(f"{VARIABLE}: {reason} (e.g. 'total=drop>30%,jump>50%; "
                       "seller=drop>60%,spread>2')")
