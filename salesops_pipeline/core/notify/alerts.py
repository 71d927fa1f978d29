"""Failure alerts: one message per failed run or failed check, to a webhook and/or by e-mail.

Pure (no Dagster): the sensors in ``defs/alerts.py`` build an :class:`Alert` from what failed
and call :func:`deliver`. The webhook body is JSON with a ``text`` field, which Slack and Teams
incoming webhooks both show, plus the same facts as structured fields for other receivers.
A destination that fails is retried with exponential backoff; after the last attempt
:class:`AlertDeliveryFailed` is raised, and :func:`deliver` turns it into a logged outcome so
an alert never fails the import it reports on. With no destination, alerts are only logged.

Names in an alert (the file or week in ``subject``, error texts in ``detail``, figure values such
as samples) come from dropped files, so each is written for where it is read: in the webhook
``text`` by :func:`webhook_text` (Slack's ``&``, ``<``, ``>`` as entities, so ``<!channel>`` or
``<url|label>`` is shown, not acted on; the rest of Markdown escaped for Teams), in the e-mail on
one line each (the body is plain text; the subject header is put on one line by
core/notify/mail.py). The structured JSON fields (``subject``, ``detail``, ``figures``, …) are
data, JSON-encoded: they keep the names exactly as they are, for receivers that parse them.
Any error while sending one alert to one destination is logged and returned, never raised.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from salesops_pipeline.core.notify.mail import SmtpConfig, build_message, describe, send_message
from salesops_pipeline.core.report.render import markdown_text, one_line
from salesops_pipeline.errors import AlertDeliveryFailed, MailDeliveryFailed

__all__ = ["Alert", "AlertConfig", "Outcome", "deliver", "email_text", "post_webhook",
           "run_link", "webhook_body", "webhook_text"]

BACKOFF_FACTOR = 2.0
Log = Callable[[str], None]
SLACK_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def webhook_text(name: str) -> str:
    r"""``name`` as inert text in a Slack or Teams message: ``&``, ``<`` and ``>`` as entities
    (Slack's control sequences: mentions such as ``<!channel>``, links ``<url|label>``), then
    Markdown escaped (Teams renders ``[label](url)``), on one line.

    >>> webhook_text("<!channel> [Reset password](https://evil.example)")
    '&lt;!channel&gt; \\[Reset password\\](https://evil.example)'
    """
    return markdown_text("".join(SLACK_ENTITIES.get(c, c) for c in name))


def run_link(base_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI (``SALESOPS_DAGSTER_URL`` or the local webserver)."""
    return f"{base_url.rstrip('/')}/runs/{run_id}"


@dataclass(frozen=True)
class Alert:
    """What failed (``title``), how badly (``severity``: FAILURE for a run, ERROR or WARN for a
    check), which file or week it concerns, the key figures as shown to people, and the run."""

    title: str
    severity: str
    subject: str
    run_id: str
    link: str
    detail: str = ""
    figures: Mapping[str, str] = field(default_factory=dict)
    kind: str = "run"  # "run" or "check"

    def summary(self, name: Callable[[str], str] = one_line) -> str:
        """One line: the e-mail subject (and log line), and the first line of the webhook text."""
        return f"[SalesOps {self.severity}] {self.title} — {name(self.subject)}"

    def lines(self, name: Callable[[str], str] = one_line) -> list[str]:
        """The summary, detail, figures and run link, a line each; every name from outside
        (subject, detail, figure values) written by ``name`` for the target format."""
        out = [self.summary(name)]
        if self.detail:
            out.append(name(self.detail))
        out += [f"{key}: {name(value)}" for key, value in self.figures.items()]
        out.append(f"Run {self.run_id}: {self.link}")
        return out


def webhook_body(alert: Alert) -> dict[str, object]:
    """``{"text": ...}`` for Slack/Teams (names escaped by :func:`webhook_text`), and the same
    facts as fields for anything else: those are JSON data and keep the names as they are."""
    return {"text": "\n".join(alert.lines(webhook_text)), "kind": alert.kind,
            "title": alert.title, "severity": alert.severity, "subject": alert.subject,
            "detail": alert.detail, "figures": dict(alert.figures), "run_id": alert.run_id,
            "link": alert.link}


def email_text(alert: Alert) -> tuple[str, str]:
    """(subject, plain-text body) of the alert e-mail; each name on one line (plain text is not
    rendered, so nothing else needs escaping)."""
    return alert.summary(), "\n".join(alert.lines(one_line)[1:]) + "\n"


def post_webhook(url: str, body: Mapping[str, object], *, attempts: int = 3,
                 retry_seconds: float = 2.0, timeout_seconds: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """POST ``body`` as JSON; returns the attempts it took, or raises AlertDeliveryFailed.

    Any failure (refused, timeout, a non-2xx reply) is retried: webhook services answer 429/5xx
    when busy, and an alert is worth a few seconds' patience.
    """
    data = json.dumps(body).encode("utf-8")
    delay = retry_seconds
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                response.read()
            return attempt
        except (urllib.error.URLError, OSError) as exc:
            reason = _reason(exc)
            if attempt == attempts:
                raise AlertDeliveryFailed(
                    f"alert webhook {_safe(url)} failed after {attempt} attempt(s): {reason}; "
                    "check SALESOPS_ALERT_WEBHOOK_URL", attempts=attempt) from exc
            sleep(delay)
            delay *= BACKOFF_FACTOR
    raise AssertionError("unreachable: the loop returns or raises")


def _reason(exc: OSError) -> str:
    """The HTTP status, or the network error under urllib's wrapper."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return describe(exc.reason)
    return describe(exc)


def _safe(url: str) -> str:
    """The webhook URL without its path: Slack and Teams put the secret token there."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…"


@dataclass(frozen=True)
class AlertConfig:
    """Where alerts go: ``webhook_url`` and/or ``email_to`` with ``smtp``; neither: log only."""

    webhook_url: str = ""
    email_to: Sequence[str] = ()
    smtp: SmtpConfig | None = None
    attempts: int = 3
    retry_seconds: float = 2.0
    timeout_seconds: float = 10.0

    @property
    def destinations(self) -> list[str]:
        return (["webhook"] if self.webhook_url else []) + (
            ["email"] if self.email_to and self.smtp else [])


@dataclass(frozen=True)
class Outcome:
    """One destination's result: ``error`` is None when it was delivered."""

    destination: str
    attempts: int
    error: str | None = None


def deliver(alert: Alert, config: AlertConfig, log: Log, *,
            skip: set[str] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> list[Outcome]:
    """Send ``alert`` to every configured destination not in ``skip``, once each; never raises
    (a failure is logged and returned). A destination that failed to answer is added to ``skip``
    so the rest of a tick does not wait on it again; an error of this alert alone (a message that
    cannot be built) leaves the destination open for the next alert."""
    skip = skip if skip is not None else set()
    log(f"alert: {alert.summary()} ({alert.link})")
    if not config.destinations:
        log("alert logged only: set SALESOPS_ALERT_WEBHOOK_URL and/or SALESOPS_ALERT_EMAIL_TO "
            "(with SALESOPS_SMTP_HOST) to send it")
    outcomes: list[Outcome] = []
    for destination in config.destinations:
        if destination in skip:
            log(f"alert not sent to {destination}: it failed earlier in this tick")
            outcomes.append(Outcome(destination, 0, "skipped after an earlier failure"))
            continue
        try:
            attempts = _send(destination, alert, config, sleep)
        except (AlertDeliveryFailed, MailDeliveryFailed) as exc:
            skip.add(destination)
            log(f"alert delivery failed: {exc}")
            outcomes.append(Outcome(destination, exc.attempts, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad alert must not stop the others
            reason = f"{type(exc).__name__}: {exc}"
            log(f"alert not sent to {destination}: {reason}")
            outcomes.append(Outcome(destination, 0, reason))
        else:
            outcomes.append(Outcome(destination, attempts))
    return outcomes


def _send(destination: str, alert: Alert, config: AlertConfig,
          sleep: Callable[[float], None]) -> int:
    if destination == "webhook":
        return post_webhook(config.webhook_url, webhook_body(alert), attempts=config.attempts,
                            retry_seconds=config.retry_seconds,
                            timeout_seconds=config.timeout_seconds, sleep=sleep)
    assert config.smtp is not None
    subject, body = email_text(alert)
    message = build_message(config.smtp, to=list(config.email_to), subject=subject, body=body)
    return send_message(config.smtp, message, sleep=sleep).attempts
