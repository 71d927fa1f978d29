"""SALESOPS_LOG_FORMAT=json: a Dagster run's console output is one JSON object per line, for
runs launched by hand, by the sensors and by the schedules alike."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from dagster import AssetExecutionContext, Definitions, asset, define_asset_job

from salesops_pipeline.cli.ingest import console_config
from salesops_pipeline.defs.logs import RUN_CONFIG, json_console, run_loggers
from salesops_pipeline.defs.tags import FILE_TAG
from salesops_pipeline_tests.cli.support import cli_env
from salesops_pipeline_tests.reliability.harness import sale
from salesops_pipeline_tests.workbooks import write_clean_workbook


@asset
def greeting(context: AssetExecutionContext) -> None:
    context.log.info("3 rows parsed")


def test_run_logs_are_json_lines_with_run_step_and_file(capfd) -> None:
    job = define_asset_job("logs_job", selection=[greeting], tags={FILE_TAG: "a.xlsx"})
    defs = Definitions(assets=[greeting], jobs=[job], loggers=run_loggers("json"))
    result = defs.resolve_job_def("logs_job").execute_in_process(run_config=RUN_CONFIG)
    assert result.success
    err = capfd.readouterr().err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert lines and all(x["logger"] == "dagster" for x in lines)
    ours = [x for x in lines if x["message"] == "3 rows parsed"]
    assert len(ours) == 1
    assert (ours[0]["run_id"], ours[0]["job"], ours[0]["step"], ours[0]["file"]) == (
        result.run_id, "logs_job", "greeting", "a.xlsx")
    assert "STEP_SUCCESS" in {x.get("event") for x in lines}
    # Nothing the run logged went out in Dagster's text format.
    assert " - logs_job - " not in err


def test_the_ingest_commands_console_config_fits_and_keeps_dagster_quiet(capfd) -> None:
    job = define_asset_job("quiet_job", selection=[greeting])
    defs = Definitions(assets=[greeting], jobs=[job], loggers=run_loggers("json"))
    assert defs.resolve_job_def("quiet_job").execute_in_process(
        run_config=console_config()).success
    assert capfd.readouterr().err == ""  # WARNING and up only: no debug events, no info
    assert defs.resolve_job_def("quiet_job").execute_in_process(
        run_config=console_config(verbose=True)).success
    lines = [json.loads(x) for x in capfd.readouterr().err.splitlines() if x.startswith("{")]
    assert "3 rows parsed" in [x["message"] for x in lines]
    assert {"STEP_START", "STEP_SUCCESS"} <= {x.get("event") for x in lines}


def test_text_format_keeps_dagsters_console_logger() -> None:
    assert run_loggers("text") == {}
    assert run_loggers("json") == {"console": json_console}


# Launched the way the daemon launches them: the sensors' and schedule's RunRequests run with
# their own run config (none, or op config only) over the job's defaults; `definitions` built
# from the environment, as in the code server.
LAUNCH = textwrap.dedent("""
    import json, sys
    from dagster import DagsterInstance, RunRequest, build_schedule_context, build_sensor_context
    from salesops_pipeline.definitions import defs
    from salesops_pipeline.defs.resources import resources_from_env
    from salesops_pipeline.defs.schedules import nightly_maintenance_schedule
    from salesops_pipeline.defs.sensors import sales_folder_sensor, stale_reports_sensor

    def launch(name, request):
        result = defs.resolve_job_def(name).execute_in_process(
            instance=instance, run_config=request.run_config or None, tags=request.tags,
            partition_key=request.partition_key, raise_on_error=False)
        print(json.dumps({"job": name, "run_id": result.run_id, "ok": result.success,
                          "config": bool(request.run_config)}), flush=True)

    def tick(cursor=None):
        found = sales_folder_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                         resources=resources_from_env()))
        for added in found.dynamic_partitions_requests:
            instance.add_dynamic_partitions(added.partitions_def_name, list(added.partition_keys))
        for request in found.run_requests:
            launch("ingest_file", request)
        return found.cursor

    with DagsterInstance.ephemeral() as instance:
        cursor = tick()  # two new files: one batch run over their partition range
        open(sys.argv[1], "ab").close()  # ignored: no bytes changed
        import shutil; shutil.copyfile(sys.argv[2], sys.argv[1])  # new bytes under a known name
        tick(cursor)  # a changed version of a known file: a run for its partition
        launch("refresh_reports", stale_reports_sensor(build_sensor_context(
            instance=instance, resources=resources_from_env())))
        launch("withdraw_file", RunRequest(partition_key="a.xlsx"))  # from the Launchpad
        launch("nightly_maintenance", nightly_maintenance_schedule(build_schedule_context(
            instance=instance)))
""")


def test_runs_the_sensors_and_schedules_launch_log_json_lines(
        db: str, tmp_path: Path, folder: Path) -> None:
    write_clean_workbook(folder / "a.xlsx", [sale(6)])
    write_clean_workbook(folder / "b.xlsx", [sale(7, "Mouse")])
    changed = write_clean_workbook(tmp_path / "a-v2.xlsx", [sale(8, "Dock"), sale(9)])
    env = {**cli_env(tmp_path, folder, db), "SALESOPS_LOG_FORMAT": "json",
           "SALESOPS_SETTLE_SECONDS": "0"}
    proc = subprocess.run([sys.executable, "-c", LAUNCH, str(folder / "a.xlsx"), str(changed)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["job"], r["ok"]) for r in runs] == [
        ("ingest_file", True), ("ingest_file", True), ("refresh_reports", True),
        ("withdraw_file", True), ("nightly_maintenance", True)], runs
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(logged) == len(lines), [x for x in lines if not x.startswith("{")][:5]
    for run in runs:  # every run's step events came out as JSON
        mine = [x for x in logged if x.get("run_id") == run["run_id"]]
        assert {x["job"] for x in mine} == {run["job"]}, run
        assert {"STEP_START", "STEP_SUCCESS"} <= {x.get("event") for x in mine}, run
    batch, lone = (run["run_id"] for run in runs[:2])
    # Each file's progress names it, in a batch too; the lone run names its file everywhere.
    assert {(x["file"], x["message"]) for x in logged if x["run_id"] == batch and
            "parsed" in x["message"]} == {("a.xlsx", "a.xlsx: parsed 1 rows"),
                                          ("b.xlsx", "b.xlsx: parsed 1 rows")}
    assert {x.get("file") for x in logged if x["run_id"] == lone} == {"a.xlsx"}
    assert "a.xlsx: published 2 lines" in {x["message"] for x in logged if x["run_id"] == lone}
    # Only the batch (no partition of its own) and the schedule (op config) named a config.
    assert [r["config"] for r in runs] == [True, False, False, False, True]
