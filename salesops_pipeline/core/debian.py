"""Debian packages the project runs but pip cannot install: found, or installed when we may.

PostgreSQL's server (the embedded cluster), nginx (the Dagster UI's front door) and chromium
(the browser tests) come from Debian. :func:`ensure_package` finds a package's binary; when it is
missing and we run as root with apt-get at hand it installs the package (as CI and a fresh
container do), otherwise it raises :class:`~salesops_pipeline.errors.PackageMissing` naming the
package to install.

Example::

    nginx = ensure_package("nginx", Path("/usr/sbin/nginx"))
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from salesops_pipeline.errors import PackageMissing

__all__ = ["ensure_package"]

Finder = Callable[[], Path | None]


def ensure_package(package: str, binary: Path | Finder, *, install: bool = True,
                   error: type[PackageMissing] = PackageMissing, what: str = "",
                   hint: str = "") -> Path:
    """The path of ``package``'s binary (a fixed path, or what ``binary()`` finds).

    Missing: ``apt-get install package`` when ``install`` and we are root, then look again; still
    missing, raise ``error`` naming ``what`` was looked for (default: the binary's path) and the
    package to install; ``hint`` is appended (another way out, e.g. ", or set DATABASE_URL").
    """
    find = binary if callable(binary) else _exists(binary)
    found = find()
    if found is not None:
        return found
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", package]):
            subprocess.run(cmd, check=False, env=env, stdout=subprocess.DEVNULL)
        found = find()
        if found is not None:
            return found
    what = what or f"{binary if isinstance(binary, Path) else package} not found"
    raise error(f"{what}: install Debian's {package} package "
                f"(`sudo apt-get install {package}`){hint}.")


def _exists(path: Path) -> Finder:
    return lambda: path if path.exists() else None
