"""Run one function in a child process whose address space is capped, so a hostile file that
makes the parser allocate without bound kills only that child, never the machine.

The child is started from multiprocessing's ``forkserver`` (a clean single-threaded process, so
no lock held by a parent thread is inherited); before the work starts it lowers ``RLIMIT_AS``
to ``memory_bytes``. RLIMIT_AS counts virtual memory, not RSS, so the cap must leave room for
the interpreter, thread stacks and allocator arenas (see ``SALESOPS_PARSE_MEMORY_MB`` in
settings.py for the measured figures). With ``stream=True`` the function gets a binary file to
write to as its first argument and the parent reads those bytes as they come (for COPY).

    reader, call = run_capped(parse, (path,), memory_bytes=2 << 30, stream=True)
    copy_in(cursor, COPY_STAGE, reader)  # core/load/staging.py
    result = call.result()  # the function's value, its exception, or ParseMemoryExceeded
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import resource
import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, BinaryIO

from salesops_pipeline.defaults import DEFAULT_PARSE_MEMORY_MB
from salesops_pipeline.errors import ParseMemoryExceeded, ParseProcessFailed

# DEFAULT_PARSE_MEMORY_MB (defined in defaults.py, so settings.py need not import core) is
# re-exported: the cap's default is part of what this module offers.
__all__ = ["CHUNK_BYTES", "DEFAULT_PARSE_MEMORY_MB", "CappedCall", "preload", "run_capped"]

CHUNK_BYTES = 1 << 18  # the child sends its stream in pieces of this size
_MEMORY_EXIT = 75  # the child's exit code after a MemoryError (nothing else uses it)
_MEMORY_SIGNALS = {signal.SIGKILL, signal.SIGABRT}  # the OOM killer; a native allocator aborting
_CONTEXT = multiprocessing.get_context("forkserver")


class _Sender(io.RawIOBase):
    """The child's end of the stream: each write becomes one message on the connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._conn.send_bytes(view)
        return len(view)

    def close(self) -> None:
        if not self.closed:
            self._conn.close()
        super().close()


class _Receiver(io.RawIOBase):
    """The parent's end of the stream: a readable file; end of file when the child closes."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(self._conn.recv_bytes())
            except (EOFError, OSError):
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._conn.close()
        super().close()


class CappedCall:
    """A running capped child: wait for its result with :meth:`result`, or :meth:`kill` it."""

    def __init__(self, process: BaseProcess, results: Connection, memory_bytes: int) -> None:
        self._process = process
        self._results = results
        self.memory_bytes = memory_bytes

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def result(self) -> Any:
        """The function's return value; re-raises its exception (with the child's traceback as a
        note); ParseMemoryExceeded when it hit the cap; ParseProcessFailed when it died else."""
        try:
            kind, value = self._results.recv()
        except (EOFError, OSError):
            kind, value = "died", None
        finally:
            self._results.close()
        self._process.join()
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise self._death()

    def kill(self) -> None:
        """Stop the child now (say, when the COPY it feeds failed) and reap it."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._results.close()

    def _death(self) -> Exception:
        code = self._process.exitcode
        limit = f"{self.memory_bytes // (1 << 20):,} MiB"
        if code == _MEMORY_EXIT or (code is not None and code < 0
                                    and -code in _MEMORY_SIGNALS):
            how = "ran out of memory" if code == _MEMORY_EXIT else (
                f"was stopped by {signal.Signals(-code).name}")
            return ParseMemoryExceeded(
                f"reading the file needs more memory than the {limit} allowed (the parser "
                f"{how}; a decompression bomb?); if the file is genuine, split it or raise "
                "SALESOPS_PARSE_MEMORY_MB"
            )
        what = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0
                else f"exit code {code}")
        return ParseProcessFailed(
            f"the parser process died ({what}) without a result; the file may be damaged: "
            "export it again"
        )


def preload(modules: list[str]) -> None:
    """Import ``modules`` once in the fork server, so each child starts with them (calamine and
    the parser: ~70 ms less per call). Takes effect only before the first ``run_capped``."""
    _CONTEXT.set_forkserver_preload(list(modules))  # the child's function is never in __main__


def run_capped(func: Callable[..., Any], args: tuple[Any, ...] = (), *, memory_bytes: int,
               stream: bool = False) -> tuple[BinaryIO | None, CappedCall]:
    """Start ``func(*args)`` (``func(out, *args)`` with ``stream``) in a capped child process.

    ``func``, ``args`` and the result must be picklable (``func`` a module-level function).
    With ``stream`` read the returned file to its end before calling ``result()``; the child
    blocks while nobody reads. The returned reader is None without ``stream``.
    """
    results_in, results_out = _CONTEXT.Pipe(duplex=False)
    stream_in, stream_out = _CONTEXT.Pipe(duplex=False) if stream else (None, None)
    process = _CONTEXT.Process(target=_child, daemon=True, name="salesops-capped",
                               args=(func, args, memory_bytes, results_out, stream_out))
    try:
        process.start()
    finally:
        results_out.close()  # the child holds its own copies: EOF here means it is gone
        if stream_out is not None:
            stream_out.close()
    reader = io.BufferedReader(_Receiver(stream_in), CHUNK_BYTES) if stream_in else None
    return reader, CappedCall(process, results_in, memory_bytes)


def _cap(memory_bytes: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _child(func: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int,
           results: Connection, stream: Connection | None) -> None:
    """The child's body: cap, run, send back ("ok", value) or ("error", exception)."""
    _cap(memory_bytes)
    try:
        if stream is None:
            value = func(*args)
        else:
            with io.BufferedWriter(_Sender(stream), CHUNK_BYTES) as out:
                value = func(out, *args)
        message = pickle.dumps(("ok", value))
    except MemoryError:
        os._exit(_MEMORY_EXIT)  # nothing more can be allocated safely: the exit code says it
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        message = _error_message(exc)
    results.send_bytes(message)
    results.close()


def _error_message(exc: BaseException) -> bytes:
    """("error", exc) pickled, with the child's traceback as a note; a stand-in when ``exc``
    cannot cross the process boundary (an unpicklable attribute, a custom ``__init__``)."""
    remote = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"in the capped child process:\n{remote}")
        message = pickle.dumps(("error", exc))
        pickle.loads(message)
        return message
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    except Exception:  # noqa: BLE001 - replaced by an error that says what it was
        stand_in = ParseProcessFailed(f"the parser failed: {type(exc).__name__}: {exc}")
        stand_in.add_note(f"in the capped child process:\n{remote}")
        return pickle.dumps(("error", stand_in))
