"""Report figures computed in plain Python (Decimal) from the test lines: the oracle.

Money and units are Decimals here; :func:`assert_rows` checks an answer's text against them:
exactly equal, and written as people write them (money with two decimals, more only when
they are significant; units without trailing zeros) — the format checked by its own regex,
not by the code under test.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from salesops_pipeline_tests.api.builders import Line

MONEY = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]{2}([0-9]*[1-9])?")
UNITS = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")
FIGURE_FORMAT = {"revenue": MONEY, "unit_price": MONEY, "total_price": MONEY, "units": UNITS}


def figure_ok(column: str, text: object, want: Decimal) -> bool:
    """``text`` is ``want`` exactly, in the format of its column's kind."""
    return isinstance(text, str) and bool(FIGURE_FORMAT[column].fullmatch(text)) \
        and Decimal(text) == want


def assert_rows(got: Sequence[Mapping[str, object]], want: Sequence[Mapping[str, object]]
                ) -> None:
    """Rows equal column by column; money and units as :func:`figure_ok` says."""
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w), (g, w)
        for column, value in w.items():
            if column in FIGURE_FORMAT:
                assert isinstance(value, Decimal)
                assert figure_ok(column, g[column], value), (column, g[column], value)
            else:
                assert g[column] == value, (column, g[column], value)


def _in(lines: Sequence[Line], start: date, end: date) -> list[Line]:
    return [x for x in lines if start <= x.day <= end]


def weekly(lines: Sequence[Line], start: date, end: date) -> list[dict[str, object]]:
    acc: dict[date, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for x in _in(lines, start, end):
        a = acc[x.day - timedelta(days=x.day.weekday())]
        a[0] += x.total_price
        a[1] += x.units
        a[2] += 1
    return [{"week_start": monday.isoformat(), "week_end": (monday + timedelta(6)).isoformat(),
             "revenue": r, "units": u, "line_count": n}
            for monday, (r, u, n) in sorted(acc.items())]


def _ranked(totals: dict[str, list]) -> list[tuple[int, str, list]]:
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(1 + sum(1 for v in totals.values() if v[0] > value[0]), name, value)
            for name, value in order]


def sellers(lines: Sequence[Line], start: date, end: date) -> list[dict[str, object]]:
    acc: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for x in _in(lines, start, end):
        a = acc[x.seller]
        a[0] += x.total_price
        a[1] += x.units
        a[2] += 1
    return [{"rank": rank, "seller": name, "revenue": v[0], "units": v[1],
             "line_count": v[2]} for rank, name, v in _ranked(acc)]


def products(lines: Sequence[Line], start: date, end: date, limit: int
             ) -> list[dict[str, object]]:
    acc: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for x in _in(lines, start, end):
        a = acc[x.product]
        a[0] += x.total_price
        a[1] += x.units
    return [{"rank": rank, "product": name, "revenue": v[0], "units": v[1]}
            for rank, name, v in _ranked(acc)][:limit]


def shipping(lines: Sequence[Line], start: date, end: date) -> list[dict[str, object]]:
    acc: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
    for x in _in(lines, start, end):
        a = acc[x.shipping_company or "UNKNOWN"]
        a[0] += x.total_price
        a[1] += 1
    total = sum((v[0] for v in acc.values()), Decimal(0))
    rows = []
    for name, (revenue, n) in sorted(acc.items(), key=lambda kv: (-kv[1][0], kv[0])):
        share = revenue / total if total else Decimal(0)
        rows.append({"shipping_company": name, "revenue": revenue, "line_count": n,
                     "revenue_share": str(share.quantize(Decimal("0.000001"), ROUND_HALF_UP))})
    return rows
