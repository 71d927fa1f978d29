"""Named errors with messages a user can act on.

Every error the system raises on purpose derives from :class:`SalesOpsError`, so the CLI can
print its message and exit non-zero instead of dumping a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


class SalesOpsError(Exception):
    """Base class for every error the SalesOps pipeline raises on purpose."""


class ConfigError(SalesOpsError):
    """A setting is missing or invalid."""


class PackageMissing(SalesOpsError):
    """A Debian package the project runs (nginx, chromium, …) is missing and was not installed."""


class PostgresNotInstalled(PackageMissing):
    """No PostgreSQL server binaries were found and they could not be installed."""


class ClusterError(SalesOpsError):
    """The project-local PostgreSQL cluster could not be created, started or stopped."""


class WorkbookError(SalesOpsError):
    """A file cannot be imported as a whole; its message is stored in the import log."""

    def __reduce__(self) -> tuple:
        """Pickle without calling ``__init__`` again (subclasses take other arguments), so the
        error crosses the parser's process boundary (extract/memory_cap.py) with its exact
        message."""
        return (_restore, (type(self), self.args), self.__dict__)


class UnreadableWorkbook(WorkbookError):
    """The file is not a workbook that can be opened (corrupt, encrypted, wrong format)."""


class UnreadableCsv(UnreadableWorkbook):
    """A file named .csv/.tsv is not CSV text (binary, a renamed workbook, a quote left open)."""


class NoSalesSheet(WorkbookError):
    """No sheet of the workbook has a header row with the sales columns.

    Readers say which columns a header needs with core.columns.describe_needed_columns().
    """


class MissingColumns(WorkbookError):
    """The best header row found lacks one or more required columns.

    The message (one line: it is stored in the import log) names each missing column in users'
    words, the header cells that named nothing, a few accepted spellings, and how to map one.
    """

    MAX_CELLS_SHOWN = 8

    def __init__(self, missing: list[str], sheet: str | None, header_row: int,
                 unrecognised: list[str] | None = None, *,
                 described: Sequence[tuple[str, Sequence[str]]] = (),
                 map_file: Path | None = None) -> None:
        """``described``: per missing column, its name in users' words and a few accepted
        spellings (the header matcher knows them: core/extract/header/columns.missing_columns);
        ``map_file``: the column map file in use, if any."""
        self.missing = missing
        self.sheet = sheet
        self.header_row = header_row
        self.unrecognised = unrecognised or []
        self.map_file = map_file
        described = described or [(column, [column]) for column in missing]
        where = f"sheet {sheet!r}, header on row {header_row}" if sheet is not None else (
            f"header on line {header_row}")
        names = ", ".join(name for name, _ in described)
        accepted = "; ".join(f"{name} as " + ", ".join(map(repr, spellings))
                             for name, spellings in described)
        shown = self.unrecognised[: self.MAX_CELLS_SHOWN]
        cells = ", ".join(map(repr, shown)) or "none"
        if len(self.unrecognised) > len(shown):
            cells += f" and {len(self.unrecognised) - len(shown)} more"
        # None: the reader did not say which cells named nothing (not the same as "none").
        cells = "" if unrecognised is None else f"header cells not recognised: {cells}; "
        spelling = self.unrecognised[0] if self.unrecognised else "<header as in the file>"
        example = f"{missing[0]} = {json.dumps([spelling], ensure_ascii=False)}"
        target = (str(self.map_file) if self.map_file is not None
                  else "the column map file (`salesops columns` shows where it is)")
        super().__init__(
            f"{where}: missing required column(s): {names}; {cells}"
            f"accepted spellings include {accepted} (case, spaces and punctuation ignored); "
            f"if the file names the column otherwise, map that spelling under [columns] in "
            f"{target}, e.g. {example}"
        )


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


class WorkbookTooLarge(WorkbookError):
    """The workbook exceeds the configured row or size limits."""


class ParseMemoryExceeded(WorkbookError):
    """Parsing the file needed more memory than SALESOPS_PARSE_MEMORY_MB allows."""


class ParseProcessFailed(WorkbookError):
    """The parser's child process died, or failed with an error that could not be sent back."""


def _restore(cls: type[WorkbookError], args: tuple) -> WorkbookError:
    error = cls.__new__(cls, *args)
    error.args = args
    return error


class UnsafePath(SalesOpsError):
    """A path resolves outside the data folder (crafted name or symlink)."""


class NotReadable(SalesOpsError):
    """A file was not opened or not read; ``reason`` says why in a few words (the sensor logs it
    and `salesops ingest` lists it per file)."""

    def __init__(self, subject: str, reason: str) -> None:
        self.subject, self.reason = subject, reason
        super().__init__(f"{subject} is {reason}; not read")

    def __reduce__(self) -> tuple:
        return (type(self), (self.subject, self.reason))


class NotARegularFile(NotReadable):
    """A FIFO, socket, device or folder where a file was expected: never read (a FIFO would
    block the reader for good)."""


class PermissionDenied(NotReadable):
    """The file (or a folder on its way) may not be read by this process's user."""


class ImportConflict(SalesOpsError):
    """The warehouse changed under an import in a way that makes it unsafe to continue."""


class ImportStateConflict(ImportConflict):
    """A step would move a file version from a status that does not allow it (another run
    settled the version meanwhile); nothing was changed. core/load/import_log.py TRANSITIONS."""

    def __init__(self, message: str, *, import_id: int | None = None,
                 status: str | None = None, target: str | None = None) -> None:
        self.import_id, self.status, self.target = import_id, status, target
        super().__init__(message)


class NothingToWithdraw(SalesOpsError):
    """`salesops withdraw`: the file has no loaded version (unknown, or nothing of it loaded)."""


class NameTaken(SalesOpsError):
    """A file copied into the data folder would replace a different file of the same name."""


class MailDeliveryFailed(SalesOpsError):
    """An e-mail could not be delivered (after any retries); ``attempts`` counts the tries."""

    def __init__(self, message: str, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


class AlertDeliveryFailed(SalesOpsError):
    """An alert could not be delivered to one destination after its retries; the sensor that
    sent it logs this and carries on (an alert never fails an import)."""

    def __init__(self, message: str, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


def excerpt(text: str, limit: int = 20) -> str:
    """``text`` quoted and escaped (``repr``), cut to its first ``limit`` characters with its
    length when longer: safe to print whatever a user typed (newlines, NUL, 100,000 characters).

    Example: ``excerpt("ops\\n")`` is ``'ops\\n'``; ``excerpt("x" * 500, 3)`` is
    ``'xxx'... (500 characters)``.
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


class ApiKeyError(SalesOpsError):
    """Managing an API key failed; no key was printed and nothing was stored or changed."""


class InvalidKeyName(ApiKeyError):
    """An API key name breaks the naming rule (api/keys.py ``check_name``); the message quotes
    only a short escaped excerpt of it."""

    def __init__(self, name: str, problem: str) -> None:
        self.name, self.problem = name, problem
        super().__init__(f"invalid key name {excerpt(name)}: {problem}")


class DuplicateKeyName(ApiKeyError):
    """An API key with that name exists already (names are never reused)."""


class UnknownKeyName(ApiKeyError):
    """No active API key has that name."""


class KeyNotStored(ApiKeyError):
    """The database refused or lost a new key; it was never shown and does not work."""


class ComparisonOutOfRange(SalesOpsError):
    """The period a report is compared with would begin before the first day a date holds."""
