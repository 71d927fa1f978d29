"""`ensure_package`: a Debian package's binary, found or named in the error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from salesops_pipeline.core.debian import ensure_package
from salesops_pipeline.errors import PackageMissing, PostgresNotInstalled


def test_a_present_binary_is_returned(tmp_path: Path) -> None:
    binary = tmp_path / "nginx"
    binary.touch()
    assert ensure_package("nginx", binary) == binary
    assert ensure_package("postgresql", lambda: tmp_path) == tmp_path


def test_a_missing_binary_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(PackageMissing, match=r"sudo apt-get install chromium"):
        ensure_package("chromium", tmp_path / "chromium", install=False)
    with pytest.raises(PostgresNotInstalled, match=r"No PostgreSQL.*, or set DATABASE_URL\.$"):
        ensure_package("postgresql", lambda: None, install=False, error=PostgresNotInstalled,
                       what="No PostgreSQL server found", hint=", or set DATABASE_URL")


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, apt-get would be tried")
def test_without_root_nothing_is_installed(tmp_path: Path) -> None:
    with pytest.raises(PackageMissing):
        ensure_package("salesops-no-such-package", tmp_path / "none")
