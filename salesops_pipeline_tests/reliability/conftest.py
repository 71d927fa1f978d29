"""Issue 8's reliability suite: its fixtures, the ``reliability`` marker and the results file.

Every test here says what fault or input it stands for::

    @pytest.mark.reliability(case="random bytes named .xlsx", lost="nothing")

At the end of the session the outcome of each marked test is written to
``$SALESOPS_RELIABILITY_JSON`` (default ``.salesops/reliability-results.json``) and
``scripts/reliability_table.py`` renders that file into README's "Reliability" table. "What
happened" is, in this order: what the test recorded with ``record_happened(...)`` (the real error
text of the run), the marker's ``happened=``, or the first line of the test's docstring.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesops_pipeline.core.db.schema import reset
from salesops_pipeline_tests.ingest_support import Ingestor
from salesops_pipeline_tests.reliability.harness import Bench, open_sql

MARKER = "reliability"
RESULTS = pytest.StashKey[dict[str, dict[str, object]]]()
DEFAULT_RESULTS = Path(".salesops") / "reliability-results.json"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(case, lost='nothing', happened=None): an issue-8 reliability case; its outcome "
        "goes into README's Reliability table (scripts/reliability_table.py).",
    )
    config.stash.setdefault(RESULTS, {})


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


# ---- results -----------------------------------------------------------------------------------


def _first_docstring_line(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return text.strip().splitlines()[0][:300] if text.strip() else ""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report: pytest.TestReport = yield
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return report
    results = item.config.stash.setdefault(RESULTS, {})
    entry = results.setdefault(item.nodeid, {
        "test": item.nodeid,
        "module": item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py"),
        "case": marker.kwargs.get("case") or (marker.args[0] if marker.args else item.name),
        "lost": marker.kwargs.get("lost", "nothing"),
        "what_happened": marker.kwargs.get("happened") or _first_docstring_line(item),
        "outcome": "passed",
        "message": "",
        "duration_s": 0.0,
    })
    entry["duration_s"] = round(float(entry["duration_s"]) + report.duration, 3)  # type: ignore[arg-type]
    happened = [value for name, value in item.user_properties if name == "happened"]
    if happened:
        entry["what_happened"] = "; ".join(str(v) for v in happened)
    if hasattr(report, "wasxfail"):
        if report.skipped:
            entry["outcome"] = "xfailed"
            entry["message"] = report.wasxfail or _crash_message(report)
        else:
            entry["outcome"] = "xpassed"
    elif report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["message"] = _crash_message(report)
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        entry["message"] = _crash_message(report)
    return report


def results_path() -> Path:
    return Path(os.environ.get("SALESOPS_RELIABILITY_JSON") or DEFAULT_RESULTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the results of this session's reliability tests (nothing when none ran)."""
    results = session.config.stash.get(RESULTS, {})
    if not results:
        return
    path = results_path()
    if not path.is_absolute():
        path = session.config.rootpath / path
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "pytest " + " ".join(session.config.invocation_params.args),
        "results": list(results.values()),
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
