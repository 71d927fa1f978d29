"""The ``reliability`` marker and its results file, a pytest plugin (loaded by the root conftest).

Every reliability test says what fault or input it stands for::

    @pytest.mark.reliability(case="random bytes named .xlsx", lost="nothing")

At the end of the session the outcome of each marked test is written to
``$SALESOPS_RELIABILITY_JSON`` (default ``.salesops/reliability-results.json``) and
``scripts/reliability_table.py`` renders that file into README's "Reliability" table. "What
happened" is, in this order: what the test recorded with ``record_happened(...)`` (the real error
text of the run), the marker's ``happened=``, or the first line of the test's docstring.

Why a plugin and not reliability/conftest.py: under pytest-xdist the tests run in workers and
the results are gathered by the controller, which never loads a sub-folder's conftest. Each
worker attaches the case to its reports' ``user_properties`` (they travel to the controller);
the controller, or the only process without xdist, folds them into the results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

MARKER = "reliability"
RESULTS = pytest.StashKey[dict[str, dict[str, object]]]()
CASE = "reliability_case"
DEFAULT_RESULTS = Path(".salesops") / "reliability-results.json"
_config: pytest.Config | None = None  # pytest_runtest_logreport gets no config


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    config.addinivalue_line(
        "markers",
        f"{MARKER}(case, lost='nothing', happened=None): an issue-8 reliability case; its outcome "
        "goes into README's Reliability table (scripts/reliability_table.py).",
    )
    config.stash.setdefault(RESULTS, {})


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
    """Attach the reliability case to each phase's report (``user_properties`` travel from a
    pytest-xdist worker to the controller, which keeps the results)."""
    report: pytest.TestReport = yield
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return report
    case = {
        "test": item.nodeid,
        "module": item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py"),
        "case": marker.kwargs.get("case") or (marker.args[0] if marker.args else item.name),
        "lost": marker.kwargs.get("lost", "nothing"),
        "what_happened": marker.kwargs.get("happened") or _first_docstring_line(item),
        "happened": [str(v) for name, v in item.user_properties if name == "happened"],
    }
    report.user_properties = [*report.user_properties, (CASE, case)]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Fold one phase's report into its case (runs where the results are written: the only
    process, or the xdist controller)."""
    case = next((v for name, v in report.user_properties if name == CASE), None)
    if case is None or _config is None or _is_worker(_config):
        return
    results = _config.stash.setdefault(RESULTS, {})
    entry = results.setdefault(report.nodeid, {
        **{k: case[k] for k in ("test", "module", "case", "lost", "what_happened")},
        "outcome": "passed", "message": "", "duration_s": 0.0,
    })
    entry["duration_s"] = round(float(entry["duration_s"]) + report.duration, 3)
    if case["happened"]:
        entry["what_happened"] = "; ".join(case["happened"])
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


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def results_path() -> Path:
    return Path(os.environ.get("SALESOPS_RELIABILITY_JSON") or DEFAULT_RESULTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the results of this session's reliability tests (nothing when none ran)."""
    results = session.config.stash.get(RESULTS, {})
    if not results or _is_worker(session.config):
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
