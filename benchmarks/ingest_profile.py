"""Where the server's seconds of one ``ours`` run go (``benchmarks/ingest.py --profile``).

The contender's sessions log every statement with its duration (``PGOPTIONS`` below, read by
libpq); afterwards the throwaway cluster's log, from the offset it had before the run, is summed
by kind of statement. The staging COPY overlaps the parse child (it lasts as long as the child
feeds it), so its time is the parse's, seen from the server; the rest runs after the parse.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

PGOPTIONS = "-c log_min_duration_statement=0"
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")  # a new log line starts with its time
_DURATION = re.compile(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): ?(.*)", re.S)
# (kind, pattern on the statement's text), first match wins; the order is the load's order
KINDS = [
    ("staging COPY, overlapping the parse", r"^COPY salesops\.stage_sales_line"),
    ("staging side tables (quarantine, skipped, names)", r"^COPY salesops\."),
    ("dimension upserts", r"^WITH names AS"),
    ("fact insert", r"^INSERT INTO \S*fact_sales_line"),
    ("fact indexes and keys (sorted builds)", r"ADD (PRIMARY KEY|UNIQUE)|^CREATE (UNIQUE )?INDEX"),
    ("foreign keys validated", r"ADD FOREIGN KEY"),
    ("report days marked", r"^INSERT INTO salesops\.report_dirty_day"),
    ("staged rows deleted", r"^DELETE FROM salesops\.stage_"),
]


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def breakdown(log: Path, offset: int) -> dict[str, float]:
    """Seconds per kind of statement logged after ``offset`` ("other" for the rest)."""
    seconds: dict[str, float] = defaultdict(float)
    with log.open(errors="replace") as handle:
        handle.seek(offset)
        entries: list[str] = []
        for line in handle:
            if _ENTRY.match(line) or not entries:
                entries.append(line)
            else:
                entries[-1] += line  # a statement's following lines
    for entry in entries:
        found = _DURATION.search(entry)
        if not found:
            continue
        text = found.group(2).strip()
        kind = next((k for k, pattern in KINDS if re.search(pattern, text)), "other statements")
        seconds[kind] += float(found.group(1)) / 1000
    return dict(seconds)


def lines(seconds: dict[str, float], total: float) -> list[str]:
    """The breakdown as indented lines, in load order, with the share of the run's time."""
    order = [k for k, _ in KINDS] + ["other statements"]
    shown = [f"      {kind:<50} {seconds[kind]:6.2f} s  {seconds[kind] / total:4.0%}"
             for kind in order if kind in seconds]
    server = sum(seconds.values())
    return [*shown, f"      {'sum (the staging COPY overlaps the parse)':<50} {server:6.2f} s  "
                    f"{server / total:4.0%}"]
