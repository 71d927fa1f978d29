"""The run logger: with SALESOPS_LOG_FORMAT=json, Dagster runs log JSON lines (core/logs.py).

Why a logger named ``console``: it stands in for Dagster's colored console logger, so a run's
output (stderr) is one JSON object per line with the run id, job, step, event type, and the
file and partition the run imports. Dagster 1.13 initialises a job's loggers only when the run
config names them (``loggers: {console: {}}``, see RUN_CONFIG); otherwise it falls back to its
colored console. So every job carries RUN_CONFIG as its default config (`config=RUN_CONFIG`),
which a schedule's or sensor's own run config (op config) is merged over. Dagster applies a
partitioned job's default only to a run of one partition: a run over a partition range (the
sensor's batches) names RUN_CONFIG in its RunRequest. With the default ``text`` nothing is
registered and RUN_CONFIG just selects Dagster's own console.
"""

from __future__ import annotations

import logging
from typing import Any

from dagster import Field, InitLoggerContext, LoggerDefinition, logger

from salesops_pipeline.core.logs import LogFormat, json_handler
from salesops_pipeline.defs.tags import FILE_TAG

TAG_FIELDS = {FILE_TAG: "file", "dagster/partition": "partition"}
#: The run config section that makes a run use the loggers of :func:`run_loggers`.
RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {}}}


@logger(config_schema={"log_level": Field(str, is_required=False, default_value="DEBUG"),
                       # accepted like Dagster's console logger's, so its run configs still fit
                       "name": Field(str, is_required=False, default_value="dagster")},
        description="Dagster's console output as one JSON object per line")
def json_console(init_context: InitLoggerContext) -> logging.Logger:
    # DEBUG by default like Dagster's console (step events are DEBUG). A fresh logger per
    # run: handlers never pile up in a process that runs many.
    config = init_context.logger_config
    log = logging.Logger(config["name"], level=config["log_level"].upper())
    log.addHandler(json_handler(tag_fields=TAG_FIELDS))
    return log


def run_loggers(log_format: LogFormat) -> dict[str, LoggerDefinition]:
    """The loggers for Definitions: none in text mode (Dagster's default stays)."""
    return {"console": json_console} if log_format == "json" else {}
