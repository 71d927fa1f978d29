"""Which dropped files are imported, which are ignored silently, which are refused with a reason."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from salesops_pipeline.core.extract.formats.registry import FORMATS, format_of
from salesops_pipeline.core.extract.intake.drops import (
    SUPPORTED_SUFFIXES,
    DropKind,
    classify,
    is_drop,
)

ACCEPTED = "(accepted: .xlsx, .xlsm, .xlsb, .xls, .csv, .tsv)"


@pytest.mark.parametrize(("name", "kind"), [
    ("sales.xlsx", DropKind.IMPORT),
    ("Sales.XLSX", DropKind.IMPORT),
    ("q1.xlsm", DropKind.IMPORT),
    ("q1.xlsb", DropKind.IMPORT),
    ("old.xls", DropKind.IMPORT),
    ("export.csv", DropKind.IMPORT),
    ("EXPORT.TSV", DropKind.IMPORT),
    ("~$sales.xlsx", DropKind.SILENT),
    (".~lock.sales.xlsx#", DropKind.SILENT),
    (".~lock.sales.csv#", DropKind.SILENT),
    (".hidden.xlsx", DropKind.SILENT),
    (".DS_Store", DropKind.SILENT),
    ("Thumbs.db", DropKind.SILENT),
    ("sales.xlsx.tmp", DropKind.SILENT),
    ("sales.xlsx.crdownload", DropKind.SILENT),
    ("report.pdf", DropKind.UNSUPPORTED),
    ("letter.docx", DropKind.UNSUPPORTED),
    ("notes.txt", DropKind.UNSUPPORTED),
    ("sales", DropKind.UNSUPPORTED),
])
def test_each_name_has_one_kind(name: str, kind: DropKind) -> None:
    drop = classify(Path("/data/incoming") / name)
    assert drop.kind is kind
    assert is_drop(name) is (kind is DropKind.IMPORT)
    assert (drop.reason is None) is (kind is not DropKind.UNSUPPORTED)


def test_the_reason_names_the_suffix_and_what_is_accepted() -> None:
    assert classify(PurePosixPath("north/report.pdf")).reason == (
        f".pdf files are not sales exports {ACCEPTED}")
    assert classify("Letter.DOCX").reason == f".docx files are not sales exports {ACCEPTED}"
    assert classify("README").reason == (
        f"files without an extension are not sales exports {ACCEPTED}")
    assert SUPPORTED_SUFFIXES == (".xlsx", ".xlsm", ".xlsb", ".xls", ".csv", ".tsv")


def test_the_registry_holds_every_format_once_with_a_guard(tmp_path: Path) -> None:
    """A new format is one entry: its names feed the drop rule, its guard runs before its opener."""
    suffixes = [s for f in FORMATS for s in f.suffixes]
    assert len(suffixes) == len(set(suffixes)) and tuple(suffixes) == SUPPORTED_SUFFIXES
    assert all(callable(f.guard) and callable(f.open) for f in FORMATS)
    text = tmp_path / "sales.csv"
    text.write_text("Time,Product\n", encoding="utf-8")
    assert format_of(text).kind == "csv"
    zipped = tmp_path / "really_a_workbook.csv"  # the content decides over the name
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 26)
    assert format_of(zipped).kind == "workbook" and ".xlsx" in format_of(zipped).suffixes
    old = tmp_path / "old.csv"
    old.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 8)
    assert format_of(old).suffixes == (".xls",)
