"""One alert per restatement of a week already reported (exported or e-mailed by the weekly job).

Sent by the report refresh (defs/reports.py) right after it recorded the restatement, through the
alert destinations of every other alert (core/notify/alerts.py: webhook and/or e-mail, names
escaped there for where they are read). A restatement is marked alerted in the transaction that
sent it, so it goes out once; when every configured destination failed it stays unmarked and the
next refresh that restates a reported week sends it again with its own. With no destination
configured the alert is logged, and counts as sent.
"""

from collections.abc import Callable

from salesops_pipeline.core.notify.alerts import Alert, AlertConfig, deliver, run_link
from salesops_pipeline.core.report import restatement_queries as rq
from salesops_pipeline.core.report.queries import Row
from salesops_pipeline.core.report.restatement_text import alert_figures
from salesops_pipeline.core.report.week_files import ConnectionFetcher
from salesops_pipeline.defs.alerts import alert_config
from salesops_pipeline.defs.resources import WarehouseResource
from salesops_pipeline.settings import Settings

TITLE = "figures already reported were restated"


def restatement_alert(item: Row, *, run_id: str, link: str) -> Alert:
    """The alert of one restatement: the week, its figures before → after, the files."""
    return Alert(title=TITLE, severity="WARN", subject=f"week of {item['week_start']}",
                 run_id=run_id, link=link, kind="restatement",
                 detail=f"{item['iso_week']} changed after it was reported; "
                        "GET /reports/restatements has every difference",
                 figures=alert_figures(item))


def alert_restatements(warehouse: WarehouseResource, *, run_id: str, log: Callable[[str], None],
                       config: AlertConfig | None = None) -> int:
    """Send the alerts still due; return how many restatements were alerted."""
    settings = Settings()
    config = config or alert_config(settings)
    link = run_link(settings.dagster_ui_base(), run_id)
    with warehouse.connection() as conn:
        db = ConnectionFetcher(conn)
        done = []
        for item in rq.unalerted(db):
            outcomes = deliver(restatement_alert(item, run_id=run_id, link=link), config, log)
            if not outcomes or any(o.error is None for o in outcomes):
                done.append(item["restatement_id"])
        return len(db.fetch(rq.MARK_ALERTED, {"ids": done})) if done else 0
