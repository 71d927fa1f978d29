"""Redis for the scale-out profile (`salesops up --workers N`): the Celery broker of the runs.

Debian's ``redis-server``, started by the stack as its child like PostgreSQL's server: loopback
only, a password generated once into ``SALESOPS_HOME/redis/redis.password``, data in
``SALESOPS_HOME/redis/``. Persistence is one mechanism, stated here rather than inherited from
a distribution default: the append-only file, fsynced every second, and no RDB snapshots. A
queued run survives a Redis restart; a crash loses at most the last second of broker writes,
and Dagster (PostgreSQL holds the runs) fails a run that never started after
``run_monitoring.start_timeout_seconds`` and retries it. ``noeviction``: a full Redis refuses new
tasks rather than dropping queued ones.
"""

from __future__ import annotations

import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from salesops_pipeline.core.debian import ensure_package
from salesops_pipeline.errors import ClusterError

REDIS_SERVER = Path("/usr/bin/redis-server")


def find_redis_server(*, install: bool = True) -> Path:
    """The redis-server binary (installed from Debian's package when root and missing)."""
    return ensure_package("redis-server", REDIS_SERVER, install=install)


@dataclass(frozen=True)
class LocalRedis:
    """One Redis of the project: its folder, port and generated password."""

    home: Path  # SALESOPS_HOME/redis
    port: int

    @property
    def config_file(self) -> Path:
        return self.home / "redis.conf"

    def password(self) -> str:
        """Generated on first use, kept readable by the owner only."""
        path = self.home / "redis.password"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def url(self, db: int = 0) -> str:
        return f"redis://:{quote(self.password(), safe='')}@127.0.0.1:{self.port}/{db}"

    def write_config(self) -> Path:
        """The whole configuration, rewritten on every start (no setting left to a default that
        changes between Redis versions)."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        lines = [
            "bind 127.0.0.1", f"port {self.port}", "protected-mode yes", "daemonize no",
            f'dir "{self.home.resolve()}"', 'logfile ""', "loglevel notice",
            f"requirepass {self.password()}",
            'save ""', "appendonly yes", "appendfsync everysec",
            "maxmemory-policy noeviction",
        ]
        self.config_file.write_text("\n".join(lines) + "\n")
        self.config_file.chmod(0o600)
        return self.config_file

    def command(self, binary: Path) -> list[str]:
        return [str(binary), str(self.write_config())]

    def ping(self) -> bool:
        """True when this Redis answers PING after AUTH."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(_command("AUTH", self.password()) + _command("PING"))
                answer = b""
                while b"PONG" not in answer and len(answer) < 200:
                    chunk = conn.recv(100)
                    if not chunk:
                        break
                    answer += chunk
                return b"+PONG" in answer
        except OSError:
            return False

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ping():
            if time.monotonic() > deadline:
                raise ClusterError(f"Redis on 127.0.0.1:{self.port} did not answer within "
                                   f"{timeout:.0f} s; see the stack's output")
            time.sleep(0.2)


def _command(*parts: str) -> bytes:
    """One command in Redis's protocol (RESP), so a password is never parsed as syntax."""
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
