"""The weekly report: one workbook with a sheet per report, and a short summary in Markdown.

Pure: the week's report rows in, workbook bytes and Markdown text out. Money and units are exact:
a cell holds the number when a double holds it exactly and the exact text otherwise (as the
other exports do), shown through the one set of number formats (core/report/figures.py). The only
rounded figures are percentages of change, which are ratios, not amounts: the workbook keeps the
ratio to 6 decimal places (like ``revenue_share``) and the summary shows it to 0.1 %, both
rounded half away from zero, and "n/a" when the previous week had nothing to compare with.
Product and seller names are Markdown-escaped in the summary (core/report/render.py
``markdown_text``): a name written like a link reads as that text, in the e-mail and in the UI.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter

from salesops_pipeline.core.report.figures import (
    MONEY_XLSX_FORMAT,
    UNITS_XLSX_FORMAT,
    money_text,
    units_text,
)
from salesops_pipeline.core.report.render import cell_text, exact_float, markdown_text
from salesops_pipeline.core.report.rules import RULES
from salesops_pipeline.core.report.weeks import previous_week, week_end

Row = Mapping[str, Any]
SHEETS = {"weekly_summary": "Summary", "seller_ranking": "Seller ranking",
          "top_products": "Top products", "shipping_breakdown": "Shipping breakdown",
          "data_quality": "Data quality"}
SUMMARY_COLUMNS = ["figure", "this_week", "previous_week", "change", "change_ratio"]
FIGURES: dict[str, Callable[[Any], str]] = {"revenue": money_text, "units": units_text,
                                             "line_count": str}
QUALITY_LABELS = {r.count_column: r.label for r in RULES}
RATIO_PLACES = Decimal("0.000001")
PERCENT_PLACES = Decimal("0.1")
RATIO_XLSX_FORMAT = "0.0000%"   # six decimals of a ratio: the stored value exactly
COUNT_XLSX_FORMAT = "0"
DATE_XLSX_FORMAT = "yyyy-mm-dd"
FORMAT_OF = {"revenue": MONEY_XLSX_FORMAT, "tolerance": MONEY_XLSX_FORMAT,
             "units": UNITS_XLSX_FORMAT, "revenue_share": RATIO_XLSX_FORMAT,
             "change_ratio": RATIO_XLSX_FORMAT, "week_start": DATE_XLSX_FORMAT,
             "week_end": DATE_XLSX_FORMAT}
MIN_WIDTH, MAX_WIDTH = 10, 60


@dataclass(frozen=True)
class WeeklyReport:
    """One week's report rows (week_files.week_rows) and the previous week's totals."""

    week_start: date
    rows: Mapping[str, Sequence[Row]]
    columns: Mapping[str, Sequence[str]]
    previous: Row | None = None

    @property
    def week_end(self) -> date:
        return week_end(self.week_start)

    @property
    def name(self) -> str:
        """The files' stem: ``weekly_report_2026-03-02_to_2026-03-08``."""
        return f"weekly_report_{self.week_start.isoformat()}_to_{self.week_end.isoformat()}"

    def totals(self, which: str) -> dict[str, Any]:
        """Revenue, units and lines of this week (``"this"``) or the previous one (zero if none)."""
        found = self.rows["weekly_summary"] if which == "this" else (
            [self.previous] if self.previous else [])
        row = found[0] if found else {}
        return {"revenue": Decimal(row.get("revenue") or 0),
                "units": Decimal(row.get("units") or 0),
                "line_count": int(row.get("line_count") or 0)}


def change_ratio(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """(current - previous) / previous to 6 places; None when previous is 0."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(
        RATIO_PLACES, rounding=ROUND_HALF_UP)


def percent_text(current: Decimal | int, previous: Decimal | int) -> str:
    """``'+23.5%'``, ``'-4.0%'``, ``'0.0%'``; ``'n/a'`` when previous is 0."""
    if not previous:
        return "n/a"
    percent = ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(
        PERCENT_PLACES, rounding=ROUND_HALF_UP)
    return "0.0%" if not percent else f"{percent:+f}%"


def signed(value: Decimal | int, text: Callable[[Any], str]) -> str:
    """``+12.50`` / ``-3`` / ``0.00``: ``text`` of the magnitude with the sign in front."""
    if value > 0:
        return "+" + text(value)
    if value < 0:
        return "-" + text(-value)
    return text(value)


def leaders(rows: Sequence[Row], name: str) -> str:
    """Every rank-1 name (ties share the rank, names as inert Markdown) with its revenue; 'none'
    for an empty week."""
    top = [r for r in rows if r["rank"] == 1]
    if not top:
        return "none (no sales this week)"
    names = ", ".join(markdown_text(str(r[name])) for r in top)
    tied = " (tied)" if len(top) > 1 else ""
    return f"{names}{tied}, revenue {money_text(Decimal(top[0]['revenue']))}"


def summary_markdown(report: WeeklyReport) -> str:
    """The e-mail body and the .md file: figures, change, leaders, data-quality status."""
    this, before = report.totals("this"), report.totals("previous")
    lines = [f"# Weekly sales report {report.week_start} to {report.week_end}", ""]
    for key, label in (("revenue", "Revenue"), ("units", "Units"), ("line_count", "Lines")):
        text = FIGURES[key]
        lines.append(f"- {label}: {text(this[key])} (previous week {text(before[key])}; change "
                     f"{signed(this[key] - before[key], text)}, "
                     f"{percent_text(this[key], before[key])})")
    lines.append(f"- Top seller: {leaders(report.rows['seller_ranking'], 'seller')}")
    lines.append(f"- Top product: {leaders(report.rows['top_products'], 'product')}")
    quality = report.rows["data_quality"][0]
    counts = ", ".join(f"{label} {quality[key]}" for key, label in QUALITY_LABELS.items())
    lines.append(f"- Data quality: {quality['status']} ({counts}; price tolerance "
                 f"{money_text(Decimal(quality['tolerance']))})")
    return "\n".join(lines) + "\n"


def summary_rows(report: WeeklyReport) -> list[dict[str, Any]]:
    """The Summary sheet: one row per figure, this week against the previous one."""
    this, before = report.totals("this"), report.totals("previous")
    previous_start = previous_week(report.week_start)
    rows: list[dict[str, Any]] = [
        {"figure": "week_start", "this_week": report.week_start, "previous_week": previous_start},
        {"figure": "week_end", "this_week": report.week_end,
         "previous_week": week_end(previous_start)}]
    for key in FIGURES:
        rows.append({"figure": key, "this_week": this[key], "previous_week": before[key],
                     "change": this[key] - before[key],
                     "change_ratio": change_ratio(this[key], before[key])})
    return rows


def workbook_bytes(report: WeeklyReport) -> bytes:
    """The .xlsx: Summary, Seller ranking, Top products, Shipping breakdown, Data quality."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    formats: dict[str, Any] = {}

    def fmt(num_format: str | None, bold: bool = False) -> Any:
        key = f"{num_format}|{bold}"
        if key not in formats:
            props: dict[str, Any] = {"bold": True} if bold else {}
            if num_format:
                props["num_format"] = num_format
            formats[key] = book.add_format(props)
        return formats[key]

    rows: Sequence[Row]
    for report_name, title in SHEETS.items():
        if report_name == "weekly_summary":
            columns, rows = SUMMARY_COLUMNS, summary_rows(report)
        else:
            columns, rows = list(report.columns[report_name]), list(report.rows[report_name])
        ws = book.add_worksheet(title)
        ws.write_row(0, 0, columns, fmt(None, bold=True))
        ws.freeze_panes(1, 0)
        widths = [len(c) for c in columns]
        for r, row in enumerate(rows, start=1):
            # The Summary's figure names the format of its row; other sheets go by column.
            row_format = FORMAT_OF.get(row.get("figure", ""), COUNT_XLSX_FORMAT) \
                if report_name == "weekly_summary" else None
            for c, column in enumerate(columns):
                value = row.get(column)
                if column == "change_ratio":
                    number_format = RATIO_XLSX_FORMAT
                else:
                    number_format = row_format or FORMAT_OF.get(column, COUNT_XLSX_FORMAT)
                widths[c] = max(widths[c], _write(ws, r, c, value, fmt(number_format)))
        for c, width in enumerate(widths):
            ws.set_column(c, c, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    book.close()
    return buf.getvalue()


def _write(ws: Any, r: int, c: int, value: Any, number_format: Any) -> int:
    """Write one cell; returns the width its text needs."""
    if value is None:
        return 0
    if isinstance(value, date):
        ws.write_datetime(r, c, value, number_format)
        return 10
    if isinstance(value, Decimal):
        number = exact_float(value)
        if number is None:
            ws.write_string(r, c, str(value))  # more digits than a double holds: exact text
        else:
            ws.write_number(r, c, number, number_format)
        return len(money_text(value)) + 4  # room for thousands separators
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        ws.write_number(r, c, value, number_format)
        return len(str(value)) + 2
    text = cell_text(value)
    ws.write_string(r, c, text)
    return len(text)
