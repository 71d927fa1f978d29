"""Settings read only their documented variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from salesops_pipeline.settings import Settings, redact, sqlalchemy_url


def test_unrelated_variables_named_like_fields_are_ignored(monkeypatch) -> None:
    for name in ("SALESOPS_HOME", "SALES_DATA_DIR", "SALESOPS_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/somewhere/else")
    monkeypatch.setenv("DATA_DIR", "/nope")
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    settings = Settings()
    assert settings.home == Path(".salesops")
    assert settings.data_dir == Path("data/incoming")
    assert settings.timezone == "UTC"


def test_documented_variables_are_read(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.setenv("SALESOPS_PRICE_TOLERANCE", "0.05")
    settings = Settings()
    assert settings.home == tmp_path and str(settings.price_tolerance) == "0.05"


def test_urls_are_redacted_and_driver_named() -> None:
    url = "postgresql://u:pa%40ss@127.0.0.1:5433/salesops"
    assert redact(url) == "postgresql://u:***@127.0.0.1:5433/salesops"
    assert sqlalchemy_url(url).startswith("postgresql+psycopg2://")


def test_own_partition_threshold_reaches_the_warehouse_resource(monkeypatch) -> None:
    from salesops_pipeline.defs.resources import resources_from_env

    monkeypatch.setenv("SALESOPS_OWN_PARTITION_ROWS", "2500")
    assert resources_from_env()["warehouse"].own_partition_rows == 2500
    monkeypatch.setenv("SALESOPS_OWN_PARTITION_ROWS", "-1")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(("value", "order"), [
    (None, "auto"), ("", "auto"), ("dmy", "dmy"), (" MDY ", "mdy"), ("Auto", "auto")])
def test_date_order_reaches_the_drop_folder_resource(monkeypatch, value: str | None,
                                                     order: str) -> None:
    from salesops_pipeline.defs.resources import resources_from_env

    monkeypatch.delenv("SALESOPS_DATE_ORDER", raising=False)
    if value is not None:
        monkeypatch.setenv("SALESOPS_DATE_ORDER", value)
    assert Settings().date_order == order
    assert resources_from_env()["sales_folder"].date_order == order


def test_an_unknown_date_order_is_refused_with_the_choices(monkeypatch) -> None:
    monkeypatch.setenv("SALESOPS_DATE_ORDER", "us")
    with pytest.raises(ValidationError, match="'dmy', 'mdy' or 'auto'"):
        Settings()
