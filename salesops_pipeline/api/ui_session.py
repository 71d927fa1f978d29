"""Login sessions of the Dagster UI: a signed, expiring token in the cookie, never the key.

Browsers send a host's cookies to every port of it, so whatever else listens on 127.0.0.1 sees
the UI's cookie. It therefore holds a session, not the admin key: ``s1.<payload>.<signature>``,
where the payload names the key by its public prefix and says when the session ends, and the
signature is an HMAC-SHA256 over the payload *and the key's stored hash*, made with a secret
only the API knows. The check looks the key up on every request (a revoked key ends its
sessions at once) and recomputes the signature with the hash it finds (a session cannot outlive
its key's row). Logging out forgets the cookie; a copied token stays valid until it expires
(``SALESOPS_UI_SESSION_HOURS``) or its key is revoked.

The secret is ``SALESOPS_UI_SESSION_SECRET`` when set (several API processes on several
machines share it), else ``ui-session.secret`` in ``SALESOPS_HOME``, made once (mode 0600).

Example::

    token = issue(b"secret", "sok_0123456789ab", "ab12…", hours=12)
    claim = parse(token)
    assert claim is not None and valid(b"secret", claim, "ab12…")
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from salesops_pipeline.settings import Settings

__all__ = ["Claim", "issue", "parse", "session_secret", "valid"]

VERSION = "s1"
SECRET_FILE = "ui-session.secret"
MAX_TOKEN_CHARS = 512


@dataclass(frozen=True)
class Claim:
    """What a token says before it is trusted: the key's prefix and the session's end."""

    prefix: str
    expires: int
    payload: str
    signature: str


def issue(secret: bytes, prefix: str, key_hash: str, *, hours: float,
          now: float | None = None) -> str:
    """A token for the key with ``prefix`` (and stored hash ``key_hash``), ``hours`` long."""
    expires = int((time.time() if now is None else now) + hours * 3600)
    payload = _b64(json.dumps({"k": prefix, "exp": expires}, separators=(",", ":")).encode())
    return f"{VERSION}.{payload}.{_sign(secret, payload, key_hash)}"


def parse(token: str) -> Claim | None:
    """The token's claim, unverified (None when it is not a token of this version)."""
    parts = token.split(".") if len(token) <= MAX_TOKEN_CHARS else []
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("k"), str)
            and isinstance(data.get("exp"), int)):
        return None
    return Claim(data["k"], data["exp"], parts[1], parts[2])


def valid(secret: bytes, claim: Claim, key_hash: str, *, now: float | None = None) -> bool:
    """The signature matches (constant time) and the session has not ended."""
    expected = _sign(secret, claim.payload, key_hash)
    return hmac.compare_digest(expected, claim.signature) and (
        (time.time() if now is None else now) < claim.expires)


def session_secret(settings: Settings) -> bytes:
    """``SALESOPS_UI_SESSION_SECRET``, else the file in SALESOPS_HOME (made once, 0600)."""
    configured = settings.ui_session_secret.get_secret_value()
    if configured:
        return configured.encode()
    path = Path(settings.home) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made by an earlier start, or by another API process just now
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    for _ in range(50):  # another process may be between its create and its write
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and start the API again")


def _sign(secret: bytes, payload: str, key_hash: str) -> str:
    mac = hmac.new(secret, f"{payload}.{key_hash}".encode(), hashlib.sha256)
    return _b64(mac.digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
