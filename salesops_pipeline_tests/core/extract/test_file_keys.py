"""The one opener of dropped files: regular files only, never blocked by a FIFO, and a reason
naming what anything else is. Each test is bounded by an alarm, so a hang fails it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesops_pipeline.core.extract.intake import regular_file
from salesops_pipeline.core.extract.intake.file_keys import (
    copy_into,
    open_inside,
    private_copy,
    sha256_inside,
)
from salesops_pipeline.core.extract.intake.folder_scan import FolderState, scan, walk
from salesops_pipeline.core.extract.intake.regular_file import (
    LINK_REASON,
    is_permission_reason,
    not_a_file,
    permission_reason,
)
from salesops_pipeline.errors import NotARegularFile, UnsafePath
from salesops_pipeline_tests.special_files import deadline, fifo, unix_socket


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    """Fail any test of this module still running after 20 s (a blocked open included)."""
    with deadline(20):
        yield


@pytest.mark.parametrize(("make", "kind"), [
    (fifo, "a FIFO (named pipe)"),
    (unix_socket, "a Unix socket"),
    (lambda p: (p.mkdir(), p)[1], "a folder"),
])
def test_every_reader_refuses_a_special_file_naming_its_type(tmp_path: Path, make,
                                                             kind: str) -> None:
    make(tmp_path / "x.csv")
    expected = f"'x.csv' is {kind}, not a regular file; not read"
    for read in (lambda: open_inside("x.csv", tmp_path),
                 lambda: sha256_inside("x.csv", tmp_path),
                 lambda: private_copy("x.csv", tmp_path).__enter__()):
        with pytest.raises(NotARegularFile) as caught:
            read()
        assert str(caught.value) == expected
        assert caught.value.reason == f"{kind}, not a regular file"


def test_a_user_named_fifo_is_refused_before_copying(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    source = fifo(tmp_path / "x.csv")
    with pytest.raises(NotARegularFile, match=r"x\.csv is a FIFO \(named pipe\)"):
        copy_into(source, folder)
    assert list(folder.iterdir()) == []


def test_a_fifo_swapped_in_after_the_lstat_is_caught_by_fstat(tmp_path: Path,
                                                              monkeypatch) -> None:
    """The name looked regular; the open does not block and the open file is refused."""
    regular = tmp_path / "regular.csv"
    regular.write_text("a\n")
    fifo(tmp_path / "x.csv")
    real_stat = os.stat

    def stale_stat(name, *args, **kwargs):  # what the name was an instant before the swap
        return real_stat(regular) if str(name) == "x.csv" else real_stat(name, *args, **kwargs)

    monkeypatch.setattr(regular_file.os, "stat", stale_stat)
    with pytest.raises(NotARegularFile, match="is a FIFO"):
        open_inside("x.csv", tmp_path)


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    os.mknod(tmp_path / "dev.xlsx", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    with pytest.raises(NotARegularFile, match="'dev.xlsx' is a character device"):
        sha256_inside("dev.xlsx", tmp_path)


def test_a_regular_file_reads_normally(tmp_path: Path) -> None:
    (tmp_path / "north").mkdir()
    (tmp_path / "north" / "jan.csv").write_bytes(b"x" * 3_000_000)
    with open_inside("north/jan.csv", tmp_path) as handle:
        assert os.get_blocking(handle.fileno())  # O_NONBLOCK only for the open
        assert len(handle.read()) == 3_000_000
    assert sha256_inside("north/jan.csv", tmp_path)[1] == 3_000_000


def test_a_symlink_is_still_refused_as_a_link(tmp_path: Path) -> None:
    (tmp_path / "null.xlsx").symlink_to("/dev/null")
    with pytest.raises(UnsafePath):
        open_inside("null.xlsx", tmp_path)


def test_the_walk_names_what_it_skips_without_opening_anything(tmp_path: Path) -> None:
    (tmp_path / "good.xlsx").write_bytes(b"PK")
    fifo(tmp_path / "x.csv")
    unix_socket(tmp_path / "s.xlsx")
    (tmp_path / "null.xlsx").symlink_to("/dev/null")
    fifo(tmp_path / ".hidden.csv")  # hidden: silent, whatever it is
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    skipped: dict[str, str] = {}
    assert list(walk(tmp_path, skipped=skipped)) == ["good.xlsx"]
    assert skipped == {
        "x.csv": not_a_file(stat.S_IFIFO), "s.xlsx": not_a_file(stat.S_IFSOCK),
        "null.xlsx": LINK_REASON,
        "report.pdf": ".pdf files are not sales exports (accepted: .xlsx, .xlsm, .xlsb, .xls, "
                      ".csv, .tsv)"}


def test_scan_reports_a_skipped_file_once_until_it_changes(tmp_path: Path) -> None:
    state = FolderState()
    fifo(tmp_path / "x.csv")
    assert scan(tmp_path, state, settle_seconds=0).skipped == [
        ("x.csv", "a FIFO (named pipe), not a regular file")]
    assert scan(tmp_path, state, settle_seconds=0).skipped == []
    (tmp_path / "x.csv").unlink()
    (tmp_path / "x.csv").write_text("Time,Product\n")  # a real file now: imported, forgotten
    found = scan(tmp_path, state, settle_seconds=0)
    assert found.skipped == [] and [v[0] for v in found.new_versions] == ["x.csv"]
    (tmp_path / "x.csv").unlink()
    fifo(tmp_path / "x.csv")  # a FIFO again: reported again
    assert [k for k, _ in scan(tmp_path, state, settle_seconds=0).skipped] == ["x.csv"]


def test_the_permission_reason_names_the_user() -> None:
    reason = permission_reason()
    assert reason.startswith("not readable by user ") and reason.endswith("permission denied")
    assert is_permission_reason(permission_reason("the folder"))
    assert not is_permission_reason(LINK_REASON)
