"""The load generator of benchmarks/api.py: keep-alive HTTP/1.1 clients on uvloop, open or
closed loop.

Open loop (:func:`open_loop`): requests are due at a fixed rate, whatever the answers do, like
users arriving; each due request goes to an idle connection of the ``clients`` kept open, or
waits for one. Its latency runs from the moment it was due (so a slow answer delays the next ones
and is counted, not hidden: no coordinated omission), which includes up to 1 ms of timer
granularity. Closed loop (:func:`closed_loop`): each connection sends its next request as soon as
the previous answer is complete; the answers per second are the saturation throughput. The
clients share the machine's cores with the API and PostgreSQL, so they are bare asyncio protocols
that spend as little CPU per request as they can.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil
import uvloop

WARM_UP_SECONDS = 1.0


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, ``done(self, status)`` per answer."""

    def __init__(self, done: Callable[[_Connection, int], None]) -> None:
        self.done, self.buffer = done, b""
        self.transport: asyncio.Transport | None = None
        self.due = 0.0  # when the request being answered was due (open loop) or sent
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, request: bytes, due: float) -> None:
        assert self.transport is not None
        self.due = due
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = self.buffer[:head_end].lower()
        status = int(head[9:12])
        at = head.find(b"content-length:")
        length = 0
        if at >= 0:
            eol = head.find(b"\r\n", at)
            length = int(head[at + 15:eol] if eol > 0 else head[at + 15:])
        if len(self.buffer) < head_end + 4 + length:
            return
        self.buffer = self.buffer[head_end + 4 + length:]
        self.done(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


def requests_for(targets: list[str], key: str, extra: dict[str, str] | None = None
                 ) -> list[bytes]:
    """The raw GET requests; ``extra`` maps a target to more header lines (each ending CRLF)."""
    requests = []
    for target in targets:
        more = (extra or {}).get(target, "")
        requests.append(f"GET {target} HTTP/1.1\r\nHost: bench\r\nX-API-Key: {key}\r\n"
                        f"{more}\r\n".encode())
    return requests


async def _connect(port: int, clients: int, done: Callable[[_Connection, int], None]
                   ) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(clients):
        _, conn = await loop.create_connection(lambda: _Connection(done), "127.0.0.1", port)
        conns.append(conn)
    return conns


def open_loop(port: int, requests: list[bytes], clients: int, rate: float, seconds: float,
              seed: int = 1) -> Result:
    """``rate`` requests/s for ``seconds`` (after a warm-up second) over ``clients``
    connections; latencies from each request's due time. Requests still unanswered 5 s after
    the last one was due are counted with status 0 and an infinite latency."""
    async def main() -> Result:
        rnd, result = random.Random(seed), Result()
        idle: deque[_Connection] = deque()
        due: deque[tuple[float, bytes]] = deque()
        start = time.perf_counter() + 0.1
        measured_from = start + WARM_UP_SECONDS
        pending = int((WARM_UP_SECONDS + seconds) * rate)
        finished = asyncio.get_running_loop().create_future()

        def dispatch() -> None:
            while idle and due:
                when, request = due.popleft()
                idle.popleft().send(request, when)

        def done(conn: _Connection, status: int) -> None:
            nonlocal pending
            if conn.due >= measured_from:
                result.add(status, time.perf_counter() - conn.due)
            pending -= 1
            idle.append(conn)
            dispatch()
            if pending == 0 and not finished.done():
                finished.set_result(None)

        conns = await _connect(port, clients, done)
        idle.extend(conns)
        for i in range(pending):
            when = start + i / rate
            wait = when - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            due.append((when, requests[rnd.randrange(len(requests))]))
            dispatch()
        try:  # an overloaded server: what is still unanswered 5 s after the last due request
            await asyncio.wait_for(finished, 5)  # counts as never answered (infinite latency)
        except TimeoutError:
            result.latencies += [float("inf")] * pending
            result.statuses[0] = pending
        for conn in conns:
            assert conn.transport is not None
            conn.transport.close()
        return result

    return uvloop.run(main())


def closed_loop(port: int, requests: list[bytes], clients: int, seconds: float,
                seed: int = 1) -> Result:
    """``clients`` connections sending back to back for ``seconds`` (after a warm-up second)."""
    async def main() -> Result:
        rnd, result = random.Random(seed), Result()
        start = time.perf_counter()
        measured_from, until = start + WARM_UP_SECONDS, start + WARM_UP_SECONDS + seconds

        def done(conn: _Connection, status: int) -> None:
            now = time.perf_counter()
            if conn.due >= measured_from:
                result.add(status, now - conn.due)
            if now < until:
                conn.send(requests[rnd.randrange(len(requests))], now)
            else:
                assert conn.transport is not None
                conn.transport.close()

        conns = await _connect(port, clients, done)
        for conn in conns:
            conn.send(requests[rnd.randrange(len(requests))], time.perf_counter())
        await asyncio.gather(*(conn.closed for conn in conns))
        return result

    return uvloop.run(main())


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (PostgreSQL backends)."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0
