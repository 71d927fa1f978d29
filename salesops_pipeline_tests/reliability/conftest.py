"""Issue 8's reliability suite: its fixtures. The ``reliability`` marker and the results file
(README's Reliability table) are the plugin `salesops_pipeline_tests.reliability.results`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesops_pipeline.core.db.schema import reset
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.reliability.harness import Bench, open_sql

# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the drop folder that must never be read."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


@pytest.fixture
def bench(ingest: Ingestor, folder: Path, sql) -> Bench:
    """An empty warehouse with the known good file loaded and the reports refreshed."""
    return Bench(ingest, folder, sql)


@pytest.fixture(scope="module")
def _shared_bench(database_url: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("shared") / "incoming"
    folder.mkdir()
    with open_sql(database_url) as sql, DagsterInstance.ephemeral() as instance:
        yield {"ingest": Ingestor(database_url, folder, instance), "folder": folder, "sql": sql,
               "bench": None}


@pytest.fixture
def shared_bench(_shared_bench: dict[str, object], database_url: str) -> Bench:
    """Like ``bench``, but reused by the next test while intact: a rejected file changes
    nothing, so the tests of rejected files share one (checked) warehouse."""
    bench = _shared_bench["bench"]
    if not isinstance(bench, Bench) or not bench.intact():
        reset(database_url)
        bench = _shared_bench["bench"] = Bench(
            _shared_bench["ingest"], _shared_bench["folder"], _shared_bench["sql"])  # type: ignore[arg-type]
    return bench


@pytest.fixture
def record_happened(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], None]:
    """Put what actually happened (e.g. the import log's error) into the Reliability table.

    Temporary paths become "…" so the table does not change from one run to the next.
    """
    temp = re.compile(re.escape(str(tmp_path_factory.getbasetemp())) + r"/[^/\s]+")

    def record(text: str) -> None:
        text = " ".join(temp.sub("…", text).split())
        request.node.user_properties.append(("happened", text))

    return record
