"""Alert sensors: a failed run, and each failed asset-check evaluation, send one alert.

Both are on by default. ``run_failure_alerts`` is Dagster's run-failure sensor (its cursor over
run-status events sends each failure once). ``check_failure_alerts`` reads the instance's event
log for asset-check evaluations after its cursor (a storage id), so each failed evaluation,
ERROR or WARN, is alerted once however many ticks see it. Destinations come from Settings
(SALESOPS_ALERT_WEBHOOK_URL, SALESOPS_ALERT_EMAIL_TO with SALESOPS_SMTP_*), read on each tick;
a destination that keeps failing is logged by core/notify/alerts.py and never fails a run or a tick.

Checks on a clock (``ALERT_ON_TRANSITION``: import_freshness, evaluated every hour) alert on the
transition to failing only: a failed evaluation alerts when the check's previous outcome passed
(or it has none); while it keeps failing, each further evaluation is logged, not alerted; after
it has passed again, the next failure alerts again. Every other check alerts on each failure (one
evaluation is about one run's files).
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from salesops_pipeline.core.notify.alerts import Alert, AlertConfig, deliver, run_link
from salesops_pipeline.core.notify.mail import SmtpConfig, split_addresses
from salesops_pipeline.defs.freshness import import_freshness
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline.settings import Settings

WEEK_TAG = "salesops/week"  # the weekly job's tag (defs/schedules.py)
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
CHECKS_PER_TICK = 100
MAX_FIGURE_CHARS = 200
ALERT_ON_TRANSITION = frozenset({import_freshness.check_key})
HISTORY = 50  # executions of such a check looked at for its previous outcome


def alert_config(settings: Settings) -> AlertConfig:
    """The destinations configured now (nothing set: alerts are logged only)."""
    to = split_addresses(settings.alert_email_to)
    smtp = None
    if to and settings.smtp_host:
        smtp = SmtpConfig(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            user=settings.smtp_user, password=settings.smtp_password.get_secret_value(),
            sender=settings.smtp_from or (settings.smtp_user if "@" in settings.smtp_user
                                          else ""),
            attempts=settings.smtp_attempts, retry_seconds=settings.smtp_retry_seconds,
            timeout_seconds=settings.smtp_timeout_seconds)
    return AlertConfig(webhook_url=settings.alert_webhook_url, email_to=tuple(to), smtp=smtp,
                       attempts=settings.alert_attempts,
                       retry_seconds=settings.alert_retry_seconds)


def subject_of(tags: Mapping[str, str], partition: str | None = None) -> str:
    """Which file (or files, or week) a run or check was about, from its partition and tags."""
    if tags.get(WEEK_TAG):  # a weekly run: its partition is the week, not a file
        return f"week of {tags[WEEK_TAG]}"
    file = partition or tags.get(FILE_TAG) or tags.get(PARTITION_TAG)
    if file:
        return f"file {file}"
    first, last = (tags.get(t) for t in RANGE_TAGS)
    if first and last:
        return f"file {first}" if first == last else f"files {first} … {last}"
    return "whole warehouse"


def figures_of(metadata: Mapping[str, object]) -> dict[str, str]:
    """The check's metadata as text (counts, tolerance, scope; samples as given), each short."""
    out = {}
    for name, value in metadata.items():
        text = str(getattr(value, "value", value))
        out[name] = text if len(text) <= MAX_FIGURE_CHARS else text[:MAX_FIGURE_CHARS] + " …"
    return out


@run_failure_sensor(name="run_failure_alerts", default_status=DefaultSensorStatus.RUNNING,
                    description="Alert (webhook / e-mail / log) once for each failed run.")
def run_failure_alerts(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    settings = Settings()
    error = "; ".join([context.failure_event.message or "the run failed",
                       *_step_errors(context)])
    alert = Alert(title=f"run of {run.job_name} failed", severity="FAILURE",
                  subject=subject_of(run.tags), run_id=run.run_id,
                  link=run_link(settings.dagster_ui_base(), run.run_id),
                  detail=error, figures={"job": run.job_name}, kind="run")
    deliver(alert, alert_config(settings), context.log.info)


def _step_errors(context: RunFailureSensorContext) -> list[str]:
    """Each failed step and its error's first line (what to fix), from the run's event log."""
    out = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:  # Dagster wraps the user's error
            error = error.cause
        first = error.message.strip().splitlines()[0] if error and error.message else "failed"
        out.append(f"{event.step_key}: {first}")
    return out


def _latest_check_record_id(context: SensorEvaluationContext) -> int:
    records = context.instance.event_log_storage.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION), limit=1, ascending=False)
    return records[0].storage_id if records else 0


def check_alert(evaluation: AssetCheckEvaluation, run_id: str, tags: Mapping[str, str],
                base_url: str) -> Alert:
    """The alert for one failed check evaluation (its severity, check, asset, file, figures)."""
    severity = evaluation.severity.value
    asset = evaluation.asset_key.to_user_string()
    return Alert(title=f"{severity} check {evaluation.check_name} on {asset} failed",
                 severity=severity, subject=subject_of(tags, evaluation.partition),
                 run_id=run_id, link=run_link(base_url, run_id),
                 detail=evaluation.description or "", figures=figures_of(evaluation.metadata),
                 kind="check")


def failing_before(instance: DagsterInstance, key: AssetCheckKey, run_id: str) -> bool:
    """Whether the check's last outcome before its evaluation in ``run_id`` was a failure (runs
    whose check did not finish, e.g. a crash the run alert reports, are no outcome). Unknown
    history counts as passing, so a doubt alerts rather than stays silent."""
    history = instance.event_log_storage.get_asset_check_execution_history(key, limit=HISTORY)
    runs = [execution.run_id for execution in history]
    if run_id not in runs:
        return False
    for earlier in history[runs.index(run_id) + 1:]:
        event = earlier.event.dagster_event if earlier.event else None
        outcome = event.event_specific_data if event else None
        if isinstance(outcome, AssetCheckEvaluation):
            return not outcome.passed
    return False


def _repeated_failure(context: SensorEvaluationContext, evaluation: AssetCheckEvaluation,
                      run_id: str) -> bool:
    """A failure of an ALERT_ON_TRANSITION check that already failed before: logged only."""
    key = evaluation.asset_check_key
    if key not in ALERT_ON_TRANSITION or not failing_before(context.instance, key, run_id):
        return False
    context.log.info(f"{key.name} still failing (run {run_id}): alerted when it started "
                     "failing, not again until it has passed")
    return True


@sensor(name="check_failure_alerts", minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Alert (webhook / e-mail / log) once for each failed asset check, ERROR or "
                    "WARN (import_freshness: when it starts failing, not every hour).")
def check_failure_alerts(context: SensorEvaluationContext) -> SkipReason:
    if context.cursor is None:  # first tick: start from now, not the whole history
        start = _latest_check_record_id(context)
        context.update_cursor(str(start))
        return SkipReason(f"starting after check evaluation record {start}")
    records = context.instance.event_log_storage.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION,
                           after_cursor=int(context.cursor)),
        limit=CHECKS_PER_TICK, ascending=True)
    settings = Settings()
    config = alert_config(settings)
    failed_destinations: set[str] = set()
    sent = 0
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if (isinstance(evaluation, AssetCheckEvaluation) and not evaluation.passed
                and not _repeated_failure(context, evaluation, record.run_id)):
            run = context.instance.get_run_by_id(record.run_id)
            alert = check_alert(evaluation, record.run_id, run.tags if run else {},
                                settings.dagster_ui_base())
            deliver(alert, config, context.log.info, skip=failed_destinations)
            sent += 1
        context.update_cursor(str(record.storage_id))
    return SkipReason(f"{sent} failed check(s) alerted out of {len(records)} evaluation(s)")


alert_sensors = [run_failure_alerts, check_failure_alerts]
