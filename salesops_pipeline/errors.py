"""Named errors with messages a user can act on.

Every error the system raises on purpose derives from :class:`SalesOpsError`, so the CLI can
print its message and exit non-zero instead of dumping a traceback.
"""

from __future__ import annotations


class SalesOpsError(Exception):
    """Base class for every error the SalesOps pipeline raises on purpose."""


class ConfigError(SalesOpsError):
    """A setting is missing or invalid."""


class PostgresNotInstalled(SalesOpsError):
    """No PostgreSQL server binaries were found and they could not be installed."""


class ClusterError(SalesOpsError):
    """The project-local PostgreSQL cluster could not be created, started or stopped."""


class WorkbookError(SalesOpsError):
    """A file cannot be imported as a whole; its message is stored in the import log."""


class UnreadableWorkbook(WorkbookError):
    """The file is not a workbook that can be opened (corrupt, encrypted, wrong format)."""


class NoSalesSheet(WorkbookError):
    """No sheet of the workbook has a header row with the sales columns."""


class MissingColumns(WorkbookError):
    """The best header row found lacks one or more required columns."""

    def __init__(self, missing: list[str], sheet: str | None, header_row: int,
                 unrecognised: list[str] | None = None) -> None:
        self.missing = missing
        self.sheet = sheet
        self.header_row = header_row
        self.unrecognised = unrecognised or []
        names = ", ".join(missing)
        where = f"sheet {sheet!r}, header on row {header_row}" if sheet is not None else (
            f"header on line {header_row}")
        super().__init__(f"{where}: missing required column(s): {names}")

    def __reduce__(self) -> tuple:  # crosses the parser's process boundary (core/capped.py)
        return (type(self), (self.missing, self.sheet, self.header_row, self.unrecognised),
                self.__dict__)


class AmbiguousColumns(WorkbookError):
    """The header row has two columns that both name the same sales column."""

    def __init__(self, column: str, headers: list[str], sheet: str | None,
                 header_row: int) -> None:
        self.column = column
        self.headers = headers
        self.sheet = sheet
        self.header_row = header_row
        names = ", ".join(headers)
        where = f"sheet {sheet!r}, header on row {header_row}" if sheet is not None else (
            f"header on line {header_row}")
        super().__init__(
            f"{where}: more than one column means "
            f"{column!r} ({names}); rename or delete all but one"
        )

    def __reduce__(self) -> tuple:  # crosses the parser's process boundary (core/capped.py)
        return (type(self), (self.column, self.headers, self.sheet, self.header_row),
                self.__dict__)


class WorkbookTooLarge(WorkbookError):
    """The workbook exceeds the configured row or size limits."""


class ParseMemoryExceeded(WorkbookError):
    """Parsing the file needed more memory than SALESOPS_PARSE_MEMORY_MB allows."""


class ParseProcessFailed(WorkbookError):
    """The parser's child process died, or failed with an error that could not be sent back."""


class UnsafePath(SalesOpsError):
    """A path resolves outside the data folder (crafted name or symlink)."""


class ImportConflict(SalesOpsError):
    """The warehouse changed under an import in a way that makes it unsafe to continue."""
