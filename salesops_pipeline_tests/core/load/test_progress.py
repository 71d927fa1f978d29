"""Row counts of an import as it goes: the throttle, the words, and what staging reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.extract.intake.file_keys import file_version
from salesops_pipeline.core.load import import_log, staging
from salesops_pipeline.core.load.progress import (
    Stage,
    Throttle,
    describe,
    is_final,
    listening,
    tell_listeners,
)
from salesops_pipeline_tests.workbooks import write_clean_workbook

Report = tuple[str, Stage, int, int | None]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttle_passes_a_stages_first_and_last_and_one_per_interval() -> None:
    got: list[Report] = []
    clock = Clock()
    throttle = Throttle(lambda *r: got.append(r), seconds=0.5, clock=clock)
    for done in range(0, 1000, 100):  # 10 reports 1/8 s apart: 0 (first), 400 and 800 pass
        throttle("a.xlsx", Stage.PARSE, done, None)
        clock.now += 0.125
    throttle("a.xlsx", Stage.PARSE, 1234, 1234)  # final: always
    throttle("a.xlsx", Stage.STAGE, 1200, 1200)  # a new stage: always
    throttle("b.xlsx", Stage.PARSE, 5, None)  # a new file: always
    throttle("b.xlsx", Stage.PARSE, 6, None)  # same stage, too soon: dropped
    assert got == [("a.xlsx", Stage.PARSE, 0, None), ("a.xlsx", Stage.PARSE, 400, None),
                   ("a.xlsx", Stage.PARSE, 800, None),
                   ("a.xlsx", Stage.PARSE, 1234, 1234), ("a.xlsx", Stage.STAGE, 1200, 1200),
                   ("b.xlsx", Stage.PARSE, 5, None)]


def test_words_for_each_stage() -> None:
    assert describe("a.xlsx", Stage.PARSE, 50_000, None) == "a.xlsx: parsing, 50,000 lines so far"
    assert describe("a.xlsx", Stage.PARSE, 120_000, 120_000) == "a.xlsx: parsed 120,000 rows"
    assert describe("a.xlsx", Stage.STAGE, 119_990, 119_990) == "a.xlsx: staged 119,990 lines"
    assert describe("a.xlsx", Stage.PUBLISH, 0, 9) == "a.xlsx: publishing, 0 of 9 lines"
    assert describe("a.xlsx", Stage.PUBLISH, 9, 9) == "a.xlsx: published 9 lines"
    assert is_final(0, 0) and not is_final(5, None) and not is_final(4, 9)


def test_listeners_hear_reports_only_while_listening() -> None:
    heard: list[Report] = []
    tell_listeners("a.xlsx", Stage.PARSE, 1, None)
    with listening(lambda *r: heard.append(r)):
        tell_listeners("a.xlsx", Stage.PARSE, 2, None)
    tell_listeners("a.xlsx", Stage.PARSE, 3, None)
    assert heard == [("a.xlsx", Stage.PARSE, 2, None)]


def test_staging_reports_lines_as_they_stream_then_every_row_read(db: str, folder: Path) -> None:
    start = datetime(2025, 1, 6, 9)
    rows: list[dict[str, object]] = [
        {"sold_at": start + timedelta(minutes=n), "product": f"Item {n % 7}", "seller": "Ada",
         "unit_price": Decimal("2.50"), "units": 2, "total_price": Decimal("5.00"),
         "shipping_company": "DHL"} for n in range(9_000)]
    rows.append({"sold_at": start, "product": "Broken", "seller": "Ada", "unit_price": "abc",
                 "units": 1, "total_price": Decimal("1.00"), "shipping_company": "DHL"})
    rows.append({"product": "Grand Total", "total_price": Decimal("45001.00")})
    write_clean_workbook(folder / "big.xlsx", rows)
    version = file_version("big.xlsx", folder)
    with connect(db) as conn:
        decision = import_log.decide(conn.cursor(), version, "test-run")
    got: list[Report] = []
    with connect(db) as conn:
        staged = staging.stage_file(conn, import_id=decision.import_id, key="big.xlsx",
                                    path=folder / "big.xlsx", progress=lambda *r: got.append(r))
    assert (staged.rows_staged, staged.rows_rejected, staged.rows_skipped) == (9_000, 1, 1)
    running, final = got[:-1], got[-1]
    assert final == ("big.xlsx", Stage.PARSE, 9_002, 9_002)  # every row under the header
    counts = [done for _file, _stage, done, _total in running]
    assert len(counts) >= 2 and counts == sorted(counts) and counts[-1] == 9_000  # streamed lines
    assert all(r[:2] == ("big.xlsx", Stage.PARSE) and r[3] is None for r in running)
