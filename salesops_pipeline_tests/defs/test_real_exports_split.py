"""Issue 20, second round: point-of-sale and e-commerce exports write the sale time as a date
column and a time column. Through the real ingest job into PostgreSQL: the two load as one
sold_at, in xlsx (date and time cells, or text) and CSV (US month-first decided by the file,
German Datum;Uhrzeit), with the column map's spellings; a bad or missing time is quarantined
naming its column; a time or date column alone, and the source header, read as before.

Expected lines come from the chosen values (exports_dates.dated_lines), never from SQL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from salesops_pipeline_tests.exports import Line
from salesops_pipeline_tests.exports_dates import dated_lines, write_dated_csv
from salesops_pipeline_tests.exports_split import (
    split_header,
    write_split_csv,
    write_split_workbook,
)
from salesops_pipeline_tests.ingest_support import DatedIngestor
from salesops_pipeline_tests.real_exports_support import (
    import_row,
    in_order,
    loaded_lines,
    quarantined,
)


def _lines(seed: int, count: int = 24, days: range = range(1, 29)) -> list[Line]:
    """Chosen sales with seconds too (14:05:09)."""
    return [replace(line, sold_at=line.sold_at.replace(second=(index * 7) % 60))
            for index, line in enumerate(dated_lines(seed, count, days))]


def _minutes(seed: int, count: int = 24, days: range = range(1, 29)) -> list[Line]:
    return dated_lines(seed, count, days)


def test_an_xlsx_with_date_cells_and_time_cells(ingest, folder: Path, sql) -> None:
    expected = write_split_workbook(folder / "pos.xlsx", _lines(30), split_header("Date", "Time"))
    ingest.run("pos.xlsx")
    assert loaded_lines(sql, "pos.xlsx") == in_order(expected)
    assert import_row(sql, "pos.xlsx").rows_rejected == 0


def test_an_xlsx_with_text_dates_and_times(ingest, folder: Path, sql) -> None:
    expected = write_split_workbook(folder / "shop.xlsx", _lines(31),
                                    split_header("Order date", "Order time"), text=True)
    ingest.run("shop.xlsx")
    assert loaded_lines(sql, "shop.xlsx") == in_order(expected)


def test_a_csv_with_iso_dates_and_24_hour_times(ingest, folder: Path, sql) -> None:
    expected = write_split_csv(folder / "pos.csv", _minutes(32), split_header("Date", "Time"),
                               "iso", "24h")
    ingest.run("pos.csv")
    assert loaded_lines(sql, "pos.csv") == in_order(expected)


def test_a_us_csv_is_month_first_decided_by_the_file(ingest, folder: Path, sql) -> None:
    lines = _minutes(33, 40)
    assert any(line.sold_at.day > 12 for line in lines)  # the evidence
    assert any(line.sold_at.day <= 12 and line.sold_at.day != 11 for line in lines)
    expected = write_split_csv(folder / "us.csv", lines, split_header("Sale date", "Sale time"),
                               "us", "12h")
    ingest.run("us.csv")
    assert loaded_lines(sql, "us.csv") == in_order(expected)
    ((sheets,),) = sql("SELECT sheets FROM salesops.import_log WHERE source_file = 'us.csv'")
    assert [t["date_order"] for t in sheets] == ["mdy"]


def test_a_german_datum_uhrzeit_csv(ingest, folder: Path, sql) -> None:
    expected = write_split_csv(folder / "de.csv", _lines(34), split_header("Datum", "Uhrzeit"),
                               "de", "seconds", delimiter=";")
    ingest.run("de.csv")
    assert loaded_lines(sql, "de.csv") == in_order(expected)


def test_the_column_map_names_the_two_parts(db: str, folder: Path, sql, ingest,
                                            tmp_path: Path) -> None:
    column_map = tmp_path / "column_map.toml"
    column_map.write_text('[columns]\nsold_at_date = ["Buchungstag"]\n'
                          'sold_at_time = ["Buchungszeit"]\n', encoding="utf-8")
    expected = write_split_csv(folder / "booked.csv", _minutes(35),
                               split_header("Buchungstag", "Buchungszeit"), "iso", "24h")
    mapped = DatedIngestor(db, folder, ingest.instance, column_map_file=str(column_map))
    mapped.run("booked.csv")
    assert loaded_lines(sql, "booked.csv") == in_order(expected)


def test_a_bad_or_missing_time_is_quarantined_naming_its_column(ingest, folder: Path,
                                                                sql) -> None:
    lines = _minutes(36, 12)
    expected = write_split_csv(folder / "bad.csv", lines, split_header("Date", "Time"), "iso",
                               "24h", times={3: "25:00", 7: ""})
    ingest.run("bad.csv")
    assert loaded_lines(sql, "bad.csv") == in_order(
        [x for i, x in enumerate(expected) if i not in (3, 7)])
    log = import_row(sql, "bad.csv")
    assert quarantined(sql, log.import_id) == [
        (None, 5, ["sold_at: time column 'Time' (B): unreadable time '25:00'"]),
        (None, 9, ["sold_at: time column 'Time' (B): missing"]),
    ]
    ((raw,),) = sql("SELECT raw_values FROM salesops.rejected_row WHERE import_id = %s"
                    " AND source_row_number = 5", (log.import_id,))
    assert raw["sold_at"] == {"date": f"{lines[3].sold_at:%Y-%m-%d}", "time": "25:00"}


def _one_column(folder: Path, name: str, header: str) -> list:
    """The source export with its Time column renamed ``header``: the whole timestamp."""
    expected = write_dated_csv(folder / name, _minutes(37, 10), "iso")
    text = (folder / name).read_text(encoding="utf-8")
    (folder / name).write_text(text.replace("Time,", f"{header},", 1), encoding="utf-8")
    return expected


def test_a_time_alone_a_date_alone_and_the_source_header_are_the_whole_timestamp(
        ingest, folder: Path, sql) -> None:
    for name, header in (("time.csv", "Time"), ("uhrzeit.csv", "Uhrzeit"),
                         ("date.csv", "Date"), ("datum.csv", "Datum")):
        expected = _one_column(folder, name, header)
        ingest.run(name)
        assert loaded_lines(sql, name) == in_order(expected), name
