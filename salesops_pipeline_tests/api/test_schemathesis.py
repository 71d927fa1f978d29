"""Schemathesis against the live OpenAPI schema of a running server: no 5xx, no schema
violation, whatever the parameters (dates, limits, formats, names, ids, missing keys)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.api.main import create_app
from salesops_pipeline.core.db.schema import reset
from salesops_pipeline.core.report.compare import compared_period
from salesops_pipeline.errors import ComparisonOutOfRange
from salesops_pipeline_tests.api.builders import (
    random_lines,
    write_facts,
    write_import,
    write_quality,
    write_quality_sample,
    write_refresh,
    write_rejection,
    write_reports,
)
from salesops_pipeline_tests.pg import free_port

# Per operation and mode; keeps the API suite around a minute. Raise it for a deeper search.
MAX_EXAMPLES = int(os.environ.get("SALESOPS_SCHEMATHESIS_EXAMPLES", "25"))


def _seed(url: str) -> str:
    """Some data in every table the API reads; returns an admin key."""
    reset(url)
    conn = psycopg.connect(url, autocommit=True)

    def sql(query: str, params=None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    try:
        sql("DELETE FROM salesops.api_key")
        lines = random_lines(200, start=date(2026, 1, 1), days=60, seed=5)
        write_reports(sql, lines)
        imports = write_facts(sql, lines)
        first = next(iter(imports.values()))
        write_rejection(sql, first, 999, {"Units": "x"}, ["units: not a number"])
        write_import(sql, "bad.xlsx", sha="f" * 64, status="failed", error="boom")
        write_quality(sql, date(2026, 1, 5), mismatched_total_count=1)
        write_quality_sample(sql, date(2026, 1, 5), "mismatched_total", 3, {"a": 1})
        write_refresh(sql)
    finally:
        conn.close()
    return create_key(url, name="schemathesis", role="admin")


def coherent_period(query: dict | None) -> None:
    """The one rule a schema cannot state: both dates or neither, start not after end (the
    422s for breaking it are tested in test_errors.py). Valid data obeys it."""
    if not query:
        return
    start, end = query.get("start_date"), query.get("end_date")
    if (start is None) != (end is None):
        query.pop("start_date", None)
        query.pop("end_date", None)
    elif start is not None and str(start) > str(end):
        query["start_date"], query["end_date"] = end, start


def one_tolerance(query: dict | None) -> None:
    """Data-quality takes `tolerance` or its alias `tol`, not both (the 422 for both is tested
    in test_quality_tolerance.py). Valid data obeys it."""
    if query and "tolerance" in query and "tol" in query:
        query.pop("tol")
    if query and "as_of" in query:  # as_of or a tolerance (test_restatements.py has the 422)
        query.pop("tolerance", None)
        query.pop("tol", None)


def comparable_period(query: dict | None) -> None:
    """A comparison needs a compared period after 0001-01-01 and today's figures (the 422s
    otherwise are tested in test_compare.py and test_restatements.py). Valid data obeys it."""
    if query and query.get("as_of") is not None:
        query.pop("compare", None)
    if not query or not query.get("compare") or query.get("start_date") is None:
        return
    try:
        compared_period(date.fromisoformat(str(query["start_date"])),
                        date.fromisoformat(str(query["end_date"])), query["compare"])
    except (ComparisonOutOfRange, ValueError):
        query.pop("compare")


def tolerance_with_its_rule(path: str, query: dict | None) -> None:
    """The lines take a tolerance only with rule=mismatched_total (the 422 otherwise is tested
    in test_drill_down.py). Valid data obeys it."""
    if path == "/reports/lines" and query and query.get("rule") != "mismatched_total":
        query.pop("tolerance", None)
        query.pop("tol", None)


def header_is_mutated(case) -> bool:
    """Whether schemathesis made this case's headers (the X-API-Key) invalid on purpose."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return header is not None and header.mode is GenerationMode.NEGATIVE


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[tuple[str, str]]:
    """(base URL, admin key) of the API served by uvicorn on a free port, in a thread."""
    key = _seed(database_url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_schema(live_api: tuple[str, str]):
    base, _ = live_api
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


# The operations, known without a server (building the app touches no database). Schemathesis'
# own `from_fixture` parametrization does not work with pytest 9, so hypothesis drives it here.
# Negative cases (invalid parameters → must be a 4xx) only where there are parameters.
_PATHS = create_app().openapi()["paths"]
CASES = [(path, mode) for path in sorted(_PATHS)
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or _PATHS[path]["get"].get("parameters")]


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{p}-{m.value}" for p, m in CASES])
def test_api_conforms_to_its_schema(live_schema, live_api: tuple[str, str], path: str,
                                    mode: GenerationMode) -> None:
    _, key = live_api
    strategy = live_schema[path]["GET"].as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        if mode is GenerationMode.POSITIVE:
            coherent_period(case.query)
            one_tolerance(case.query)
            tolerance_with_its_rule(path, case.query)
            comparable_period(case.query)
        # Send the real key, unless this case is about a missing or invalid key (→ 401).
        headers = None if header_is_mutated(case) else {"X-API-Key": key}
        case.call_and_validate(headers=headers, timeout=30)

    check()
