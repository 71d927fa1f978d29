"""Schema migrations: Alembic revisions of raw SQL, applied by `salesops db upgrade` and `db init`.

Why Alembic: the schema used to be re-applied on every start, each file carrying its own
"upgrade if due" code; now every database records the revision it is at
(``salesops.alembic_version``) and gets each change exactly once, in order.

- Revisions live in ``versions/`` (``NNNN_<what>.py``, revision ids ``"0001"``, ``"0002"``, …);
  each runs SQL files of ``sql/`` through `run_sql_file`. To change the schema, add the next
  revision (copy 0002: ``revision``/``down_revision``, a docstring saying why, ``upgrade()``) and
  put its SQL in ``sql/migrations/NNNN_<what>.sql``; never edit a revision that has shipped.
  There are no downgrades: restore a backup instead. A revision that changes data says what it
  changed with `say` (one line each, printed by `salesops db upgrade`).
- 0001 is the baseline, the schema a fresh database gets (``sql/01``, ``03``, ``04``).
- A database made before Alembic (tables in schema salesops, no version table) is detected under
  the same lock, stamped at the baseline, then upgraded like any other: revision 0002 holds the
  in-place upgrade code that used to run on every start. It is idempotent, so it brings any
  earlier layout to the baseline's shape and changes nothing on a database created at 0001.
- One upgrade at a time: a session advisory lock is held from before the revision is read until
  the last revision has committed; a concurrent `db init` waits, then finds nothing to do.
  Each revision commits on its own, so a failure leaves the database at the last good one.

Alembic is configured here in code (no alembic.ini); it drives psycopg 3 through SQLAlchemy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import redact, sql_dir

VERSION_TABLE_SCHEMA = "salesops"
BASELINE = "0001"
BASELINE_FILES = ("01_create_tables.sql", "03_report_tables.sql", "04_api_keys.sql")
LOCK_KEY = "salesops.schema"
"""Advisory lock (``hashtext(LOCK_KEY)``) held by whoever upgrades the schema."""

Progress = Callable[[str], None]


class MigrationFailed(SalesOpsError):
    """A revision could not be applied, or the database is at a revision this code lacks."""


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against the revisions this code ships."""

    current: str | None
    head: str
    pending: tuple[str, ...]
    before_alembic: bool = False

    def describe(self) -> str:
        """One line for `salesops db status`."""
        if self.before_alembic:
            return (f"schema from before Alembic (no revision), head {self.head}: "
                    f"{len(self.pending)} pending; `salesops db upgrade` adopts it")
        if not self.pending:
            return f"schema revision {self.current} (head): up to date"
        return (f"schema revision {self.current or 'none'}, head {self.head}: "
                f"{len(self.pending)} pending (run `salesops db upgrade`)")


def run_sql_file(name: str) -> None:
    """Run one file of ``sql/`` (path relative to it) inside the current revision."""
    op.execute((sql_dir() / name).read_text())


def say(line: str) -> None:
    """Report one line from inside the current revision (what it changed) to the ``progress``
    of `upgrade`; it comes before the revision's own "applied" line."""
    config = op.get_context().config
    progress = config.attributes.get("progress") if config is not None else None
    if progress is not None:
        progress(line)


def upgrade(url: str, *, revision: str = "head", progress: Progress | None = None) -> list[str]:
    """Bring the warehouse at ``url`` to ``revision``; return the revisions applied, in order.

    ``progress`` receives one line per revision as it commits (and a line for adoption and
    the end state). Safe to run concurrently and repeatedly.
    """
    say = progress or (lambda line: None)
    applied: list[str] = []
    with _connection(url) as conn:
        # Session lock: survives each revision's commit; released when the connection closes.
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": LOCK_KEY})
        conn.commit()
        config = _config(conn, _reporter(say, applied), say)
        before = _status(conn, config)
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS salesops"))  # holds the version table
        conn.commit()
        try:
            if before.before_alembic:
                say("schema from before Alembic found: stamped at the baseline, "
                    "then upgraded in place")
                command.stamp(config, BASELINE)
                conn.commit()
            elif before.pending:
                say(f"schema revision {before.current or 'none'}: "
                    f"{len(before.pending)} revision(s) to apply")
            command.upgrade(config, revision)
        except DBAPIError as exc:
            conn.rollback()
            failing = next((r for r in before.pending if r not in applied), "?")
            raise MigrationFailed(
                f"revision {failing} failed: {_first_line(exc.orig or exc)}. The database "
                "stays at the last revision applied (`salesops db status`); fix the cause and "
                "run `salesops db upgrade` again.") from None
        except (CommandError, RevisionError) as exc:
            raise MigrationFailed(f"cannot upgrade to {revision!r}: {exc}") from None
        conn.commit()
        final = _status(conn, config)
    say(f"schema of {redact(url)} at revision {final.current}"
        + (" (head)" if not final.pending else f", {len(final.pending)} pending"))
    return applied


def schema_status(url: str) -> SchemaStatus:
    """The revision the database is at, the head, and what is pending (reads only)."""
    with _connection(url) as conn:
        return _status(conn, _config(conn))


def head_revision() -> str:
    """The newest revision this code ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "no revisions in migrations/versions"
    return head


def _config(conn: Connection | None = None, on_step: Callable[..., None] | None = None,
            progress: Progress | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent))
    config.attributes["connection"] = conn
    config.attributes["on_version_apply"] = on_step
    config.attributes["progress"] = progress  # what revisions `say`
    return config


def _status(conn: Connection, config: Config) -> SchemaStatus:
    script = ScriptDirectory.from_config(config)
    context = MigrationContext.configure(conn, opts={"version_table_schema":
                                                      VERSION_TABLE_SCHEMA})
    current = context.get_current_revision()
    before = current is None and bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p'))"),
        {"schema": VERSION_TABLE_SCHEMA}).scalar())
    conn.commit()
    head = script.get_current_head()
    assert head is not None, "no revisions in migrations/versions"
    lower = BASELINE if before else (current or "base")
    try:
        pending = tuple(reversed([s.revision for s in script.iterate_revisions(head, lower)]))
    except (CommandError, RevisionError):
        raise _unknown_revision(current) from None
    return SchemaStatus(current=current, head=head, pending=pending, before_alembic=before)


def _unknown_revision(current: str | None) -> MigrationFailed:
    return MigrationFailed(
        f"the database is at schema revision {current}, which this version of salesops does "
        "not ship: it was upgraded by a newer version; run that version (no downgrades).")


def _reporter(say: Progress, applied: list[str]) -> Callable[..., None]:
    """An Alembic ``on_version_apply`` callback: one progress line per revision."""
    started = [time.monotonic()]

    def on_step(*, ctx: MigrationContext, step: Any, heads: set[str], run_args: Any) -> None:
        now, revision = time.monotonic(), step.up_revision_id
        doc = (step.up_revision.doc or "").strip().splitlines()[0] if step.up_revision else ""
        if step.is_stamp:
            say(f"revision {revision} stamped (not run): {doc}")
        else:
            applied.append(revision)
            say(f"revision {revision} applied in {now - started[0]:.1f} s: {doc}")
        started[0] = now

    return on_step


@contextmanager
def _connection(url: str) -> Iterator[Connection]:
    """One SQLAlchemy connection (psycopg 3), no pool; the password never reaches a message."""
    engine = create_engine(
        make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool,
        connect_args={"application_name": "salesops-migrate", "connect_timeout": 10,
                      "options": "-c client_min_messages=warning -c statement_timeout=0"})
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            reason = _first_line(exc.orig or exc)
            raise WarehouseUnavailable(f"cannot connect to {redact(url)}: {reason}") from None
        with conn:
            yield conn
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    return next(iter(str(exc).strip().splitlines()), type(exc).__name__)
