"""X-API-Key: 401 without a valid key, 403 for a role that may not, open health and docs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api import keys as api_keys
from salesops_pipeline.api.keys import revoke_key

PERIOD = {"start_date": "2026-01-01", "end_date": "2026-01-31"}
REPORTS = ["/reports/weekly-summary", "/reports/seller-ranking", "/reports/top-products",
           "/reports/shipping-breakdown", "/reports/data-quality"]
ADMIN_ONLY = ["/imports", "/imports/1/rejections", "/reports/lines"]


@pytest.mark.parametrize("path", REPORTS + ADMIN_ONLY)
@pytest.mark.parametrize("key", [None, "", "nope", "sok_000000000000_" + "A" * 43,
                                 "' OR 1=1 --", "sok_" + "a" * 12 + "_" + "x" * 43])
def test_missing_or_wrong_key_is_401(client: TestClient, keys, path: str, key: str | None
                                     ) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    r = client.get(path, params=PERIOD, headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"] in ("missing X-API-Key header", "invalid or revoked API key")


def test_right_prefix_wrong_secret_is_401(client: TestClient, keys) -> None:
    forged = keys["admin"][:-1] + ("A" if keys["admin"][-1] != "A" else "B")
    assert client.get("/imports", headers={"X-API-Key": forged}).status_code == 401


@pytest.mark.parametrize("path", REPORTS)
def test_viewer_and_admin_read_reports(client: TestClient, keys, path: str) -> None:
    for role in ("viewer", "admin"):
        r = client.get(path, params=PERIOD, headers={"X-API-Key": keys[role]})
        assert r.status_code == 200, (role, r.text)


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_viewer_may_not_read_admin_endpoints(client: TestClient, keys, path: str) -> None:
    r = client.get(path, params=PERIOD, headers={"X-API-Key": keys["viewer"]})
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]
    params = PERIOD if path.startswith("/reports") else {}
    admin = client.get(path, params=params, headers={"X-API-Key": keys["admin"]})
    assert admin.status_code in (200, 404)  # 404: import 1 does not exist


def test_revoked_key_stops_working_at_once(client: TestClient, keys, api_db: str) -> None:
    headers = {"X-API-Key": keys["viewer"]}
    assert client.get(REPORTS[0], params=PERIOD, headers=headers).status_code == 200
    revoke_key(api_db, "test-viewer")
    assert client.get(REPORTS[0], params=PERIOD, headers=headers).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json", "/redoc"])
def test_health_and_docs_are_open(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_only_a_hash_is_stored(sql, keys) -> None:
    stored = sql("SELECT name, key_prefix, key_hash FROM salesops.api_key ORDER BY name")
    for name, prefix, digest in stored:
        key = keys[name.removeprefix("test-")]
        assert key not in (prefix, digest)
        assert key.startswith(prefix + "_")
        assert digest == api_keys.key_hash(key)


def test_key_format_and_verify() -> None:
    key = api_keys.generate_key()
    assert api_keys.key_prefix(key) == key[:16]
    assert api_keys.verify(key, api_keys.key_hash(key))
    assert not api_keys.verify(key + "x", api_keys.key_hash(key))
    assert api_keys.key_prefix("sok_abc") is None
    assert len({api_keys.generate_key() for _ in range(100)}) == 100
