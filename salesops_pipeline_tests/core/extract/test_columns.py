"""Header matching: spellings, aliases, ambiguity and positions."""

from __future__ import annotations

import pytest

from salesops_pipeline.core.extract.header.columns import (
    ALIASES,
    CANONICAL_ORDER,
    REQUIRED_COLUMNS,
    _build_lookup,
    canonical_for,
    column_letter,
    default_column_map,
    header_key,
)


def match_header(cells: list[object]) -> dict[str, list[int]]:
    return default_column_map().match(cells)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Unit Price ", "unitprice"),
        ("unit_price", "unitprice"),
        ("UNIT PRICE", "unitprice"),
        ("Unit-Price", "unitprice"),
        ("  unit.price\t", "unitprice"),
        ("Unit Price (EUR)", "unitprice"),
        ("Unit Price [€]", "unitprice"),
        ("Qty.", "qty"),
    ],
)
def test_header_key_ignores_case_space_punctuation_and_units(text: str, key: str) -> None:
    assert header_key(text) == key


@pytest.mark.parametrize("canonical", CANONICAL_ORDER)
def test_each_canonical_name_matches_in_any_spelling(canonical: str) -> None:
    spaced = canonical.replace("_", " ")
    for spelling in (canonical, spaced.upper(), spaced.title() + " ", canonical.replace("_", "-")):
        assert canonical_for(spelling) == canonical, spelling


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Date", "sold_at"),
        ("Sale Date", "sold_at"),
        ("sold on", "sold_at"),
        ("Timestamp", "sold_at"),
        ("DateTime", "sold_at"),
        ("Order Date", "sold_at"),
        ("Product Name", "product"),
        ("Item", "product"),
        ("Salesperson", "seller"),
        ("Sales Rep", "seller"),
        ("Seller Name", "seller"),
        ("Price", "unit_price"),
        ("Price per unit", "unit_price"),
        ("Quantity", "units"),
        ("QTY", "units"),
        ("Total", "total_price"),
        ("Amount", "total_price"),
        ("Line Total", "total_price"),
        ("Shipper", "shipping_company"),
        ("Carrier", "shipping_company"),
        ("Shipping", "shipping_company"),
        ("Shipping Co.", "shipping_company"),
    ],
)
def test_aliases(spelling: str, canonical: str) -> None:
    assert canonical_for(spelling) == canonical


@pytest.mark.parametrize(
    "cell", ["Notes", "Order ID", "Unit Cost", "Region", "", "Sales export", None, 3.0, True]
)
def test_other_cells_name_no_column(cell: object) -> None:
    assert canonical_for(cell) is None


def test_aliases_cover_only_known_columns_and_required_come_first() -> None:
    assert set(ALIASES) <= set(CANONICAL_ORDER)
    assert CANONICAL_ORDER[: len(REQUIRED_COLUMNS)] == REQUIRED_COLUMNS


def test_a_spelling_claimed_by_two_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="claimed by"):
        _build_lookup({"units": ("total",), "total_price": ("total",)})


def test_match_header_returns_positions_and_keeps_duplicates() -> None:
    row = ["Date", "", "Units", "Notes", "Qty", "Total", 7]
    assert match_header(row) == {"sold_at": [0], "units": [2, 4], "total_price": [5]}


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (2, "C"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (16383, "XFD")],
)
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters
