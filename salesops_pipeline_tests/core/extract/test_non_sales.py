"""RowSorter: total rows, notes and repeated headers are skipped; stated totals and their ranges.

Rows go through rows.RowParser and only the rejected ones through the sorter, exactly as staging
drives it. Expected figures are the test's own values, summed with Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from salesops_pipeline.core.extract.header.columns import CANONICAL_ORDER, default_column_map
from salesops_pipeline.core.extract.rows import non_sales as totals
from salesops_pipeline.core.extract.rows.cells import to_decimal
from salesops_pipeline.core.extract.rows.non_sales import (
    NOTE_REASON,
    REPEATED_HEADER_REASON,
    RowSorter,
    SkippedRow,
    StatedTotal,
    total_label_scope,
)
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow, RowParser, SalesLine

HEADER = ("Time", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company")
START = datetime(2026, 11, 2, 9, 0)


def row(**cells: object) -> tuple[object, ...]:
    """Cells in CANONICAL_ORDER; unnamed ones empty (None)."""
    unknown = set(cells) - set(CANONICAL_ORDER)
    assert not unknown, unknown
    return tuple(cells.get(name) for name in CANONICAL_ORDER)


def sale(n: int, seller: str = "Ada Lovelace", total: str = "10.00", units: int = 1,
         product: str = "Widget") -> tuple[object, ...]:
    price = Decimal(total) / units
    return row(sold_at=START + timedelta(hours=n), product=product, seller=seller,
               unit_price=float(price), units=float(units), total_price=float(Decimal(total)),
               shipping_company="DHL")


@dataclass
class Outcome:
    lines: list[SalesLine] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    quarantined: list[RejectedRow] = field(default_factory=list)
    totals: list[StatedTotal] = field(default_factory=list)
    calls: int = 0  # how often staging had to call the sorter

    def skipped_rows(self) -> dict[int, str]:
        return {s.source_row_number: s.kind for s in self.skipped}

    def loaded(self, first: int, last: int) -> Decimal:
        """What staging sums in SQL: the loaded lines' totals on rows first..last."""
        return sum((ln.total_price for ln in self.lines if first <= ln.source_row_number <= last),
                   Decimal(0))


def drive(rows: list[tuple[object, ...]], *, header_row: int = 1, first_row: int | None = None,
          number: Any = to_decimal) -> Outcome:
    """Staging's loop: parse every row, give the sorter only rejected rows (and sale() when
    pending). Rows are numbered from the row under the header unless first_row says."""
    parse = RowParser()
    sorter = RowSorter("Sales", header_row, default_column_map(), number)
    out = Outcome()

    def decided(verdicts: list[totals.Verdict]) -> None:
        for verdict in verdicts:
            if type(verdict) is SkippedRow:
                out.skipped.append(verdict)
            else:
                assert type(verdict) is RejectedRow
                out.quarantined.append(verdict)

    for number_, cells in enumerate(rows, start=first_row or header_row + 1):
        parsed = parse(number_, cells)
        if type(parsed) is SalesLine:
            if sorter.pending:
                out.calls += 1
                decided(sorter.sale())
            out.lines.append(parsed)
        else:
            assert isinstance(parsed, RejectedRow)
            out.calls += 1
            decided(sorter.not_a_sale(parsed, cells))
    decided(sorter.finish())
    out.totals = sorter.control_totals
    every = [ln.source_row_number for ln in out.lines] + [s.source_row_number
             for s in out.skipped] + [q.source_row_number for q in out.quarantined]
    assert sorted(every) == list(range(first_row or header_row + 1,
                                       (first_row or header_row + 1) + len(rows)))
    return out


def test_excel_data_subtotal_layout() -> None:
    """Data → Subtotal by Seller, Sum of Units and Total Price: "<seller> Total", "Grand Total"."""
    groups = {"Ada Lovelace": ["10.00", "2.50"], "Grace Hopper": ["7.25", "1.10", "100.00"],
              "Zoë Ng": ["0.05"]}
    rows: list[tuple[object, ...]] = []
    expected: list[tuple[int, str, str, int, int, Decimal, Decimal]] = []
    grand, grand_units = Decimal(0), Decimal(0)
    for seller, amounts in groups.items():
        first = len(rows) + 2
        for amount in amounts:
            rows.append(sale(len(rows), seller, amount, units=2))
        stated = sum(map(Decimal, amounts), Decimal(0))
        units = Decimal(2 * len(amounts))
        grand, grand_units = grand + stated, grand_units + units
        rows.append(row(seller=f"{seller} Total", units=float(units), total_price=float(stated)))
        expected.append((len(rows) + 1, f"{seller} Total", "subtotal", first, len(rows), stated,
                         units))
    rows.append(row(seller="Grand Total", units=float(grand_units), total_price=float(grand)))
    expected.append((len(rows) + 1, "Grand Total", "grand_total", 2, len(rows), grand,
                     grand_units))

    out = drive(rows)

    assert [ln.seller for ln in out.lines] == [s for s, a in groups.items() for _ in a]
    assert out.quarantined == []
    assert out.skipped_rows() == {4: "total", 8: "total", 10: "total", 11: "total"}
    assert [s.reason for s in out.skipped] == [
        "subtotal row 'Ada Lovelace Total'", "subtotal row 'Grace Hopper Total'",
        "subtotal row 'Zoë Ng Total'", "grand total row 'Grand Total'"]
    assert [(t.source_row_number, t.label, t.scope, t.first_row, t.last_row, t.stated_total,
             t.stated_units) for t in out.totals] == expected
    assert {t.sheet for t in out.totals} == {"Sales"}
    for t in out.totals:  # the lines each range covers add up to what is stated
        assert out.loaded(t.first_row, t.last_row) == t.stated_total
    assert out.calls == 4 + 2  # one per total row, one sale() after the two followed by sales


@pytest.mark.parametrize(("cells", "scope", "label"), [
    (row(sold_at="Total", total_price=30.0), "grand_total", "Total"),
    (row(sold_at="Totals:", total_price="$30.00"), "grand_total", "Totals:"),
    (row(sold_at="  GRAND   TOTAL : ", units=3.0, total_price=30.0), "grand_total",
     "GRAND TOTAL :"),
    (row(product="Sum", total_price=30.0), "grand_total", "Sum"),
    (row(units="Total:", total_price=30.0), "grand_total", "Total:"),
    (row(seller="Subtotal", total_price=30.0), "subtotal", "Subtotal"),
    (row(sold_at="Sub-total:", total_price=30.0), "subtotal", "Sub-total:"),
    (row(seller="Total North", total_price=30.0), "subtotal", "Total North"),
    (row(seller="ada lovelace subtotal", total_price=30.0), "subtotal", "ada lovelace subtotal"),
    (row(sold_at="n/a", seller="Ada Total", total_price=30.0), "subtotal", "Ada Total"),
])
def test_total_rows_anywhere_in_the_row(cells: tuple[object, ...], scope: str,
                                        label: str) -> None:
    out = drive([sale(0, total="10.00"), sale(1, total="20.00"), cells])
    assert out.skipped_rows() == {4: "total"} and out.quarantined == []
    (stated,) = out.totals
    assert (stated.label, stated.scope, stated.first_row, stated.last_row) == (label, scope, 2, 3)
    assert stated.stated_total == Decimal("30.00") == out.loaded(2, 3)
    assert stated.stated_units == (Decimal(3) if cells[4] == 3.0 else None)
    assert out.skipped[0].reason.startswith("grand total row '" if scope == "grand_total"
                                            else "subtotal row '")


@pytest.mark.parametrize("cells", [
    row(product="Totalizer 3000", total_price=30.0),  # no label: a bad sale without a time
    row(product="Total Wine & More", seller="Ada Lovelace", total_price=30.0),  # two names
    row(seller="Total Price", total_price=30.0),  # a column name, not a label
    row(sold_at="Total", seller="Grand Total", total_price=30.0),  # two labels
    row(product="Summary", total_price=30.0),
    row(sold_at=START, seller="Ada Lovelace Total", total_price=30.0),  # a time: a bad sale
    row(total_price=30.0),  # a bare number under the table is not a note
])
def test_rows_that_are_not_total_rows_are_quarantined(cells: tuple[object, ...]) -> None:
    out = drive([sale(0), cells])
    assert out.skipped == [] and out.totals == []
    assert [q.source_row_number for q in out.quarantined] == [3]


@pytest.mark.parametrize("label", ["Total", "Total Wine & More", "Totalizer 3000"])
def test_a_row_with_time_and_product_is_a_sale_whatever_its_names(label: str) -> None:
    """Such rows parse as SalesLines, so staging never gives them to the sorter."""
    out = drive([sale(0, seller=label), sale(1, product=label)])
    assert [ln.source_row_number for ln in out.lines] == [2, 3]
    assert out.calls == 0 and out.skipped == [] and out.totals == []


def test_total_label_scope_is_a_whole_word_match() -> None:
    assert total_label_scope("Grand Total") == "grand_total"
    assert total_label_scope("Totalizer 3000") is None
    assert total_label_scope("Subtotals") == "subtotal"
    assert total_label_scope(12.0) is None and total_label_scope("") is None


@pytest.mark.parametrize("notes", [
    ["Exported from CRM on 2026-11-30 08:00"],
    ["Exported from CRM on 2026-11-30 08:00", "Page 1 of 1", "Confidential"],
])
def test_notes_under_the_table_are_skipped(notes: list[str]) -> None:
    rows = [sale(0), sale(1), row(seller="Grand Total", total_price=20.0)]
    rows += [row(sold_at=note) for note in notes]
    out = drive(rows)
    assert out.skipped_rows() == {4: "total"} | {5 + i: "note" for i in range(len(notes))}
    assert [s.reason for s in out.skipped if s.kind == "note"] == [NOTE_REASON] * len(notes)
    assert out.skipped[-1].raw["sold_at"] == notes[-1]
    assert out.quarantined == [] and len(out.lines) == 2


def test_note_waits_until_the_end_of_the_table() -> None:
    sorter = RowSorter(None, 1, default_column_map(), to_decimal)
    note = RowParser()(5, row(product="checked by Ada"))
    assert isinstance(note, RejectedRow)
    assert sorter.not_a_sale(note, row(product="checked by Ada")) == []
    assert sorter.pending
    assert sorter.finish() == [SkippedRow(None, 5, NOTE_REASON, note.raw, "note")]
    assert not sorter.pending


@pytest.mark.parametrize("follower", [
    sale(9),  # a good sale
    row(sold_at=START, product="Widget", seller="Ada", unit_price="abc", units=1.0,
        total_price=1.0),  # a bad sale: a sale time, so still inside the table
])
def test_a_note_like_row_inside_the_table_is_quarantined(follower: tuple[object, ...]) -> None:
    out = drive([sale(0), row(product="Widget"), row(seller="Ada Lovelace"), follower])
    assert out.skipped == []
    assert sorted(q.source_row_number for q in out.quarantined) == (
        [3, 4] if type(RowParser()(5, follower)) is SalesLine else [3, 4, 5])
    assert out.quarantined[0].reasons  # the parser's reasons are kept unchanged


def test_pending_notes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totals, "MAX_PENDING_NOTES", 3)
    out = drive([sale(0)] + [row(sold_at=f"note {i}") for i in range(5)])
    assert [q.source_row_number for q in out.quarantined] == [3, 4]  # the oldest flushed
    assert out.skipped_rows() == {5: "note", 6: "note", 7: "note"}


def test_a_repeated_header_is_skipped() -> None:
    header = tuple(HEADER)
    out = drive([sale(0), header, sale(1), row(sold_at="Time", product="Product", seller="Seller",
                                              units="Qty")])
    assert out.skipped_rows() == {3: "header", 5: "header"}
    assert {s.reason for s in out.skipped} == {REPEATED_HEADER_REASON}
    assert out.quarantined == [] and out.calls == 2


def test_a_total_row_without_amount_states_nothing_but_closes_its_group() -> None:
    out = drive([sale(0, total="1.00"), row(seller="Ada Total", total_price="n/a"),
                 sale(1, total="2.00"), row(seller="Bob Total", total_price=2.0),
                 row(seller="Grand Total")])
    assert out.skipped_rows() == {3: "total", 5: "total", 6: "total"}
    assert out.skipped[0].reason == (
        "subtotal row 'Ada Total' without a readable amount (total_price: unreadable number 'n/a')")
    assert out.skipped[2].reason.startswith("grand total row 'Grand Total' without a readable")
    assert [(t.label, t.first_row, t.last_row, t.stated_total) for t in out.totals] == [
        ("Bob Total", 4, 4, Decimal("2"))]


def test_ranges_across_groups_and_two_grand_totals() -> None:
    rows = [sale(0, total="1.00"), sale(1, total="2.00"),        # 3, 4
            row(seller="Ada Total", total_price=3.0),            # 5
            sale(2, total="4.00"),                               # 6
            row(sold_at="bad", product="Widget", total_price=8.0),  # 7 quarantined
            row(seller="Bob Total", total_price=12.0),           # 8
            row(sold_at="Total", total_price=15.0),              # 9
            sale(3, total="5.00"),                               # 10
            row(seller="Cy Total", total_price=5.0),             # 11
            row(seller="Subtotal", total_price=0.0),             # 12 nothing since row 11
            row(sold_at="Grand Total:", total_price=5.0)]        # 13
    out = drive(rows, header_row=2)
    assert [q.source_row_number for q in out.quarantined] == [7]
    ranges = [(t.source_row_number, t.scope, t.first_row, t.last_row) for t in out.totals]
    assert ranges == [(5, "subtotal", 3, 4), (8, "subtotal", 6, 7), (9, "grand_total", 3, 8),
                      (11, "subtotal", 10, 10), (12, "subtotal", 10, 11),
                      (13, "grand_total", 10, 12)]
    differences = {t.source_row_number: t.stated_total - out.loaded(t.first_row, t.last_row)
                   for t in out.totals}
    assert differences == {5: 0, 8: Decimal("8"), 9: Decimal("8"), 11: 0, 12: Decimal("-5"),
                           13: 0}


def test_nested_subtotals_go_one_level_up() -> None:
    """Excel's two-level Data → Subtotal: sellers within regions, then the region total."""
    rows = [sale(0, "Ada", "1.00"), row(seller="Ada Total", total_price=1.0),    # 2, 3
            sale(1, "Bob", "2.00"), row(seller="Bob Total", total_price=2.0),    # 4, 5
            row(product="North Total", total_price=3.0),                         # 6
            sale(2, "Ada", "4.00"), row(seller="Ada Total", total_price=4.0),    # 7, 8
            row(product="South Total", total_price=4.0),                         # 9
            row(product="Grand Total", total_price=7.0)]                         # 10
    out = drive(rows)
    assert [(t.label, t.first_row, t.last_row) for t in out.totals] == [
        ("Ada Total", 2, 2), ("Bob Total", 4, 4), ("North Total", 2, 5), ("Ada Total", 7, 7),
        ("South Total", 7, 8), ("Grand Total", 2, 9)]
    for t in out.totals:
        assert out.loaded(t.first_row, t.last_row) == t.stated_total


def test_a_decimal_comma_file_reads_stated_amounts_with_its_own_reader() -> None:
    def comma_number(value: object, limit: float) -> Decimal:
        if isinstance(value, str):
            value = value.replace(".", "").replace(",", ".")
        return to_decimal(value, limit)

    out = drive([sale(0, total="1234.50"), row(sold_at="Summe", total_price="1.234,50"),
                 row(sold_at="Total", units="1", total_price="1.234,50")], number=comma_number)
    assert [(t.label, t.stated_total, t.stated_units) for t in out.totals] == [
        ("Total", Decimal("1234.50"), Decimal("1"))]
    assert [q.source_row_number for q in out.quarantined] == [3]  # "Summe": not an English label


def test_pending_is_false_on_a_plain_table() -> None:
    out = drive([sale(n) for n in range(50)])
    assert out.calls == 0 and len(out.lines) == 50


def test_a_row_of_the_wrong_width_is_quarantined() -> None:
    sorter = RowSorter("S", 1, default_column_map(), to_decimal)
    bad = RejectedRow(2, {}, ("row: expected 7 cells",))
    assert sorter.not_a_sale(bad, ("Total", 1.0)) == [bad]
    assert sorter.control_totals == []
