"""`salesops up`: the whole local stack in the foreground, stopped cleanly on Ctrl-C.

PostgreSQL (embedded unless DATABASE_URL) → schema → sample workbook when the folder is empty →
Dagster webserver and daemon as separate processes (the production shape, not `dagster dev`) →
the API sidecar → the UI's front door (nginx, cli/door.py): the webserver listens on a private
Unix socket and people reach it only through the door, logged in with an admin key. Whatever
this command started, it stops, PostgreSQL included.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from salesops_pipeline.api.keys import ensure_local_admin_key
from salesops_pipeline.cli.door import door_of, find_nginx
from salesops_pipeline.core.config_check import check_configuration
from salesops_pipeline.core.db.bootstrap import init_databases
from salesops_pipeline.core.db.pgcluster import embedded_cluster
from salesops_pipeline.core.extract.intake.drops import is_drop
from salesops_pipeline.core.extract.sample import write_sample_workbook
from salesops_pipeline.errors import SalesOpsError
from salesops_pipeline.settings import PROJECT_ROOT, Settings, sqlalchemy_url

STOP_GRACE_SECONDS = 20


def stack_environment(settings: Settings) -> dict[str, str]:
    """Environment shared by every process of the stack (Dagster reads dagster.yaml from it)."""
    home = settings.home.resolve()
    env = {
        **os.environ,
        "DATABASE_URL": settings.warehouse_url(),
        "DAGSTER_PG_URL": sqlalchemy_url(settings.dagster_url()),
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(PROJECT_ROOT)),
        "SALESOPS_COMPUTE_LOG_DIR": str(home / "compute_logs"),
        "SALESOPS_ARTIFACT_DIR": str(home / "artifacts"),
        "SALES_DATA_DIR": str(settings.data_dir.resolve()),
        "SALESOPS_EXPORT_DIR": str(settings.export_dir.resolve()),
    }
    if settings.column_map_file is not None:  # the children run in PROJECT_ROOT
        env["SALESOPS_COLUMN_MAP"] = str(settings.column_map_file.resolve())
    return env


def ensure_sample(settings: Settings) -> Path | None:
    """Write the sample workbook when the data folder holds no workbook at all."""
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    if any(is_drop(p) for p in folder.rglob("*") if p.is_file()):
        return None
    return write_sample_workbook(folder / "sample_sales.xlsx")


def fail_orphaned_runs(env: dict[str, str]) -> int:
    """Mark runs left STARTING/STARTED by a previous stack that died as failed, so Dagster's
    run retries (dagster.yaml `run_retries`) launch them again.

    Safe here because `salesops up` is a single-machine deployment: every run worker of the
    previous stack was a child of processes that are gone. The default run launcher cannot
    tell run monitoring that a worker died, so without this such runs would stay STARTED forever.
    """
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with DagsterInstance.get() as instance:
            records = instance.get_run_records(RunsFilter(statuses=[
                DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]))
            for record in records:
                instance.report_run_failed(
                    record.dagster_run,
                    "run worker gone: the previous `salesops up` stopped while this run was in "
                    "flight; Dagster retries it")
            return len(records)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _spawn(name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    print(f"starting {name}: {' '.join(cmd)}", flush=True)
    # Own process group: Ctrl-C reaches us once, and we stop the children in order.
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, start_new_session=True)


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (the webserver behind the door)."""

    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=2)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


def _wait_socket(path: Path, url_path: str, timeout: float) -> bool:
    """Wait until the server on the Unix socket ``path`` answers ``GET url_path`` with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = _UnixHTTPConnection(path)
        try:
            conn.request("GET", url_path)
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.5)
    return False


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, proc in procs.items():
        if proc.poll() is None:
            print(f"stopping {name} …", flush=True)
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_stack(settings: Settings, *, workers: int = 0, replica: bool = False) -> int:
    """Run until Ctrl-C (or SIGTERM) or until a child dies; return the exit code. ``workers``:
    the scale-out profile with that many Celery run workers; ``replica``: the API reads a hot
    standby of the embedded cluster (cli/scale.py)."""
    if workers < 0:
        raise SalesOpsError("--workers takes a number of workers, 0 or more")
    check_configuration(settings)  # a bad column map or threshold stops start-up here
    nginx = find_nginx()  # the UI's front door (installed when root and missing)
    door = door_of(settings)
    cluster = embedded_cluster(settings)
    was_running = settings.embedded and cluster.is_initialized() and cluster.is_running()
    for line in init_databases(settings):
        print(line, flush=True)
    key_file = settings.home.resolve() / "api-admin.key"
    admin_key = ensure_local_admin_key(settings.warehouse_url(), key_file)
    sample = ensure_sample(settings) if settings.seed_sample else None
    if sample:
        print(f"wrote sample workbook {sample}", flush=True)
    env = stack_environment(settings)
    standby = None
    if replica:
        from salesops_pipeline.cli.scale import start_standby

        standby, env["SALESOPS_API_REPLICA_URL"] = start_standby(settings)
    orphans = fail_orphaned_runs(env)
    if orphans:
        print(f"{orphans} run(s) of a stack that died were marked failed (Dagster retries them)",
              flush=True)
    bindir = Path(sys.executable).parent
    host = "127.0.0.1"
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code = 0
    try:
        workspace = str(PROJECT_ROOT / "workspace.yaml")
        restartable: dict[str, list[str]] = {}  # the profile's code server, workers, Redis
        if workers:
            workspace = str(_scale_out(settings, env, procs, restartable, bindir, workers))
        procs["dagster-daemon"] = _spawn(
            "dagster-daemon", [str(bindir / "dagster-daemon"), "run", "-w", workspace], env)
        door.prepare()
        procs["dagster-webserver"] = _spawn(
            "dagster-webserver", [sys.executable, "-m", "salesops_pipeline.cli.webserver",
                                  "--uds", str(door.socket), "-w", workspace], env)
        procs["api"] = _spawn(
            "api", [str(bindir / "uvicorn"), "salesops_pipeline.api.main:app", "--host", host,
                    "--port", str(settings.api_port)], env)
        procs["ui-door"] = _spawn("ui-door (nginx)", door.command(nginx), env)
        dagster_url = settings.dagster_ui_base()
        api_url = f"http://{host}:{settings.api_port}"
        ok = (_wait_socket(door.socket, "/server_info", 120)
              and _wait_http(api_url + "/health", 60)
              and _wait_http(door.url + "/_salesops/login", 30))
        print("\n" + "=" * 60, flush=True)
        login = "the admin key below" if admin_key else "an admin API key"
        print(f"  Dagster UI : {dagster_url}   (log in with {login})"
              + ("" if ok else "  (not answering yet)"))
        print(f"  Dashboard  : {api_url}/   (paste the admin key below)")
        print(f"  API        : {api_url}/docs   (health: {api_url}/health)")
        print(f"  Data folder: {settings.data_dir.resolve()}")
        if admin_key:
            print(f"  API admin key (X-API-Key; also in {key_file}):\n    {admin_key}")
        print("  Ctrl-C stops everything started here.")
        print("=" * 60 + "\n", flush=True)
        while not stopping:
            dead = [n for n, p in procs.items() if p.poll() is not None]
            for name in [n for n in dead if n in restartable]:
                print(f"{name} exited (code {procs[name].returncode}); starting it again",
                      flush=True)
                procs[name] = _spawn(name, restartable[name], env)
                _write_pid(settings, name, procs[name])
                dead.remove(name)
            if dead:
                print(f"{', '.join(dead)} exited unexpectedly; stopping the stack", flush=True)
                code = 1
                break
            time.sleep(0.5)
    finally:
        _stop(procs)
        if standby is not None:
            standby.stop()
        if settings.embedded and not was_running:
            cluster.stop()
            print("PostgreSQL stopped.", flush=True)
    return code


def _scale_out(settings: Settings, env: dict[str, str], procs: dict[str, subprocess.Popen[bytes]],
               restartable: dict[str, list[str]], bindir: Path, workers: int) -> Path:
    """Start Redis (unless SALESOPS_CELERY_BROKER_URL), the code server and the workers; point
    ``env`` at the profile's Dagster instance; return the workspace that names the code server.

    The code server, the workers and Redis are ``restartable``: when one exits (a deploy stops
    it, or it died) it is started again with the same command and a new pid file in
    SALESOPS_HOME/scale/ (docs/deploy.md); the rest of the stack keeps running."""
    from salesops_pipeline.cli import scale
    from salesops_pipeline.core.redis_server import find_redis_server

    broker = settings.celery_broker_url.get_secret_value()
    redis_command: list[str] = []
    if not broker:
        redis = scale.local_redis(settings)
        redis_command = redis.command(find_redis_server())
        procs["redis"] = _spawn("redis", redis_command, env)
        redis.wait(30)
        broker = redis.url()
    env["SALESOPS_CELERY_BROKER_URL"] = broker
    env["DAGSTER_HOME"] = str(scale.write_instance(settings, Path(env["DAGSTER_HOME"])))
    workspace = scale.write_workspace(settings)
    restartable["code-server"] = scale.code_server_command(bindir, settings)
    for n in range(1, workers + 1):
        restartable[f"worker{n}"] = scale.worker_command(bindir, n)
    for name, command in restartable.items():
        procs[name] = _spawn(name, command, env)
        _write_pid(settings, name, procs[name])
    if redis_command:  # restarted like the others (its append-only file keeps the queue)
        restartable["redis"] = redis_command
        _write_pid(settings, "redis", procs["redis"])
    return workspace


def _write_pid(settings: Settings, name: str, proc: subprocess.Popen[bytes]) -> None:
    from salesops_pipeline.cli.scale import profile_home

    (profile_home(settings) / f"{name}.pid").write_text(f"{proc.pid}\n")
