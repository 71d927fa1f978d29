"""Alert sensors: a failed run, and each failed asset-check evaluation, send one alert.

Both are on by default. ``run_failure_alerts`` is Dagster's run-failure sensor (its cursor over
run-status events sends each failure once); it watches every run on the instance
(``monitor_all_code_locations``), so runs that ``salesops ingest`` executes in its own process,
which carry no code location, alert like the daemon's. ``check_failure_alerts`` reads the
instance's event log for asset-check evaluations after its cursor, so each failed evaluation,
ERROR or WARN, is alerted once however many ticks see it. Destinations come from Settings
(SALESOPS_ALERT_WEBHOOK_URL, SALESOPS_ALERT_EMAIL_TO with SALESOPS_SMTP_*), read on each tick;
a destination that keeps failing is logged by core/notify/alerts.py and never fails a run or a tick.
An evaluation whose alert cannot be built or sent is logged with its storage id and skipped: the
cursor always moves past it, so it can neither block later alerts nor be sent twice.

Checks on a clock (``ALERT_ON_TRANSITION``: import_freshness, evaluated every hour) alert on the
transition to failing only: a failed evaluation alerts when the check's previous outcome passed
(or it has none); while it keeps failing, each further evaluation is logged, not alerted; after
it has passed again, the next failure alerts again.

A check that looked at the whole warehouse (report refreshes, weekly runs: scope "whole
warehouse", or a run about no file) finds the same problems on every refresh, so its failure is
alerted when its finding is new: the first time, when its severity or count changes, or after a
warehouse-wide evaluation of it has passed in between (core/notify/check_cursor.py keeps the
finding last alerted per check in the sensor's cursor). A check about a file or a week alerts on
each failure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from salesops_pipeline.core.notify.alerts import Alert, AlertConfig, deliver, run_link
from salesops_pipeline.core.notify.check_cursor import BadCursor, CheckCursor, finding
from salesops_pipeline.core.notify.figure_alerts import finding_alerts, forget
from salesops_pipeline.core.notify.mail import SmtpConfig, split_addresses
from salesops_pipeline.core.report.weeks import week_of_key
from salesops_pipeline.defs.checks import WHOLE_WAREHOUSE
from salesops_pipeline.defs.figure_checks import FIGURE_CHECKS
from salesops_pipeline.defs.freshness import import_freshness
from salesops_pipeline.defs.ingest import FILE_TAG
from salesops_pipeline.settings import Settings

WEEK_TAG = "salesops/week"  # the weekly job's tag (defs/schedules.py)
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
CHECKS_PER_TICK = 100
# Dagster drops a tick (and its cursor) past 60 s; a slow destination's retries must not make
# the sensor re-send what it already sent, so a tick stops taking records after this long.
TICK_BUDGET_SECONDS = 30.0
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
    """Which file (or files, or week) a run or check was about, from its partition and tags.

    A week's key (its Monday) names the week however the run was launched: the weekly schedule
    (which also tags WEEK_TAG), the job or asset launched for a partition, or a backfill."""
    if tags.get(WEEK_TAG):
        return f"week of {tags[WEEK_TAG]}"
    key = partition or tags.get(FILE_TAG) or tags.get(PARTITION_TAG)
    if key:
        return f"week of {key}" if week_of_key(key) else f"file {key}"
    first, last = (tags.get(t) for t in RANGE_TAGS)
    if first and last:
        if week_of_key(first) and week_of_key(last):
            return f"week of {first}" if first == last else f"weeks of {first} … {last}"
        return f"file {first}" if first == last else f"files {first} … {last}"
    return WHOLE_WAREHOUSE


def figures_of(metadata: Mapping[str, object]) -> dict[str, str]:
    """The check's metadata as text (counts, tolerance, scope; samples as given), each short."""
    out = {}
    for name, value in metadata.items():
        text = str(getattr(value, "value", value))
        out[name] = text if len(text) <= MAX_FIGURE_CHARS else text[:MAX_FIGURE_CHARS] + " …"
    return out


def alert_run_failure(context: RunFailureSensorContext) -> None:
    """Send the alert of one failed run: job, file or week, each failed step's error, link."""
    run = context.dagster_run
    settings = Settings()
    error = "; ".join([context.failure_event.message or "the run failed",
                       *_step_errors(context)])
    alert = Alert(title=f"run of {run.job_name} failed", severity="FAILURE",
                  subject=subject_of(run.tags), run_id=run.run_id,
                  link=run_link(settings.dagster_ui_base(), run.run_id),
                  detail=error, figures={"job": run.job_name}, kind="run")
    deliver(alert, alert_config(settings), context.log.info)


@run_failure_sensor(name="run_failure_alerts", default_status=DefaultSensorStatus.RUNNING,
                    monitor_all_code_locations=True,  # runs of `salesops ingest` have no location
                    description="Alert (webhook / e-mail / log) once for each failed run, "
                                "whoever launched it.")
def run_failure_alerts(context: RunFailureSensorContext) -> None:
    alert_run_failure(context)


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


def warehouse_wide(alert: Alert) -> bool:
    """Whether a check alert is about the whole warehouse rather than a file or a week."""
    return WHOLE_WAREHOUSE in (alert.subject, alert.figures.get("scope"))


def _check_alerts_of(context: SensorEvaluationContext, record: EventLogRecord,
                     state: CheckCursor, base_url: str) -> list[Alert]:
    """The alerts one event-log record calls for: a business-figure check's new findings one
    alert each (core/notify/figure_alerts.py), any other check's as :func:`_check_alert_of`."""
    event = record.event_log_entry.dagster_event
    evaluation = event.event_specific_data if event else None
    if not isinstance(evaluation, AssetCheckEvaluation):
        return []
    if evaluation.check_name not in FIGURE_CHECKS:
        alert = _check_alert_of(context, record, evaluation, state, base_url)
        return [] if alert is None else [alert]
    key = evaluation.asset_check_key.to_user_string()
    if evaluation.passed:
        forget(state, key)
        return []
    run = context.instance.get_run_by_id(record.run_id)
    base = check_alert(evaluation, record.run_id, run.tags if run else {}, base_url)
    findings = evaluation.metadata.get("findings")
    listed = getattr(findings, "value", None)
    return finding_alerts(key, base, listed if isinstance(listed, list) else [], state)


def _check_alert_of(context: SensorEvaluationContext, record: EventLogRecord,
                    evaluation: AssetCheckEvaluation, state: CheckCursor,
                    base_url: str) -> Alert | None:
    """The alert one check evaluation calls for (None: a pass, or a failure not to alert);
    keeps ``state``'s warehouse-wide findings up to date."""
    key = evaluation.asset_check_key.to_user_string()
    if evaluation.passed and key not in state.alerted:
        return None  # the common case: no run to look up
    if not evaluation.passed and _repeated_failure(context, evaluation, record.run_id):
        return None
    run = context.instance.get_run_by_id(record.run_id)
    alert = check_alert(evaluation, record.run_id, run.tags if run else {}, base_url)
    if not warehouse_wide(alert):
        return None if evaluation.passed else alert
    if evaluation.passed:
        state.passed(key)
        return None
    found = finding(alert.severity, alert.figures)
    if state.is_new(key, found):
        return alert
    context.log.info(f"{key} still finds {found} in the whole warehouse (run {record.run_id}): "
                     "alerted before, not again until it changes or passes")
    return None


def _start(context: SensorEvaluationContext) -> CheckCursor | SkipReason:
    """The cursor to read on from; on the first tick (or after an unreadable cursor) the sensor
    starts from now, not the whole history."""
    if context.cursor is not None:
        try:
            return CheckCursor.parse(context.cursor)
        except BadCursor as exc:
            context.log.error(f"{exc}: starting again from the latest check evaluation")
    start = CheckCursor(_latest_check_record_id(context))
    context.update_cursor(start.dump())
    return SkipReason(f"starting after check evaluation record {start.after}")


@sensor(name="check_failure_alerts", minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Alert (webhook / e-mail / log) once for each failed asset check, ERROR or "
                    "WARN (import_freshness: when it starts failing, not every hour; a "
                    "warehouse-wide finding: when it is new or changed).")
def check_failure_alerts(context: SensorEvaluationContext) -> SkipReason:
    state = _start(context)
    if isinstance(state, SkipReason):
        return state
    records = context.instance.event_log_storage.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=state.after),
        limit=CHECKS_PER_TICK, ascending=True)
    settings = Settings()
    config = alert_config(settings)
    failed_destinations: set[str] = set()
    sent = 0
    started = time.monotonic()
    for done, record in enumerate(records):
        if done and time.monotonic() - started > TICK_BUDGET_SECONDS:
            context.log.info(f"{len(records) - done} evaluation(s) left for the next tick: this "
                             f"one has run {TICK_BUDGET_SECONDS} s")
            break
        try:
            for alert in _check_alerts_of(context, record, state, settings.dagster_ui_base()):
                deliver(alert, config, context.log.info, skip=failed_destinations)
                sent += 1
        except Exception as exc:  # noqa: BLE001 - one bad record must not block the rest
            context.log.error(f"check evaluation record {record.storage_id} (run "
                              f"{record.run_id}) not alerted: {type(exc).__name__}: {exc}")
        state.after = record.storage_id
        context.update_cursor(state.dump())
    return SkipReason(f"{sent} failed check(s) alerted out of {len(records)} evaluation(s)")


alert_sensors = [run_failure_alerts, check_failure_alerts]
