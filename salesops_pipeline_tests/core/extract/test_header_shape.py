"""header_columns: each header cell's text, the sales column it names and its absolute position,
for a sheet starting right of column A and for a sale time in two columns."""

from __future__ import annotations

from salesops_pipeline.core.extract.formats.sales_table import TableLayout
from salesops_pipeline.core.extract.header.columns import default_column_map, find_header
from salesops_pipeline.core.extract.header.shape import (
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    header_columns,
)


def _layout(cells: list[object], first_column: int = 0) -> TableLayout:
    match = find_header([(1, cells)], column_map=default_column_map(), sheet="S",
                        first_column=first_column)
    assert match is not None
    return TableLayout("S", 1, match.columns, match.cells, match.split,
                       first_column=first_column)


def test_positions_count_from_column_a_and_other_columns_are_kept() -> None:
    cells = ["Time", None, "Product", "Seller", " Unit  Price ", "Qty", "Total", "Region"]
    assert header_columns(_layout(cells, first_column=2)) == [
        {"header": "Time", "column": "sold_at", "position": 2},
        {"header": "Product", "column": "product", "position": 4},
        {"header": "Seller", "column": "seller", "position": 5},
        {"header": "Unit Price", "column": "unit_price", "position": 6},
        {"header": "Qty", "column": "units", "position": 7},
        {"header": "Total", "column": "total_price", "position": 8},
        {"header": "Region", "column": None, "position": 9},
    ]


def test_a_sale_time_in_two_columns_names_its_parts() -> None:
    cells = ["Datum", "Uhrzeit", "Product", "Seller", "Price", "Units", "Total"]
    assert [(c["header"], c["column"]) for c in header_columns(_layout(cells))][:2] == [
        ("Datum", "sold_at_date"), ("Uhrzeit", "sold_at_time")]


def test_a_hostile_header_is_kept_bounded() -> None:
    cells = ["Time", "Product", "Seller", "Price", "Units", "Total",
             *(f"x{i}" + "y" * 10_000 for i in range(2 * MAX_COLUMNS))]
    kept = header_columns(_layout(cells))
    assert len(kept) == MAX_COLUMNS
    assert max(len(str(c["header"])) for c in kept) == MAX_HEADER_CHARS
