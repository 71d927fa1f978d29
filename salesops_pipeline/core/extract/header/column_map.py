"""The user's column-map file: header spellings added to the built-in ones without touching code.

The file is TOML with a table of canonical column → list of spellings and an optional table of
file pattern → date order (core/extract/rows/date_order.py; the first pattern matching a file's key
wins over SALESOPS_DATE_ORDER)::

    [columns]
    sold_at = ["Verkaufszeit", "Booked on"]
    units = ["Stück"]
    sold_at_date = ["Buchungstag"]  # a sale time in two columns: its date column …
    sold_at_time = ["Buchungszeit"]  # … and its time column (columns.split_sold_at)

    [date_order]
    "us/*" = "mdy"

Spellings are compared through header_key(), like the built-in ones. Every problem found is
reported at once, in one ConfigError naming the file, so a user fixes the file in one go.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from salesops_pipeline.core.extract.header.columns import (
    ALIASES,
    CANONICAL_ORDER,
    SOLD_AT_PARTS,
    ColumnMap,
    canonical_for,
    header_key,
)
from salesops_pipeline.core.extract.rows.date_order import DATE_ORDER_TABLE, DateOrder
from salesops_pipeline.errors import ConfigError

__all__ = ["TABLE", "read_column_map"]

TABLE = "columns"  # the spellings' table
BUILT_IN = "built-in"


def read_column_map(path: Path | None, *, explicit: bool) -> ColumnMap:
    """The built-in spellings plus those of the file at ``path``; see columns.load_column_map."""
    if path is None:
        return ColumnMap(ALIASES)
    data = _parse(path, explicit=explicit)
    if data is None:
        return ColumnMap(ALIASES, map_file=path)
    problems: list[str] = []
    spellings = _read_table(data, problems)
    added = _merge(spellings, path.name, problems)
    date_orders = _read_date_orders(data.get(DATE_ORDER_TABLE, {}), problems)
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        listed = "; ".join(f"({n}) {problem}" for n, problem in enumerate(problems, 1))
        raise ConfigError(f"column map {path}: {count}: {listed}")
    aliases = {c: (*ALIASES.get(c, ()), *added.get(c, ())) for c in CANONICAL_ORDER}
    parts = {p: added.get(p, []) for p in SOLD_AT_PARTS}
    return ColumnMap(aliases, source=path, date_orders=date_orders, parts=parts)


def _parse(path: Path, *, explicit: bool) -> dict[str, Any] | None:
    """The file's TOML document; None when there is no file and none was configured."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if not explicit:
            return None
        raise ConfigError(
            f"column map {path} does not exist: create it (column_map.example.toml shows the "
            "format) or point SALESOPS_COLUMN_MAP at an existing file") from None
    except OSError as exc:
        raise ConfigError(f"column map {path} cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")  # Windows editors may prefix a byte-order mark
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"column map {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"column map {path}: not valid TOML: {exc}; spellings are quoted, e.g. "
            'units = ["Stück"]') from None


def _read_table(data: dict[str, Any], problems: list[str]) -> dict[str, list[str]]:
    """Column → spellings of the [columns] table, each problem appended to ``problems``."""
    known = (*CANONICAL_ORDER, *SOLD_AT_PARTS)
    valid = ", ".join(known)
    for key in data:
        if key in (TABLE, DATE_ORDER_TABLE):
            continue
        if key in CANONICAL_ORDER:
            problems.append(f"{key!r} is outside the [{TABLE}] table: put the line below "
                            f"a [{TABLE}] line")
        else:
            problems.append(f"unknown section or key {key!r}: the file holds a [{TABLE}] table "
                            f"and optionally a [{DATE_ORDER_TABLE}] table")
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        problems.append(f"{TABLE!r} must be a table: a [{TABLE}] line followed by "
                        'lines such as units = ["Stück"]')
        return {}
    spellings: dict[str, list[str]] = {}
    for column, value in table.items():
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1)
            meant = canonical_for(column) or (close[0] if close else None)
            hint = f" (did you mean {meant}?)" if meant else ""
            problems.append(f"unknown column {column!r}{hint}, the columns are {valid}")
            continue
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            problems.append(f"{column} must be a list of quoted spellings, e.g. "
                            f'{column} = ["Spelling one", "Spelling two"], not '
                            f"{_toml_kind(value)}")
            continue
        for spelling in value:
            if not header_key(spelling):
                problems.append(
                    f"{column}: the spelling {spelling!r} has no letters or digits once case, "
                    "spaces, punctuation and a trailing (…) or […] are dropped, so it can "
                    "match no header")
        spellings[column] = [s for s in value if header_key(s)]
    return spellings


def _read_date_orders(table: object, problems: list[str]) -> list[tuple[str, str]]:
    """The (file pattern, order) entries of the [date_order] table, in file order."""
    example = f'[{DATE_ORDER_TABLE}] line followed by lines such as "us/*" = "mdy"'
    if not isinstance(table, dict):
        problems.append(f"{DATE_ORDER_TABLE!r} must be a table: a {example}")
        return []
    orders = [o.value for o in DateOrder]
    found: list[tuple[str, str]] = []
    for pattern, value in table.items():
        if not isinstance(value, str) or value.strip().lower() not in orders:
            problems.append(f"{DATE_ORDER_TABLE}: {pattern!r} must be one of "
                            f"{', '.join(map(repr, orders))}, not {_shown(value)}")
            continue
        found.append((pattern, value.strip().lower()))
    return found


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else _toml_kind(value)


def _merge(spellings: dict[str, list[str]], origin: str,
           problems: list[str]) -> dict[str, list[str]]:
    """The file's new spellings per column, refusing one that a header could not resolve: a
    spelling (after header_key) claimed by two columns, built-in or from the file. The parts of
    a split sale time (sold_at_date, sold_at_time) name sold_at, so they may share its
    spellings but no other column's."""
    owners: dict[str, tuple[str, str]] = {}
    for column in CANONICAL_ORDER:
        for spelling in (column, *ALIASES.get(column, ())):
            owners[header_key(spelling)] = (column, BUILT_IN)
    for spelling in (s for part in SOLD_AT_PARTS.values() for s in part):
        owners[header_key(spelling)] = ("sold_at", BUILT_IN)
    added: dict[str, list[str]] = {}
    for column, values in spellings.items():
        names = "sold_at" if column in SOLD_AT_PARTS else column
        for spelling in values:
            key = header_key(spelling)
            owner, where = owners.setdefault(key, (names, origin))
            if owner == names:
                new = where == origin or column in SOLD_AT_PARTS  # "Timestamp" may be a part
                if new and key not in map(header_key, added.get(column, ())):
                    added.setdefault(column, []).append(spelling)
                continue
            fix = ("built-in spellings stay, so remove it from " + column if where == BUILT_IN
                   else "keep it under one column only")
            problems.append(f"{spelling!r} is claimed by {owner} ({where}) and {column} "
                            f"({origin}): {fix}")
    return added


def _toml_kind(value: object) -> str:
    """What a TOML value is, in the file's terms, for messages."""
    if isinstance(value, str):
        return f"the single string {value!r} (put it in brackets)"
    if isinstance(value, list):
        return "a list holding non-strings (quote every spelling)"
    kinds = {bool: "a boolean", int: "a number", float: "a number", dict: "a table"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a date")
