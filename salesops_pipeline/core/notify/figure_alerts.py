"""One alert per unusual business figure (defs/figure_checks.py), each sent once while its week
and figures stay the same.

A business-figure check's evaluation lists its findings (``findings`` metadata: name, kind,
week, revenue, median, …). The check-alert sensor's cursor (core/notify/check_cursor.py) keeps,
per finding (``<check key>:<name>``), what was last alerted; a finding is alerted again only
when its week or figures change, or after it was gone in between. A finding gone from the
latest evaluation, or the check passing, forgets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from salesops_pipeline.core.notify.alerts import Alert
from salesops_pipeline.core.notify.check_cursor import CheckCursor

__all__ = ["finding_alerts", "forget"]


def _key(check: str, name: str) -> str:
    return f"{check}:{name}"


def forget(state: CheckCursor, check: str, keep: frozenset[str] = frozenset()) -> None:
    """Forget the alerted findings of ``check`` except those keyed in ``keep``."""
    for key in [k for k in state.alerted if k.startswith(check + ":") and k not in keep]:
        state.passed(key)


def finding_alerts(check: str, base: Alert, findings: Sequence[Mapping[str, str]],
                   state: CheckCursor) -> list[Alert]:
    """The alerts of the findings not yet alerted with these figures; ``base`` is the check's
    own alert (severity, run, link), each finding's alert names it and shows its figures."""
    forget(state, check, frozenset(_key(check, f["name"]) for f in findings))
    out = []
    for found in findings:
        figures = {k: str(v) for k, v in found.items() if v != ""}
        text = " ".join(f"{k}={v}" for k, v in sorted(figures.items()))
        if not state.is_new(_key(check, found["name"]), f"{base.severity} {text}"):
            continue
        out.append(replace(
            base, title=f"{base.severity} unusual figure: {found['kind']} of {found['name']}",
            subject=f"week of {found['week']}", detail=base.title, figures=figures))
    return out
