"""Special files for the tests of hostile drops (FIFOs, Unix sockets) and a deadline that fails
a test blocked in a system call instead of hanging the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail with TimeoutError after ``seconds``, even inside a blocked system call (SIGALRM
    interrupts a blocked ``open()`` of a FIFO)."""
    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def unix_socket(path: Path) -> Path:
    """A Unix socket file at ``path`` (bound, then closed: the file stays)."""
    with contextlib.chdir(path.parent):  # a socket's path is limited to 108 bytes
        server = socket.socket(socket.AF_UNIX)
        server.bind(path.name)
        server.close()
    return path
