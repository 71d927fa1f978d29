"""A throwaway warehouse for the benchmarks that need one migrated and empty (api.py,
drill_down.py): PostgreSQL in a new temp folder on a free port, both databases initialised at
head, Settings pointing at it; stopped and removed at the end, whatever ends the block."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from salesops_pipeline.core.db.bootstrap import init_databases
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.pg import destroy, free_port


@dataclass(frozen=True)
class BenchWarehouse:
    work: Path  # the temp folder: pg/, salesops/ (SALESOPS_HOME), incoming/, exports/
    cluster: LocalCluster
    url: str
    settings: Settings


@contextmanager
def bench_warehouse(prefix: str) -> Iterator[BenchWarehouse]:
    work = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = LocalCluster(home=work / "pg", port=free_port())
    try:
        cluster.init()
        cluster.start()
        cluster.wait_ready()
        url = cluster.url("salesops_bench")
        settings = Settings(DATABASE_URL=url, SALESOPS_HOME=work / "salesops",
                            SALES_DATA_DIR=work / "incoming", SALESOPS_EXPORT_DIR=work / "exports")
        (work / "incoming").mkdir()
        for line in init_databases(settings):
            print(line, flush=True)
        yield BenchWarehouse(work, cluster, url, settings)
    finally:
        destroy(cluster)
        shutil.rmtree(work, ignore_errors=True)
