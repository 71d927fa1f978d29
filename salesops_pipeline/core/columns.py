"""Canonical sales columns and the matching of a sheet's header row to them.

Exports name the same column many ways ("Unit Price ", "unit_price", "UNIT-PRICE", "Price"), so a
header cell is reduced to a *key* — lower case, letters and digits only, a trailing "(EUR)" or
"[units]" annotation dropped — and looked up in one alias table. Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "ALIASES",
    "CANONICAL_ORDER",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "canonical_for",
    "column_letter",
    "header_key",
    "match_header",
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

# Spellings accepted besides the canonical name itself. Compared through header_key(), so case,
# spaces and punctuation do not matter here.
ALIASES: dict[str, tuple[str, ...]] = {
    "sold_at": (
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


_LOOKUP = _build_lookup(ALIASES)


def canonical_for(cell: object) -> str | None:
    """Return the canonical column a header cell names, or None (non-text cells name nothing)."""
    if not isinstance(cell, str):
        return None
    return _LOOKUP.get(header_key(cell))


def match_header(cells: Iterable[object]) -> dict[str, list[int]]:
    """Map each canonical column found in a header row to the 0-based positions naming it.

    More than one position for a column means the header is ambiguous; the caller decides.
    """
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        canonical = canonical_for(cell)
        if canonical is not None:
            found.setdefault(canonical, []).append(index)
    return found


def column_letter(index: int) -> str:
    """Excel letters of a 0-based column index (0 → "A", 27 → "AB"), for messages users act on."""
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
