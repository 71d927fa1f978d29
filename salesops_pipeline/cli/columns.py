"""`salesops columns`: the header spellings in effect, and where each comes from.

Loads the column map exactly as an import does, so an invalid file fails here with the same
message (exit 1) before any file is rejected because of it.
"""

from __future__ import annotations

import argparse

from salesops_pipeline.core.extract.header.columns import (
    ALIASES,
    CANONICAL_ORDER,
    REQUIRED_COLUMNS,
    SOLD_AT_PARTS,
    ColumnMap,
    load_column_map,
    user_name,
)
from salesops_pipeline.core.extract.rows.date_order import DATE_ORDER_TABLE, SETTING
from salesops_pipeline.settings import Settings


def describe_column_map(column_map: ColumnMap, path: object, explicit: bool,
                        date_order: str = "auto") -> list[str]:
    """The lines `salesops columns` prints: the file, then each column with its spellings, then
    the date order of numeric text dates that no file decides (the setting, the file's
    patterns)."""
    if column_map.source is not None:
        state = "read"
    else:
        state = "absent: built-in spellings only; column_map.example.toml shows the format"
    how = "SALESOPS_COLUMN_MAP" if explicit else "default location; set SALESOPS_COLUMN_MAP to move"
    lines = [f"column map file: {path} ({how}; {state})",
             "headers are compared ignoring case, spaces, punctuation and a trailing (…) or […]",
             ""]
    for column in CANONICAL_ORDER:
        need = "required" if column in REQUIRED_COLUMNS else "optional"
        lines.append(f"{user_name(column)}, {need}")
        lines.append("  built-in: " + ", ".join((column, *ALIASES.get(column, ()))))
        added = column_map.added(column)
        if added:
            origin = column_map.source.name if column_map.source else "file"
            lines.append(f"  {origin}: " + ", ".join(added))
    lines += ["", "A sale time in two columns (one date column and one time column; either "
              "alone is the whole sale time):"]
    for part, builtin in SOLD_AT_PARTS.items():
        lines.append(f"  {part}: " + ", ".join(builtin))
        added = column_map.parts[part][len(builtin):]
        if added:
            origin = column_map.source.name if column_map.source else "file"
            lines.append(f"    {origin}: " + ", ".join(added))
    lines += ["", "Date order of numeric text dates (11/01/2026) when a file's own values do not "
              f"decide it: {SETTING}={date_order}"]
    if column_map.date_orders:
        origin = column_map.source.name if column_map.source else "file"
        lines += [f"  {origin} [{DATE_ORDER_TABLE}], first match wins:",
                  *(f"    {pattern!r} = {order}" for pattern, order in column_map.date_orders)]
    return lines


def _columns(args: argparse.Namespace, settings: Settings) -> int:
    path, explicit = settings.column_map_location()
    column_map = load_column_map(path, explicit=explicit)  # ConfigError: the CLI exits 1
    for line in describe_column_map(column_map, path, explicit, settings.date_order):
        print(line)
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "columns", help="show the accepted header spellings (checks the column map file)",
        description="Load the column map (built-in spellings plus SALESOPS_COLUMN_MAP, default "
        "column_map.toml in the project folder) and print each sales column with the header "
        "spellings accepted for it and where they come from. Exits 1 when the file is invalid.")
    parser.set_defaults(func=_columns)
