"""ISO weeks: boundaries against the calendar's own ISO numbering, and "today" in a timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from salesops_pipeline.core.report.weeks import (
    iso_week,
    last_complete_week,
    previous_week,
    today_in,
    week_days,
    week_end,
    week_range,
    week_start,
    zone,
)
from salesops_pipeline.errors import ConfigError


def test_every_day_of_a_decade_lies_in_its_iso_week() -> None:
    """The oracle is date.isocalendar(): same ISO (year, week), Monday first, Sunday last."""
    day = date(2019, 12, 23)
    while day < date(2031, 1, 6):
        start, end = week_start(day), week_end(day)
        assert start.isocalendar()[1:] == (day.isocalendar()[1], 1), day
        assert end.isocalendar()[1:] == (day.isocalendar()[1], 7), day
        assert start.isocalendar()[0] == day.isocalendar()[0] == end.isocalendar()[0], day
        assert start <= day <= end and (end - start).days == 6
        assert week_range(day) == (start, end + timedelta(days=1))
        assert previous_week(day) == week_start(start - timedelta(days=1))
        day += timedelta(days=1)


@pytest.mark.parametrize(("day", "monday", "sunday", "label"), [
    (date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 8), "2026-W10"),     # a Monday
    (date(2026, 3, 8), date(2026, 3, 2), date(2026, 3, 8), "2026-W10"),     # its Sunday
    (date(2024, 12, 31), date(2024, 12, 30), date(2025, 1, 5), "2025-W01"),  # ISO year ahead
    (date(2027, 1, 3), date(2026, 12, 28), date(2027, 1, 3), "2026-W53"),    # a 53-week year
    (date(2024, 2, 29), date(2024, 2, 26), date(2024, 3, 3), "2024-W09"),    # leap day
])
def test_known_weeks(day: date, monday: date, sunday: date, label: str) -> None:
    assert (week_start(day), week_end(day), iso_week(day)) == (monday, sunday, label)


def test_previous_week_crosses_the_year() -> None:
    assert previous_week(date(2027, 1, 4)) == date(2026, 12, 28)
    assert previous_week(date(2027, 1, 3)) == date(2026, 12, 21)


@pytest.mark.parametrize(("now", "timezone", "today", "last_week"), [
    # Monday 00:30 in Berlin is Sunday 23:30 UTC: Berlin's week has ended, UTC's has not.
    (datetime(2026, 3, 15, 23, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 3, 16),
     date(2026, 3, 9)),
    (datetime(2026, 3, 15, 23, 30, tzinfo=UTC), "UTC", date(2026, 3, 15), date(2026, 3, 2)),
    # Sunday 23:30 in New York is Monday 03:30 UTC: New York's week is still running.
    (datetime(2026, 3, 16, 3, 30, tzinfo=UTC), "America/New_York", date(2026, 3, 15),
     date(2026, 3, 2)),
    (datetime(2026, 3, 16, 3, 30, tzinfo=UTC), "UTC", date(2026, 3, 16), date(2026, 3, 9)),
    # An aware time in another zone is converted; a naive one is UTC.
    (datetime(2026, 3, 16, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")), "UTC", date(2026, 3, 15),
     date(2026, 3, 2)),
    (datetime(2026, 3, 15, 23, 30), "Europe/Berlin", date(2026, 3, 16), date(2026, 3, 9)),
])
def test_today_and_last_complete_week_in_a_timezone(now: datetime, timezone: str, today: date,
                                                    last_week: date) -> None:
    assert today_in(timezone, now) == today
    assert last_complete_week(timezone, now) == last_week


def test_now_defaults_to_the_current_time() -> None:
    before = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    got = today_in("Asia/Tokyo")
    after = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    assert got in (before, after)
    assert last_complete_week("Asia/Tokyo") in (previous_week(before), previous_week(after))


@pytest.mark.parametrize("name", ["Europe/Atlantis", "", "../etc/passwd", "CEST+2"])
def test_an_unknown_timezone_names_the_setting(name: str) -> None:
    with pytest.raises(ConfigError, match="SALESOPS_TIMEZONE=.* is not a known IANA timezone"):
        zone(name)
    with pytest.raises(ConfigError):
        today_in(name, datetime(2026, 3, 2, tzinfo=UTC))


def test_the_calendars_last_week_ends_on_its_last_day() -> None:
    """Sale times reach 9999-12-31 (a Friday); the week holding it ends there, not past it."""
    assert week_end(date(9999, 12, 29)) == date.max
    assert week_days(date(9999, 12, 31)) == [date(9999, 12, 27) + timedelta(days=i)
                                             for i in range(5)]
    assert week_days(date(2026, 12, 6)) == [date(2026, 11, 30) + timedelta(days=i)
                                            for i in range(7)]
    assert week_end(date(2026, 12, 6)) == date(2026, 12, 6)
