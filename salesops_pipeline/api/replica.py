"""Reading from a hot standby (SALESOPS_API_REPLICA_URL): how far behind it is, and when that is
too far to serve.

The lag is measured on the server the API reads, in the statement that reads the key and the
report-refresh state (api/keys.py), so it costs no round trip: 0 when everything the standby
received is replayed, else the seconds since the last transaction it replayed was committed on
the primary; NULL on a primary. Past SALESOPS_API_MAX_REPLICA_LAG_SECONDS a request gets 503
with the lag and the limit in the reason instead of figures that old.

Revalidation stays right on a standby without anything added: the ETag is derived from the
``report_refresh`` row the standby has replayed, read before the body from the same server, and
a refresh replays atomically (report tables and its ``report_refresh`` row are one
transaction), so a tag never names figures the standby has not replayed; it changes when the
standby replays the next refresh.
"""

from __future__ import annotations

from salesops_pipeline.core.db.connect import WarehouseUnavailable

#: Seconds the server is behind its primary (NULL: not a standby). Executable by any role.
LAG_SQL = """CASE WHEN NOT pg_is_in_recovery() THEN NULL
                 WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))
             END"""


class ReplicaBehind(WarehouseUnavailable):
    """The standby the API reads is further behind than the configured limit."""


def check_lag(lag: float | None, limit: float) -> None:
    """ReplicaBehind (HTTP 503) when ``lag`` exceeds ``limit`` seconds."""
    if lag is not None and lag > limit:
        raise ReplicaBehind(
            f"the read replica is {lag:.1f} s behind the primary (limit "
            f"SALESOPS_API_MAX_REPLICA_LAG_SECONDS={limit:g}); its figures would be that old")
