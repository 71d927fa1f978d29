"""Drift: how an export's shape changed, told back to whoever produces it.

Each import compares its tables' headers (core/extract/header/shape.py, kept in the import log's
``sheets``) with the file's last loaded version and with the usual header of its folder (the
header most of the folder's other loaded files share). A column is known by the sales column it
names, or by its header text when it names none. Against each reference it may be:

* ``new`` — in this file, not in the reference; ``missing`` — the other way round (optional
  columns such as Shipping Company, and columns that are no sales column, included);
* ``renamed`` — the same sales column under another spelling (an alias: "Unit Price" → "Price");
* ``moved`` — in both, but its place among the other columns changed (columns pushed along by
  a new or missing one are not "moved": only those out of the common order are);
* ``date_order`` / ``decimal_separator`` — the table's decided day/month order or the decimal
  separator of its numbers as text differs (each only when both are known).

Tables pair by sheet name, or one to one when both files have a single table. A reference
recorded before header shapes were kept (no ``columns``) is not compared. Pure: the import log's
rows in (import_log.drift_references reads them), a Drift out; its JSON is ``import_log.drift``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from salesops_pipeline.core.extract.header.columns import DISPLAY_NAMES, column_letter, header_key

__all__ = ["FIXES", "FOLDER", "PREVIOUS", "Change", "Drift", "DriftKind", "Reference",
           "compare", "find_drift", "folder_reference"]

PREVIOUS = "previous"  # the file's last loaded version
FOLDER = "folder"      # the usual header of the other files of its folder
Sheets = Sequence[Mapping[str, Any]]  # the import log's ``sheets`` of one version
Version = tuple[int, str, Sheets]     # import id, file, sheets


class DriftKind(StrEnum):
    NEW = "new"
    MISSING = "missing"
    RENAMED = "renamed"
    MOVED = "moved"
    DATE_ORDER = "date_order"
    DECIMAL_SEPARATOR = "decimal_separator"


_SOURCE_HEADER = ", ".join(DISPLAY_NAMES.values())
#: What whoever produces the export should do about each kind (one text each, for the feedback
#: page, the alert and the metadata).
FIXES: dict[DriftKind, str] = {
    DriftKind.NEW: "A column was added. Columns that are no sales column are ignored; if it "
                   "carries sales data, ask the SalesOps team to map it, otherwise leave it out.",
    DriftKind.MISSING: "A column the export used to have is gone: put it back. A missing "
                       "required column rejects the file; without Shipping Company the lines "
                       "load but are flagged.",
    DriftKind.RENAMED: "A column's header is spelled differently. It was recognised through an "
                       f"alias, but keep one spelling (the source system's: {_SOURCE_HEADER}) "
                       "so the next export is recognised too.",
    DriftKind.MOVED: "A column changed place. Columns are matched by their header, so it loaded, "
                     "but a new order usually means the export template was edited: keep it "
                     "stable.",
    DriftKind.DATE_ORDER: "Dates are written in another day/month order than before. Keep one "
                          "order in every export (ISO 2026-11-01 reads one way only); if the "
                          "change is meant, tell the SalesOps team.",
    DriftKind.DECIMAL_SEPARATOR: "Numbers use another decimal separator than before (a "
                                 "semicolon-separated CSV file uses decimal commas). Export "
                                 "with the same regional and list-separator settings as before.",
}
_ORDER_WORDS = {"dmy": "day-first", "mdy": "month-first"}


@dataclass(frozen=True)
class Change:
    """One difference against one reference (``against``: PREVIOUS or FOLDER). ``column`` is
    the sales column (None: a column that is no sales column); ``before``/``after`` are header
    texts, date orders or separators; positions are 0-based column indexes."""

    kind: DriftKind
    against: str
    sheet: str | None = None
    column: str | None = None
    before: str | None = None
    after: str | None = None
    before_position: int | None = None
    after_position: int | None = None

    def text(self) -> str:
        """One line in users' words (names as they are: escape them for where they go)."""
        where = f"sheet {self.sheet!r}: " if self.sheet is not None else ""
        named = f" ({self.column})" if self.column else ""
        at, was = _letter(self.after_position), _letter(self.before_position)
        if self.kind is DriftKind.NEW:
            return f"{where}new column {self.after!r}{named} in {at}"
        if self.kind is DriftKind.MISSING:
            return f"{where}column {self.before!r}{named} missing (was in {was})"
        if self.kind is DriftKind.RENAMED:
            return f"{where}column {self.column} renamed {self.before!r} → {self.after!r} ({at})"
        if self.kind is DriftKind.MOVED:
            return f"{where}column {self.after!r}{named} moved from {was} to {at}"
        if self.kind is DriftKind.DATE_ORDER:
            return (f"{where}dates {_ORDER_WORDS.get(self.before or '', self.before)} before, "
                    f"{_ORDER_WORDS.get(self.after or '', self.after)} now")
        return f"{where}decimal separator {self.before!r} before, {self.after!r} now"


def _letter(position: int | None) -> str:
    return "?" if position is None else column_letter(position)


@dataclass(frozen=True)
class Reference:
    """What a file was compared with: the file's last loaded version, or the folder's usual
    header (``files_alike`` of the ``files_compared`` other loaded files share it)."""

    against: str
    file: str
    import_id: int
    files_alike: int = 1
    files_compared: int = 1

    def text(self) -> str:
        if self.against == PREVIOUS:
            return f"the last loaded version of {self.file!r} (import {self.import_id})"
        return (f"the folder's usual header ({self.files_alike} of {self.files_compared} other "
                f"files, like {self.file!r}, import {self.import_id})")


@dataclass(frozen=True)
class Drift:
    """Every change of one import against its references (none: the shape is unchanged)."""

    changes: tuple[Change, ...] = ()
    references: tuple[Reference, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def lines(self) -> list[str]:
        """Each change on a line, saying what it was compared with."""
        short = {PREVIOUS: "against the last version", FOLDER: "against the folder"}
        return [f"{short.get(c.against, c.against)}: {c.text()}" for c in self.changes]

    def summary(self, shown: int = 3) -> str:
        if not self.changes:
            return "header unchanged" if self.references else "nothing to compare with"
        lines = self.lines()
        more = f"; and {len(lines) - shown} more" if len(lines) > shown else ""
        return (f"{len(lines)} header change(s): " + "; ".join(lines[:shown]) + more)

    def to_json(self) -> dict[str, Any]:
        return {"changes": [asdict(c) for c in self.changes],
                "references": [asdict(r) for r in self.references]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Drift | None:
        if data is None:
            return None
        return cls(tuple(Change(**{**c, "kind": DriftKind(c["kind"])}) for c in data["changes"]),
                   tuple(Reference(**r) for r in data["references"]))


def _idents(columns: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """(identity, column) left to right: the sales column it names, else its header's key
    (a second column of the same header gets '#2')."""
    seen: Counter[str] = Counter()
    out = []
    for column in sorted(columns, key=lambda c: c["position"]):
        base = column["column"] or "~" + (header_key(column["header"])
                                          or column["header"].casefold())
        seen[base] += 1
        out.append((base if seen[base] == 1 else f"{base}#{seen[base]}", column))
    return out


def _common_order(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """The identities of a longest common subsequence of ``a`` and ``b`` (the columns that kept
    their order; the rest of those in both moved)."""
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (lengths[i + 1][j + 1] + 1 if a[i] == b[j]
                             else max(lengths[i + 1][j], lengths[i][j + 1]))
    kept, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def _columns(table: Mapping[str, Any], reference: Mapping[str, Any], against: str
             ) -> list[Change]:
    now, was = dict(_idents(table["columns"])), dict(_idents(reference["columns"]))
    sheet = table.get("sheet")
    changes = [Change(DriftKind.NEW, against, sheet, c["column"], after=c["header"],
                      after_position=c["position"]) for i, c in now.items() if i not in was]
    changes += [Change(DriftKind.MISSING, against, sheet, c["column"], before=c["header"],
                       before_position=c["position"]) for i, c in was.items() if i not in now]
    both = [i for i in now if i in was]
    kept = _common_order(both, [i for i in was if i in now])
    for ident in both:
        new, old = now[ident], was[ident]
        if new["column"] and header_key(new["header"]) != header_key(old["header"]):
            changes.append(Change(DriftKind.RENAMED, against, sheet, new["column"], old["header"],
                                  new["header"], old["position"], new["position"]))
        if ident not in kept:
            changes.append(Change(DriftKind.MOVED, against, sheet, new["column"], old["header"],
                                  new["header"], old["position"], new["position"]))
    return changes


def _pairs(current: Sheets, reference: Sheets) -> list[tuple[Mapping[str, Any],
                                                             Mapping[str, Any]]]:
    if len(current) == 1 and len(reference) == 1:
        return [(current[0], reference[0])]
    by_name = {t.get("sheet"): t for t in reference}
    return [(t, by_name[t.get("sheet")]) for t in current if t.get("sheet") in by_name]


def compare(current: Sheets, reference: Sheets, against: str) -> list[Change]:
    """The changes of ``current``'s tables against ``reference``'s (both as the import log's
    ``sheets``)."""
    changes: list[Change] = []
    for table, old in _pairs(current, reference):
        changes += _columns(table, old, against)
        for key, kind in (("date_order", DriftKind.DATE_ORDER),
                          ("decimal_separator", DriftKind.DECIMAL_SEPARATOR)):
            new_value, old_value = table.get(key), old.get(key)
            if new_value and old_value and new_value != old_value:
                changes.append(Change(kind, against, table.get("sheet"), before=old_value,
                                      after=new_value))
    return changes


def _comparable(sheets: Sheets | None) -> bool:
    return bool(sheets) and all("columns" in t for t in sheets or ())


def _signature(sheets: Sheets) -> tuple[object, ...]:
    return tuple((tuple((i, header_key(c["header"])) for i, c in _idents(t["columns"])),
                  t.get("date_order"), t.get("decimal_separator")) for t in sheets)


def folder_reference(siblings: Sequence[Version]) -> tuple[Reference, Sheets] | None:
    """The header most of the folder's other loaded files share (``siblings`` newest first; a
    tie goes to the newest), and its first file."""
    usable = [s for s in siblings if _comparable(s[2])]
    groups: dict[tuple[object, ...], list[Version]] = {}
    for sibling in usable:
        groups.setdefault(_signature(sibling[2]), []).append(sibling)
    if not groups:
        return None
    best = max(groups.values(), key=len)
    import_id, file, sheets = best[0]
    return Reference(FOLDER, file, import_id, len(best), len(usable)), sheets


def find_drift(current: Sheets, previous: Version | None, siblings: Sequence[Version]) -> Drift:
    """The changes of ``current`` against the file's last loaded version and its folder."""
    changes: list[Change] = []
    references: list[Reference] = []
    if previous is not None and _comparable(previous[2]):
        references.append(Reference(PREVIOUS, previous[1], previous[0]))
        changes += compare(current, previous[2], PREVIOUS)
    folder = folder_reference(siblings)
    if folder is not None:
        references.append(folder[0])
        changes += compare(current, folder[1], FOLDER)
    return Drift(tuple(changes), tuple(references))
