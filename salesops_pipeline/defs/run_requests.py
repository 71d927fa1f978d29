"""The one way ingest runs are planned: the file sensor and `salesops ingest` both ask here.

New files go in batches (a contiguous range of partitions, SALESOPS_INGEST_BATCH_FILES at most
per run), a name that is already a partition gets a run of its own (intake/folder_scan.py
``plan_runs``). Each planned run carries the same tags wherever it is launched, so the UI, the
alerts and the JSON logs see a sensor's run and a command's run alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import RunRequest

from salesops_pipeline.core.extract.intake.folder_scan import Version, plan_runs
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.tags import BATCH_TAG, FILE_TAG, KIND_TAG, REIMPORT_TAG


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Dagster's run tags for a run over the partitions first..last (in the order added)."""
    return {"dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last}


@dataclass(frozen=True)
class IngestRun:
    """One ingest run: its files (one, or a batch of new ones), run key and tags."""

    versions: tuple[Version, ...]
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [key for key, _sha, _version in self.versions]

    @property
    def partition_key(self) -> str | None:
        """The lone file's partition; None for a batch (a range, named by its tags)."""
        return self.versions[0][0] if len(self.versions) == 1 else None

    @property
    def run_key(self) -> str:
        """The file's name, content hash and version (a batch: a hash of its members'), so
        many ticks seeing the same bytes launch one run and changed bytes launch another."""
        if self.partition_key is not None:
            key, sha, version = self.versions[0]
            return f"{key}:{sha}:v{version}"
        versions = "\n".join(f"{k}:{sha}:v{v}" for k, sha, v in self.versions)
        return f"batch:{hashlib.sha256(versions.encode()).hexdigest()[:32]}"

    @property
    def run_config(self) -> dict[str, Any]:
        """A partition range gets no partition's default config from Dagster: a batch names
        the project's loggers itself (defs/logs.py)."""
        return {} if self.partition_key is not None else RUN_CONFIG

    def run_request(self) -> RunRequest:
        return RunRequest(run_key=self.run_key, partition_key=self.partition_key,
                          run_config=self.run_config, tags=self.tags)


def plan_ingest_runs(versions: Sequence[Version], known: set[str], batch_files: int, *,
                     reimport: bool = False) -> list[IngestRun]:
    """The runs that import ``versions``: lone files first, then the batches of new names (added
    to the partitions in this order). ``reimport``: withdrawn versions import again."""
    lone, batches = plan_runs(list(versions), known, batch_files)
    extra = {REIMPORT_TAG: "true"} if reimport else {}
    return ([IngestRun((v,), {FILE_TAG: v[0], KIND_TAG: "ingest", **extra}) for v in lone]
            + [IngestRun(tuple(b), {**partition_range_tags(b[0][0], b[-1][0]),
                                    KIND_TAG: "ingest", BATCH_TAG: str(len(b)), **extra})
               for b in batches])
