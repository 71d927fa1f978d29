"""dagster-celery's run launcher, with a health check that notices a lost worker.

dagster-celery's ``CeleryRunLauncher.check_run_worker_health`` reads only the task's state in
the result backend. Its tasks are ``track_started``, so a worker killed in the middle of a run
(SIGKILL, OOM killer, a node lost) leaves the state at ``STARTED`` for ever: run monitoring
would call the run healthy and it would hang until ``max_runtime_seconds``. This launcher asks
the workers themselves (Celery's ``query_task`` broadcast, answered over the broker) whether any
of them holds the task; none does → ``FAILED``, and Dagster's run monitoring fails the run and
``run_retries`` launches it again (dagster.yaml, cli/scale.py). The workers run the threads pool
(one thread: one run at a time) so a busy worker still answers control commands.
"""

from __future__ import annotations

from dagster import DagsterRun
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster_celery.launcher import CeleryRunLauncher
from dagster_celery.tags import DAGSTER_CELERY_TASK_ID_TAG

QUERY_SECONDS = 2.0  # how long the broadcast waits for the workers' answers
QUERIES = 2  # a task no worker claims twice in a row is lost (one reply may be late)


class MonitoredCeleryRunLauncher(CeleryRunLauncher):
    """CeleryRunLauncher whose health check fails a run whose worker is gone."""

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        result = super().check_run_worker_health(run)
        if result.status != WorkerStatus.RUNNING:
            return result
        task_id = run.tags[DAGSTER_CELERY_TASK_ID_TAG]
        for _ in range(QUERIES):
            if self._held_by_a_worker(task_id):
                return result
        again = super().check_run_worker_health(run)  # it may have finished meanwhile
        if again.status != WorkerStatus.RUNNING:
            return again
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"Celery task {task_id} is STARTED but no live worker holds it (worker lost)")

    def _held_by_a_worker(self, task_id: str) -> bool:
        replies = self.celery.control.inspect(timeout=QUERY_SECONDS).query_task(task_id) or {}
        return any(task_id in (tasks or {}) for tasks in replies.values())
