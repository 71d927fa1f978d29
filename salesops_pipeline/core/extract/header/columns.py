"""Canonical sales columns and the matching of a sheet's header row to them.

Exports name the same column many ways ("Unit Price ", "unit_price", "UNIT-PRICE", "Price"), so a
header cell is reduced to a *key* — lower case, letters and digits only, a trailing "(EUR)" or
"[units]" annotation dropped — and looked up in one alias table. Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesops_pipeline.errors import AmbiguousColumns, MissingColumns

__all__ = [
    "ALIASES",
    "CANONICAL_ORDER",
    "DATE_PART_SPELLINGS",
    "DISPLAY_NAMES",
    "HEADER_SCAN_ROWS",
    "MIN_HEADER_MATCHES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SOLD_AT_DATE",
    "SOLD_AT_PARTS",
    "SOLD_AT_TIME",
    "TIME_PART_SPELLINGS",
    "ColumnMap",
    "HeaderMatch",
    "SplitColumns",
    "canonical_for",
    "column_letter",
    "default_column_map",
    "describe_needed_columns",
    "find_header",
    "header_key",
    "load_column_map",
    "split_sold_at",
    "user_name",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "sold_at",
    "product",
    "seller",
    "unit_price",
    "units",
    "total_price",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("shipping_company",)
# The order of the cells yielded for every data row; optional columns come last.
CANONICAL_ORDER: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# How the source system's export names each column: the words used in messages to users.
DISPLAY_NAMES: dict[str, str] = {
    "sold_at": "Time",
    "product": "Product",
    "seller": "Seller",
    "unit_price": "Unit Price",
    "units": "Units",
    "total_price": "Total Price",
    "shipping_company": "Shipping Company",
}
HEADER_SCAN_ROWS = 50  # rows from the top of a sheet (or file) searched for the header
# A row naming fewer sales columns than this is not a sales header (a summary, a pivot, notes);
# one naming at least this many but not every required column is a broken sales header.
MIN_HEADER_MATCHES = 4

# Spellings accepted besides the canonical name itself. Compared through header_key(), so case,
# spaces and punctuation do not matter here.
ALIASES: dict[str, tuple[str, ...]] = {
    "sold_at": (
        "time",
        "date",
        "sale date",
        "sold at",
        "sold on",
        "timestamp",
        "datetime",
        "date time",
        "order date",
        "sale time",
    ),
    "product": ("product name", "item", "item name"),
    "seller": ("salesperson", "sales person", "sales rep", "seller name", "sold by"),
    "unit_price": ("price", "price per unit"),
    "units": ("quantity", "qty", "unit count", "number of units"),
    "total_price": ("total", "amount", "line total", "total amount"),
    "shipping_company": ("shipper", "carrier", "shipping", "shipping co", "courier"),
}

# Split date and time: a header naming sold_at twice, once with a date spelling and once with a
# time spelling (Date/Time, Datum/Uhrzeit, Sale date/Sale time, Order date/Order time), holds one
# sale time in two columns (cells.combine reads them). Either spelling alone, like "Time" (the
# source system's header), is the whole timestamp, as always.
# A column map adds spellings for the parts under these two names ([columns] sold_at_date = …).
DATE_PART_SPELLINGS: tuple[str, ...] = ("date", "datum", "sale date", "order date", "sold on")
TIME_PART_SPELLINGS: tuple[str, ...] = ("time", "uhrzeit", "sale time", "order time")
SOLD_AT_DATE = "sold_at_date"
SOLD_AT_TIME = "sold_at_time"
SOLD_AT_PARTS: dict[str, tuple[str, ...]] = {
    SOLD_AT_DATE: DATE_PART_SPELLINGS,
    SOLD_AT_TIME: TIME_PART_SPELLINGS,
}

_ANNOTATION = re.compile(r"[(\[][^()\[\]]*[)\]]\s*$")


def header_key(text: str) -> str:
    """Reduce a header cell to the letters and digits naming it ("Unit-Price (€)" → "unitprice")."""
    text = _ANNOTATION.sub("", text)
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _build_lookup(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Map every accepted key to its canonical column, refusing a key claimed by two columns."""
    lookup: dict[str, str] = {}
    for canonical in CANONICAL_ORDER:
        for spelling in (canonical, *aliases.get(canonical, ())):
            key = header_key(spelling)
            owner = lookup.setdefault(key, canonical)
            if owner != canonical:
                raise ValueError(f"header spelling {spelling!r} claimed by {owner} and {canonical}")
    return lookup


class ColumnMap:
    """The header spellings accepted for each canonical column: the built-in aliases, plus those
    of a user's column-map file (``source``, None when no file was read).

    ``map_file`` is where users add spellings (the file read, or where it would be read from),
    so rejection messages can say which file to edit; None when unknown.
    ``date_orders`` are the file's ``[date_order]`` entries, (file pattern, "dmy"|"mdy"|"auto")
    in file order (date_order.configured_for reads them).
    ``parts`` are the file's spellings of a split sale time's date and time columns
    (SOLD_AT_DATE, SOLD_AT_TIME), added to SOLD_AT_PARTS; each also names sold_at on its own.
    """

    def __init__(self, aliases: Mapping[str, Iterable[str]], source: Path | None = None, *,
                 map_file: Path | None = None,
                 date_orders: Iterable[tuple[str, str]] = (),
                 parts: Mapping[str, Iterable[str]] | None = None) -> None:
        self.aliases = {c: tuple(aliases.get(c, ())) for c in CANONICAL_ORDER}
        self.source = source
        self.map_file = map_file if map_file is not None else source
        self.date_orders = tuple(date_orders)
        self.parts = {p: (*builtin, *(parts or {}).get(p, ()))
                      for p, builtin in SOLD_AT_PARTS.items()}
        self._lookup = _build_lookup(
            {**self.aliases, "sold_at": (*self.aliases["sold_at"], *self.parts[SOLD_AT_DATE],
                                          *self.parts[SOLD_AT_TIME])})
        self._part_keys = {p: frozenset(map(header_key, spellings))
                           for p, spellings in self.parts.items()}

    def part_of(self, cell: object) -> str | None:
        """SOLD_AT_DATE or SOLD_AT_TIME when a header cell spells that part of a split sale
        time (it names sold_at too), else None."""
        key = header_key(str(cell))
        return next((p for p, keys in self._part_keys.items() if key in keys), None)

    def added(self, column: str) -> tuple[str, ...]:
        """The spellings of ``column`` that came from the file rather than the built-in ones."""
        builtin = ALIASES.get(column, ())
        return tuple(s for s in self.aliases[column] if s not in builtin)

    def examples(self, column: str, limit: int = 4) -> list[str]:
        """A few spellings accepted for ``column``, the users' words first, for messages."""
        seen: set[str] = set()
        out: list[str] = []
        for spelling in (DISPLAY_NAMES[column], column, *self.added(column),
                         *ALIASES.get(column, ())):
            if header_key(spelling) not in seen:
                seen.add(header_key(spelling))
                out.append(spelling)
        return out[:limit]

    def canonical_for(self, cell: object) -> str | None:
        """The canonical column a header cell names, or None (non-text cells name nothing)."""
        if not isinstance(cell, str):
            return None
        return self._lookup.get(header_key(cell))

    def match(self, cells: Iterable[object]) -> dict[str, list[int]]:
        """Map each canonical column found in a header row to the 0-based positions naming it.

        More than one position for a column means the header is ambiguous; the caller decides.
        """
        found: dict[str, list[int]] = {}
        for index, cell in enumerate(cells):
            canonical = self.canonical_for(cell)
            if canonical is not None:
                found.setdefault(canonical, []).append(index)
        return found

    def unrecognised(self, cells: Iterable[object]) -> list[str]:
        """The non-empty cells of a header row that name no sales column, as text."""
        return [str(c).strip() for c in cells
                if c is not None and str(c).strip() and self.canonical_for(c) is None]


_DEFAULT = ColumnMap(ALIASES)


def default_column_map() -> ColumnMap:
    """The built-in spellings only."""
    return _DEFAULT


def load_column_map(path: Path | None, *, explicit: bool) -> ColumnMap:
    """The built-in spellings merged with those of the TOML file at ``path`` (see
    core/extract/header/column_map.py, which holds the file format and its validation).

    A missing file means built-in spellings only, unless ``explicit`` (configured on purpose):
    then it is a ConfigError, like every invalid file.
    """
    # column_map builds on this module, so it is imported when a file is loaded.
    from salesops_pipeline.core.extract.header.column_map import read_column_map

    return read_column_map(path, explicit=explicit)


def user_name(column: str) -> str:
    """A canonical column in the users' words with the name the map file uses: "Time (sold_at)"."""
    return f"{DISPLAY_NAMES[column]} ({column})"


def missing_columns(missing: list[str], sheet: str | None, header_row: int,
                    unrecognised: list[str] | None = None,
                    column_map: ColumnMap | None = None) -> MissingColumns:
    """The MissingColumns error of a header, in users' words with the spellings it accepts."""
    column_map = column_map or default_column_map()
    return MissingColumns(missing, sheet, header_row, unrecognised,
                          described=[(user_name(c), column_map.examples(c)) for c in missing],
                          map_file=column_map.map_file)


def describe_needed_columns(column_map: ColumnMap | None = None) -> str:
    """The columns a sales header needs, in users' words, for messages such as NoSalesSheet's.

    "Time (sold_at), …, Total Price (total_price) and optionally Shipping Company
    (shipping_company) (other header spellings can be mapped in …)".
    """
    needed = ", ".join(user_name(c) for c in REQUIRED_COLUMNS)
    optional = ", ".join(user_name(c) for c in OPTIONAL_COLUMNS)
    where = column_map.map_file if column_map is not None else None
    hint = (f"other header spellings can be mapped under [columns] in {where}" if where
            else "`salesops columns` lists the accepted spellings and the file that maps others")
    return f"{needed} and optionally {optional} ({hint})"


def canonical_for(cell: object) -> str | None:
    """The canonical column a header cell names with the built-in spellings."""
    return _DEFAULT.canonical_for(cell)


@dataclass(frozen=True)
class SplitColumns:
    """sold_at written as a date column and a time column: the time column's 0-based index and
    both headers as messages name them ("'Datum' (A)"); the date column is columns["sold_at"]."""

    time_column: int
    date_label: str
    time_label: str


@dataclass(frozen=True)
class HeaderMatch:
    """The header row of a sales table: its 1-based row number, canonical column → 0-based
    column index (first_column included), the row's raw cells, and ``split`` when sold_at is a
    date column plus a time column (columns["sold_at"] is then the date column)."""

    row_number: int
    columns: dict[str, int]
    cells: tuple[Any, ...]
    split: SplitColumns | None = None


def split_sold_at(cells: Sequence[object], positions: Sequence[int], first_column: int = 0,
                  column_map: ColumnMap | None = None) -> tuple[int, SplitColumns] | None:
    """The date column's 0-based position and the SplitColumns when the two header cells at
    ``positions`` (both naming sold_at) are one date spelling and one time spelling; else None
    (the header is ambiguous). The one definition of the split."""
    if len(positions) != 2:
        return None
    parts = [(column_map or _DEFAULT).part_of(cells[i]) for i in positions]
    dates = [i for i, part in zip(positions, parts, strict=True) if part == SOLD_AT_DATE]
    times = [i for i, part in zip(positions, parts, strict=True) if part == SOLD_AT_TIME]
    if len(dates) != 1 or len(times) != 1:
        return None
    date_at, time_at = dates[0], times[0]
    return date_at, SplitColumns(
        first_column + time_at,
        f"{cells[date_at]!r} ({column_letter(first_column + date_at)})",
        f"{cells[time_at]!r} ({column_letter(first_column + time_at)})")


def find_header(rows: Iterable[tuple[int, Sequence[object]]], *, column_map: ColumnMap,
                sheet: str | None, first_column: int = 0) -> HeaderMatch | None:
    """Find the sales header among the first rows of a sheet or file (``rows``: row number and
    cells, cells starting at column ``first_column``).

    The row naming the most sales columns wins. None when no row names MIN_HEADER_MATCHES of
    them (not a sales table). Raises MissingColumns when the best row lacks a required column
    and AmbiguousColumns when two of its cells name the same column.
    """
    best: tuple[int, int, dict[str, list[int]], Sequence[object]] | None = None
    for number, (row_number, cells) in enumerate(rows):
        if number >= HEADER_SCAN_ROWS:
            break
        found = column_map.match(cells)
        if len(found) >= MIN_HEADER_MATCHES and (best is None or len(found) > best[0]):
            best = (len(found), row_number, found, cells)
    if best is None:
        return None
    _, row_number, found, cells = best
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        raise missing_columns(missing, sheet, row_number, column_map.unrecognised(cells),
                              column_map)
    split = split_sold_at(cells, found["sold_at"], first_column, column_map)
    if split is not None:
        found["sold_at"] = [split[0]]
    for column, positions in found.items():
        if len(positions) > 1:
            headers = [f"{cells[i]!r} in {column_letter(first_column + i)}" for i in positions]
            raise AmbiguousColumns(column, headers, sheet, row_number)
    columns = {column: first_column + positions[0] for column, positions in found.items()}
    return HeaderMatch(row_number, columns, tuple(cells), split[1] if split else None)


def column_letter(index: int) -> str:
    """Excel letters of a 0-based column index (0 → "A", 27 → "AB"), for messages users act on."""
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
