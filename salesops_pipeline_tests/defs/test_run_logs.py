"""SALESOPS_LOG_FORMAT=json: a Dagster run's console output is one JSON object per line."""

import json

from dagster import AssetExecutionContext, Definitions, asset, define_asset_job

from salesops_pipeline.cli.ingest import QUIET
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline.defs.logs import RUN_CONFIG, json_console, run_loggers


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


def test_the_ingest_commands_quiet_config_fits_and_drops_debug_events(capfd) -> None:
    job = define_asset_job("quiet_job", selection=[greeting])
    defs = Definitions(assets=[greeting], jobs=[job], loggers=run_loggers("json"))
    assert defs.resolve_job_def("quiet_job").execute_in_process(run_config=QUIET).success
    lines = [json.loads(x) for x in capfd.readouterr().err.splitlines() if x.startswith("{")]
    assert [x["message"] for x in lines] == ["3 rows parsed"]  # INFO: no DEBUG step events
    assert lines[0]["level"] == "INFO"


def test_text_format_keeps_dagsters_console_logger() -> None:
    assert run_loggers("text") == {}
    assert run_loggers("json") == {"console": json_console}
