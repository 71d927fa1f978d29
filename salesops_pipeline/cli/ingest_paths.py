"""`salesops ingest PATH...`: which files the paths given mean, and which are skipped, why.

A folder is walked as the sensor walks the drop folder (core/extract/intake/folder_scan.py): what it
would not import is listed with the reason, the rest imported. A file named alone that cannot
be read is refused at once. A file outside SALES_DATA_DIR is copied into it first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from salesops_pipeline.core.extract.intake.drops import classify
from salesops_pipeline.core.extract.intake.file_keys import (
    check_copy,
    copy_into,
    key_for,
    link_refused,
    open_inside,
)
from salesops_pipeline.core.extract.intake.folder_scan import walk
from salesops_pipeline.core.extract.intake.regular_file import LINK_REASON, is_permission_reason
from salesops_pipeline.errors import (
    NameTaken,
    NotReadable,
    PermissionDenied,
    SalesOpsError,
    UnsafePath,
)
from salesops_pipeline.settings import Settings


@dataclass(frozen=True)
class Skipped:
    """A file that is not imported, and why; ``unreadable``: a sales export this user may not
    read (it counts as not ok: exit 1), rather than a file that is no export at all."""

    path: Path
    reason: str
    unreadable: bool = False


def resolve_keys(paths: list[Path], settings: Settings, echo=print
                 ) -> tuple[list[str], list[Skipped]]:
    """Keys of the given files (folders are walked), and what was skipped with the reason.

    In a folder, what the sensor would not import is skipped and listed (a name that is no sales
    export, a symbolic link, a FIFO, socket or device, a file or folder this user may not read);
    the rest is imported. A file given by name that cannot be read is refused at once (raised).
    A file outside SALES_DATA_DIR is copied into its top level first (nothing is copied unless
    every file given can be)."""
    found: list[tuple[Path, str | None]] = []  # file, its key if it is in the folder already
    skipped: list[Skipped] = []
    for path in paths:
        if not path.exists() and not path.is_absolute() and (settings.data_dir / path).exists():
            path = settings.data_dir / path  # a name as the import log shows it
        if not path.exists():
            raise SalesOpsError(f"{path}: no such file or folder")
        if path.is_dir():
            found.extend(_folder_files(path, settings, skipped))
            continue
        drop = classify(path)
        if not drop.imported:
            echo(f"skipping {path}: {drop.reason or 'a lock, hidden or temporary file'}")
            continue
        key = _key_in_folder(path, settings.data_dir)
        if key is not None:
            open_inside(key, settings.data_dir).close()  # a FIFO, device, chmod 000: refused
        found.append((path, key))
    for item in skipped:
        echo(f"skipping {item.path}: {item.reason}")
    _check_copies([file for file, key in found if key is None], settings.data_dir)
    keys: list[str] = []
    for file, key in found:
        if key is None:
            key, copied = copy_into(file, settings.data_dir)
            echo(f"copied {file} into the data folder as {key}" if copied else
                 f"{file}: already in the data folder as {key} (same bytes)")
        if key not in keys:
            keys.append(key)
    return keys, skipped


def _folder_files(folder: Path, settings: Settings, skipped: list[Skipped]
                  ) -> list[tuple[Path, str]]:
    """The sales exports in a folder of the data folder as the sensor sees them, each opened
    once (never waited on) to find those this user may not read."""
    top = _key_in_folder(folder, settings.data_dir)
    if top is None:
        raise UnsafePath(
            f"{folder} is a folder outside the data folder {settings.data_dir.resolve()};"
            " give its files (each is copied into the data folder) or move the folder into it")
    notes: dict[str, str] = {}
    files = walk(folder, exclude=(settings.export_dir,), skipped=notes)
    skipped += [Skipped(folder / name, reason, is_permission_reason(reason))
                for name, reason in sorted(notes.items())]
    found: list[tuple[Path, str]] = []
    for name in sorted(files):
        key = name if top == "." else f"{top}/{name}"
        try:
            open_inside(key, settings.data_dir).close()
        except NotReadable as exc:
            skipped.append(Skipped(folder / name, exc.reason, isinstance(exc, PermissionDenied)))
            continue
        except UnsafePath:  # swapped for a link since the walk
            skipped.append(Skipped(folder / name, LINK_REASON))
            continue
        found.append((folder / name, key))
    return found


def _key_in_folder(path: Path, data_dir: Path) -> str | None:
    """The key of a file in the folder, None for a file elsewhere (to copy); UnsafePath for a
    path in the folder that leads out through a symlink (refused, never copied)."""
    root = data_dir.resolve()
    if _within(path.resolve(), root):
        return key_for(path, data_dir)
    named = Path(os.path.abspath(path))  # where the name says it is, links not followed
    if _within(named, root) or _within(named, Path(os.path.abspath(data_dir))):
        raise link_refused(path, root)
    return None


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_copies(files: list[Path], data_dir: Path) -> None:
    """Refuse before copying anything: two different files of one name, or a name taken."""
    by_name: dict[str, Path] = {}
    for file in files:
        other = by_name.setdefault(file.name, file)
        if other != file and not other.samefile(file):
            raise NameTaken(f"{other} and {file} would both be copied into the data folder as "
                            f"{file.name}; rename one of them and ingest again")
        check_copy(file, data_dir)
