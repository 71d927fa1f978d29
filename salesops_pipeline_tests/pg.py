"""Throwaway PostgreSQL clusters and free ports for the tests and benchmarks (never the product)."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salesops_pipeline.core.db.pgcluster import LocalCluster


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def destroy(cluster: LocalCluster) -> None:
    """Stop the cluster immediately and remove every file of it."""
    try:
        cluster.stop(mode="immediate")
    finally:
        shutil.rmtree(cluster.home, ignore_errors=True)


@contextmanager
def throwaway_cluster(prefix: str = "salesops-pg-") -> Iterator[LocalCluster]:
    """A started cluster in a new temp folder on a free port, removed afterwards."""
    cluster = LocalCluster(home=Path(tempfile.mkdtemp(prefix=prefix)), port=free_port())
    try:
        cluster.init()
        cluster.start()
        cluster.wait_ready()
        yield cluster
    finally:
        destroy(cluster)
