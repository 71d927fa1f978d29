"""Restatements as people read them: a section of the weekly summary (Markdown) and the facts of
a restatement alert. Pure: restatement dicts (core/report/restatement_queries.py) in, text out.

Figures are written exactly (core/report/figures.py) with their signed change; names of files,
sellers and products come from dropped files, so the Markdown escapes them
(``markdown_text``) and the alert leaves escaping to core/notify/alerts.py, which writes each
value for where it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from salesops_pipeline.core.report.figures import money_text, units_text
from salesops_pipeline.core.report.render import markdown_text
from salesops_pipeline.core.report.restatement_queries import files_text
from salesops_pipeline.core.report.weekly_workbook import signed

Row = Mapping[str, Any]
SECTION = "## Changed since reported"
LABELS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "revenue": ("revenue", money_text), "units": ("units", units_text), "lines": ("lines", str)}
DIMENSIONS = {"seller": "seller", "product": "product", "shipping_company": "shipping company"}
SHOWN = 10  # changed names listed per restatement in the summary; the rest are counted


def figure_text(row: Row, figure: str) -> str:
    """``1,309.10 → 1,135.23 (-173.87)``-style: before → after (change); ``none`` for a side a
    name did not have."""
    _, text = LABELS[figure]
    before, after = row.get(f"{figure}_before"), row.get(f"{figure}_after")
    if before is None and after is None:
        return "none"
    b = "none" if before is None else text(before)
    a = "none" if after is None else text(after)
    change = row.get(f"{figure}_change")
    return f"{b} → {a}" + ("" if change is None else f" ({signed(change, text)})")


def week_label(item: Row) -> str:
    return f"{item['iso_week']} ({item['week_start']} to {item['week_end']})"


def summary_section(items: Sequence[Row]) -> str:
    """The weekly summary's list of the restatements since the last summary ('' for none)."""
    if not items:
        return ""
    lines = [SECTION, ""]
    for item in items:
        reported = f"reported {item['reported_at']:%Y-%m-%d %H:%M %Z}".rstrip() \
            if item["reported"] else "not yet reported"
        totals = "; ".join(f"{label} {figure_text(item, key)}" for key, (label, _)
                           in LABELS.items())
        lines.append(f"- {week_label(item)}, {reported}, changed "
                     f"{item['recorded_at']:%Y-%m-%d %H:%M %Z}".rstrip() + f": {totals}")
        lines.append(f"  - files: {markdown_text(files_text(item['files'])) or 'none'}")
        for change in item["changes"][:SHOWN]:
            lines.append(f"  - {DIMENSIONS[change['dimension']]} "
                         f"{markdown_text(change['name'])}: revenue "
                         f"{figure_text(change, 'revenue')}")
        if len(item["changes"]) > SHOWN:
            lines.append(f"  - … and {len(item['changes']) - SHOWN} more")
    return "\n".join(lines) + "\n"


def alert_figures(item: Row) -> dict[str, str]:
    """The facts of a restatement alert: the week, its figures before → after, the names whose
    revenue changed and the files (raw text: the alert writer escapes each value)."""
    figures = {"week": week_label(item),
               "reported": f"{item['reported_at']:%Y-%m-%d %H:%M %Z}".rstrip()}
    for key, (label, _) in LABELS.items():
        figures[label] = figure_text(item, key)
    for n, change in enumerate(item["changes"][:SHOWN], start=1):  # names in values only
        figures[f"change {n}"] = (f"{DIMENSIONS[change['dimension']]} {change['name']}: "
                                  f"revenue {figure_text(change, 'revenue')}")
    if len(item["changes"]) > SHOWN:
        figures["more changes"] = str(len(item["changes"]) - SHOWN)
    figures["files"] = files_text(item["files"]) or "none"
    return figures
