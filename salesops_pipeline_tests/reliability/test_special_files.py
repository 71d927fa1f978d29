"""Hostile and careless drops: FIFOs, sockets, devices, links and unreadable files never hang
anything, are refused at once with a reason naming what they are, are logged once, and the
valid files beside them still import.

Every case is bounded in time: the CLI runs in a subprocess with a timeout, the sensor and the
run worker in this process under :func:`deadline` (SIGALRM interrupts a blocked ``open()``), so a
hang fails the test instead of hanging CI. Root ignores file modes, so the unreadable cases run
the reader unprivileged (:data:`UNPRIVILEGED`).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from salesops_pipeline.core.extract.intake import folder_scan
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.sensors import sales_folder_sensor
from salesops_pipeline_tests.cli.support import cli_env
from salesops_pipeline_tests.ingest_support import fact_rows
from salesops_pipeline_tests.reliability.harness import GOOD_FILE, Bench, sale
from salesops_pipeline_tests.special_files import deadline, fifo, unix_socket
from salesops_pipeline_tests.workbooks import write_clean_workbook

reliability = pytest.mark.reliability
SECONDS = 60  # far above what each case needs (a few seconds); a hang would be forever
CLI_SECONDS = 150  # a `salesops ingest` subprocess: Dagster's start-up, one or two runs

# Root reads a chmod 000 file anyway. The interpreter may live where another user cannot reach
# it (pyenv under /root), so rather than switching to `nobody`, root drops the two capabilities
# that let it ignore file modes: the reader is then bound by them like any user.
UNPRIVILEGED: list[str] = ([
    "setpriv", "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else [])

FIFO = "a FIFO (named pipe), not a regular file"
SOCKET = "a Unix socket, not a regular file"
DEVICE = "a character device, not a regular file"
LINK = ("a symbolic link (links are not followed: only regular files inside the data folder "
        "are read)")


def make_fifo(path: Path) -> str:
    fifo(path)
    return FIFO


def make_socket(path: Path) -> str:
    unix_socket(path)
    return SOCKET


def make_device(path: Path) -> str:
    if os.geteuid() != 0:
        pytest.skip("a device node needs mknod as root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
    return DEVICE


def make_devnull_link(path: Path) -> str:
    path.symlink_to("/dev/null")
    return LINK


SPECIALS = {"fifo": make_fifo, "socket": make_socket, "device": make_device,
            "devnull-link": make_devnull_link}
WHAT = {"fifo": "a FIFO", "socket": "a Unix socket", "device": "a character device (mknod 1,3)",
        "devnull-link": "a symlink to /dev/null"}


def ticks(folder: Path, database_url: str, count: int) -> list[tuple[list[str], list[str]]]:
    """``count`` ticks of the real file-drop sensor: each tick's partition keys and warnings."""
    resources = {
        "sales_folder": SalesFolderResource(data_dir=str(folder), settle_seconds=0,
                                            export_dir=str(folder.parent / "exports")),
        "warehouse": WarehouseResource(database_url=database_url),
    }
    seen: list[tuple[list[str], list[str]]] = []
    warnings: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    cursor = None
    with DagsterInstance.ephemeral() as instance:
        for _ in range(count):
            context = build_sensor_context(instance=instance, cursor=cursor,
                                           resources=resources)
            context.log.addHandler(Keep())
            with deadline(SECONDS):
                result = sales_folder_sensor(context)
            cursor = result.cursor
            keys = [r.partition_key for r in result.run_requests]
            keys += [k for r in result.dynamic_partitions_requests for k in r.partition_keys
                     if k not in keys]
            seen.append((keys, warnings[:]))
            warnings.clear()
    return seen


# ---- the sensor --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [
    pytest.param(kind, id=kind, marks=reliability(
        case=f"{WHAT[kind]} named x.csv dropped beside a good file (the sensor)"))
    for kind in SPECIALS])
def test_the_sensor_skips_a_special_file_and_says_so_once(
        shared_bench: Bench, database_url: str, record_happened, kind: str) -> None:
    """Never opened; logged once with its type; the good file beside it is requested."""
    special = shared_bench.folder / "x.csv"
    reason = SPECIALS[kind](special)
    try:
        (first, warned), (second, again) = ticks(shared_bench.folder, database_url, 2)
    finally:
        special.unlink()
    record_happened(f"sensor: {'; '.join(warned)}; next tick silent; good.xlsx requested")
    assert first == [GOOD_FILE] and second == []
    assert warned == [f"x.csv: not imported: {reason}"] and again == []


@reliability(case="a file swapped for a FIFO between the sensor's folder walk and its hash")
def test_a_fifo_swapped_in_after_the_walk_does_not_hang_the_sensor(
        shared_bench: Bench, database_url: str, record_happened, monkeypatch) -> None:
    """The hash's open is non-blocking and refuses it: logged once, the good file requested."""
    victim = write_clean_workbook(shared_bench.folder / "swap.xlsx", [sale(11, "Swapped")])
    walk = folder_scan.walk

    def walk_then_swap(*args, **kwargs):
        found = walk(*args, **kwargs)
        if victim.is_file():
            victim.unlink()  # what a second process could do right now
            os.mkfifo(victim)
        return found

    monkeypatch.setattr(folder_scan, "walk", walk_then_swap)
    try:
        [(keys, warned)] = ticks(shared_bench.folder, database_url, 1)
    finally:
        victim.unlink()
    record_happened(f"sensor: {'; '.join(warned)}; requested {keys}")
    assert keys == [GOOD_FILE]
    assert warned == [f"swap.xlsx: not imported: {FIFO}"]


# ---- the run worker ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [
    pytest.param(kind, id=kind, marks=reliability(
        case=f"an ingest run of a partition that is {WHAT[kind]} (x.csv)"))
    for kind in ("fifo", "socket", "device")])
def test_the_run_worker_refuses_a_special_file_at_once(
        shared_bench: Bench, record_happened, kind: str) -> None:
    """The run fails at once naming the type; nothing logged or loaded; the bench untouched."""
    bench = shared_bench
    reason = SPECIALS[kind](bench.folder / "x.csv")
    try:
        with deadline(SECONDS):
            run = bench.ingest.run("x.csv", raise_on_error=False)
    finally:
        (bench.folder / "x.csv").unlink()
    message = next(e for e in run.all_events if e.is_step_failure
                   ).step_failure_data.error.message.strip()
    record_happened("run refused: " + message.removeprefix(
        "dagster._core.definitions.events.Failure: "))
    assert not run.success and f"'x.csv' is {reason}; not read" in message
    assert bench.sql("SELECT count(*) FROM salesops.import_log WHERE source_file = 'x.csv'"
                     ) == [(0,)]
    bench.assert_untouched(loaded=False)


# ---- the CLI -----------------------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str], unprivileged: bool = False
            ) -> subprocess.CompletedProcess[str]:
    """`salesops ARGS` in a fresh process, killed (and the test failed) past CLI_SECONDS."""
    code = "import sys\nfrom salesops_pipeline.cli.main import main\nsys.exit(main())"
    command = [*(UNPRIVILEGED if unprivileged else []), sys.executable, "-c", code, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=CLI_SECONDS)


def dagster_runs(env: dict[str, str]) -> int:
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return len(instance.get_run_records())


@reliability(case="`salesops ingest FOLDER` holding a FIFO, a socket, a device node, a /dev/null "
             "symlink and a symlink to a workbook outside, beside a good file")
def test_cli_ingest_of_a_folder_imports_what_it_can_and_lists_the_rest(
        db: str, tmp_path: Path, folder: Path, outside: Path, sql, record_happened) -> None:
    """The good file loads; each other entry is listed with its type; exit 0 (nothing failed)."""
    write_clean_workbook(folder / "good.xlsx", [sale(6), sale(7, "Mouse")])
    reasons = {"x.csv": make_fifo(folder / "x.csv"), "s.xlsx": make_socket(folder / "s.xlsx"),
               "null.xlsx": make_devnull_link(folder / "null.xlsx")}
    if os.geteuid() == 0:
        reasons["dev.xlsx"] = make_device(folder / "dev.xlsx")
    (folder / "link.xlsx").symlink_to(write_clean_workbook(outside / "secret.xlsx", [sale(9)]))
    reasons["link.xlsx"] = LINK
    result = run_cli("ingest", str(folder), env=cli_env(tmp_path, folder, db))
    out = result.stdout
    listed = [line.strip() for line in out.splitlines() if line.startswith("  skipped")]
    record_happened(f"exit {result.returncode}; good.xlsx loaded; listed: "
                    + "; ".join(line.removeprefix("skipped").strip().replace(str(folder) + "/", "")
                                for line in listed))
    assert result.returncode == 0, out + result.stderr
    assert "[1/1] good.xlsx: loaded 2 of 2 rows" in out
    for name, reason in reasons.items():
        assert f"skipping {folder / name}: {reason}" in out
        assert f"skipped    {folder / name}: {reason}" in listed
    assert f"1 file(s): 1 ok, 0 not ok; {len(reasons)} skipped (not imported)" in out
    assert sql("SELECT source_file, status FROM salesops.import_log") == [("good.xlsx",
                                                                             "loaded")]


@reliability(case="`salesops ingest incoming/x.csv` where x.csv is a FIFO")
def test_cli_ingest_of_a_fifo_by_name_is_refused_at_once(
        db: str, tmp_path: Path, folder: Path, sql, record_happened) -> None:
    """Exit 1 with the reason before any run or partition is made."""
    make_fifo(folder / "x.csv")
    env = cli_env(tmp_path, folder, db)
    result = run_cli("ingest", str(folder / "x.csv"), env=env)
    record_happened(f"exit {result.returncode}: {result.stderr.strip()}; "
                    f"{dagster_runs(env)} Dagster run(s)")
    assert result.returncode == 1
    assert result.stderr == f"error: 'x.csv' is {FIFO}; not read\n"
    assert dagster_runs(env) == 0
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]


@reliability(case="`salesops ingest FOLDER` (run unprivileged) holding a chmod 000 workbook "
             "beside a good file")
def test_cli_ingest_of_a_folder_with_an_unreadable_file(
        db: str, tmp_path: Path, folder: Path, sql, record_happened) -> None:
    """The good file loads; the unreadable one is listed with the reason; exit 1."""
    write_clean_workbook(folder / "good.xlsx", [sale(6)])
    locked = write_clean_workbook(folder / "locked.xlsx", [sale(8, "Locked")])
    locked.chmod(0)
    result = run_cli("ingest", str(folder), env=cli_env(tmp_path, folder, db),
                     unprivileged=True)
    listed = [line.strip() for line in result.stdout.splitlines()
              if line.startswith("  skipped")]
    record_happened(f"exit {result.returncode}; good.xlsx loaded; listed: "
                    + "; ".join(line.removeprefix("skipped").strip().replace(str(folder) + "/", "")
                                for line in listed))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[1/1] good.xlsx: loaded 1 of 1 rows" in result.stdout
    assert len(listed) == 1 and listed[0].startswith(f"skipped    {locked}: not readable by user ")
    assert listed[0].endswith(": permission denied")
    assert sql("SELECT source_file, status FROM salesops.import_log") == [("good.xlsx",
                                                                             "loaded")]


@reliability(case="`salesops ingest incoming/locked.xlsx` (run unprivileged), a chmod 000 file")
def test_cli_ingest_of_an_unreadable_file_by_name_is_refused_at_once(
        db: str, tmp_path: Path, folder: Path, sql, record_happened) -> None:
    """Exit 1 with the reason before any run or partition is made."""
    locked = write_clean_workbook(folder / "locked.xlsx", [sale(8, "Locked")])
    locked.chmod(0)
    env = cli_env(tmp_path, folder, db)
    result = run_cli("ingest", str(locked), env=env, unprivileged=True)
    record_happened(f"exit {result.returncode}: {result.stderr.strip()}; "
                    f"{dagster_runs(env)} Dagster run(s)")
    assert result.returncode == 1
    assert result.stderr.startswith("error: 'locked.xlsx' is not readable by user ")
    assert result.stderr.endswith(": permission denied; not read\n")
    assert dagster_runs(env) == 0
    assert sql("SELECT count(*) FROM salesops.import_log") == [(0,)]


# ---- the sensor, unprivileged ------------------------------------------------------------------

SENSOR_SCRIPT = """
import json, logging, os, sys
from dagster import DagsterInstance, build_sensor_context
from salesops_pipeline.defs.resources import SalesFolderResource, WarehouseResource
from salesops_pipeline.defs.sensors import sales_folder_sensor

folder, url, locked = sys.argv[1:4]
resources = {"sales_folder": SalesFolderResource(data_dir=folder, settle_seconds=0,
                                                 export_dir=folder + "-exports"),
             "warehouse": WarehouseResource(database_url=url)}
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())
ticks, cursor = [], None
with DagsterInstance.ephemeral() as instance:
    for n in range(3):
        if n == 2:
            os.chmod(locked, 0o644)  # fixed: imported on the next tick
        context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
        context.log.addHandler(Keep())
        result = sales_folder_sensor(context)
        cursor = result.cursor
        ticks.append([[r.partition_key for r in result.run_requests]
                      + [k for r in result.dynamic_partitions_requests for k in r.partition_keys],
                      warnings[:]])
        warnings.clear()
print(json.dumps(ticks))
"""


@reliability(case="a chmod 000 workbook in the folder, the sensor run unprivileged (a non-root "
             "daemon)")
def test_the_sensor_reports_an_unreadable_file_once_and_imports_it_once_readable(
        db: str, tmp_path: Path, folder: Path, record_happened) -> None:
    """Logged once with the reason; the good file requested; requested once made readable."""
    write_clean_workbook(folder / "good.xlsx", [sale(6)])
    locked = write_clean_workbook(folder / "locked.xlsx", [sale(8, "Locked")])
    locked.chmod(0)
    result = subprocess.run(
        [*UNPRIVILEGED, sys.executable, "-c", SENSOR_SCRIPT, str(folder), db, str(locked)],
        env=cli_env(tmp_path, folder, db), capture_output=True, text=True, timeout=CLI_SECONDS)
    assert result.returncode == 0, result.stderr
    first, second, third = json.loads(result.stdout.splitlines()[-1])
    record_happened(f"sensor: {'; '.join(first[1])}; next tick silent; after chmod 644 "
                    f"requested {sorted(set(third[0]))}")
    assert sorted(set(first[0])) == ["good.xlsx"]
    assert len(first[1]) == 1 and first[1][0].startswith("locked.xlsx: not imported: not "
                                                         "readable by user ")
    assert first[1][0].endswith(": permission denied")
    assert second == [[], []]
    assert sorted(set(third[0])) == ["locked.xlsx"] and third[1] == []


# ---- error texts -------------------------------------------------------------------------------


@reliability(case="a letter saved as .csv (text, no sales header)")
def test_a_text_file_that_is_not_sales_is_rejected_without_its_content(
        shared_bench: Bench, record_happened) -> None:
    """Rejected with the reason; import_log.error holds no line of the file."""
    first_line = "Dear Ada, the figures you asked for follow below"
    (shared_bench.folder / "letter.csv").write_text(
        f"{first_line}\nPrivate: salary 5400\nRegards, Grace\n", encoding="utf-8")
    try:
        outcome = shared_bench.run("letter.csv")
    finally:
        (shared_bench.folder / "letter.csv").unlink()
    record_happened(f"{outcome.status}: {outcome.error}")
    assert outcome.status == "rejected" and outcome.error
    assert "no header row naming the sales columns" in outcome.error
    for text in (first_line, "Dear", "salary", "5400", "Grace"):
        assert text not in outcome.error
    assert fact_rows(shared_bench.sql, "letter.csv") == {}
    shared_bench.assert_untouched(loaded=False)
