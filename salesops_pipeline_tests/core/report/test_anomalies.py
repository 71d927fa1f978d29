"""Unusual business figures on constructed series: a planted drop, a planted jump and a seller
going silent are found with their figures; ordinary noise is not."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from salesops_pipeline.core.report.anomalies import (
    Limits,
    assess,
    parse_figure_thresholds,
)
from salesops_pipeline.core.report.rules import Severity
from salesops_pipeline.errors import ConfigError

WEEK = date(2026, 3, 2)
LIMITS = Limits()  # drop > 50 %, jump > 100 %, beyond 3 MADs
STEADY = [Decimal(x) for x in ("1000", "1100", "900", "1050", "950", "1000", "1020", "980")]


def _assess(history: list[Decimal], current: str, limits: Limits = LIMITS):
    return assess("seller", "Ada", WEEK, history, Decimal(current), limits)


def test_a_planted_drop_is_found_with_its_figures() -> None:
    found = _assess(STEADY, "300.00")
    assert found is not None and found.kind == "drop"
    # median of the sorted history (900 950 980 1000 1000 1020 1050 1100) = 1000;
    # deviations 100 50 20 0 0 20 50 100 → sorted 0 0 20 20 50 50 100 100, MAD 35
    assert (found.median, found.spread, found.weeks_with_sales) == (Decimal(1000), Decimal(35), 8)
    assert found.change_pct == Decimal("-70.00")
    assert "drop" in found.text() and "300.00" in found.text()


def test_a_planted_jump_is_found() -> None:
    found = _assess(STEADY, "2500")
    assert found is not None and (found.kind, found.change_pct) == ("jump", Decimal("150.00"))


def test_a_usual_seller_who_sold_nothing_is_silent() -> None:
    found = _assess(STEADY, "0")
    assert found is not None and found.kind == "silent"
    occasional = [Decimal(0)] * 3 + STEADY[:5]  # 5 of 8 weeks: not usual enough
    found = _assess(occasional, "0")
    assert found is None or found.kind != "silent"


def test_thresholds_at_the_edge() -> None:
    assert _assess(STEADY, "500") is None  # exactly 50 % below: not beyond
    assert _assess(STEADY, "499.99") is not None
    assert _assess(STEADY, "2000") is None and _assess(STEADY, "2000.01") is not None


def test_ordinary_noise_is_quiet() -> None:
    """A noisy seller (weeks between half and one and a half of the usual) crossing 50 % down
    once more is within its spread; 200 random weeks of noise give no finding."""
    noisy = [Decimal(x) for x in ("500", "1500", "700", "1400", "600", "1300", "800", "1450")]
    assert _assess(noisy, "450", Limits(drop=Decimal(40))) is None
    rnd = random.Random(5)
    for _ in range(200):
        history = [Decimal(rnd.randrange(800, 1200)) for _ in range(8)]
        assert _assess(history, str(rnd.randrange(800, 1200))) is None


def test_no_usual_level_no_drop_or_jump() -> None:
    sparse = [Decimal(0)] * 6 + [Decimal(100), Decimal(100)]  # median 0
    assert _assess(sparse, "10000") is None and _assess(sparse, "0") is None


def test_thresholds_parse_like_the_rules() -> None:
    got = parse_figure_thresholds("total=drop>30%,jump>40%; seller=spread>2,error")
    assert got["total"] == Limits(Decimal(30), Decimal(40), Decimal(3), Severity.WARN)
    assert got["seller"] == Limits(Decimal(50), Decimal(100), Decimal(2), Severity.ERROR)
    assert got["product"] == Limits()
    assert parse_figure_thresholds("")["total"].drop == Decimal(30)


@pytest.mark.parametrize("bad", ["region=drop>5%", "seller=drop>5", "seller=spread>3%",
                                 "seller=drop>100%", "seller=fall>5%", "seller",
                                 "seller=drop>5%; seller=jump>5%"])
def test_bad_thresholds_name_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match="SALESOPS_FIGURE_THRESHOLDS"):
        parse_figure_thresholds(bad)


def test_start_up_refuses_bad_figure_thresholds_and_passes_good_ones(monkeypatch) -> None:
    from salesops_pipeline.core.config_check import check_configuration
    from salesops_pipeline.defs.resources import resources_from_env
    from salesops_pipeline.settings import Settings

    monkeypatch.setenv("SALESOPS_FIGURE_THRESHOLDS", "sellers=drop>50%")
    for start in (lambda: check_configuration(Settings()), resources_from_env):
        with pytest.raises(ConfigError, match="SALESOPS_FIGURE_THRESHOLDS: 'sellers=drop>50%'"):
            start()
    monkeypatch.setenv("SALESOPS_FIGURE_THRESHOLDS", "seller=drop>60%,error")
    assert resources_from_env()["figure_settings"].limits["seller"] == \
        Limits(drop=Decimal(60), severity=Severity.ERROR)
