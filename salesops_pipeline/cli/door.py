"""The Dagster UI's front door: Debian's nginx in front of the webserver's Unix socket.

``salesops up`` serves the Dagster UI only through this door, on 127.0.0.1:SALESOPS_DAGSTER_PORT:

* the webserver listens on a Unix socket in ``$SALESOPS_HOME/door/`` (mode 0700), so no web page
  can reach it (``salesops_pipeline/cli/webserver.py``);
* nginx answers only the allowed Host names (``Settings.ui_allowed_hosts``) and refuses any
  other Host with 421 (DNS rebinding);
* every request is checked by the API (``auth_request`` to ``/ui-auth/check``,
  ``api/routes/ui_auth.py``): an admin key as login cookie or ``X-API-Key``, and for the
  cookie, state-changing requests only from the door's own origin.

The configuration (``door.conf`` beside this module) is rendered into the door's folder, with
its pid file, logs and temp folders; nginx runs as the invoking user in the foreground
(``daemon off``) and stops with the stack.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from dataclasses import dataclass
from pathlib import Path

from salesops_pipeline.core.debian import ensure_package
from salesops_pipeline.errors import ConfigError
from salesops_pipeline.settings import Settings

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = Path(__file__).with_name("door.conf")
#: sockaddr_un.sun_path holds 108 bytes, the terminating NUL included.
MAX_SOCKET_PATH = 107


@dataclass(frozen=True)
class Door:
    """Where the door lives (``folder``), what it listens on and what it forwards to."""

    folder: Path
    port: int
    api_port: int
    hosts: tuple[str, ...]

    @property
    def socket(self) -> Path:
        """The webserver's Unix socket (only nginx connects to it)."""
        return self.folder / "dagster.sock"

    @property
    def conf(self) -> Path:
        return self.folder / "nginx.conf"

    @property
    def error_log(self) -> Path:
        return self.folder / "nginx-error.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> Path:
        """Create the private folder and its temp folders, write nginx.conf; return its path."""
        if len(os.fsencode(self.socket)) > MAX_SOCKET_PATH:
            raise ConfigError(f"the UI's socket path {self.socket} is longer than "
                              f"{MAX_SOCKET_PATH} bytes; use a shorter SALESOPS_HOME")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.folder / "tmp" / name).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render(self))
        return self.conf

    def command(self, nginx: Path = NGINX) -> list[str]:
        """nginx in the foreground on the rendered configuration."""
        return [str(nginx), "-p", str(self.folder), "-c", str(self.conf),
                "-e", str(self.error_log)]


def door_of(settings: Settings) -> Door:
    """The door ``salesops up`` runs for these settings."""
    return Door(settings.home.resolve() / "door", settings.dagster_port, settings.api_port,
                settings.ui_allowed_hosts())


def render(door: Door) -> str:
    """nginx.conf for ``door`` (from ``door.conf``; ``{{name}}`` placeholders)."""
    values = {
        "dir": str(door.folder), "socket": str(door.socket), "port": str(door.port),
        "api_port": str(door.api_port), "hosts": " ".join(door.hosts), "user": _user_line(),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], TEMPLATE.read_text())


def find_nginx() -> Path:
    """Debian's nginx (installed when we are root and it is missing)."""
    return ensure_package("nginx", NGINX)


def _user_line() -> str:
    """As root, nginx would hand its workers to `nobody`, which cannot open the private socket:
    keep them as the invoking user (a user directive is ignored, with a warning, otherwise)."""
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};"
