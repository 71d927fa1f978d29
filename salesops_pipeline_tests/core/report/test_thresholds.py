"""SALESOPS_RULE_THRESHOLDS: the syntax, its error messages, and how each file is judged."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from salesops_pipeline.core.config_check import check_configuration
from salesops_pipeline.core.report.rules import RULE_NAMES, Severity
from salesops_pipeline.core.report.thresholds import (
    FileCount,
    Limit,
    Thresholds,
    judge,
    parse_thresholds,
    share_text,
)
from salesops_pipeline.errors import ConfigError
from salesops_pipeline.settings import Settings

WARN_ABOVE_0 = Thresholds(Limit(D(0)))


@pytest.mark.parametrize("text", ["", "  ", ";", " ; ; "])
def test_unset_means_every_rule_warns_above_zero(text: str) -> None:
    assert parse_thresholds(text) == dict.fromkeys(RULE_NAMES, WARN_ABOVE_0)


def test_listed_rules_and_levels_override_the_defaults() -> None:
    parsed = parse_thresholds("mismatched_total=warn>0,error>2%; nonpositive_units = error>0 ;"
                              "quarantined_rows=WARN > 1.5 %, error>10;")
    assert parsed["mismatched_total"] == Thresholds(Limit(D(0)), Limit(D(2), share=True))
    assert parsed["nonpositive_units"] == Thresholds(Limit(D(0)), Limit(D(0)))
    assert parsed["quarantined_rows"] == Thresholds(Limit(D("1.5"), share=True), Limit(D(10)))
    assert parsed["negative_amount"] == WARN_ABOVE_0  # not listed: default


@pytest.mark.parametrize(("text", "says"), [
    ("mismatched=warn>0", "unknown rule 'mismatched' (known rules: mismatched_total, "
                          "nonpositive_units, negative_amount, missing_shipping_company, "
                          "quarantined_rows;"),
    ("mismatched_total", "'mismatched_total' is not rule=warn>N[,error>N]"),
    ("=warn>0", "'=warn>0' is not rule=warn>N[,error>N]"),
    ("mismatched_total=warn>=2", "mismatched_total: 'warn>=2' is not warn>N or error>N"),
    ("mismatched_total=fail>2", "mismatched_total: 'fail>2' is not warn>N or error>N"),
    ("mismatched_total=warn>-1", "mismatched_total: 'warn>-1' is not warn>N or error>N"),
    ("mismatched_total=", "mismatched_total: '' is not warn>N or error>N"),
    ("mismatched_total=error>2.5", "a count is a whole number; for a share write 2.5%"),
    ("mismatched_total=error>101%", "error>101% is never crossed (a share is at most 100 %)"),
    ("mismatched_total=error>100%", "error>100% is never crossed"),
    ("mismatched_total=warn>1,warn>2", "mismatched_total: warn is given twice"),
    ("negative_amount=error>0;negative_amount=error>1", "rule 'negative_amount' is listed twice"),
    ("mismatched_total=warn>5%,error>2%", "error>2 % is below warn>5 %"),
    ("mismatched_total=warn>3", "error"),  # not an error: warn alone, see below
])
def test_unreadable_thresholds_say_what_to_write(text: str, says: str) -> None:
    if says == "error":
        assert parse_thresholds(text)["mismatched_total"] == Thresholds(Limit(D(3)))
        return
    with pytest.raises(ConfigError) as raised:
        parse_thresholds(text)
    message = str(raised.value)
    assert message.startswith("SALESOPS_RULE_THRESHOLDS: ") and says in message, message
    assert "e.g. 'mismatched_total=warn>0,error>2%'" in message


def test_start_up_refuses_bad_thresholds(monkeypatch) -> None:
    from salesops_pipeline.defs.resources import resources_from_env

    monkeypatch.setenv("SALESOPS_RULE_THRESHOLDS", "mismatched_totals=error>2%")
    for start in (lambda: check_configuration(Settings()), resources_from_env):
        with pytest.raises(ConfigError) as raised:
            start()
        assert "unknown rule 'mismatched_totals'" in str(raised.value)
        assert "known rules: mismatched_total," in str(raised.value)
    monkeypatch.setenv("SALESOPS_RULE_THRESHOLDS", " mismatched_total=error>2% ")
    checked = check_configuration(Settings())
    assert checked.thresholds["mismatched_total"].error == Limit(D(2), share=True)


def test_settings_reach_the_quality_resource(monkeypatch) -> None:
    from salesops_pipeline.defs.resources import resources_from_env

    monkeypatch.setenv("SALESOPS_RULE_THRESHOLDS", "nonpositive_units=error>0")
    quality = resources_from_env()["quality_settings"]
    assert quality.thresholds["nonpositive_units"] == Thresholds(Limit(D(0)), Limit(D(0)))


@pytest.mark.parametrize(("count", "lines", "want"), [
    (0, 100, None), (1, 100, Severity.WARN), (2, 100, Severity.WARN),   # 2 % is not above 2 %
    (3, 100, Severity.ERROR), (21, 1000, Severity.ERROR), (20, 1000, Severity.WARN),
    (1, 0, Severity.WARN),  # no lines: a share is never crossed, a count still is
])
def test_share_limits_are_compared_exactly(count: int, lines: int, want: Severity | None) -> None:
    thresholds = Thresholds(Limit(D(0)), Limit(D(2), share=True))
    assert thresholds.severity(count, lines) is want


def test_count_limits() -> None:
    thresholds = Thresholds(Limit(D(5)), Limit(D(10)))
    assert [thresholds.severity(n, 10**6) for n in (5, 6, 10, 11)] == [
        None, Severity.WARN, Severity.WARN, Severity.ERROR]


def test_the_worst_file_decides_and_is_named() -> None:
    thresholds = Thresholds(Limit(D(0)), Limit(D(2), share=True))
    files = [FileCount("a.xlsx", 1000, 10), FileCount("b.xlsx", 3000, 93),
             FileCount("c.xlsx", 50, 0), FileCount("d.xlsx", 100, 5)]
    verdict = judge(thresholds, files)
    assert verdict.severity is Severity.ERROR
    assert verdict.crossed == ("error: 5 % > 2 % in d.xlsx (5 of 100 lines); "
                               "2 more file(s) over a threshold")
    assert [f.source_file for f in verdict.files] == ["d.xlsx", "b.xlsx", "a.xlsx"]
    assert judge(thresholds, files[2:3]).severity is None
    assert judge(thresholds, files[2:3]).crossed == "none"
    assert judge(thresholds, files[:1]).crossed == "warn: 10 > 0 in a.xlsx (10 of 1000 lines)"


@pytest.mark.parametrize(("count", "lines", "above", "want"), [
    (31, 1000, None, "3.1 %"), (1, 3, None, "33.33 %"), (2, 3, None, "66.67 %"),
    (0, 0, None, "0 %"), (100, 100, None, "100 %"), (5, 200, None, "2.5 %"),
    (2001, 100000, D(2), "2.001 %"),      # two decimals would show 2 % > 2 %
    (200001, 10000000, D(2), "2.00001 %"),
])
def test_share_text(count: int, lines: int, above: D | None, want: str) -> None:
    assert share_text(count, lines, above=above) == want
