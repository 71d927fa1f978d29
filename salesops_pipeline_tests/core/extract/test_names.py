"""to_name: one spelling per name (NFC, every kind of whitespace, invisible characters)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_pipeline.core.extract.rows.cells import InvalidCell
from salesops_pipeline.core.extract.rows.names import MAX_NAME_LENGTH, to_name
from salesops_pipeline.core.extract.rows.sales_line import RowParser, SalesLine, parse_row

JOSE = "Jos\u00e9 \u00c1lvarez"  # composed (NFC), as Windows types it
JOSE_NFD = "Jose\u0301 A\u0301lvarez"  # decomposed (NFD), as a Mac may store it
SPACES = ["\u00a0", "\u202f", "\t", "\u3000", "\u2009", "\n", "\u200b", "\ufeff", " \u00a0 "]


def test_the_two_spellings_are_different_strings_that_look_the_same() -> None:
    assert JOSE != JOSE_NFD and unicodedata.normalize("NFC", JOSE_NFD) == JOSE


@pytest.mark.parametrize("typed", [JOSE, JOSE_NFD])
@pytest.mark.parametrize("space", SPACES)
def test_every_spelling_of_a_name_is_one_name(typed: str, space: str) -> None:
    assert to_name(typed) == JOSE
    assert to_name(space + typed) == JOSE
    assert to_name(typed + space) == JOSE
    assert to_name(f"{space}{typed}{space}{space}") == JOSE


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Jos\u00e9\u00a0\u00a0\u00c1lvarez", JOSE),  # inner runs of any space: one space
        ("Jos\u00e9\u202f\t\u00c1lvarez", JOSE),
        ("Jos\u00e9\u3000\u00c1lvarez", JOSE),
        ("Jose\u200b\u0301 \u00c1lvarez", JOSE),  # an accent cut off its letter is composed
        ("\ufeff\u200b Jose\u0301 A\u0301lvarez \u200b\ufeff", JOSE),
        ("\u200e\u00adAda\u2060", "Ada"),
        ("Ada\x00 \x85Lovelace", "Ada Lovelace"),
        ("\u212b", "\u00c5"),  # the Ångström sign is the letter Å (canonical equivalence)
    ],
)
def test_names_are_composed_trimmed_and_collapsed(raw: str, name: str) -> None:
    assert to_name(raw) == name


def test_case_is_kept_as_written() -> None:
    assert (to_name("ACME"), to_name(" Acme\u00a0")) == ("ACME", "Acme")


@pytest.mark.parametrize("raw", ["", " \u00a0\u202f\t\u3000", "\u200b\ufeff", None])
def test_nothing_but_spaces_is_missing(raw: object) -> None:
    with pytest.raises(InvalidCell, match="missing"):
        to_name(raw)


def test_length_is_counted_on_the_stored_spelling() -> None:
    decomposed = "e\u0301" * MAX_NAME_LENGTH  # 2,000 characters, 1,000 once composed
    assert to_name(decomposed) == "\u00e9" * MAX_NAME_LENGTH
    with pytest.raises(InvalidCell, match="longer than"):
        to_name("\u00e9" * (MAX_NAME_LENGTH + 1))


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\t", "\u200b"])
def test_the_row_parser_spells_names_this_way(space: str) -> None:
    parser = RowParser()
    for parse in (parse_row, parser, parser):  # the remembering parser: first and second time
        line = parse(3, ("2026-03-02", f"{space}Cafe\u0301", f"{JOSE_NFD}{space}", 1.5, 2.0,
                         3.0, f"La{space}Poste"))
        assert isinstance(line, SalesLine), line
        expected = ("Caf\u00e9", JOSE, "La Poste" if space != "\u200b" else "LaPoste")
        assert (line.product, line.seller, line.shipping_company) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.lists(st.sampled_from([*SPACES, "e", "\u0301", "A", "\u00e9", " ", "\u0327"]),
                  max_size=12).map("".join))
def test_the_stored_spelling_is_stable_composed_and_trimmed(raw: str) -> None:
    try:
        name = to_name(raw)
    except InvalidCell:
        return
    assert to_name(name) == name  # idempotent: a stored name is its own spelling
    assert unicodedata.is_normalized("NFC", name)
    assert name == " ".join(name.split()) and name
    assert not set(name) & set("\u00ad\u180e\u200b\u200e\u200f\u2060\ufeff")
    assert to_name(unicodedata.normalize("NFD", raw)) == name  # Mac or Windows: one name
