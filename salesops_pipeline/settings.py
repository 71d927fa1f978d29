"""All configuration, read from the environment (and an optional `.env`), validated once.

No credentials live in the repository: the embedded cluster's password is generated at creation
and kept in ``$SALESOPS_HOME/pg.password``; an external server comes in through DATABASE_URL.
This module imports nothing from core/ (import-linter checks it; values only core can read, the
column map and the quality thresholds, are checked by core/config_check.py at start-up): core/
reads its configuration from here, so the URLs
derived from the settings (the embedded cluster's, the read-only role's) are built here and
core/db/ uses these builders.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from salesops_pipeline.defaults import DEFAULT_PARSE_MEMORY_MB
from salesops_pipeline.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COLUMN_MAP = PROJECT_ROOT / "column_map.toml"
EMBEDDED_SUPERUSER = "salesops"  # the embedded cluster's superuser (core/db/pgcluster.py)
READER = "salesops_reader"  # the API's read-only role (core/db/roles.py creates it)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")  # a DNS name or IPv4 address, no port


def sql_dir() -> Path:
    """The numbered SQL files: the repo's top-level `sql/`, or the copy shipped in the wheel."""
    for candidate in (PROJECT_ROOT / "sql", Path(__file__).resolve().parent / "sql"):
        if (candidate / "01_create_tables.sql").exists():
            return candidate
    raise ConfigError("sql/01_create_tables.sql not found; is the package installed from the repo?")


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ConfigError(f"DATABASE_URL names no database: {redact(url)}")
    return name


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg2 driver named: SQLAlchemy 2.1 defaults `postgresql://` to psycopg 3,
    but dagster-postgres is built on psycopg2 (Dagster's storage reads DAGSTER_PG_URL through
    SQLAlchemy; the project's own code uses psycopg 3)."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg2{sep}{rest}"
    return url


def embedded_password_file(home: Path) -> Path:
    """Where the embedded cluster in ``home`` keeps the password generated at its creation."""
    return home / "pg.password"


def embedded_url(home: Path, port: int, dbname: str = "salesops") -> str:
    """The URL of ``dbname`` on the embedded cluster in ``home`` (its password file must exist)."""
    password = quote(embedded_password_file(home).read_text().strip(), safe="")
    return f"postgresql://{EMBEDDED_SUPERUSER}:{password}@127.0.0.1:{port}/{dbname}"


def reader_url(warehouse_url: str, password: str) -> str:
    """The warehouse URL with the read-only role's credentials."""
    parts = urlsplit(warehouse_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{READER}:{quote(password, safe='')}@{host}"))


def redact(url: str) -> str:
    """The URL with its password replaced, safe for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class Settings(BaseSettings):
    """Every environment variable the system reads; the README's configuration table mirrors it."""

    # No populate_by_name: fields are read only under their documented names, so an unrelated
    # variable that happens to match a field name (HOME → home) is never picked up.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    api_database_url: str | None = Field(default=None, validation_alias="SALESOPS_API_DATABASE_URL")
    dagster_database_url: str | None = Field(
        default=None, validation_alias="SALESOPS_DAGSTER_DATABASE_URL")
    home: Path = Field(default=Path(".salesops"), validation_alias="SALESOPS_HOME")
    pg_port: int = Field(default=5433, validation_alias="SALESOPS_PG_PORT")
    data_dir: Path = Field(default=Path("data/incoming"),
                           validation_alias=AliasChoices("SALES_DATA_DIR"))
    data_file: Path | None = Field(default=None, validation_alias="SALES_DATA_FILE")
    export_dir: Path = Field(default=Path("data/exports"), validation_alias="SALESOPS_EXPORT_DIR")
    dagster_port: int = Field(default=3000, validation_alias="SALESOPS_DAGSTER_PORT")
    api_port: int = Field(default=8000, validation_alias="SALESOPS_API_PORT")
    price_tolerance: Decimal = Field(default=Decimal("0.01"),
                                     validation_alias="SALESOPS_PRICE_TOLERANCE")
    sensor_interval_seconds: int = Field(default=30,
                                         validation_alias="SALESOPS_SENSOR_INTERVAL_SECONDS")
    weekly_cron: str = Field(default="0 6 * * 1", validation_alias="SALESOPS_WEEKLY_CRON")
    timezone: str = Field(default="UTC", validation_alias="SALESOPS_TIMEZONE")
    max_import_age_hours: int = Field(default=168, validation_alias="SALESOPS_MAX_IMPORT_AGE_HOURS")
    settle_seconds: float = Field(default=10.0, ge=0, validation_alias="SALESOPS_SETTLE_SECONDS")
    ingest_batch_files: int = Field(default=25, ge=1, le=1000,
                                    validation_alias="SALESOPS_INGEST_BATCH_FILES")
    own_partition_rows: int = Field(default=100_000, ge=0,
                                    validation_alias="SALESOPS_OWN_PARTITION_ROWS")
    seed_sample: bool = Field(default=True, validation_alias="SALESOPS_SEED_SAMPLE")
    nightly_cron: str = Field(default="30 2 * * *", validation_alias="SALESOPS_NIGHTLY_CRON")
    run_history_days: int = Field(default=90, ge=1, validation_alias="SALESOPS_RUN_HISTORY_DAYS")
    # Address space (RLIMIT_AS) of the process that parses one file (extract/memory_cap.py).
    # Measured: a 1,000,000-row workbook peaks at 690 MB virtual (VmPeak) in the capped child, so
    # 4096 leaves room for the 5M-row limit (~3.5 GB); a bomb that slips past the zip bounds
    # dies there instead of taking the machine (24 GB) down.
    parse_memory_mb: int = Field(default=DEFAULT_PARSE_MEMORY_MB, ge=256,
                                 validation_alias="SALESOPS_PARSE_MEMORY_MB")
    # Header spellings users add (extract/header/column_map.py); None: DEFAULT_COLUMN_MAP if
    # present.
    column_map_file: Path | None = Field(default=None, validation_alias="SALESOPS_COLUMN_MAP")
    # Order of numeric text dates (11/01/2026) in a table whose own values do not decide it
    # (extract/rows/date_order.py): dmy (day first), mdy (month first) or auto (quarantine them).
    date_order: Literal["dmy", "mdy", "auto"] = Field(default="auto",
                                                      validation_alias="SALESOPS_DATE_ORDER")

    @field_validator("date_order", mode="before")
    @classmethod
    def _date_order_words(cls, value: object) -> object:
        """DMY, " mdy " and an empty value (auto) are accepted."""
        if isinstance(value, str):
            return value.strip().lower() or "auto"
        return value

    @field_validator("column_map_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """SALESOPS_COLUMN_MAP= (empty) means the default location, not the current folder."""
        return None if isinstance(value, str) and not value.strip() else value

    def column_map_location(self) -> tuple[Path, bool]:
        """The column map file and whether it was configured: a configured file must exist, the
        default one is optional (built-in spellings only)."""
        if self.column_map_file is not None:
            return self.column_map_file, True
        return DEFAULT_COLUMN_MAP, False

    @property
    def embedded(self) -> bool:
        """True when the project runs its own PostgreSQL (no DATABASE_URL given)."""
        return not self.database_url

    def warehouse_url(self) -> str:
        if self.database_url:
            return self.database_url
        home = self.home.resolve()
        if not embedded_password_file(home).exists():
            raise ConfigError(
                "DATABASE_URL is not set and the embedded cluster does not exist yet: "
                "run `salesops db init` (or `make up`), or set DATABASE_URL.")
        return embedded_url(home, self.pg_port, "salesops")

    @property
    def reader_password_file(self) -> Path:
        return self.home.resolve() / "api-reader.password"

    def api_url(self) -> str:
        """What the API connects with: SALESOPS_API_DATABASE_URL, else the read-only role that
        `salesops db init` created, else (no role yet) the warehouse URL."""
        if self.api_database_url:
            return self.api_database_url
        if self.reader_password_file.exists():
            return reader_url(self.warehouse_url(), self.reader_password_file.read_text().strip())
        return self.warehouse_url()

    def dagster_url(self) -> str:
        if self.dagster_database_url:
            return self.dagster_database_url
        warehouse = self.warehouse_url()
        return with_database(warehouse, database_name(warehouse) + "_dagster")

    # -- API sidecar (appended) -----------------------------------------------------------------
    # Most connections of the API's one pool (before: two pools of 16): as many as requests in
    # flight under load, so requests rarely queue inside the pool.
    api_pool_size: int = Field(default=32, ge=1, le=100, validation_alias="SALESOPS_API_POOL_SIZE")
    # Connections the API keeps open even when idle (at most api_pool_size).
    api_pool_min_size: int = Field(default=2, ge=0, le=100,
                                   validation_alias="SALESOPS_API_POOL_MIN_SIZE")
    api_pool_timeout_seconds: float = Field(
        default=5.0, gt=0, validation_alias="SALESOPS_API_POOL_TIMEOUT_SECONDS")
    api_statement_timeout_ms: int = Field(
        default=5000, ge=100, validation_alias="SALESOPS_API_STATEMENT_TIMEOUT_MS")
    api_connect_timeout_seconds: int = Field(
        default=3, ge=1, validation_alias="SALESOPS_API_CONNECT_TIMEOUT_SECONDS")

    # -- Weekly report e-mail (appended) --------------------------------------------------------
    # Delivery happens when SALESOPS_REPORT_EMAIL_TO and SALESOPS_SMTP_HOST are both set.
    report_email_to: str = Field(default="", validation_alias="SALESOPS_REPORT_EMAIL_TO")
    smtp_host: str = Field(default="", validation_alias="SALESOPS_SMTP_HOST")
    smtp_port: int = Field(default=587, ge=1, le=65535, validation_alias="SALESOPS_SMTP_PORT")
    smtp_user: str = Field(default="", validation_alias="SALESOPS_SMTP_USER")
    # Never logged or shown: the Dagster resource reads it through EnvVar (notify/mail.py hides it).
    smtp_password: SecretStr = Field(default=SecretStr(""),
                                     validation_alias="SALESOPS_SMTP_PASSWORD")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", validation_alias="SALESOPS_SMTP_SECURITY")
    smtp_from: str = Field(default="", validation_alias="SALESOPS_SMTP_FROM")
    smtp_attempts: int = Field(default=3, ge=1, le=10, validation_alias="SALESOPS_SMTP_ATTEMPTS")
    smtp_retry_seconds: float = Field(default=5.0, ge=0,
                                      validation_alias="SALESOPS_SMTP_RETRY_SECONDS")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0,
                                        validation_alias="SALESOPS_SMTP_TIMEOUT_SECONDS")


    # -- Failure alerts (appended) --------------------------------------------------------------
    # A failed run or failed check is posted to the webhook and/or e-mailed (SALESOPS_SMTP_*);
    # with neither set, alerts are only logged by the sensors.
    alert_webhook_url: str = Field(default="", validation_alias="SALESOPS_ALERT_WEBHOOK_URL")
    alert_email_to: str = Field(default="", validation_alias="SALESOPS_ALERT_EMAIL_TO")
    # Base of the run links in alerts; empty: http://127.0.0.1:<SALESOPS_DAGSTER_PORT>.
    dagster_ui_url: str = Field(default="", validation_alias="SALESOPS_DAGSTER_URL")
    alert_attempts: int = Field(default=3, ge=1, le=10, validation_alias="SALESOPS_ALERT_ATTEMPTS")
    alert_retry_seconds: float = Field(default=2.0, ge=0,
                                       validation_alias="SALESOPS_ALERT_RETRY_SECONDS")

    def dagster_ui_base(self) -> str:
        """Where people open the Dagster UI (run links in alerts)."""
        return self.dagster_ui_url or f"http://127.0.0.1:{self.dagster_port}"

    # -- Logs (appended) ------------------------------------------------------------------------
    # json: the API and the pipeline write one JSON object per line (core/logs.py).
    log_format: Literal["text", "json"] = Field(default="text",
                                                validation_alias="SALESOPS_LOG_FORMAT")

    # -- Data-quality thresholds (appended) -----------------------------------------------------
    # Per rule a warn and an optional error limit, a count or a share of a file's lines, e.g.
    # "mismatched_total=warn>0,error>2%; nonpositive_units=error>0" (core/report/thresholds.py);
    # unset or empty: every rule warns above 0 and never errs. An error blocks the report refresh.
    # Read (and refused with what to write instead) by core/config_check.py at start-up.
    rule_thresholds: str = Field(default="", validation_alias="SALESOPS_RULE_THRESHOLDS")
    # Unusual business figures (core/report/anomalies.py): "total=drop>30%,jump>50%;
    # seller=drop>50%,jump>100%,spread>3" (those are the defaults, products as sellers);
    # `error` in a scope's terms fails its check as ERROR instead of WARN. Checked at start-up.
    figure_thresholds: str = Field(default="", validation_alias="SALESOPS_FIGURE_THRESHOLDS")

    # -- The Dagster UI's front door (appended) -------------------------------------------------
    # `salesops up` serves the UI only through nginx on 127.0.0.1:SALESOPS_DAGSTER_PORT, which
    # answers these host names (besides 127.0.0.1, localhost and SALESOPS_DAGSTER_URL's host)
    # and refuses any other Host header (DNS rebinding). Comma- or space-separated.
    ui_hosts: str = Field(default="", validation_alias="SALESOPS_UI_HOSTS")
    # Lifetime of a UI login session; the key behind it is checked on every request anyway.
    ui_session_hours: float = Field(default=12.0, gt=0, le=720,
                                    validation_alias="SALESOPS_UI_SESSION_HOURS")
    # Signs the UI's login sessions (api/ui_session.py); unset: SALESOPS_HOME/ui-session.secret,
    # made once. Set it when several API processes on several machines serve one door.
    ui_session_secret: SecretStr = Field(default=SecretStr(""),
                                         validation_alias="SALESOPS_UI_SESSION_SECRET")

    @field_validator("ui_hosts")
    @classmethod
    def _host_names(cls, value: str) -> str:
        for host in value.replace(",", " ").split():
            if not HOST_NAME.fullmatch(host):
                raise ValueError(f"{host!r} is not a host name or IPv4 address (no port, "
                                 "scheme or wildcard)")
        return value

    def ui_allowed_hosts(self) -> tuple[str, ...]:
        """The Host names the UI's front door answers, in order, each once."""
        own = urlsplit(self.dagster_ui_base()).hostname or ""
        names = ["127.0.0.1", "localhost", own.lower(),
                 *self.ui_hosts.lower().replace(",", " ").split()]
        return tuple(dict.fromkeys(n for n in names if n))

    # -- Scale-out profile (appended) -----------------------------------------------------------
    # `salesops up --workers N` runs Redis (Debian's redis-server) on 127.0.0.1 at this port as
    # the Celery broker; SALESOPS_CELERY_BROKER_URL points elsewhere (a managed Redis) instead.
    redis_port: int = Field(default=6380, ge=1, le=65535, validation_alias="SALESOPS_REDIS_PORT")
    celery_broker_url: SecretStr = Field(default=SecretStr(""),
                                         validation_alias="SALESOPS_CELERY_BROKER_URL")
    # The code server (`dagster code-server start`) of the profile listens here on 127.0.0.1.
    code_server_port: int = Field(default=4266, ge=1, le=65535,
                                  validation_alias="SALESOPS_CODE_SERVER_PORT")

    # -- The API on a hot standby (appended) ----------------------------------------------------
    # Where the API reads (a physical streaming replica; imports keep writing to DATABASE_URL).
    # Unset: the API reads what SALESOPS_API_DATABASE_URL / the read-only role names.
    api_replica_url: str | None = Field(default=None, validation_alias="SALESOPS_API_REPLICA_URL")
    # A replica further behind than this answers 503 with the reason instead of old figures.
    api_max_replica_lag_seconds: float = Field(
        default=30.0, gt=0, validation_alias="SALESOPS_API_MAX_REPLICA_LAG_SECONDS")

    def api_read_url(self) -> str:
        """What the API's pool connects to: the replica when one is set, else :meth:`api_url`."""
        return self.api_replica_url or self.api_url()
    # `salesops up --replica`: the embedded cluster's hot standby (pg_basebackup) listens here.
    standby_pg_port: int = Field(default=5434, ge=1, le=65535,
                                 validation_alias="SALESOPS_STANDBY_PG_PORT")
