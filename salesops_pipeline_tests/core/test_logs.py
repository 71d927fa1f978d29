"""core/logs.py: the JSON formatter's fields, and configure_logging's one line per record."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest

from salesops_pipeline.core.logs import UVICORN_LOGGERS, JsonFormatter, configure_logging


def _record(msg: str = "loaded %s rows", args: tuple = (12,), **attrs) -> logging.LogRecord:
    record = logging.LogRecord("salesops.ingest", logging.WARNING, __file__, 10, msg, args, None)
    for key, value in attrs.items():
        setattr(record, key, value)
    return record


def test_fields_of_a_plain_record() -> None:
    record = _record()
    body = json.loads(JsonFormatter().format(record))
    assert set(body) == {"time", "level", "logger", "message"}
    assert (body["level"], body["logger"], body["message"]) == (
        "WARNING", "salesops.ingest", "loaded 12 rows")
    when = datetime.fromisoformat(body["time"])
    assert when.tzinfo is not None
    assert abs(when.timestamp() - record.created) < 0.001


def test_ids_given_as_extras_become_fields() -> None:
    record = _record(file="sales 2026-01.xlsx", run_id="abc-123", import_id=42)
    body = json.loads(JsonFormatter().format(record))
    assert (body["file"], body["run_id"], body["import_id"]) == (
        "sales 2026-01.xlsx", "abc-123", 42)


def test_dagster_meta_gives_run_job_step_and_the_plain_message() -> None:
    meta = {"run_id": "r-1", "job_name": "ingest_job", "step_key": "parsed_file",
            "orig_message": "a.xlsx: 10 rows parsed"}
    record = _record("ingest_job - r-1 - parsed_file - a.xlsx: 10 rows parsed", (),
                     dagster_meta=meta)
    body = json.loads(JsonFormatter().format(record))
    assert body["message"] == "a.xlsx: 10 rows parsed"
    assert (body["run_id"], body["job"], body["step"]) == ("r-1", "ingest_job", "parsed_file")


def test_exception_and_newlines_stay_on_one_line() -> None:
    try:
        raise ValueError("bad\ncell")
    except ValueError:
        record = _record("two\nlines", (), exc_info=sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    body = json.loads(line)
    assert body["message"] == "two\nlines"
    assert "ValueError: bad\ncell" in body["exception"]


@pytest.fixture
def clean_root() -> Iterator[logging.Logger]:
    """The root logger; it and uvicorn's loggers are restored after the test."""
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in UVICORN_LOGGERS)]
    saved = [(x.handlers[:], x.level, x.propagate, x.disabled) for x in loggers]
    yield loggers[0]
    for logger, (handlers, level, propagate, disabled) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


def test_configure_json_writes_one_object_per_line_once(clean_root) -> None:
    # As another program's logging set-up may leave it (uvicorn's own dictConfig, for one).
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").disabled = True
    out = io.StringIO()
    configure_logging("json", stream=out)
    configure_logging("json", stream=out)  # twice: still one line per record
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
    logging.getLogger("salesops").info("x", extra={"import_id": 3})
    lines = out.getvalue().splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["Started server process [7]", "x"]
    assert json.loads(lines[1])["import_id"] == 3
    assert logging.getLogger("uvicorn.error").handlers == []


def test_configure_text_changes_nothing(clean_root) -> None:
    before = clean_root.handlers[:]
    configure_logging("text")
    assert clean_root.handlers == before
