"""Data-quality and integrity queries behind the asset checks.

The data-quality rules are declared once, in core/report/rules.py; sql/queries/refresh_reports.sql
(which materializes their daily counts) gets them through core/report/refresh.refresh_sql. Every
function can be scoped to some files (`source_files`), so a check after an import reads those
files' rows through the (source_file, row) index, not the whole table; None means the whole
warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from salesops_pipeline.core.db.connect import Cursor
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.report.rules import FACT_RULES
from salesops_pipeline.core.report.thresholds import FileCount

SCOPE = "(%(files)s::text[] IS NULL OR f.source_file = ANY(%(files)s::text[]))"
SAMPLE_COLUMNS = ("source_file", "source_sheet", "source_row_number", "sold_at", "unit_price",
                  "units", "total_price")


def _files(source_files: Sequence[str] | None) -> list[str] | None:
    return None if source_files is None else list(source_files)


@dataclass(frozen=True)
class Finding:
    """How many rows break a rule and a few of them (file, row, values)."""

    count: int
    samples: list[dict[str, object]]


def _samples(cur: Cursor) -> list[dict[str, object]]:
    assert cur.description is not None, "called after a SELECT, which describes its columns"
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@dataclass(frozen=True)
class RuleFinding(Finding):
    """A rule's hits with the lines checked, per file (thresholds apply to each file)."""

    lines: int
    files: tuple[FileCount, ...]


def rule_findings(cur: Cursor, *, tolerance: Decimal, source_files: Sequence[str] | None = None,
                  limit: int = 20) -> dict[str, RuleFinding]:
    """Counts of every fact rule per file in one scan, then a sample of each rule with hits."""
    params = {"tolerance": tolerance, "files": _files(source_files), "limit": limit}
    counts = ", ".join(f"count(*) FILTER (WHERE {r.sql})" for r in FACT_RULES)
    cur.execute(f"SELECT f.source_file, count(*), {counts} FROM salesops.fact_sales_line f"
                f" WHERE {SCOPE} GROUP BY f.source_file ORDER BY f.source_file", params)
    per_file = cur.fetchall()
    findings: dict[str, RuleFinding] = {}
    for i, rule in enumerate(FACT_RULES, start=2):
        files = tuple(FileCount(row[0], row[1], row[i]) for row in per_file)
        total = sum(f.count for f in files)
        samples: list[dict[str, object]] = []
        if total:
            cur.execute(f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM salesops.fact_sales_line f"
                        f" WHERE {SCOPE} AND {rule.sql}"
                        " ORDER BY source_file, source_sheet, source_row_number"
                        " LIMIT %(limit)s", params)
            samples = _samples(cur)
        findings[rule.name] = RuleFinding(total, samples, sum(f.lines for f in files), files)
    return findings


def quarantined(cur: Cursor, *, source_files: Sequence[str] | None = None,
                limit: int = 20) -> RuleFinding:
    """Rows of the loaded file versions that were quarantined; a file's lines checked are its
    loaded plus its quarantined rows."""
    params = {"files": _files(source_files), "limit": limit, "loaded": ImportStatus.LOADED.value}
    cur.execute("SELECT i.source_file, i.rows_loaded + count(f.import_id), count(f.import_id)"
                " FROM salesops.import_log i"
                " LEFT JOIN salesops.rejected_row f ON f.import_id = i.import_id"
                " WHERE i.status = %(loaded)s"
                " AND (%(files)s::text[] IS NULL OR i.source_file = ANY(%(files)s::text[]))"
                " GROUP BY i.import_id, i.source_file ORDER BY i.source_file", params)
    files = tuple(FileCount(*row) for row in cur.fetchall())
    cur.execute("SELECT f.source_file, f.source_sheet, f.source_row_number, f.reasons"
                " FROM salesops.rejected_row f JOIN salesops.import_log i USING (import_id)"
                f" WHERE i.status = %(loaded)s AND {SCOPE}"
                " ORDER BY f.source_file, f.source_sheet, f.source_row_number LIMIT %(limit)s",
                params)
    return RuleFinding(sum(f.count for f in files), _samples(cur),
                       sum(f.lines for f in files), files)


def duplicate_source_rows(cur: Cursor, *, source_files: Sequence[str] | None = None) -> Finding:
    cur.execute(
        "SELECT source_file, source_sheet, source_row_number, count(*) AS copies"
        f" FROM salesops.fact_sales_line f WHERE {SCOPE}"
        " GROUP BY source_file, source_sheet, source_row_number HAVING count(*) > 1"
        " ORDER BY 1, 2, 3", {"files": _files(source_files)})
    rows = _samples(cur)
    return Finding(len(rows), rows[:20])


def orphan_keys(cur: Cursor, *, source_files: Sequence[str] | None = None) -> Finding:
    """Fact rows whose dimension or import key points nowhere."""
    cur.execute(
        "SELECT f.source_file, f.source_row_number,"
        " p.product_id IS NULL AS no_product, s.seller_id IS NULL AS no_seller,"
        " (f.shipping_company_id IS NOT NULL AND c.shipping_company_id IS NULL) AS no_shipper,"
        " i.import_id IS NULL AS no_import"
        " FROM salesops.fact_sales_line f"
        " LEFT JOIN salesops.dim_product p USING (product_id)"
        " LEFT JOIN salesops.dim_seller s USING (seller_id)"
        " LEFT JOIN salesops.dim_shipping_company c USING (shipping_company_id)"
        " LEFT JOIN salesops.import_log i USING (import_id)"
        f" WHERE {SCOPE} AND (p.product_id IS NULL OR s.seller_id IS NULL OR i.import_id IS NULL"
        "   OR (f.shipping_company_id IS NOT NULL AND c.shipping_company_id IS NULL))"
        " LIMIT 1000", {"files": _files(source_files)})
    rows = _samples(cur)
    return Finding(len(rows), rows[:20])


def import_count_mismatches(cur: Cursor, *, source_files: Sequence[str] | None = None) -> Finding:
    """Loaded file versions whose logged row count differs from their rows in the fact table."""
    cur.execute(
        "SELECT i.import_id, i.source_file, i.rows_loaded AS logged, count(f.sales_line_id) AS"
        " in_facts FROM salesops.import_log i"
        " LEFT JOIN salesops.fact_sales_line f ON f.import_id = i.import_id"
        " WHERE i.status = %(loaded)s"
        " AND (%(files)s::text[] IS NULL OR i.source_file = ANY(%(files)s::text[]))"
        " GROUP BY i.import_id HAVING i.rows_loaded <> count(f.sales_line_id)"
        " UNION ALL"
        " SELECT f.import_id, f.source_file, NULL, count(*) FROM salesops.fact_sales_line f"
        " JOIN salesops.import_log i USING (import_id)"
        f" WHERE i.status <> %(loaded)s AND {SCOPE} GROUP BY f.import_id, f.source_file",
        {"files": _files(source_files), "loaded": ImportStatus.LOADED})
    rows = _samples(cur)
    return Finding(len(rows), rows[:20])


def report_mismatches(cur: Cursor, *, weeks: list[date] | None) -> Finding:
    """Weeks whose report totals differ from the fact table (None: every week).

    Weeks that hold a day marked dirty are skipped: an import published after the refresh
    changed them, and the next refresh rewrites them."""
    cur.execute(
        """
        WITH facts AS (
            SELECT date_trunc('week', sold_at)::date AS week, sum(total_price) AS revenue,
                   sum(units) AS units, count(*) AS lines
            FROM salesops.fact_sales_line
            WHERE %(weeks)s::date[] IS NULL OR date_trunc('week', sold_at)::date = ANY(%(weeks)s)
            GROUP BY 1
        ), reports AS (
            SELECT date_trunc('week', day)::date AS week, sum(revenue) AS revenue,
                   sum(units) AS units, sum(line_count) AS lines
            FROM salesops.report_daily_sales
            WHERE %(weeks)s::date[] IS NULL OR date_trunc('week', day)::date = ANY(%(weeks)s)
            GROUP BY 1
        )
        SELECT coalesce(f.week, r.week) AS week, f.revenue AS fact_revenue,
               r.revenue AS report_revenue, f.lines AS fact_lines, r.lines AS report_lines
        FROM facts f FULL JOIN reports r USING (week)
        WHERE (f.revenue IS DISTINCT FROM r.revenue OR f.units IS DISTINCT FROM r.units
               OR f.lines IS DISTINCT FROM r.lines)
          -- weeks with days changed since the refresh await the next one: not a mismatch
          AND coalesce(f.week, r.week) NOT IN
              (SELECT date_trunc('week', day)::date FROM salesops.report_dirty_day)
        ORDER BY 1
        """, {"weeks": weeks})
    rows = _samples(cur)
    return Finding(len(rows), rows[:20])


# Freshness: when a file version was last PUBLISHED, i.e. its facts switched in by
# core/load/publish.py. That is a version `loaded` now, or one loaded and then replaced by a newer
# version of its file (`superseded` with `superseded_by`, which only publish sets: a staged
# version outdated before it was published is `superseded` without it); its finished_at is the
# moment it was published (publish keeps it when superseding). A withdrawn version does not count:
# its facts were taken out on purpose. Rejected, failed, duplicate and unfinished versions
# published nothing.
PUBLISHED = ("(i.status = %(loaded)s"
             " OR (i.status = %(superseded)s AND i.superseded_by IS NOT NULL))")
PUBLISHED_PARAMS = {"loaded": ImportStatus.LOADED.value,
                    "superseded": ImportStatus.SUPERSEDED.value}
# When the latest published version was published (NULL: never), for the API's import-age gauge.
LATEST_PUBLISHED_AT = f"(SELECT max(i.finished_at) FROM salesops.import_log i WHERE {PUBLISHED})"
# When a version got its present status: withdrawn, finished (published, rejected, …), started.
STATUS_TIME = "coalesce(i.withdrawn_at, i.finished_at, i.started_at)"


@dataclass(frozen=True)
class PublishedImport:
    """The file version published most recently: what the freshness check measures from."""

    import_id: int
    source_file: str
    sha256: str
    published_at: datetime


@dataclass(frozen=True)
class UnpublishedDrops:
    """File versions that came in after the latest published one but published nothing: how
    many per status, and the newest few (import_id, source_file, status, at, error)."""

    counts: dict[str, int]
    newest: list[dict[str, object]]

    def summary(self) -> str:
        """'3 rejected, 1 duplicate' (largest first), or 'none'."""
        return ", ".join(f"{n} {status}" for status, n in sorted(
            self.counts.items(), key=lambda item: (-item[1], item[0]))) or "none"


def latest_import(cur: Cursor) -> PublishedImport | None:
    """The most recently published file version (None: nothing was ever published)."""
    cur.execute(
        "SELECT i.import_id, i.source_file, i.sha256, i.finished_at FROM salesops.import_log i"
        f" WHERE {PUBLISHED} AND i.finished_at IS NOT NULL"
        " ORDER BY i.finished_at DESC, i.import_id DESC LIMIT 1", PUBLISHED_PARAMS)
    row = cur.fetchone()
    return PublishedImport(*row) if row else None


def unpublished_since(cur: Cursor, since: datetime | None, *, limit: int = 5
                      ) -> UnpublishedDrops:
    """The versions that got a non-published status after ``since`` (None: ever), so a person
    sees why a recent drop (rejected, say) did not make the data fresh."""
    where = (f"FROM salesops.import_log i WHERE NOT {PUBLISHED}"
             f" AND (%(since)s::timestamptz IS NULL OR {STATUS_TIME} > %(since)s)")
    params = {**PUBLISHED_PARAMS, "since": since, "limit": limit}
    cur.execute(f"SELECT i.status, count(*) {where} GROUP BY i.status", params)
    counts: dict[str, int] = dict(cur.fetchall())
    cur.execute(f"SELECT i.import_id, i.source_file, i.status, {STATUS_TIME} AS at, i.error"
                f" {where} ORDER BY at DESC, i.import_id DESC LIMIT %(limit)s", params)
    return UnpublishedDrops(counts, _samples(cur))


def import_age(latest: datetime | None, now: datetime) -> timedelta | None:
    """How long ago ``latest`` was (None: never)."""
    return None if latest is None else now - latest
