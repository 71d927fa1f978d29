"""File identity in the drop folder: safe relative keys and content hashes.

A file's key is its path relative to SALES_DATA_DIR (POSIX separators); it is the Dagster
partition key and the `source_file` of every row it produced. Nothing outside the folder is read,
whatever the name or symlinks say, except a file a user names on purpose, which is first copied
into the folder (`copy_into`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from salesops_pipeline.core.extract.intake.regular_file import (
    LINK_ERRORS,
    O_DIRECTORY,
    OPEN_FLAGS,
    open_regular,
    permission_reason,
)
from salesops_pipeline.errors import NameTaken, PermissionDenied, UnsafePath

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileVersion:
    """One version of a file: where it is, its key, its bytes' hash and size."""

    path: Path
    key: str
    sha256: str
    size: int


def key_for(path: Path, data_dir: Path) -> str:
    """The key of ``path`` inside ``data_dir``; UnsafePath if it resolves elsewhere."""
    root = data_dir.resolve()
    resolved = path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    try:
        relative = resolved.relative_to(root)
    except ValueError:
        raise UnsafePath(
            f"{path} is outside the data folder {root}; copy it into that folder to import it"
        ) from None
    return relative.as_posix()


def path_for(key: str, data_dir: Path) -> Path:
    """The file behind a key; refuses keys that climb out (``..``) or symlinks that leave."""
    pure = PurePosixPath(key)
    if not key or pure.is_absolute() or ".." in pure.parts:
        raise UnsafePath(f"invalid file key {key!r}: not a relative path inside the data folder")
    root = data_dir.resolve()
    candidate = root.joinpath(*pure.parts)
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafePath(f"{key!r} points outside the data folder {root} (symlink?); not read")
    return candidate


def open_inside(key: str, data_dir: Path) -> BinaryIO:
    """Open the file behind ``key`` for reading without following any symlink on the way.

    Each component is opened relative to its parent's descriptor with O_NOFOLLOW, so a link
    swapped in at any moment (before or after a check) is refused instead of followed; the file
    itself is opened by `regular_file.open_regular` (a FIFO or device is refused, never waited
    on).
    """
    path_for(key, data_dir)  # same validation and message for '..', absolute keys, …
    parts = PurePosixPath(key).parts
    fd = os.open(data_dir.resolve(), os.O_RDONLY | O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                child = os.open(part, OPEN_FLAGS | O_DIRECTORY, dir_fd=fd)
            except PermissionError:
                raise PermissionDenied(repr(key),
                                       permission_reason(f"its folder {part!r}")) from None
            os.close(fd)
            fd = child
        return open_regular(parts[-1], repr(key), dir_fd=fd, on_link=lambda: UnsafePath(
            f"{key!r} is a symbolic link; only regular files inside the data folder are read"))
    except OSError as exc:
        if exc.errno in LINK_ERRORS:
            raise UnsafePath(f"{key!r} passes through a symbolic link; not read") from None
        raise
    finally:
        os.close(fd)


def sha256_inside(key: str, data_dir: Path) -> tuple[str, int]:
    """Hash a file of the folder (never through a symlink); return (hex, size)."""
    digest = hashlib.sha256()
    size = 0
    with open_inside(key, data_dir) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@contextmanager
def private_copy(key: str, data_dir: Path) -> Iterator[FileVersion]:
    """Copy the file into a private temp folder while hashing it, and yield that version.

    The import then parses exactly the bytes it hashed: a file replaced or swapped for a link
    while the import runs cannot change what is loaded, nor make it read outside the folder.
    """
    with tempfile.TemporaryDirectory(prefix="salesops-import-") as tmp:
        target = Path(tmp) / ("workbook" + PurePosixPath(key).suffix.lower())
        digest = hashlib.sha256()
        size = 0
        with open_inside(key, data_dir) as src, target.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        yield FileVersion(path=target, key=key, sha256=digest.hexdigest(), size=size)


def file_version(key: str, data_dir: Path) -> FileVersion:
    """The version of a file in place (its path in the folder, hash and size)."""
    sha, size = sha256_inside(key, data_dir)
    return FileVersion(path=path_for(key, data_dir), key=key, sha256=sha, size=size)


def link_refused(path: Path, root: Path) -> UnsafePath:
    """The error for a path given by the user that leads out of the folder through a link."""
    return UnsafePath(
        f"{path} leads to {path.resolve()} through a symbolic link, outside the data folder "
        f"{root}; links are not followed: give the file's own path to copy it into the folder")


def _open_source(source: Path, root: Path) -> BinaryIO:
    """Open a file named by the user, refusing a symlink (as inside the folder) or a non-file."""
    return open_regular(source, str(source), on_link=lambda: link_refused(source, root))


def _sha256_of(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def check_copy(source: Path, data_dir: Path) -> bool:
    """Whether ``source`` (outside the folder) is already in it under its own name, same bytes;
    NameTaken if a different file has that name there, UnsafePath if it is a symlink."""
    root = data_dir.resolve()
    with _open_source(source, root) as src:
        if not os.path.lexists(root / source.name):
            return False
        sha = _sha256_of(src)
    if sha256_inside(source.name, root)[0] == sha:
        return True
    raise _name_taken(source, root)


def _name_taken(source: Path, root: Path) -> NameTaken:
    return NameTaken(
        f"cannot copy {source} into the data folder: {root / source.name} is a different file of "
        f"the same name; rename {source} and ingest it again, or remove {root / source.name} "
        "from the folder if the new file replaces it")


def copy_into(source: Path, data_dir: Path) -> tuple[str, bool]:
    """Copy a file from outside into the top of the folder under its own name, so it can be
    imported like a dropped one; return (its key, whether it was copied).

    The bytes go to a hidden temp file in the folder (the sensor ignores hidden names) that is
    then linked to the final name, which fails instead of replacing a file that appeared
    meanwhile: the sensor never sees half a file and nothing in the folder is overwritten. The
    same bytes already there under that name are not copied again (NameTaken if different ones).
    """
    root = data_dir.resolve()
    if check_copy(source, root):
        return source.name, False
    target = root / source.name
    with _open_source(source, root) as src:
        st = os.fstat(src.fileno())
        fd, tmp = tempfile.mkstemp(prefix=".salesops-copy-", suffix=".tmp", dir=root)
        try:
            with os.fdopen(fd, "wb") as dst:
                digest = hashlib.sha256()
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fchmod(dst.fileno(), (st.st_mode & 0o666) | 0o600)
                os.fsync(dst.fileno())
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # keep the export's own date
            try:
                os.link(tmp, target)  # atomic, and never replaces an existing name
            except OSError as exc:
                if not isinstance(exc, FileExistsError) and not os.path.lexists(target):
                    # A file system without hard links: rename (checked just before).
                    os.rename(tmp, target)
                elif sha256_inside(source.name, root)[0] == digest.hexdigest():
                    return source.name, False  # the same file arrived meanwhile
                else:
                    raise _name_taken(source, root) from None
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
    _fsync_folder(root)
    return source.name, True


def _fsync_folder(folder: Path) -> None:
    """Make the new name durable (a crash right after the copy keeps the file)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
