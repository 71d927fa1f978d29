"""The `salesops db` verbs, run as a user runs them, against real PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from salesops_pipeline.core.db.migrations import BASELINE, head_revision, schema_status
from salesops_pipeline_tests.core.db.migration_support import fresh_database
from salesops_pipeline_tests.pg import free_port


def salesops(*args: str, env: dict[str, str],
             stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salesops_pipeline.cli", *args], env=env,
                          capture_output=True, text=True, input=stdin, timeout=120)


@pytest.fixture
def embedded_env(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DAGSTER_PG_URL")}
    env.update(SALESOPS_HOME=str(tmp_path / "home"), SALESOPS_PG_PORT=str(free_port()))
    yield env
    salesops("db", "stop", env=env)


def test_embedded_lifecycle(embedded_env) -> None:
    env = embedded_env
    assert salesops("db", "status", env=env).returncode == 3
    first = salesops("db", "init", env=env)
    assert first.returncode == 0, first.stderr
    assert "created and started" in first.stdout
    assert f"revision {BASELINE} applied in " in first.stdout
    again = salesops("db", "init", env=env)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout and "exists" in again.stdout
    assert " applied in " not in again.stdout
    status = salesops("db", "status", env=env)
    assert status.returncode == 0
    assert f"schema revision {head_revision()} (head): up to date" in status.stdout
    url = salesops("db", "url", env=env).stdout.strip()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema='salesops'")
        assert cur.fetchone()[0] >= 10
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'salesops%' ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == ["salesops", "salesops_dagster"]
    # The server is bound to loopback and asks for a password.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url.replace(url.split("@")[0].split(":")[2], "wrong"))
    stop = salesops("db", "stop", env=env)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert salesops("db", "status", env=env).returncode == 3


def test_reset_asks_and_empties(db, sql) -> None:
    env = {**os.environ, "DATABASE_URL": db}
    sql("INSERT INTO salesops.dim_seller (name) VALUES ('Ada')")
    refused = salesops("db", "reset", env=env, stdin="")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert sql("SELECT count(*) FROM salesops.dim_seller") == [(1,)]
    done = salesops("db", "reset", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert sql("SELECT count(*) FROM salesops.dim_seller") == [(0,)]


def test_external_server_verbs(db) -> None:
    env = {**os.environ, "DATABASE_URL": db}
    status = salesops("db", "status", env=env)
    assert status.returncode == 0 and "***" in status.stdout and "PostgreSQL" in status.stdout
    stop = salesops("db", "stop", env=env)
    assert stop.returncode == 1 and "external server" in stop.stderr


def test_upgrade_and_status_show_the_revisions(pg_cluster) -> None:
    with fresh_database(pg_cluster) as url:
        env = {**os.environ, "DATABASE_URL": url}
        password = urlsplit(url).password
        revisions = list(schema_status(url).pending)
        assert revisions[0] == BASELINE
        before = salesops("db", "status", env=env)
        assert before.returncode == 0, before.stderr
        assert (f"schema revision none, head {head_revision()}: {len(revisions)} pending"
                in before.stdout)
        first = salesops("db", "upgrade", env=env)
        assert first.returncode == 0, first.stderr
        applied = re.findall(r"^revision (\w+) applied in [\d.]+ s: .+$", first.stdout, re.M)
        assert applied == revisions, first.stdout
        assert first.stdout.rstrip().endswith(f"at revision {head_revision()} (head)")
        again = salesops("db", "upgrade", env=env)
        assert again.returncode == 0 and " applied in " not in again.stdout, again.stdout
        status = salesops("db", "status", env=env)
        assert f"schema revision {head_revision()} (head): up to date" in status.stdout
        for result in (before, first, again, status):
            assert password not in result.stdout + result.stderr


def test_upgrade_of_a_stopped_embedded_cluster_says_what_to_run(embedded_env) -> None:
    result = salesops("db", "upgrade", env=embedded_env)
    assert result.returncode == 1 and "salesops db init" in result.stderr, result.stderr


def test_unreachable_database_is_a_clear_error_without_password(tmp_path: Path) -> None:
    url = f"postgresql://salesops:s3cret-pw@127.0.0.1:{free_port()}/salesops"
    for verb in ("init", "upgrade"):
        result = salesops("db", verb, env={**os.environ, "DATABASE_URL": url})
        assert result.returncode == 1, verb
        assert "cannot connect" in result.stderr and "s3cret-pw" not in result.stderr, verb
        assert "Traceback" not in result.stderr, verb


@pytest.mark.parametrize("verb", [[], ["db"], ["db", "init"], ["db", "upgrade"], ["db", "start"],
                                  ["db", "stop"], ["db", "status"], ["db", "url"], ["db", "reset"],
                                  ["up"], ["seed"]])
def test_every_verb_has_help(verb: list[str]) -> None:
    result = salesops(*verb, "--help", env=dict(os.environ))
    assert result.returncode == 0 and "usage: salesops" in result.stdout
