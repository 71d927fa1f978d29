"""Reading the restatement log (core/report/restatements.py): the API, the weekly summary and
the restatement alerts all list restatements through these statements and :func:`assemble`.

A restatement is one dict: the week, when it was recorded, whether (since when) the week had
been reported, its totals before and after with the change, the sellers, products and shipping
companies whose figures changed (``changes``) and the file versions that caused it (``files``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from salesops_pipeline.core.report.queries import Fetcher, Row
from salesops_pipeline.core.report.render import FigureKind
from salesops_pipeline.core.report.weeks import iso_week, week_end

# Weeks overlapping [start, end], newest first; after a moment (``since``) when given.
RESTATEMENTS_SQL = """
    SELECT restatement_id, week AS week_start, recorded_at, reported_at, alerted_at,
           revenue_before, revenue_after, units_before, units_after, lines_before, lines_after
      FROM salesops.restatement
     WHERE week <= %(end)s AND week >= %(start)s::date - 6
       AND (%(since)s::timestamptz IS NULL OR recorded_at > %(since)s)
     ORDER BY recorded_at DESC, restatement_id DESC
     LIMIT %(limit)s
    """
FIGURES_SQL = """
    SELECT restatement_id, dimension, name, revenue_before, revenue_after, units_before,
           units_after, lines_before, lines_after
      FROM salesops.restatement_figure WHERE restatement_id = ANY(%(ids)s)
     ORDER BY restatement_id, dimension, name COLLATE "C"
    """
FILES_SQL = """
    SELECT restatement_id, import_id, source_file, action, replaced_import, changed_at
      FROM salesops.restatement_file WHERE restatement_id = ANY(%(ids)s)
     ORDER BY restatement_id, changed_at, change_id
    """
FIGURE_NAMES = ("revenue", "units", "lines")
FLAT_COLUMNS = ["restatement_id", "week_start", "week_end", "recorded_at", "reported_at",
                "dimension", "name", "revenue_before", "revenue_after", "revenue_change",
                "units_before", "units_after", "units_change", "lines_before", "lines_after",
                "lines_change", "files"]


def params(*, start: date, end: date, limit: int, since: datetime | None = None
           ) -> dict[str, Any]:
    return {"start": start, "end": end, "since": since, "limit": limit}


def _with_changes(row: Row) -> Row:
    """``row`` with ``<figure>_change`` (after − before; None where either side is None)."""
    out = dict(row)
    for name in FIGURE_NAMES:
        before, after = row.get(f"{name}_before"), row.get(f"{name}_after")
        out[f"{name}_change"] = None if before is None or after is None else after - before
    return out


def assemble(main: Sequence[Row], figures: Sequence[Row], files: Sequence[Row]) -> list[Row]:
    """The restatements as dicts, each with its ``changes`` and ``files``, newest first."""
    changes: dict[int, list[Row]] = defaultdict(list)
    for row in figures:
        changes[row["restatement_id"]].append(
            _with_changes({k: v for k, v in row.items() if k != "restatement_id"}))
    by_id: dict[int, list[Row]] = defaultdict(list)
    for row in files:
        by_id[row["restatement_id"]].append(
            {k: v for k, v in row.items() if k != "restatement_id"})
    out = []
    for row in main:
        item = _with_changes(row)
        item.pop("alerted_at", None)
        item.update(week_end=week_end(row["week_start"]), iso_week=iso_week(row["week_start"]),
                    reported=row["reported_at"] is not None,
                    changes=changes[row["restatement_id"]], files=by_id[row["restatement_id"]])
        out.append(item)
    return out


def restatements(db: Fetcher, *, start: date, end: date, limit: int = 1000,
                 since: datetime | None = None) -> list[Row]:
    """The restatements of weeks overlapping ``start``..``end`` (recorded after ``since``)."""
    main = db.fetch(RESTATEMENTS_SQL, params(start=start, end=end, limit=limit, since=since))
    ids = [r["restatement_id"] for r in main]
    return assemble(main, db.fetch(FIGURES_SQL, {"ids": ids}), db.fetch(FILES_SQL, {"ids": ids}))


# Restatements of weeks already reported that no alert has gone out for yet; a concurrent run
# skips the ones another is sending (its transaction holds them until it marks them alerted).
UNALERTED_SQL = """
    SELECT restatement_id FROM salesops.restatement
     WHERE reported_at IS NOT NULL AND alerted_at IS NULL
     ORDER BY restatement_id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    """
BY_IDS_SQL = """
    SELECT restatement_id, week AS week_start, recorded_at, reported_at, alerted_at,
           revenue_before, revenue_after, units_before, units_after, lines_before, lines_after
      FROM salesops.restatement WHERE restatement_id = ANY(%(ids)s) ORDER BY restatement_id
    """


def unalerted(db: Fetcher, *, limit: int = 100) -> list[Row]:
    """The restatements of reported weeks still to alert, oldest first, locked for the caller's
    transaction (which marks them with :data:`MARK_ALERTED` once sent)."""
    ids = {"ids": [r["restatement_id"] for r in db.fetch(UNALERTED_SQL, {"limit": limit})]}
    return assemble(db.fetch(BY_IDS_SQL, ids), db.fetch(FIGURES_SQL, ids),
                    db.fetch(FILES_SQL, ids))


MARK_ALERTED = ("UPDATE salesops.restatement SET alerted_at = now()"
                " WHERE restatement_id = ANY(%(ids)s) RETURNING restatement_id")


def files_text(files: Sequence[Row]) -> str:
    """The files of a restatement on one line: ``a.csv (import 7, replaced import 3)``."""
    parts = []
    for f in files:
        what = f"replaced import {f['replaced_import']}" if f["action"] == "replaced" \
            else f["action"]
        parts.append(f"{f['source_file']} (import {f['import_id']}, {what})")
    return "; ".join(parts)


def flat_rows(items: Sequence[Row]) -> list[Row]:
    """One row per restatement and figure (the week's total first, then each changed name):
    the CSV/XLSX export, columns FLAT_COLUMNS."""
    rows = []
    for item in items:
        common = {k: item[k] for k in ("restatement_id", "week_start", "week_end",
                                       "recorded_at", "reported_at")}
        common["files"] = files_text(item["files"])
        total = {"dimension": "total", "name": ""}
        for row in [{**item, **total}, *item["changes"]]:
            rows.append({**common, **{c: row.get(c) for c in FLAT_COLUMNS if c not in common}})
    return rows




#: Which export columns are money and which units (core/report/render.py writes them exactly).
FLAT_KINDS: dict[str, FigureKind] = {
    **{f"revenue_{side}": "money" for side in ("before", "after", "change")},
    **{f"units_{side}": "units" for side in ("before", "after", "change")}}
