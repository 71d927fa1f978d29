"""`ensure_package`: a Debian package's binary, found or named in the error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from salesops_pipeline.core import debian
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


def test_without_apt_get_nothing_is_installed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get to run, root or not
    with pytest.raises(PackageMissing, match="salesops-no-such-package"):
        ensure_package("salesops-no-such-package", tmp_path / "none")


def test_as_root_apt_get_installs_the_missing_package(tmp_path: Path, monkeypatch) -> None:
    """A stand-in apt-get on PATH records its calls and "installs" the binary; as a non-root
    user it is never called."""
    calls, target = tmp_path / "calls", tmp_path / "installed" / "nginx"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt = bin_dir / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n'
                   f'[ "$1" = install ] && mkdir -p {target.parent} && touch {target}\nexit 0\n')
    apt.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(debian.os, "geteuid", lambda: 1000)
    with pytest.raises(PackageMissing):
        ensure_package("nginx", target)
    assert not calls.exists()
    monkeypatch.setattr(debian.os, "geteuid", lambda: 0)
    assert ensure_package("nginx", target) == target
    assert calls.read_text().splitlines() == ["update -q", "install -y -q nginx"]
