"""The ``file_shape_unchanged`` check (WARN) of raw_sales_rows: a file whose header changed
against its last loaded version or its folder (core/load/drift.py) fails it, so the check
alert sensor (defs/alerts.py) sends a WARN alert naming the file and what changed."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from salesops_pipeline.core.load.drift import FIXES, Drift

SHAPE_CHECK = "file_shape_unchanged"
SHAPE_SPEC = AssetCheckSpec(
    SHAPE_CHECK, asset="raw_sales_rows",
    description="Each staged file's header (columns, spellings, order, date order, decimal "
                "separator) is that of its last loaded version and of its folder.")
MAX_FILES_NAMED = 10


def shape_result(drifts: Mapping[str, Drift | None]) -> AssetCheckResult:
    """One evaluation for the run's files (``drifts``: file → its drift; None: not staged)."""
    compared = {key: d for key, d in drifts.items() if d is not None}
    changed = {key: d for key, d in compared.items() if d.changed}
    if not changed:
        return AssetCheckResult(
            check_name=SHAPE_CHECK, passed=True, severity=AssetCheckSeverity.WARN,
            metadata={"files_staged": len(compared), "files_changed": 0,
                      "detail": "; ".join(f"{k}: {d.summary()}" for k, d in
                                          list(compared.items())[:MAX_FILES_NAMED])
                                or "no file staged"})
    lines = [f"{key}: {line}" for key, drift in changed.items() for line in drift.lines()]
    kinds = sorted({c.kind for d in changed.values() for c in d.changes})
    if len(changed) == 1:
        (key, drift), = changed.items()
        description = f"{key}: {drift.summary()}"
    else:
        description = (f"{len(changed)} files changed shape: "
                       + ", ".join(list(changed)[:MAX_FILES_NAMED]))
    return AssetCheckResult(
        check_name=SHAPE_CHECK, passed=False, severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={"files_staged": len(compared), "files_changed": len(changed),
                  "changes": len(lines), "drift": "; ".join(lines),
                  "compared_with": "; ".join(f"{key}: {r.text()}" for key, d in changed.items()
                                             for r in d.references),
                  "fix": " ".join(FIXES[k] for k in kinds)})
