"""The project-local ("embedded") PostgreSQL cluster used by `make up` and by the tests.

Debian's server binaries (``/usr/lib/postgresql/<ver>/bin``) are found, not assumed. ``initdb`` and
``postgres`` refuse to run as root, so when we are root every server command runs as the
unprivileged ``postgres`` user, which owns the data directory. The cluster listens on 127.0.0.1
only, uses a password generated at creation (stored beside the data, mode 0600, never in the repo).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from salesops_pipeline.core.debian import ensure_package
from salesops_pipeline.errors import ClusterError, PostgresNotInstalled
from salesops_pipeline.settings import (
    EMBEDDED_SUPERUSER,
    Settings,
    embedded_password_file,
    embedded_url,
)

PG_ROOT = Path("/usr/lib/postgresql")
RUN_AS = "postgres"


def find_pg_bin(*, install: bool = True) -> Path:
    """Return the newest Debian PostgreSQL server bin directory, installing it when root may."""
    return ensure_package(
        "postgresql", _newest_bin, install=install,
        error=PostgresNotInstalled,
        what=f"No PostgreSQL server found under {PG_ROOT}/<version>/bin",
        hint=", or set DATABASE_URL to an existing server")


def _newest_bin() -> Path | None:
    bins = _installed_bins()
    return bins[-1] if bins else None


def _installed_bins() -> list[Path]:
    if not PG_ROOT.is_dir():
        return []
    bins = [d / "bin" for d in PG_ROOT.iterdir() if (d / "bin" / "initdb").exists()]
    return sorted(bins, key=lambda p: _version_key(p.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


@dataclass
class LocalCluster:
    """A PostgreSQL cluster living in ``home`` (data, socket, log and password file)."""

    home: Path
    port: int = 5433

    @property
    def data_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "postgres.log"

    @property
    def password_file(self) -> Path:
        return embedded_password_file(self.home)

    def url(self, dbname: str = "salesops") -> str:
        """libpq-style URL (psycopg, SQLAlchemy) for ``dbname`` on this cluster."""
        return embedded_url(self.home, self.port, dbname)

    # -- lifecycle -------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if it does not exist; return True when it was created now."""
        if self.is_initialized():
            return False
        bindir = find_pg_bin()
        for d in (self.home, self.data_dir, self.run_dir, self.log_file.parent):
            d.mkdir(parents=True, exist_ok=True)
        self._make_reachable()
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
        self.password_file.chmod(0o600)
        pwfile = self.run_dir / "initdb.pw"
        pwfile.write_text(self.password_file.read_text())
        self._chown(self.data_dir, self.run_dir, self.log_file.parent, pwfile)
        try:
            self._run(
                [str(bindir / "initdb"), "-D", str(self.data_dir), "-U", EMBEDDED_SUPERUSER,
                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        return True

    def is_running(self) -> bool:
        bindir = find_pg_bin(install=False)
        proc = self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "status"], None)
        return proc.returncode == 0

    def start(self, *, timeout: int = 60) -> bool:
        """Start the server if it is not running; return True when it was started now."""
        if not self.is_initialized():
            raise ClusterError(f"No cluster in {self.data_dir}; run `salesops db init` first.")
        if self.is_running():
            return False
        bindir = find_pg_bin()
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.run_dir} "
            "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
        )
        self._run(
            [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
             "-o", opts, "-w", "-t", str(timeout), "start"],
            "start",
        )
        return True

    def stop(self, *, mode: str = "fast") -> bool:
        """Stop the server if it runs; return True when it was stopped now."""
        if not self.is_initialized() or not self.is_running():
            return False
        bindir = find_pg_bin(install=False)
        self._run([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"],
                  "stop")
        return True

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the server accepts TCP connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise ClusterError(f"PostgreSQL did not accept connections on port {self.port}; "
                           f"see {self.log_file}")

    def init_standby_of(self, primary: LocalCluster) -> bool:
        """Make this cluster a hot standby of ``primary`` (physical streaming replication) with
        ``pg_basebackup -R`` unless it exists; return True when it was made now.

        The copy holds the primary's roles and passwords, so it shares the password file; the
        standby reaches the primary with a passfile of its own (mode 0600), named in the
        ``primary_conninfo`` that ``-R`` writes. Read-only: every write goes to the primary.
        """
        if self.is_initialized():
            return False
        bindir = find_pg_bin()
        for d in (self.home, self.run_dir, self.log_file.parent):
            d.mkdir(parents=True, exist_ok=True)
        self._make_reachable()
        password = primary.password_file.read_text().strip()
        shutil.copy(primary.password_file, self.password_file)
        self.password_file.chmod(0o600)
        passfile = self.run_dir / "primary.pgpass"
        passfile.write_text(f"127.0.0.1:{primary.port}:*:{EMBEDDED_SUPERUSER}:{password}\n")
        passfile.chmod(0o600)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.data_dir, self.run_dir, self.log_file.parent, passfile)
        conninfo = (f"host=127.0.0.1 port={primary.port} user={EMBEDDED_SUPERUSER} "
                    f"passfile={passfile} application_name=salesops_standby")
        self._run([str(bindir / "pg_basebackup"), "-D", str(self.data_dir), "-d", conninfo,
                   "-X", "stream", "-R", "--checkpoint=fast"], "pg_basebackup")
        return True

    # -- helpers ---------------------------------------------------------------------------
    def _as_server_user(self) -> bool:
        return os.geteuid() == 0

    def _chown(self, *paths: Path) -> None:
        if self._as_server_user():
            for p in paths:
                shutil.chown(p, RUN_AS, RUN_AS)
        self.data_dir.chmod(0o700)

    def _make_reachable(self) -> None:
        """Let the server user traverse the folders above its data directory."""
        if not self._as_server_user():
            return
        for parent in [self.home, *self.home.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)

    def _run(self, cmd: list[str], what: str | None) -> subprocess.CompletedProcess[str]:
        if self._as_server_user():
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if what is not None and proc.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise ClusterError(
                f"PostgreSQL {what} failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()}\n{log_tail}".strip()
            )
        return proc


def embedded_cluster(settings: Settings) -> LocalCluster:
    """The project-local cluster the settings describe (SALESOPS_HOME, SALESOPS_PG_PORT)."""
    return LocalCluster(home=settings.home.resolve(), port=settings.pg_port)
