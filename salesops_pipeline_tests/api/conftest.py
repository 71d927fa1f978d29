"""API fixtures: an empty warehouse without API keys, one key per role, a TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.api.main import create_app


@pytest.fixture
def api_db(db: str) -> str:
    """The empty warehouse, and no API keys (a reset keeps them, so delete them here)."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DELETE FROM salesops.api_key")
    return db


@pytest.fixture
def keys(api_db: str) -> dict[str, str]:
    """An active key per role: {"viewer": ..., "admin": ...}."""
    return {role: create_key(api_db, name=f"test-{role}", role=role)
            for role in ("viewer", "admin")}


@pytest.fixture
def client(api_db: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def viewer(api_db: str, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(), headers={"X-API-Key": keys["viewer"]}) as c:
        yield c


@pytest.fixture
def admin(api_db: str, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(), headers={"X-API-Key": keys["admin"]}) as c:
        yield c
