"""Which files in the drop folder are sales exports: the one rule the sensor and the CLI share.

A name is either imported (a workbook or a delimited-text export), silent (Office/LibreOffice
lock files, hidden files, half-downloaded files: they come and go on their own and are nobody's
mistake), or unsupported (a `.pdf` dropped by mistake), which comes with a reason to show once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath

from salesops_pipeline.core.extract.formats.registry import FORMATS

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Drop",
    "DropKind",
    "classify",
    "is_drop",
]

# Every format's names (formats/registry.py), in the order users read them in messages.
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS for s in f.suffixes)
# Prefixes of lock files (Excel `~$x.xlsx`, LibreOffice `.~lock.x.xlsx#`) and hidden files.
SILENT_PREFIXES: tuple[str, ...] = ("~$", ".~lock", ".")
# Files still being downloaded or written by a tool that renames them when done.
SILENT_SUFFIXES: frozenset[str] = frozenset({".tmp", ".part", ".partial", ".crdownload",
                                             ".download"})
# Files the operating system's file browser leaves in folders.
SILENT_NAMES: frozenset[str] = frozenset({"thumbs.db", "desktop.ini"})


class DropKind(Enum):
    IMPORT = "import"
    SILENT = "silent"            # never imported, never mentioned
    UNSUPPORTED = "unsupported"  # never imported; say why once


@dataclass(frozen=True)
class Drop:
    """What to do with a file of the folder, and for an unsupported one, why."""

    kind: DropKind
    reason: str | None = None

    @property
    def imported(self) -> bool:
        return self.kind is DropKind.IMPORT


def classify(path: PurePath | str) -> Drop:
    """Tell, from its name alone, whether a dropped file is imported, ignored silently, or
    refused with a reason (e.g. ``.pdf files are not sales exports (accepted: .xlsx, …)``)."""
    name = PurePath(path).name
    suffix = PurePath(name).suffix.lower()
    if name.startswith(SILENT_PREFIXES) or suffix in SILENT_SUFFIXES or (
            name.lower() in SILENT_NAMES):
        return Drop(DropKind.SILENT)
    if suffix in SUPPORTED_SUFFIXES:
        return Drop(DropKind.IMPORT)
    what = f"{suffix} files" if suffix else "files without an extension"
    return Drop(DropKind.UNSUPPORTED,
                f"{what} are not sales exports (accepted: {', '.join(SUPPORTED_SUFFIXES)})")


def is_drop(path: PurePath | str) -> bool:
    """Whether the file is imported (a supported export that is no lock or hidden file)."""
    return classify(path).imported
