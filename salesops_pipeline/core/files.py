"""File identity in the drop folder: safe relative keys and content hashes.

A file's key is its path relative to SALES_DATA_DIR (POSIX separators); it is the Dagster
partition key and the `source_file` of every row it produced. Nothing outside the folder is read,
whatever the name or symlinks say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from salesops_pipeline.errors import UnsafePath

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileVersion:
    """One version of a file: where it is, its key, its bytes' hash and size."""

    path: Path
    key: str
    sha256: str
    size: int


def sha256_of(path: Path) -> tuple[str, int]:
    """Hash the file in 1 MiB chunks (never the whole file in memory); return (hex, size)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


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
        raise UnsafePath(f"invalid file key {key!r}: must be a relative path inside the data folder")
    root = data_dir.resolve()
    candidate = root.joinpath(*pure.parts)
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafePath(f"{key!r} points outside the data folder {root} (symlink?); not read")
    return candidate


def file_version(key: str, data_dir: Path) -> FileVersion:
    path = path_for(key, data_dir)
    sha, size = sha256_of(path)
    return FileVersion(path=path, key=key, sha256=sha, size=size)
