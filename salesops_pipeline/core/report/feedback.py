"""The feedback page of one import: a page of Markdown a sales-ops analyst forwards to whoever
produces the export (``GET /imports/{id}/feedback``).

It says what was loaded, what was quarantined and why (the rows, up to a cap), what was skipped,
the file's control totals against what was loaded, how the header changed (core/load/drift.py),
and how to fix each kind of problem at the source: one text per quarantine reason kind
(``REASON_KINDS``) and per drift kind (drift.FIXES), defined once. Every text that comes from the
file (names, header cells, values, reasons) is written through ``markdown_text``, so it reads as
itself, never as a link or markup. Pure: the rows in, the page out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from salesops_pipeline.core.extract.rows.non_sales import SkippedRow
from salesops_pipeline.core.load.control_totals import ControlTotal
from salesops_pipeline.core.load.drift import FIXES, Drift
from salesops_pipeline.core.report.figures import money_text, units_text
from salesops_pipeline.core.report.render import markdown_text

__all__ = ["REASON_KINDS", "ImportFacts", "QuarantinedRow", "ReasonKind", "feedback_page",
           "reason_kind"]

ROWS_SHOWN = 50  # quarantined and skipped rows listed each; the rest are counted
VALUE_CHARS = 120
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")  # a value shown in a reason is not its kind


@dataclass(frozen=True)
class ReasonKind:
    """A kind of quarantine reason: its name, the words that mark it, the fix at the source."""

    name: str
    title: str
    markers: tuple[str, ...]
    fix: str


#: Checked in order: the first kind whose marker a reason contains is its kind.
REASON_KINDS: tuple[ReasonKind, ...] = (
    ReasonKind("date_order", "Dates that read day-first or month-first",
               ("ambiguous date", "can only be read", "cannot be placed"),
               "Write dates so they read one way only: ISO (2026-11-01) or the month as a word, "
               "or one day/month order for the whole file. If the order is fixed, the SalesOps "
               "team can set it for this file (SALESOPS_DATE_ORDER or the column map)."),
    ReasonKind("ambiguous_number", "Numbers that read two ways",
               ("ambiguous number",),
               "In a semicolon-separated file write amounts without a thousands dot (1234,50 "
               "rather than 1.234): '1.234' may be a thousand or one and a bit."),
    ReasonKind("missing", "Missing values", ("missing",),
               "Fill in the value: every sale needs its time, product, seller, unit price, "
               "units and total price. Delete rows that are not sales."),
    ReasonKind("date", "Unreadable dates or times",
               ("date", "time", "year", "duration", "timezone"),
               "Write the sale time as a date/time cell or as text such as 2026-11-01 14:05 "
               "(four-digit years, no time zone); a time column needs a date column beside it."),
    ReasonKind("range", "Numbers too large or too precise", ("out of range", "decimal places"),
               "Check the value for a typo or a pasted id: amounts and units stay below the "
               "limit named and have at most the decimals named."),
    ReasonKind("number", "Unreadable numbers", ("number",),
               "Write prices, units and totals as numbers (a number cell, or 1234.50) without "
               "words or units around them."),
    ReasonKind("name", "Unreadable names", ("name", "characters"),
               "Write product, seller and shipping company as text of at most the length named."),
)
OTHER = ReasonKind("other", "Other problems", (), "Check the row in the export: the reason "
                   "says what could not be read.")
TOTALS_FIX = ("A total the file states differs from the lines loaded. The quarantined rows in its "
              "range explain the difference once fixed; otherwise a line or the total itself is "
              "wrong in the export.")


def reason_kind(reason: str) -> ReasonKind:
    """The kind of one quarantine reason ("units: unreadable number 'abc'" → number)."""
    _, _, text = reason.partition(": ")
    text = _QUOTED.sub("", text or reason).casefold()
    return next((k for k in REASON_KINDS if any(m in text for m in k.markers)), OTHER)


@dataclass(frozen=True)
class QuarantinedRow:
    sheet: str | None
    row: int
    reasons: Sequence[str]
    values: Any


@dataclass(frozen=True)
class ImportFacts:
    """The import log's row of one import (``drift`` read by Drift.from_json)."""

    import_id: int
    source_file: str
    sha256: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    sheets: Sequence[Mapping[str, Any]]
    skipped_sheets: Sequence[Mapping[str, Any]]
    drift: Drift | None


def _md(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return markdown_text(text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…")


def _sheet(name: str | None) -> str:
    return "" if name is None else _md(name)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(r) + " |" for r in rows)]


def _more(shown: int, total: int, where: str) -> list[str]:
    return [f"\n…and {total - shown:,} more ({where})."] if total > shown else []


def _summary(facts: ImportFacts) -> list[str]:
    out = [f"# Import feedback: {_md(facts.source_file)}", "",
           f"Import {facts.import_id}, status **{facts.status}**, started "
           f"{facts.started_at:%Y-%m-%d %H:%M:%S %Z}".rstrip()
           + (f", finished {facts.finished_at:%Y-%m-%d %H:%M:%S %Z}".rstrip()
              if facts.finished_at else "") + f"; SHA-256 {facts.sha256}.", ""]
    if facts.error:
        out += [f"**The file was not loaded:** {_md(facts.error)}", ""]
    out += _table(["", "rows"], [
        ["sales rows read", f"{facts.rows_read:,}"], ["loaded", f"{facts.rows_loaded:,}"],
        ["quarantined (not loaded)", f"{facts.rows_rejected:,}"],
        ["skipped (totals, notes, repeated headers: not sales)", f"{facts.rows_skipped:,}"]])
    for t in facts.sheets:
        where = f"sheet {_md(t['sheet'])}, header row" if t.get("sheet") else "header line"
        out.append(f"\n- {where} {t.get('header_row')}: {t.get('rows_read', 0):,} rows; "
                   f"dates: {_md(t.get('date_order_reason') or 'none needed')}"
                   + (f"; decimal separator '{_md(t['decimal_separator'])}'"
                      if t.get("decimal_separator") else ""))
    for s in facts.skipped_sheets:
        out.append(f"\n- sheet {_md(s.get('sheet'))} not imported: {_md(s.get('reason'))}")
    return out


def _quarantined(rows: Sequence[QuarantinedRow], total: int, import_id: int) -> list[str]:
    out = ["", f"## Quarantined rows ({total:,})", ""]
    if not total:
        return out + ["None: every sales row was read."]
    kinds: Counter[str] = Counter()
    by_name = {k.name: k for k in (*REASON_KINDS, OTHER)}
    for row in rows:
        kinds.update({reason_kind(r).name for r in row.reasons})
    out.append("Why, and how to fix it in the export" + (
        f" (kinds among the {len(rows):,} rows listed)" if total > len(rows) else "") + ":")
    out += [f"- **{by_name[n].title}** ({c:,} row(s)): {by_name[n].fix}"
            for n, c in kinds.most_common()]
    out += [""] + _table(["sheet", "row", "reasons", "values"], [
        [_sheet(r.sheet), str(r.row), _md("; ".join(r.reasons)), _md(r.values)] for r in rows])
    return out + _more(len(rows), total, f"GET /imports/{import_id}/rejections lists them all")


def _skipped(rows: Sequence[SkippedRow], total: int, import_id: int) -> list[str]:
    out = ["", f"## Skipped rows ({total:,})", ""]
    if not total:
        return out + ["None."]
    out += ["Not sales, so neither loaded nor quarantined: nothing to fix unless one is a sale.",
            ""]
    out += _table(["sheet", "row", "kind", "reason"], [
        [_sheet(r.sheet), str(r.source_row_number), r.kind, _md(r.reason)] for r in rows])
    return out + _more(len(rows), total, "not listed here")


def _units(value: Decimal | None) -> str:
    return "" if value is None else units_text(value)


def _totals(totals: Sequence[ControlTotal]) -> list[str]:
    differ = [t for t in totals if not t.reconciles]
    out = ["", f"## Control totals ({len(totals):,}, {len(differ):,} differing)", ""]
    if not totals:
        return out + ["The file states no totals."]
    out += _table(
        ["sheet", "row", "label", "rows", "stated total", "loaded total", "difference",
         "stated units", "loaded units", "quarantined rows in range"],
        [[_sheet(t.sheet), str(t.source_row_number), _md(t.label), f"{t.first_row}-{t.last_row}",
          money_text(t.stated_total), money_text(t.loaded_total), money_text(t.difference),
          _units(t.stated_units), units_text(t.loaded_units),
          ", ".join(map(str, t.quarantined_rows))] for t in totals])
    return out + (["", TOTALS_FIX] if differ else [])


def _drift(drift: Drift | None) -> list[str]:
    out = ["", "## Header changes", ""]
    if drift is None or not drift.references:
        return out + ["Nothing to compare with (no earlier loaded version of this file or of "
                      "its folder)."]
    out.append("Compared with " + "; ".join(_md(r.text()) for r in drift.references) + ".")
    if not drift.changed:
        return out + ["", "The header is unchanged."]
    out += [""] + [f"- {_md(line)}" for line in drift.lines()]
    out += ["", "How to fix it in the export:"]
    return out + [f"- **{kind}**: {FIXES[kind]}"
                  for kind in sorted({c.kind for c in drift.changes})]


def feedback_page(facts: ImportFacts, quarantined: Sequence[QuarantinedRow],
                  skipped: Sequence[SkippedRow], totals: Sequence[ControlTotal]) -> str:
    """The page (Markdown). ``quarantined``/``skipped`` are the first rows of each (at most
    ROWS_SHOWN); the import's counts say how many there are."""
    lines = [*_summary(facts),
             *_quarantined(quarantined, max(facts.rows_rejected, len(quarantined)),
                           facts.import_id),
             *_skipped(skipped, max(facts.rows_skipped, len(skipped)), facts.import_id),
             *_totals(totals), *_drift(facts.drift)]
    return "\n".join(lines) + "\n"

