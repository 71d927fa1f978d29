"""drift.compare and folder_reference on headers written out here: columns pushed along by a new
one are not moved, tables pair by sheet name, a reference without a recorded header is not
compared, the folder's reference is the header most of its files share."""

from __future__ import annotations

from salesops_pipeline.core.load.drift import (
    FOLDER,
    PREVIOUS,
    Change,
    Drift,
    DriftKind,
    Reference,
    compare,
    find_drift,
    folder_reference,
)

SOURCE = ["Time", "Product", "Seller", "Unit Price", "Units", "Total Price"]
COLUMNS = dict(zip(map(str.casefold, SOURCE), ["sold_at", "product", "seller", "unit_price",
                                               "units", "total_price"], strict=True)) | {
    "qty": "units"}  # an alias


def table(headers: list[str], sheet: str | None = None, **extra: object) -> dict[str, object]:
    columns = [{"header": h, "column": COLUMNS.get(h.casefold()), "position": i}
               for i, h in enumerate(headers)]
    return {"sheet": sheet, "columns": columns, **extra}


def test_columns_pushed_along_by_a_new_one_are_not_moved() -> None:
    now = table(["Region", *SOURCE])
    assert compare([now], [table(SOURCE)], PREVIOUS) == [
        Change(DriftKind.NEW, PREVIOUS, None, None, after="Region", after_position=0)]


def test_two_columns_swapped_is_one_move_and_case_is_no_rename() -> None:
    now = table(["Time", "Product", "SELLER", "Units", "Unit Price", "Total Price"])
    (change,) = compare([now], [table(SOURCE)], PREVIOUS)
    assert change.kind is DriftKind.MOVED and {change.before_position,
                                               change.after_position} == {3, 4}


def test_tables_pair_by_sheet_name_and_unrecorded_references_are_skipped() -> None:
    now = [table(SOURCE, "Jan", date_order="dmy"), table(SOURCE, "Feb", date_order="mdy")]
    was = [table(SOURCE, "Feb", date_order="dmy"), table(SOURCE, "Mar", date_order="mdy")]
    assert compare(now, was, PREVIOUS) == [
        Change(DriftKind.DATE_ORDER, PREVIOUS, "Feb", before="dmy", after="mdy")]
    old = [{"sheet": None, "header_row": 1}]  # recorded before header shapes were kept
    assert find_drift([table(SOURCE)], (1, "a.csv", old), [(2, "b.csv", old)]) == Drift()


def test_the_folder_reference_is_the_header_most_files_share() -> None:
    qty = table([h if h != "Units" else "Qty" for h in SOURCE])
    siblings = [(5, "n/e.csv", [qty]), (4, "n/d.csv", [table(SOURCE)]),
                (3, "n/c.csv", [table(SOURCE)]), (2, "n/b.csv", [qty])]
    tie = folder_reference(siblings)  # two and two: the newest file's header
    assert tie is not None and tie[0] == Reference(FOLDER, "n/e.csv", 5, 2, 4)
    siblings.append((1, "n/a.csv", [table(SOURCE)]))
    reference, sheets = folder_reference(siblings) or (None, None)
    assert reference == Reference(FOLDER, "n/d.csv", 4, files_alike=3, files_compared=5)
    assert sheets == [table(SOURCE)]
    assert Drift.from_json(find_drift([qty], None, siblings).to_json()) == Drift(
        (Change(DriftKind.RENAMED, FOLDER, None, "units", "Units", "Qty", 4, 4),),
        (reference,))
