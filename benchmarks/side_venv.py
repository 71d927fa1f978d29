"""A benchmark contender's own virtualenv, made once and reused: its packages stay out of the
project's lock.

dlt[postgres] pulls some forty packages, polars a native engine, that ``make install`` and CI must
never install, so such a contender (``dlt_contender.py``, ``columnar_path.py``) runs with the
python of ``benchmarks/.venv-<name>`` (gitignored), built from its requirements file (every
version pinned) the first time and again only when that file changes (its hash is kept in the
venv). Building one needs PyPI; runs that do not use the contender never touch it.

    python benchmarks/side_venv.py dlt|columnar    # build (or check) one, print its python
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = {"dlt": HERE / "dlt_requirements.txt",
                "columnar": HERE / "columnar_requirements.txt"}


def side_python(name: str, requirements: Path | None = None) -> Path:
    """The python of ``benchmarks/.venv-<name>``, after building the venv from ``requirements``
    (default: REQUIREMENTS[name]) if it is missing or its pins changed."""
    requirements = requirements or REQUIREMENTS[name]
    env = HERE / f".venv-{name}"
    stamp = env / ".requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    python = env / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    print(f"building {env.relative_to(HERE.parent)} from {requirements.name} (once)", flush=True)
    shutil.rmtree(env, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True)
    stamp.write_text(wanted + "\n")  # last: a half-built venv is rebuilt next time
    return python


def dlt_python() -> Path:
    """The dlt contender's python (benchmarks/.venv-dlt)."""
    return side_python("dlt")


if __name__ == "__main__":
    print(side_python(sys.argv[1] if len(sys.argv) > 1 else "dlt"))
    sys.exit(0)
