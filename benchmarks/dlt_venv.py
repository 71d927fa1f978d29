"""The dlt contender's own virtualenv, made once and reused: dlt stays out of the project's lock.

dlt[postgres] pulls some forty packages that ``make install`` and CI must never install, so
``benchmarks/ingest.py --with-dlt`` runs ``dlt_contender.py`` with the python of
``benchmarks/.venv-dlt`` (gitignored), built from ``dlt_requirements.txt`` (every version
pinned) the first time and again only when that file changes (its hash is kept in the venv).
Building it needs PyPI; runs without ``--with-dlt`` never touch it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-dlt"
REQUIREMENTS = HERE / "dlt_requirements.txt"
_STAMP = VENV / ".requirements.sha256"


def dlt_python() -> Path:
    """The venv's python, after building the venv if it is missing or its pins changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    python = VENV / "bin" / "python"
    if python.exists() and _STAMP.exists() and _STAMP.read_text().strip() == wanted:
        return python
    print(f"building {VENV.relative_to(HERE.parent)} from {REQUIREMENTS.name} (once)", flush=True)
    shutil.rmtree(VENV, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(REQUIREMENTS)], check=True)
    _STAMP.write_text(wanted + "\n")  # last: a half-built venv is rebuilt next time
    return python


if __name__ == "__main__":
    print(dlt_python())
    sys.exit(0)
