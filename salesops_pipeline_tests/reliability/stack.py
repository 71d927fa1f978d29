"""The real processes for the fault and load tests, and the figures they must end with.

* A throwaway PostgreSQL of the module's own comes from ``pg.throwaway_cluster`` (it may be
  stopped hard; the session cluster never is).
* :class:`Stack` — ``salesops up`` (Dagster daemon + webserver + API + the UI's front door) as a
  subprocess, started, killed and started again on the same Dagster storage, so the sensor's
  cursor survives.
* :func:`salesops` / :func:`spawn_salesops` — the ``salesops`` command in a subprocess.
* :func:`write_workbook` — a workbook of generated sales lines (xlsxwriter ``constant_memory``,
  so 200k rows take little memory) and, from the same lines, the :class:`Expected` figures in
  ``Decimal``; :func:`assert_warehouse` compares them with the facts, the import log and every
  report table. Expectations never come from the code under test.
* :func:`report_snapshot` — every report row as text, to tell "unchanged" exactly.
* :func:`wait_until` — every wait is bounded and says what it waited for.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
import xlsxwriter

from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline.core.report.refresh import REPORT_TABLES
from salesops_pipeline.settings import PROJECT_ROOT, with_database
from salesops_pipeline_tests.pg import free_port

__all__ = [
    "FIRST_DAY",
    "Expected",
    "Line",
    "Stack",
    "assert_warehouse",
    "base_env",
    "generate_lines",
    "kill_tree",
    "report_snapshot",
    "salesops",
    "spawn_salesops",
    "wait_until",
    "warehouse",
    "write_workbook",
]

FIRST_DAY = date(2025, 2, 3)  # a Monday, far from today: reports of "this week" stay apart
PRODUCTS = [f"Product {n:02d}" for n in range(40)]
SELLERS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Søren Kierkegaard", "Zoë Ng",
           "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
SHIPPERS = ["DHL", "UPS", "FedEx", "La Poste"]
OUR_VARIABLES = ("DATABASE_URL", "DAGSTER_PG_URL", "DAGSTER_HOME")


# ---- waiting ------------------------------------------------------------------------------------


def wait_until(check: Callable[[], object], what: str, *, timeout: float, interval: float = 0.2,
               log: Path | None = None) -> object:
    """Call ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``.

    Exceptions from ``check`` count as "not yet" (the service may be starting or down).
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - reported if the wait runs out
            last = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- log ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last: {last!r}{tail}")


# ---- PostgreSQL ---------------------------------------------------------------------------------


def warehouse(cluster: LocalCluster, name: str) -> tuple[str, str]:
    """A new warehouse database ``name`` (schema applied) and its Dagster database's URL."""
    url = cluster.url(name)
    dagster = with_database(url, f"{name}_dagster")
    ensure_database(url)
    ensure_database(dagster)
    upgrade(url)
    return url, dagster


# ---- processes ----------------------------------------------------------------------------------


def base_env(**settings: str | Path) -> dict[str, str]:
    """This process's environment without the session's database settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if k not in OUR_VARIABLES and not k.startswith("SALESOPS_")}
    env.update({k: str(v) for k, v in settings.items()})
    return env


def salesops(args: list[str], env: dict[str, str], *, timeout: float = 120
             ) -> subprocess.CompletedProcess[str]:
    """Run ``salesops ARGS`` to completion (bounded)."""
    return subprocess.run([sys.executable, "-m", "salesops_pipeline.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


def spawn_salesops(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``salesops ARGS`` in its own process group, output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "salesops_pipeline.cli", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                                start_new_session=True)


def kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``proc`` and every process it started, then reap ``proc``.

    The stack's children run in their own process groups, so killing one group is not enough.
    For SIGKILL the family is frozen first (SIGSTOP) until no new member appears, so a run
    worker being spawned at that moment cannot escape as an orphan.
    """
    family: dict[int, psutil.Process] = {}
    try:
        root = psutil.Process(proc.pid)
        while True:
            found = [root, *root.children(recursive=True)]
            new = [p for p in found if p.pid not in family]
            if not new:
                break
            for member in new:
                family[member.pid] = member
                if sig == signal.SIGKILL:
                    _signal(member, signal.SIGSTOP)
            if sig != signal.SIGKILL:
                break
    except psutil.NoSuchProcess:
        pass
    for member in family.values():
        _signal(member, sig)
    proc.wait(timeout=10)  # reaped by Popen, so its returncode tells the signal
    psutil.wait_procs([p for pid, p in family.items() if pid != proc.pid], timeout=10)


def _signal(process: psutil.Process, sig: int) -> None:
    try:
        process.send_signal(sig)
    except psutil.NoSuchProcess:
        pass


@dataclass
class Stack:
    """``salesops up`` on a warehouse of a test: start, kill, start again on the same storage."""

    root: Path
    database_url: str
    dagster_url: str
    settle_seconds: str = "1"
    sensor_interval_seconds: str = "1"
    up_args: tuple[str, ...] = ("up",)  # ("up", "--workers", "2"): the scale-out profile
    folder: Path = field(init=False)
    log: Path = field(init=False)
    env: dict[str, str] = field(init=False)
    api: str = field(init=False)
    dagster: str = field(init=False)
    proc: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        home = self.root / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        self.folder = self.root / "incoming"
        self.folder.mkdir()
        self.log = self.root / "stack.log"
        api_port, dagster_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{api_port}"
        self.dagster = f"http://127.0.0.1:{dagster_port}"
        self.env = base_env(
            DATABASE_URL=self.database_url, SALESOPS_DAGSTER_DATABASE_URL=self.dagster_url,
            DAGSTER_HOME=home, SALES_DATA_DIR=self.folder,
            SALESOPS_EXPORT_DIR=self.root / "exports", SALESOPS_HOME=self.root / "salesops",
            SALESOPS_API_PORT=str(api_port), SALESOPS_DAGSTER_PORT=str(dagster_port),
            SALESOPS_SENSOR_INTERVAL_SECONDS=self.sensor_interval_seconds,
            SALESOPS_SETTLE_SECONDS=self.settle_seconds, SALESOPS_SEED_SAMPLE="false")

    def start(self, *, timeout: float = 120) -> float:
        """Start ``salesops up`` and wait until the API and the Dagster webserver (through the
        UI's front door, with the admin key) answer; return the seconds it took."""
        started = time.monotonic()
        self.proc = spawn_salesops(list(self.up_args), self.env, self.log)
        wait_until(lambda: httpx.get(f"{self.api}/health", timeout=2).status_code == 200,
                   f"{self.api}/health to answer", timeout=timeout, interval=0.5, log=self.log)
        wait_until(lambda: httpx.get(f"{self.dagster}/server_info", timeout=2,
                                     headers=self.admin_headers).status_code == 200,
                   f"{self.dagster}/server_info to answer", timeout=timeout, interval=0.5,
                   log=self.log)
        return time.monotonic() - started

    @property
    def admin_headers(self) -> dict[str, str]:
        """``X-API-Key`` with the admin key ``salesops up`` made on its first start."""
        return {"X-API-Key": (self.root / "salesops" / "api-admin.key").read_text().strip()}

    def stop(self, sig: int = signal.SIGINT, *, timeout: float = 60) -> None:
        """SIGINT: ``salesops up`` stops what it started (a clean restart). SIGKILL: every
        process of the stack dies at once, in-flight runs included (a crash).

        After a clean stop, a code server still finishing a run (it outlives its parent until
        its executions end) gets 5 s, then is killed: nothing may outlive the test's cluster.
        """
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        if sig == signal.SIGKILL:
            kill_tree(proc)
            return
        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
        _, alive = psutil.wait_procs(family, timeout=5)
        for process in alive:
            _signal(process, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=10)

    def api_key(self, role: str = "viewer") -> str:
        out = salesops(["api-key", "create", "--role", role, "--name",
                        f"{role}-{time.time_ns()}"], self.env, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1]

    def drop(self, name: str, lines: Iterable[Line], expected: Expected) -> Path:
        """Write a workbook hidden, then rename it into the folder: an atomic drop."""
        hidden = self.folder / f".{name}.part"
        write_workbook(hidden, lines, expected=expected, key=name)
        return hidden.replace(self.folder / name)


# ---- generated sales and their figures ----------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One clean sales line; ``total_price`` = ``unit_price`` × ``units`` exactly."""

    sold_at: datetime
    product: str
    seller: str
    shipper: str | None
    unit_price: Decimal
    units: int

    @property
    def total_price(self) -> Decimal:
        return self.unit_price * self.units

    @property
    def day(self) -> date:
        return self.sold_at.date()


def generate_lines(seed: int, count: int, *, days: int = 28) -> Iterator[Line]:
    """``count`` reproducible lines over ``days`` days from FIRST_DAY (2 decimals, 1–9 units)."""
    rng = random.Random(seed)
    start = datetime.combine(FIRST_DAY, datetime.min.time())
    for _ in range(count):
        yield Line(start + timedelta(days=rng.randrange(days), seconds=rng.randrange(86_400)),
                   rng.choice(PRODUCTS), rng.choice(SELLERS),
                   rng.choice(SHIPPERS) if rng.random() < 0.9 else None,  # None: "UNKNOWN"
                   Decimal(rng.randrange(1, 500_000)) / 100, rng.randint(1, 9))


@dataclass
class Expected:
    """What the warehouse must hold, computed in Python (``Decimal``) from the generated lines.

    Accumulators are ``[revenue, units, lines]`` (shipping keeps units at 0: it has none).
    """

    files: dict[str, list] = field(default_factory=lambda: defaultdict(_money))
    daily: dict[date, list] = field(default_factory=lambda: defaultdict(_money))
    seller: dict[tuple[date, str], list] = field(default_factory=lambda: defaultdict(_money))
    product: dict[tuple[date, str], list] = field(default_factory=lambda: defaultdict(_money))
    shipping: dict[tuple[date, str], list] = field(default_factory=lambda: defaultdict(_money))
    missing_shipper: dict[date, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, key: str, line: Line) -> None:
        total, units, day = line.total_price, Decimal(line.units), line.day
        for acc in (self.files[key], self.daily[day], self.seller[day, line.seller],
                    self.product[day, line.product]):
            acc[0] += total
            acc[1] += units
            acc[2] += 1
        ship = self.shipping[day, line.shipper or "UNKNOWN"]
        ship[0] += total
        ship[2] += 1
        if line.shipper is None:
            self.missing_shipper[day] += 1

    def weekly(self, start: date, end: date) -> list[dict[str, str | int]]:
        """The API's /reports/weekly-summary rows for ``start``..``end``."""
        weeks: dict[date, list] = defaultdict(_money)
        for day, (revenue, units, lines) in self.daily.items():
            if start <= day <= end:
                acc = weeks[day - timedelta(days=day.weekday())]
                acc[0] += revenue
                acc[1] += units
                acc[2] += lines
        return [{"week_start": monday.isoformat(),
                 "week_end": (monday + timedelta(days=6)).isoformat(),
                 "revenue": revenue, "units": units, "line_count": lines}
                for monday, (revenue, units, lines) in sorted(weeks.items())]

    @property
    def lines(self) -> int:
        return sum(acc[2] for acc in self.files.values())


def _money() -> list:
    return [Decimal(0), Decimal(0), 0]


HEADER = ["Sold At", "Product", "Seller", "Unit Price", "Units", "Total Price",
          "Shipping Company"]


def write_workbook(path: Path, lines: Iterable[Line], *, expected: Expected | None = None,
                   key: str | None = None) -> Path:
    """Write ``lines`` under a header (row-streaming, bounded memory); add them to
    ``expected`` as the lines of file ``key`` (default: the file name)."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Sales")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, HEADER)
    for row, line in enumerate(lines, start=1):
        sheet.write_datetime(row, 0, line.sold_at, when)
        sheet.write_string(row, 1, line.product)
        sheet.write_string(row, 2, line.seller)
        sheet.write_number(row, 3, float(line.unit_price))
        sheet.write_number(row, 4, line.units)
        sheet.write_number(row, 5, float(line.total_price))
        if line.shipper is not None:
            sheet.write_string(row, 6, line.shipper)
        if expected is not None:
            expected.add(key or path.name, line)
    workbook.close()
    return path


# ---- the warehouse against the expectation ------------------------------------------------------


def _by_key(rows: list[tuple], width: int) -> dict:
    return {(r[0] if width == 1 else tuple(r[:width])): list(r[width:]) for r in rows}


def assert_warehouse(sql: Callable[..., list[tuple]], expected: Expected) -> None:
    """The facts, the import log and every report table hold exactly ``expected``: each file
    loaded once (one ``loaded`` import, nothing left running or staged; files only ever rejected
    or duplicate are not expected), the facts' totals per file, and the daily report rows per day,
    seller, product and shipping company."""
    files = sorted(expected.files)
    loaded = sql("SELECT source_file, count(*) FILTER (WHERE status = 'loaded'),"
                 " count(*) FILTER (WHERE status IN ('running', 'staged', 'failed'))"
                 " FROM salesops.import_log GROUP BY source_file"
                 " HAVING bool_or(status NOT IN ('rejected', 'duplicate')) ORDER BY 1")
    assert loaded == [(f, 1, 0) for f in files], "each file must have exactly one loaded import"
    facts = sql("SELECT source_file, sum(total_price), sum(units), count(*),"
                " count(DISTINCT source_row_number) FROM salesops.fact_sales_line"
                " GROUP BY source_file ORDER BY 1")
    assert {r[0]: list(r[1:4]) for r in facts} == dict(expected.files)
    assert all(r[3] == r[4] for r in facts), "a source row was loaded twice"
    assert sql("SELECT (SELECT count(*) FROM salesops.stage_sales_line),"
               " (SELECT count(*) FROM salesops.stage_name),"
               " (SELECT count(*) FROM salesops.report_dirty_day)") == [(0, 0, 0)]
    assert _by_key(sql("SELECT day, revenue, units, line_count"
                       " FROM salesops.report_daily_sales"), 1) == dict(expected.daily)
    assert _by_key(sql("SELECT day, seller, revenue, units, line_count"
                       " FROM salesops.report_daily_seller"), 2) == dict(expected.seller)
    assert _by_key(sql("SELECT day, product, revenue, units, line_count"
                       " FROM salesops.report_daily_product"), 2) == dict(expected.product)
    shipping = {k: [v[0], Decimal(0), v[1]] for k, v in _by_key(sql(
        "SELECT day, shipping_company, revenue, line_count"
        " FROM salesops.report_daily_shipping"), 2).items()}
    assert shipping == dict(expected.shipping)
    quality = sql("SELECT day, line_count, missing_shipping_company_count, mismatched_total_count"
                  " + nonpositive_units_count + negative_amount_count + rejected_row_count"
                  " FROM salesops.report_daily_quality")
    assert {r[0]: (r[1], r[2], r[3]) for r in quality} == {
        day: (acc[2], expected.missing_shipper.get(day, 0), 0)
        for day, acc in expected.daily.items()}


def report_snapshot(sql: Callable[..., list[tuple]]) -> dict[str, list[str]]:
    """Every report row and refresh record as text (fixed table names), to tell "unchanged"."""
    return {table: [r[0] for r in sql(f"SELECT to_jsonb(t)::text FROM salesops.{table} t"
                                      " ORDER BY 1")]
            for table in (*REPORT_TABLES, "report_refresh")}
