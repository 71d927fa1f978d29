"""The Celery app of the run workers (`salesops up --workers N`; dagster-celery's tasks).

Dagster's CeleryRunLauncher (the profile's dagster.yaml, cli/scale.py) sends each run to the
broker as one ``execute_job`` task; a worker started with ``celery -A
salesops_pipeline.defs.celery_worker worker`` takes it and executes the whole run in its own
process (the ingest job's in-process executor, unchanged). The broker and result backend are
SALESOPS_CELERY_BROKER_URL. Each run is tagged with the worker that took it
(``salesops/worker``), so the UI shows where a run ran.
"""

from __future__ import annotations

from typing import Any

from celery.signals import task_prerun
from dagster import DagsterInstance
from dagster._grpc.types import ExecuteRunArgs, ResumeRunArgs
from dagster._serdes import unpack_value
from dagster_celery.config import DEFAULT_CONFIG
from dagster_celery.defaults import task_default_queue
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_execute_job_task, create_resume_job_task

from salesops_pipeline.settings import Settings

WORKER_TAG = "salesops/worker"
_BROKER = Settings().celery_broker_url.get_secret_value() or None

app = make_app(app_args={"broker": _BROKER, "backend": _BROKER, "include": [],
                         "config_source": dict(DEFAULT_CONFIG),
                         "task_default_queue": task_default_queue})
execute_job = create_execute_job_task(app)
resume_job = create_resume_job_task(app)


@task_prerun.connect
def _tag_worker(sender: Any = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    """Name the worker on the run before it starts (best effort: the run matters more)."""
    packed = (kwargs or {}).get("execute_job_args_packed")
    if packed is None:
        return
    try:
        args = unpack_value(packed, as_type=(ExecuteRunArgs, ResumeRunArgs))
        with DagsterInstance.get() as instance:
            instance.add_run_tags(args.run_id, {WORKER_TAG: sender.request.hostname})
    except Exception:  # noqa: BLE001, S110 - a tag is not worth failing a run for
        pass
