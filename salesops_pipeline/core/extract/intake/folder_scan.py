"""What changed in the drop folder since the last look: the logic behind the file-drop sensor.

The state (the sensor's cursor) remembers, per file key, the size and mtime seen last time, the
content hash once the file was stable, and how many versions of that name were seen. A tick
stats every file but hashes only those whose size/mtime changed and then held still for one tick
(or are older than the settle time), so a tick stays cheap with thousands of files. It also
remembers the files present that are not imported once they were reported, so each is mentioned
once, not on every tick: a name that is no sales export (a `.pdf` dropped by mistake), a
symbolic link, a FIFO, socket or device (never opened: a FIFO would block the reader), a file or
folder this process may not read. One that leaves that state (removed, made readable, replaced
by a regular file) is forgotten, and reported again if it comes back.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from salesops_pipeline.core.extract.intake.drops import DropKind, classify
from salesops_pipeline.core.extract.intake.file_keys import sha256_inside
from salesops_pipeline.core.extract.intake.regular_file import (
    LINK_REASON,
    not_a_file,
    permission_reason,
)
from salesops_pipeline.errors import NotReadable, UnsafePath

CURSOR_FORMAT = 2
# At most this many skipped names are remembered as reported (beyond it, the rest are
# reported again as a count on each tick rather than letting the cursor grow without end).
MAX_REPORTED = 1000


@dataclass
class Seen:
    size: int                   # -1: the file is gone (kept so its version count survives)
    mtime_ns: int
    sha256: str | None = None   # None: changed, waiting to hold still
    version: int = 0            # how many distinct versions of this name were requested
    last_sha256: str | None = None  # the hash of the last requested version


@dataclass
class FolderState:
    """What the sensor's cursor remembers between ticks."""

    files: dict[str, Seen] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)  # skipped files already mentioned


@dataclass
class ScanResult:
    new_versions: list[tuple[str, str, int]] = field(default_factory=list)  # key, sha, version
    waiting: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # key, reason: new this tick
    unreported: int = 0  # skipped files beyond MAX_REPORTED, only counted
    hashed: int = 0


def load_state(cursor: str | None) -> FolderState:
    """The state in a cursor; a cursor of the first format (a bare {key: seen} map) still reads."""
    if not cursor:
        return FolderState()
    data = json.loads(cursor)
    if data.get("format") != CURSOR_FORMAT:
        return FolderState({k: Seen(*v) for k, v in data.items()})
    return FolderState({k: Seen(*v) for k, v in data["files"].items()},
                       set(data.get("reported", [])))


def dump_state(state: FolderState) -> str:
    files = {k: [s.size, s.mtime_ns, s.sha256, s.version, s.last_sha256]
             for k, s in state.files.items()}
    return json.dumps({"format": CURSOR_FORMAT, "files": files,
                       "reported": sorted(state.reported)}, separators=(",", ":"))


def walk(root: Path, *, exclude: tuple[Path, ...] = (),
         skipped: dict[str, str] | None = None) -> dict[str, os.stat_result]:
    """Regular files to import under ``root`` by key; excluded and hidden folders are left out.

    Nothing is opened: what is not imported goes into ``skipped`` (key → reason) when given: a
    name that is no sales export, a symbolic link (never followed), a FIFO, socket or device,
    a folder that cannot be listed. Lock and hidden files are left out of both.
    """
    found: dict[str, os.stat_result] = {}
    root = root.resolve()
    excluded = {p.resolve() for p in exclude}
    stack = [root]
    note = skipped if skipped is not None else {}
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except PermissionError:
            note[folder.relative_to(root).as_posix()] = permission_reason("the folder")
            continue
        except OSError:
            continue  # gone meanwhile
        for entry in entries:
            path = Path(entry.path)
            key = path.relative_to(root).as_posix()
            drop = classify(entry.name)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if path not in excluded and not entry.name.startswith("."):
                        stack.append(path)
                    continue
                if drop.kind is DropKind.SILENT:
                    continue
                if entry.is_symlink():
                    note[key] = LINK_REASON  # never follow a link out of the folder
                elif not entry.is_file(follow_symlinks=False):
                    note[key] = not_a_file(entry.stat(follow_symlinks=False).st_mode)
                elif drop.kind is DropKind.IMPORT:
                    found[key] = entry.stat(follow_symlinks=False)
                else:
                    note[key] = drop.reason or ""
            except OSError:
                continue  # gone between the listing and the look
    return found


def scan(root: Path, state: FolderState, *, settle_seconds: float = 10.0,
         exclude: tuple[Path, ...] = (), now: float | None = None) -> ScanResult:
    """Update ``state`` in place and return the versions that should be imported now.

    A version is new when its hash differs from the last one requested for that name, so
    touching a file without changing it, or the same file seen by many ticks, requests nothing.
    """
    now = time.time() if now is None else now
    result = ScanResult()
    skipped: dict[str, str] = {}
    files = walk(root, exclude=exclude, skipped=skipped)
    seen_files = state.files
    for key, st in sorted(files.items()):
        seen = seen_files.get(key)
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            # A file that comes back after vanishing is requested again (its log entry says
            # "source missing" until an import run sees it).
            last = seen.last_sha256 if seen and seen.size != -1 else None
            seen = seen_files[key] = Seen(st.st_size, st.st_mtime_ns, None,
                                          seen.version if seen else 0, last)
            if now - st.st_mtime_ns / 1e9 < settle_seconds:
                result.waiting.append(key)  # may still be being written: the next tick decides
                continue
        if seen.sha256 is not None:
            continue
        try:
            sha, size = sha256_inside(key, root)
        except NotReadable as exc:  # no permission, or a FIFO/device swapped in since the walk
            skipped[key] = exc.reason
            continue  # tried again on the next tick (a chmod leaves the mtime alone)
        except UnsafePath:
            skipped[key] = LINK_REASON  # swapped for a link since the walk
            continue
        except OSError:
            continue  # vanished between stat and read: the next tick decides
        result.hashed += 1
        if size != st.st_size:
            result.waiting.append(key)
            continue
        seen.sha256 = sha
        if sha != seen.last_sha256:
            seen.version += 1
            seen.last_sha256 = sha
            result.new_versions.append((key, sha, seen.version))
    for key, seen in seen_files.items():
        if key not in files and seen.size != -1:
            result.vanished.append(key)
            seen.size, seen.mtime_ns, seen.sha256 = -1, 0, None
    _note_skipped(state, skipped, result)
    return result


def _note_skipped(state: FolderState, present: dict[str, str], result: ScanResult) -> None:
    """Report the skipped files not reported yet; forget those no longer skipped (gone, or
    readable now: one skipped again is reported again), and remember at most MAX_REPORTED."""
    remembered = state.reported & present.keys()
    room = MAX_REPORTED - len(remembered)
    fresh = sorted(present.keys() - state.reported)
    result.skipped = [(key, present[key]) for key in fresh[:max(room, 0)]]
    result.unreported = len(fresh) - len(result.skipped)
    state.reported = remembered | {key for key, _ in result.skipped}


Version = tuple[str, str, int]  # key, sha256, version number


def plan_runs(versions: list[Version], known: set[str], batch_size: int
              ) -> tuple[list[Version], list[list[Version]]]:
    """Split new versions into lone runs and batches of files never seen before.

    Files that are new to the partition set are added to it in this order, so each batch is a
    contiguous range of partitions and one run imports it. A name that is already a partition
    (a corrected re-export, a file dropped again) gets its own run, since its partition sits
    elsewhere in the order.
    """
    lone = [v for v in versions if v[0] in known]
    fresh = [v for v in versions if v[0] not in known]
    batches = [fresh[i:i + batch_size] for i in range(0, len(fresh), batch_size)]
    lone += [b[0] for b in batches if len(b) == 1]
    return lone, [b for b in batches if len(b) > 1]
