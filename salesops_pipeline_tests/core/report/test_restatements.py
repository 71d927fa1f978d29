"""The restatement log and as_of reads, through the real publish, withdraw and refresh code on
a real PostgreSQL; every expected figure summed independently from the sales with Decimal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.report import queries as q
from salesops_pipeline.core.report.restatements import mark_sent
from salesops_pipeline.core.report.week_files import ConnectionFetcher
from salesops_pipeline_tests.core.report.restate_support import (
    NEW_A,
    OLD_A,
    W1,
    W2,
    W4,
    B,
    C,
    by_name,
    db_now,
    expected_figures,
    publish_file,
    refresh_now,
    sale,
    week_totals,
    withdraw,
)


def restatements(sql) -> list[tuple]:
    return sql("SELECT restatement_id, week, revenue_before, revenue_after, units_before,"
               " units_after, lines_before, lines_after, reported_at IS NOT NULL"
               " FROM salesops.restatement ORDER BY restatement_id")


def figures(sql, restatement_id: int) -> dict[tuple[str, str], tuple]:
    return {(d, n): tuple(rest) for d, n, *rest in sql(
        "SELECT dimension, name, revenue_before, units_before, lines_before, revenue_after,"
        " units_after, lines_after FROM salesops.restatement_figure WHERE restatement_id = %s",
        (restatement_id,))}


def test_replacement_of_a_reported_week_is_restated_once_with_exact_figures(db, sql) -> None:
    old_a = publish_file(db, "a.csv", OLD_A)
    publish_file(db, "b.csv", B)
    assert refresh_now(db).restated == []  # new days restate nothing
    with connect(db) as conn, conn.cursor() as cur:
        mark_sent(cur, week=W1, channel="email", run_id="weekly")
    before_fix = db_now(db)
    new_a = publish_file(db, "a.csv", NEW_A)
    result = refresh_now(db)
    assert [(r.week, r.reported) for r in result.restated] == [(W1, True)]
    (rid, week, *totals, reported), = restatements(sql)
    assert (week, reported) == (W1, True)
    b, a = week_totals(OLD_A, W1), week_totals(NEW_A, W1)
    assert totals == [b[0], a[0], b[1], a[1], b[2], a[2]]
    assert figures(sql, rid) == expected_figures(OLD_A, NEW_A, W1)
    assert sql("SELECT import_id, source_file, action, replaced_import FROM"
               " salesops.restatement_file WHERE restatement_id = %s", (rid,)) == [
        (new_a, "a.csv", "replaced", old_a)]
    assert refresh_now(db).restated == [] and len(restatements(sql)) == 1  # exactly once
    after_fix = db_now(db)

    reader = ConnectionFetcher
    with connect(db) as conn:
        then = q.weekly_summary(reader(conn), start=W1, end=date(2026, 11, 15), as_of=before_fix)
        now = q.weekly_summary(reader(conn), start=W1, end=date(2026, 11, 15), as_of=after_fix)
        today = q.weekly_summary(reader(conn), start=W1, end=date(2026, 11, 15))
        sellers_then = q.seller_ranking(reader(conn), start=W1, end=date(2026, 11, 8),
                                        as_of=before_fix)
    assert [(r["revenue"], r["units"], r["line_count"]) for r in then] == [
        week_totals(OLD_A, W1), week_totals(B, W2)]
    assert [(r["revenue"], r["units"], r["line_count"]) for r in now] == [
        week_totals(NEW_A, W1), week_totals(B, W2)]
    assert now == today
    assert {r["seller"]: (r["revenue"], r["units"], r["line_count"]) for r in sellers_then} == \
        by_name(OLD_A, W1, "seller")


def test_withdrawal_is_restated_and_new_days_are_not(db, sql) -> None:
    publish_file(db, "a.csv", OLD_A)
    b_id = publish_file(db, "b.csv", B)
    refresh_now(db)
    publish_file(db, "c.csv", C)  # days no report held yet
    assert refresh_now(db).restated == []
    before = db_now(db)
    assert withdraw(db, "b.csv") == b_id
    (restated,) = refresh_now(db).restated
    assert (restated.week, restated.reported) == (W2, False)
    (rid, week, *totals, reported), = restatements(sql)
    assert totals == [sum(s.total for s in B), Decimal(0), sum(s.units for s in B), Decimal(0),
                      len(B), 0]
    assert figures(sql, rid) == expected_figures(B, [], W2)
    assert sql("SELECT import_id, action FROM salesops.restatement_file") == [(b_id, "withdrawn")]
    with connect(db) as conn:
        fetch = ConnectionFetcher(conn)
        assert q.weekly_summary(fetch, start=W2, end=W4, as_of=before)[0]["revenue"] == \
            week_totals(B, W2)[0]
        assert [r["week_start"] for r in q.weekly_summary(fetch, start=W1, end=date(2026, 11, 29))
                ] == [W1, W4]


def test_as_of_after_several_replacements_gives_each_version(db, sql) -> None:
    versions = [OLD_A, NEW_A, [*NEW_A, sale("2026-11-06", "Eve", "Mouse", "0.01")], OLD_A[:1]]
    moments = []
    for n, version in enumerate(versions):
        publish_file(db, "a.csv", version)
        assert len(refresh_now(db).restated) == (1 if n else 0)
        moments.append(db_now(db))
    end = date(2026, 11, 8)
    with connect(db) as conn:
        fetch = ConnectionFetcher(conn)
        for version, moment in zip(versions, moments, strict=True):
            (week,) = q.weekly_summary(fetch, start=W1, end=end, as_of=moment)
            assert (week["revenue"], week["units"], week["line_count"]) == \
                week_totals(version, W1)
            products = q.top_products(fetch, start=W1, end=end, limit=10, as_of=moment)
            assert {r["product"]: (r["revenue"], r["units"]) for r in products} == {
                n: v[:2] for n, v in by_name(version, W1, "product").items()}
    assert len(restatements(sql)) == len(versions) - 1
