"""The read-only database role the API connects as.

`salesops db init` creates `salesops_reader` (LOGIN, SELECT only on schema salesops, also on
tables added later) with a generated password kept in ``$SALESOPS_HOME/api-reader.password``
(mode 0600). A bug or an injection in the API can then read, never change, the warehouse.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from psycopg import sql

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.settings import READER, database_name, reader_url

# The role's name and URL are defined in settings.py (Settings.api_url needs them and settings.py
# imports nothing from core/); they are re-exported as part of what this module offers.
__all__ = ["READER", "ensure_reader", "reader_url"]


def ensure_reader(warehouse_url: str, password_file: Path) -> str:
    """Create or update the reader role and its grants; return a line saying what was done."""
    password_file.parent.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(24) + "\n")
    password_file.chmod(0o600)
    password = password_file.read_text().strip()
    name = database_name(warehouse_url)
    role = sql.Identifier(READER)
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('salesops.roles'))")
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,))
        verb = "updated" if cur.fetchone() else "created"
        if verb == "created":
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        # A utility statement takes no bound parameter: the password goes in as a quoted literal.
        cur.execute(sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                            "PASSWORD {}").format(role, sql.Literal(password)))
        for statement in (
            "GRANT CONNECT ON DATABASE {db} TO {role}",
            "GRANT USAGE ON SCHEMA salesops TO {role}",
            "REVOKE ALL ON ALL TABLES IN SCHEMA salesops FROM {role}",
            "GRANT SELECT ON ALL TABLES IN SCHEMA salesops TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA salesops GRANT SELECT ON TABLES TO {role}",
        ):
            cur.execute(sql.SQL(statement).format(db=sql.Identifier(name), role=role))
    return f"read-only role {READER} {verb} (password in {password_file})"
