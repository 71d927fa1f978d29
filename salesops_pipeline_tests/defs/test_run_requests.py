"""One way to request ingest runs, and Settings built once per code location."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.run_requests import plan_ingest_runs
from salesops_pipeline.defs.tags import BATCH_TAG, FILE_TAG, KIND_TAG, REIMPORT_TAG
from salesops_pipeline.settings import PROJECT_ROOT


def test_known_names_run_alone_and_new_names_in_batches() -> None:
    versions = [("old.xlsx", "a" * 64, 2), *((f"n{i}.csv", f"{i:064}", 1) for i in range(5))]
    runs = plan_ingest_runs(versions, {"old.xlsx"}, 2)
    assert [r.keys for r in runs] == [["old.xlsx"], ["n4.csv"], ["n0.csv", "n1.csv"],
                                      ["n2.csv", "n3.csv"]]
    lone, single, batch = runs[0], runs[1], runs[2]
    assert lone.run_key == f"old.xlsx:{'a' * 64}:v2" and lone.partition_key == "old.xlsx"
    assert lone.tags == {FILE_TAG: "old.xlsx", KIND_TAG: "ingest"}
    assert single.partition_key == "n4.csv"
    assert batch.partition_key is None and batch.run_key.startswith("batch:")
    assert batch.tags == {"dagster/asset_partition_range_start": "n0.csv",
                          "dagster/asset_partition_range_end": "n1.csv",
                          KIND_TAG: "ingest", BATCH_TAG: "2"}
    request = batch.run_request()
    assert request.run_config == RUN_CONFIG and request.partition_key is None
    assert lone.run_request().partition_key == "old.xlsx"


def test_run_keys_follow_the_bytes_and_reimport_is_a_tag() -> None:
    first = plan_ingest_runs([("a.csv", "1" * 64, 1), ("b.csv", "2" * 64, 1)], set(), 25)
    again = plan_ingest_runs([("a.csv", "1" * 64, 1), ("b.csv", "2" * 64, 1)], set(), 25)
    changed = plan_ingest_runs([("a.csv", "1" * 64, 1), ("b.csv", "3" * 64, 2)], set(), 25)
    assert first[0].run_key == again[0].run_key != changed[0].run_key
    reimport = plan_ingest_runs([("a.csv", "", 0)], {"a.csv"}, 25, reimport=True)
    assert reimport[0].tags[REIMPORT_TAG] == "true"


def test_settings_are_built_once_when_the_definitions_load() -> None:
    """Every module of defs/ reads the code location's one Settings (defs/location.py)."""
    probe = textwrap.dedent("""
        import salesops_pipeline.settings as s
        built = []
        init = s.Settings.__init__
        def counted(self, *a, **k):
            built.append(1)
            init(self, *a, **k)
        s.Settings.__init__ = counted
        from salesops_pipeline.definitions import defs
        defs.get_repository_def()
        print(len(built))
    """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://u@h/db"})
    assert out.stdout.strip() == "1"
