"""extract/memory_cap.py: a function runs in a child whose address space is capped; the parent
survives whatever the child does and gets its result, its exception or a named error."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import time

import psutil
import pytest

from salesops_pipeline.core.extract.header.columns import missing_columns
from salesops_pipeline.core.extract.memory_cap import run_capped
from salesops_pipeline.errors import (
    MissingColumns,
    ParseMemoryExceeded,
    ParseProcessFailed,
    UnreadableWorkbook,
)

MiB = 1 << 20
CAP = 300 * MiB


# Module-level so the fork server's children can import them by name.
def add(a: int, b: int) -> int:
    return a + b


def allocate(size: int) -> int:
    return len(bytearray(size))


def write_blocks(out, seed: int, blocks: int) -> str:
    """Write seeded random blocks of varying size; return their SHA-256 as the child saw it."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    for _ in range(blocks):
        block = rng.randbytes(rng.randrange(1, 300_000))
        digest.update(block)
        out.write(block)
    return digest.hexdigest()


def fail_with(error: Exception) -> None:
    raise error


def die_by(out, signal_number: int) -> None:
    out.write(b"partial")
    out.flush()
    os.kill(os.getpid(), signal_number)


def own_limit() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


def test_a_normal_function_returns_its_result() -> None:
    reader, call = run_capped(add, (2, 40), memory_bytes=CAP)
    assert reader is None
    assert call.result() == 42


def test_the_child_runs_under_the_cap_and_the_parent_does_not() -> None:
    import resource

    _, call = run_capped(own_limit, memory_bytes=CAP)
    assert call.result() == CAP
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != CAP


def test_allocating_2_gib_under_300_mib_fails_fast_with_the_named_error() -> None:
    parent = psutil.Process()
    before = parent.memory_info().rss
    started = time.perf_counter()
    _, call = run_capped(allocate, (2 << 30,), memory_bytes=CAP)
    with pytest.raises(ParseMemoryExceeded) as caught:
        call.result()
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert "more memory than the 300 MiB allowed" in message
    assert "decompression bomb" in message and "SALESOPS_PARSE_MEMORY_MB" in message
    assert parent.memory_info().rss - before < 100 * MiB  # the parent never held it
    _, again = run_capped(add, (1, 1), memory_bytes=CAP)  # and carries on
    assert again.result() == 2


def test_below_the_cap_the_same_allocation_succeeds() -> None:
    _, call = run_capped(allocate, (100 * MiB,), memory_bytes=CAP)
    assert call.result() == 100 * MiB


def test_streamed_bytes_arrive_intact_and_in_order() -> None:
    reader, call = run_capped(write_blocks, (7, 200), memory_bytes=CAP, stream=True)
    assert reader is not None
    digest = hashlib.sha256()
    rng = random.Random(7)
    expected = hashlib.sha256()
    for _ in range(200):
        expected.update(rng.randbytes(rng.randrange(1, 300_000)))
    while chunk := reader.read(65_536):
        digest.update(chunk)
    assert digest.hexdigest() == expected.hexdigest() == call.result()


def test_an_exception_in_the_child_comes_back_as_itself() -> None:
    _, call = run_capped(fail_with, (UnreadableWorkbook("the file is damaged"),),
                         memory_bytes=CAP)
    with pytest.raises(UnreadableWorkbook) as caught:
        call.result()
    assert str(caught.value) == "the file is damaged"
    assert any("in the capped child process" in note and "fail_with" in note
               for note in caught.value.__notes__)


def test_an_error_with_its_own_arguments_keeps_its_message_and_fields() -> None:
    original = missing_columns(["units"], "Sales", 3, ["Qty?"])
    _, call = run_capped(fail_with, (original,), memory_bytes=CAP)
    with pytest.raises(MissingColumns) as caught:
        call.result()
    assert str(caught.value) == str(original)
    assert (caught.value.missing, caught.value.sheet, caught.value.header_row) == (
        ["units"], "Sales", 3)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling")


def test_an_exception_that_cannot_cross_becomes_a_clear_error() -> None:
    _, call = run_capped(fail_with, (ValueError("x"),), memory_bytes=CAP)
    with pytest.raises(ValueError) as plain:
        call.result()
    assert str(plain.value) == "x"
    _, call = run_capped(raise_unpicklable, memory_bytes=CAP)
    with pytest.raises(ParseProcessFailed) as caught:
        call.result()
    assert str(caught.value) == "the parser failed: Unpicklable: cannot go"


def raise_unpicklable() -> None:
    raise Unpicklable("cannot go")


@pytest.mark.parametrize(("signal_number", "error", "text"), [
    (signal.SIGKILL, ParseMemoryExceeded, "was stopped by SIGKILL"),
    (signal.SIGABRT, ParseMemoryExceeded, "was stopped by SIGABRT"),
    (signal.SIGSEGV, ParseProcessFailed, "the parser process died (signal SIGSEGV)"),
])
def test_a_child_killed_by_a_signal_is_named(signal_number: int, error: type, text: str) -> None:
    """SIGKILL (the OOM killer) and SIGABRT (a native allocator giving up) mean memory."""
    reader, call = run_capped(die_by, (signal_number,), memory_bytes=CAP, stream=True)
    assert reader is not None and reader.read() == b"partial"  # it ends, it does not hang
    with pytest.raises(error) as caught:
        call.result()
    assert text in str(caught.value)


def test_kill_stops_a_child_the_parent_no_longer_reads() -> None:
    reader, call = run_capped(write_blocks, (1, 10_000), memory_bytes=CAP, stream=True)
    assert reader is not None and reader.read(10)
    call.kill()
    assert call.pid is not None and not psutil.pid_exists(call.pid)
