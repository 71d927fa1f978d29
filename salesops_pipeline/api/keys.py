"""API keys: generation, hashing and the few statements that manage them.

A key looks like ``sok_<12 hex>_<43 url-safe chars>``. The first part (``sok_<12 hex>``) is the
public *prefix*: it is stored in clear and finds the row. Only the SHA-256 of the whole key is
stored; the API recomputes it and compares with :func:`hmac.compare_digest`. The random part
carries 256 bits, so a plain (unsalted) hash is enough: it cannot be brute-forced.

Example::

    key = create_key(url, name="dashboards", role="viewer")   # shown once, never stored
    assert verify(key, key_hash(key))

The API checks the key of every request with :func:`active_key` on its own pool; managing keys
(`salesops api-key ...`) goes through short connections of the warehouse's owner.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psycopg.errors

from salesops_pipeline.api.replica import LAG_SQL
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.errors import (
    DuplicateKeyName,
    InvalidKeyName,
    KeyNotStored,
    SalesOpsError,
    UnknownKeyName,
)

if TYPE_CHECKING:
    from salesops_pipeline.api.db import Connection

__all__ = [
    "ActiveKey", "ApiKeyInfo", "DuplicateKeyName", "InvalidKeyName", "KeyNotStored",
    "LOCAL_ADMIN", "MAX_NAME_LENGTH", "Role", "UnknownKeyName", "active_key", "check_name",
    "create_key", "ensure_local_admin_key", "generate_key", "key_hash", "key_prefix",
    "list_keys", "revoke_key", "session_key", "verify",
]

Role = Literal["viewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "admin")
LOCAL_ADMIN = "local-admin"
MAX_NAME_LENGTH = 64
#: A key name, matched whole (``fullmatch``: a ``$`` would also accept a trailing newline). The
#: same rule is the CHECK constraint of ``salesops.api_key.name`` (sql/04_api_keys.sql).
NAME_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_NAME_LENGTH - 1}}}")
NAME_RULE = (f"use 1-{MAX_NAME_LENGTH} characters from A-Z a-z 0-9 . _ @ - "
             "(starting with a letter or digit)")
KEY_RE = re.compile(r"^(sok_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class ApiKeyInfo:
    """What `salesops api-key list` shows: never the key, never its hash."""

    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def generate_key() -> str:
    """A new random key (256 random bits behind a 48-bit public prefix)."""
    return f"sok_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def key_prefix(key: str) -> str | None:
    """The public prefix of a well-formed key, or None for anything else (checked before SQL)."""
    match = KEY_RE.match(key)
    return match.group(1) if match else None


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def verify(key: str, stored_hash: str) -> bool:
    """Constant-time comparison of the key's hash with the stored one."""
    return hmac.compare_digest(key_hash(key).encode(), stored_hash.encode())


#: The key's row and, in the same statement (one round trip per request instead of two), the
#: report-refresh state that report answers' ETags are derived from (api/revalidation.py).
ACTIVE_KEY_SQL = f"""
    SELECT k.name, k.role, k.key_hash, k.revoked_at, r.refresh_id, r.refreshed_at,
           {LAG_SQL} AS replica_lag
      FROM salesops.api_key AS k
      LEFT JOIN LATERAL (SELECT refresh_id, refreshed_at FROM salesops.report_refresh
                          ORDER BY refresh_id DESC LIMIT 1) AS r ON true
     WHERE k.key_prefix = %s
    """


@dataclass(frozen=True)
class ActiveKey:
    name: str
    role: Role
    #: ``(refresh_id, refreshed_at)`` of the latest report refresh, None before the first.
    report_state: tuple[int, datetime] | None
    #: Seconds the server read is behind its primary (api/replica.py); None on a primary.
    replica_lag: float | None = None


async def active_key(conn: Connection, key: str) -> ActiveKey | None:
    """The key when it is well formed, known, not revoked and its hash matches; else None.
    Read on every request, so a revoked key is refused from the next one."""
    prefix = key_prefix(key)
    if prefix is None:
        return None
    cur = await conn.execute(ACTIVE_KEY_SQL, (prefix,))
    row = await cur.fetchone()
    if row is None or row["revoked_at"] is not None or not verify(key, row["key_hash"]):
        return None
    return _active(row)


async def session_key(conn: Connection, prefix: str) -> tuple[ActiveKey, str] | None:
    """The key with ``prefix`` and its stored hash when it is known and not revoked (a UI
    session names its key by prefix; api/ui_session.py checks the session against the hash)."""
    cur = await conn.execute(ACTIVE_KEY_SQL, (prefix,))
    row = await cur.fetchone()
    if row is None or row["revoked_at"] is not None:
        return None
    return _active(row), row["key_hash"]


def _active(row: dict[str, Any]) -> ActiveKey:
    state = None if row["refresh_id"] is None else (row["refresh_id"], row["refreshed_at"])
    lag = None if row["replica_lag"] is None else float(row["replica_lag"])
    return ActiveKey(row["name"], row["role"], state, lag)


def check_name(name: str) -> str:
    """``name`` when it is a valid key name, else :class:`InvalidKeyName` saying what is wrong.

    Checked before a key is generated or a statement runs. Surrounding whitespace is refused,
    not stripped: a name is stored and looked up exactly as typed.

    Example: ``check_name("dashboards")`` returns it; ``check_name("ops\\n")`` raises.
    """
    if NAME_RE.fullmatch(name):
        return name
    raise InvalidKeyName(name, f"{_name_problem(name)}; {NAME_RULE}")


def _name_problem(name: str) -> str:
    """What is wrong with a name :data:`NAME_RE` refused, the most telling fault first."""
    if not name:
        return "it is empty"
    if not name.strip():
        return "it is only whitespace"
    unprintable = next((c for c in name if not c.isprintable()), None)
    if unprintable is not None:
        return f"it contains the control or unprintable character {unprintable!r}"
    if name != name.strip():
        return "it begins or ends with a space (names are not trimmed)"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is {len(name)} characters long"
    other = next((c for c in name if not NAME_RE.fullmatch("a" + c)), None)
    if other is not None:
        return f"it contains {other!r}"
    return "it does not start with a letter or digit"


def create_key(url: str, *, name: str, role: Role) -> str:
    """Store a new key's hash under ``name`` and return the key (the only time it is visible)."""
    check_name(name)
    if role not in ROLES:
        raise SalesOpsError(f"unknown role {role!r}: choose viewer or admin")
    key = _insert(url, name=name, role=role)
    if key is None:
        raise DuplicateKeyName(
            f"an API key named {name!r} exists already (names are never reused; "
            "pick another name, `salesops api-key list` shows them)")
    return key


def list_keys(url: str) -> list[ApiKeyInfo]:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, role, key_prefix, created_at, revoked_at"
                    " FROM salesops.api_key ORDER BY created_at, name")
        return [ApiKeyInfo(*row) for row in cur.fetchall()]


def revoke_key(url: str, name: str) -> datetime:
    """Revoke the active key ``name``; it stops working at once. Returns the revocation time."""
    check_name(name)  # no key can have another name: say so without asking the database
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE salesops.api_key SET revoked_at = now()"
                    " WHERE name = %s AND revoked_at IS NULL RETURNING revoked_at", (name,))
        row = cur.fetchone()
        if row is None:
            cur.execute("SELECT revoked_at FROM salesops.api_key WHERE name = %s", (name,))
            known = cur.fetchone()
            if known is None:
                raise UnknownKeyName(f"no API key named {name!r} (`salesops api-key list`)")
            raise UnknownKeyName(f"the API key {name!r} was revoked already at {known[0]}")
        return row[0]


def ensure_local_admin_key(url: str, key_file: Path) -> str | None:
    """The admin key for a local installation, created on first start.

    First start (no key named ``local-admin``): create it, write it to ``key_file`` (mode 0600)
    and return it. Later starts: return the key stored in ``key_file`` while it is still the
    active ``local-admin`` key, else None (file deleted, or the key revoked: nothing is recreated).
    """
    key = _insert(url, name=LOCAL_ADMIN, role="admin")
    if key is not None:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        key_file.chmod(0o600)
        return key
    try:
        stored = key_file.read_text().strip()
    except OSError:
        return None
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT key_hash FROM salesops.api_key"
                    " WHERE name = %s AND revoked_at IS NULL", (LOCAL_ADMIN,))
        row = cur.fetchone()
    return stored if row is not None and verify(stored, row[0]) else None


def _insert(url: str, *, name: str, role: Role) -> str | None:
    """Insert a fresh key; None when the name is taken."""
    for _ in range(3):  # a prefix collision (48 random bits) is astronomically rare; retry anyway
        key = generate_key()
        try:
            with connect(url) as conn, conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO salesops.api_key (name, role, key_prefix, key_hash)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING api_key_id",
                    (name, role, key_prefix(key), key_hash(key)))
                if cur.fetchone() is None:
                    return None
            return key
        except psycopg.errors.UniqueViolation:
            continue
        except psycopg.Error as exc:
            # Only the primary message: the DETAIL of a refused row quotes the prefix and hash.
            raise KeyNotStored(_not_stored(exc.diag.message_primary or type(exc).__name__)
                               ) from None
    raise KeyNotStored(_not_stored("no unique key prefix in 3 tries; try again"))


def _not_stored(reason: str) -> str:
    return f"the API key was not stored and was not shown: {reason}"
