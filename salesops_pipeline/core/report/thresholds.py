"""Warn and error thresholds of the data-quality rules (SALESOPS_RULE_THRESHOLDS), and the verdict.

Syntax: ``rule=level>limit[,level>limit]``, rules separated by ``;``; level ``warn`` or
``error``; limit a count (``0``, ``25``) or a share of the lines checked (``2%``, ``0.5%``)::

    mismatched_total=warn>0,error>2%; nonpositive_units=error>0

A rule not listed, or a level not given, keeps its default: warn above 0 and no error (error
above 0 for a rule whose default severity is ERROR). Limits are "above": ``error>2%`` is crossed
by 2.1 % but not by 2 %.

Thresholds apply to each file on its own (its count, or its share of its own lines), because a
file is what people fix or withdraw, and a share over a whole warehouse or a batch would hide one
bad file among good ones. A check is as severe as its worst file. Shares are compared exactly
(``count × 100 > limit × lines``); only the text shown is rounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from salesops_pipeline.core.report.rules import RULE_NAMES, RULES, Rule, Severity
from salesops_pipeline.errors import ConfigError

VARIABLE = "SALESOPS_RULE_THRESHOLDS"
EXAMPLE = "mismatched_total=warn>0,error>2%"
_TERM = re.compile(r"(?i)(warn|error)\s*>\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)")


@dataclass(frozen=True)
class Limit:
    """Crossed when a file's count (or, with ``share``, its percentage of lines) is above it."""

    value: Decimal
    share: bool = False

    def crossed_by(self, count: int, lines: int) -> bool:
        if self.share:
            return lines > 0 and Decimal(count) * 100 > self.value * lines
        return count > self.value

    def __str__(self) -> str:
        return f"{_plain(self.value)} %" if self.share else _plain(self.value)


@dataclass(frozen=True)
class Thresholds:
    """A rule's warn limit and optional error limit."""

    warn: Limit
    error: Limit | None = None

    def severity(self, count: int, lines: int) -> Severity | None:
        """The level a file with ``count`` hits among ``lines`` lines reaches (None: neither)."""
        if self.error is not None and self.error.crossed_by(count, lines):
            return Severity.ERROR
        if self.warn.crossed_by(count, lines):
            return Severity.WARN
        return None


ZERO = Limit(Decimal(0))


def defaults(of: Rule) -> Thresholds:
    """Today's behaviour: a hit warns (or, for an ERROR rule, errs)."""
    return Thresholds(ZERO, ZERO if of.severity is Severity.ERROR else None)


def parse_thresholds(text: str) -> dict[str, Thresholds]:
    """Every rule's thresholds: the defaults, overridden by ``text`` (the syntax above).

    ConfigError, naming the variable and what to write, for anything it cannot read.
    """
    result = {r.name: defaults(r) for r in RULES}
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, terms = (s.strip() for s in part.partition("="))
        if not sep or not name:
            raise _error(f"{part!r} is not rule=warn>N[,error>N]")
        if name not in RULE_NAMES:
            raise _error(f"unknown rule {name!r}")
        if name in seen:
            raise _error(f"rule {name!r} is listed twice; give each rule once")
        seen.add(name)
        result[name] = _parse_terms(name, terms, result[name])
    return result


def _parse_terms(name: str, terms: str, base: Thresholds) -> Thresholds:
    given: dict[Severity, Limit] = {}
    for term in (t.strip() for t in terms.split(",")):
        match = _TERM.fullmatch(term)
        if match is None:
            raise _error(f"{name}: {term!r} is not warn>N or error>N (N a count such as 0, "
                         "or a share of the lines such as 2%)")
        level, number, percent = Severity(match[1].lower()), Decimal(match[2]), bool(match[3])
        if level in given:
            raise _error(f"{name}: {level} is given twice")
        if percent and number >= 100:
            raise _error(f"{name}: {level}>{match[2]}% is never crossed (a share is at most "
                         "100 %); give a share below 100%")
        if not percent and number != number.to_integral_value():
            raise _error(f"{name}: {level}>{match[2]}: a count is a whole number; "
                         f"for a share write {match[2]}%")
        given[level] = Limit(number, share=percent)
    warn = given.get(Severity.WARN, base.warn)
    error = given.get(Severity.ERROR, base.error)
    if error is not None and error.share == warn.share and error.value < warn.value:
        raise _error(f"{name}: error>{error} is below warn>{warn}; the error threshold must be "
                     "at least the warn threshold")
    return Thresholds(warn, error)


def _error(reason: str) -> ConfigError:
    return ConfigError(f"{VARIABLE}: {reason} (known rules: {', '.join(RULE_NAMES)}; "
                       f"e.g. {EXAMPLE!r})")


@dataclass(frozen=True)
class FileCount:
    """One file's hits of a rule among the lines of it that were checked."""

    source_file: str
    lines: int
    count: int

    @property
    def share(self) -> str:
        return share_text(self.count, self.lines)


@dataclass(frozen=True)
class Verdict:
    """The check's outcome: None when no file crosses a threshold."""

    severity: Severity | None
    crossed: str
    """What was crossed, worst file first: "error: 3.1 % > 2 % in jan.xlsx (31 of 1000 lines)"."""
    files: tuple[FileCount, ...]
    """Files crossing a threshold, the worst first."""


def judge(thresholds: Thresholds, files: Sequence[FileCount]) -> Verdict:
    """Each file against the thresholds; the verdict of the worst one."""
    over = [(level, f) for f in files
            if (level := thresholds.severity(f.count, f.lines)) is not None]
    if not over:
        return Verdict(None, "none", ())
    over.sort(key=lambda lf: (lf[0] is not Severity.ERROR,
                              -Decimal(lf[1].count) / max(lf[1].lines, 1), lf[1].source_file))
    severity, worst = over[0]
    limit = thresholds.error if severity is Severity.ERROR else thresholds.warn
    text = f"{severity}: {_figure(worst, limit)} > {limit} in {worst.source_file} " \
           f"({worst.count} of {worst.lines} lines)"
    if len(over) > 1:
        text += f"; {len(over) - 1} more file(s) over a threshold"
    return Verdict(severity, text, tuple(f for _level, f in over))


def _figure(file: FileCount, limit: Limit | None) -> str:
    if limit is not None and limit.share:
        return share_text(file.count, file.lines, above=limit.value)
    return str(file.count)


def share_text(count: int, lines: int, *, above: Decimal | None = None) -> str:
    """``count`` of ``lines`` as a percentage, two decimals, trailing zeros dropped ("3.1 %");
    more decimals when two would show a share above ``above`` as equal to it."""
    if lines == 0:
        return "0 %"
    exact = Decimal(count) * 100 / Decimal(lines)
    for places in range(2, 7):
        shown = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if above is None or shown != above:
            break
    return f"{_plain(shown)} %"


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 2, 2.5, 0.25."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

