"""The one way a dropped file is opened: regular files only, and a reason for anything else.

The sensor's hash, the run's private copy and `salesops ingest` all open files here. The name is
looked at (lstat), opened without following a link and without blocking (O_NONBLOCK: a FIFO
opened for reading otherwise waits for a writer forever, and SIGTERM cannot end that wait), and
the open file looked at again (fstat): a FIFO, socket, device or folder is refused naming its
type, a file the process may not read names the user. The reasons are the words the sensor logs
and the CLI lists (``x.csv: not imported: a FIFO (named pipe), not a regular file``).
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from salesops_pipeline.errors import NotARegularFile, PermissionDenied

__all__ = [
    "LINK_REASON",
    "is_permission_reason",
    "not_a_file",
    "open_regular",
    "permission_reason",
]

LINK_ERRORS = (errno.ELOOP, errno.ENOTDIR)  # what O_NOFOLLOW / O_DIRECTORY say about a link
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Never follow a link, never block (a FIFO opened for reading waits for a writer otherwise).
OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
              | getattr(os, "O_NONBLOCK", 0))
LINK_REASON = ("a symbolic link (links are not followed: only regular files inside the data "
               "folder are read)")
_DENIED = "not readable by user "
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a Unix socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"))


def open_regular(name: str | Path, subject: str, *, dir_fd: int | None = None,
                 on_link: Callable[[], Exception]) -> BinaryIO:
    """The one way a file of the folder (or named by a user) is opened for reading.

    The name is looked at first (lstat) and the open file again (fstat): a symlink raises
    ``on_link()``, anything but a regular file NotARegularFile naming its type, a file this user
    may not read PermissionDenied. The open itself never follows a link and never blocks
    (O_NONBLOCK), so a FIFO swapped in between the two looks cannot hang the reader.
    """
    try:
        before = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except PermissionError:
        raise PermissionDenied(subject, permission_reason("its folder")) from None
    if stat.S_ISLNK(before.st_mode):
        raise on_link()
    if not stat.S_ISREG(before.st_mode):
        raise NotARegularFile(subject, not_a_file(before.st_mode))
    try:
        fd = os.open(name, OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in LINK_ERRORS:
            raise on_link() from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise PermissionDenied(subject, permission_reason()) from None
        if exc.errno == errno.ENXIO:  # a socket (or a FIFO's writer end) swapped in
            raise NotARegularFile(subject, "not a regular file (a socket?)") from None
        raise
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):
            raise NotARegularFile(subject, not_a_file(after.st_mode))
        os.set_blocking(fd, True)  # reads of a regular file: the usual semantics
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def not_a_file(mode: int) -> str:
    """Why a file of this mode is never read, naming its type (``a FIFO (named pipe), not a
    regular file``)."""
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"{kind}, not a regular file"


def permission_reason(where: str = "") -> str:
    """The reason for EACCES (``not readable by user nobody: permission denied``): it names the
    user, since a daemon may run as another user than the one who dropped the file."""
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        user = f"uid {os.geteuid()}"
    return f"{_DENIED}{user}: permission denied" + (f" on {where}" if where else "")


def is_permission_reason(reason: str) -> bool:
    """Whether a skip reason is :func:`permission_reason`'s (a file or folder this user may not
    read, which a user fixes, unlike a link or a FIFO)."""
    return reason.startswith(_DENIED)
