"""ISO weeks, defined once: every report, export, schedule and API default uses these.

A week runs Monday to Sunday (ISO 8601). Reports show a week as its Monday and its Sunday (both
inclusive); queries take the half-open range [Monday, next Monday). "Today" and "the last
complete week" depend on where you stand, so they take the timezone of the schedules
(SALESOPS_TIMEZONE): Monday 00:30 in Berlin is still Sunday in UTC, and the week that just
ended there is already complete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salesops_pipeline.errors import ConfigError

WEEK = timedelta(days=7)
"""The length of a week."""
LAST_DAY = timedelta(days=6)
"""From a week's Monday to its Sunday."""


def week_start(day: date) -> date:
    """Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def week_end(day: date) -> date:
    """Sunday (the last day, inclusive) of the ISO week holding ``day``; the calendar's last
    day for its last week (9999-12-27 to 12-31: Python's dates stop there, sale times may not)."""
    start = week_start(day)
    return start + min(LAST_DAY, date.max - start)


def week_days(day: date) -> list[date]:
    """Every day of the ISO week holding ``day``, Monday first (to ``week_end``)."""
    start = week_start(day)
    return [start + timedelta(days=i) for i in range((week_end(start) - start).days + 1)]


def week_range(day: date) -> tuple[date, date]:
    """``[Monday, next Monday)`` of the ISO week holding ``day``: the half-open range to query."""
    start = week_start(day)
    return start, start + WEEK


def previous_week(day: date) -> date:
    """Monday of the ISO week before the one holding ``day``."""
    return week_start(day) - WEEK


def week_of_key(key: str | None) -> date | None:
    """The Monday a week's key names (``2026-11-23``: the weekly partitions' keys), else None.
    A file's key is never one: a dropped file is only read with its suffix (``.xlsx``, …).

    >>> week_of_key("2026-11-23"), week_of_key("2026-11-24"), week_of_key("may.xlsx")
    (datetime.date(2026, 11, 23), None, None)
    """
    try:
        day = date.fromisoformat(key or "")
    except ValueError:
        return None
    return day if len(key or "") == 10 and day.weekday() == 0 else None


def iso_week(day: date) -> str:
    """The ISO week label of ``day``: ``2026-W10``; around New Year the ISO year may differ from
    the calendar year (2024-12-30 is in ``2025-W01``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def zone(timezone: str) -> ZoneInfo:
    """The IANA timezone named ``timezone`` (``Europe/Berlin``); ConfigError naming the setting
    when it is unknown."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"SALESOPS_TIMEZONE={timezone!r} is not a known IANA timezone; use a name such as "
            "'UTC', 'Europe/Berlin' or 'America/New_York'") from exc


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar date in ``timezone`` at ``now`` (default: the current time; a naive ``now``
    is taken as UTC)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(timezone)).date()


def last_complete_week(timezone: str, now: datetime | None = None) -> date:
    """Monday of the last ISO week that has fully ended in ``timezone`` at ``now``."""
    return previous_week(today_in(timezone, now))
