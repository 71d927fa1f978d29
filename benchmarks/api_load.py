"""The load generator of benchmarks/api.py: closed-loop keep-alive HTTP clients on uvloop.

Each client sends its next request as soon as the previous answer is complete (no think time),
like the dashboards and scripts the API serves; the clients share the machine's cores with the
API and PostgreSQL, so they are written to spend as little CPU per request as they can.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import psutil
import uvloop


class _Client(asyncio.Protocol):
    """One keep-alive connection sending the next request as soon as an answer is complete
    (closed loop, no think time). A bare protocol on uvloop, so the load generator, which
    shares the two cores with the API and PostgreSQL, spends as little CPU as it can."""

    def __init__(self, run: _Run, seed: int) -> None:
        self.run, self.rnd, self.buffer = run, random.Random(seed), b""
        self.transport: asyncio.Transport | None = None
        self.sent = 0.0
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        if self.sent >= self.run.until:
            self.transport.close()
            return
        self.transport.write(self.run.requests[self.rnd.randrange(len(self.run.requests))])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = self.buffer[:head_end].lower()
        at = head.find(b"content-length:") + 15
        eol = head.find(b"\r\n", at)
        length = int(head[at:eol] if eol > 0 else head[at:])
        if len(self.buffer) < head_end + 4 + length:
            return
        self.buffer = self.buffer[head_end + 4 + length:]
        if self.sent >= self.run.warm_until:
            self.run.latencies.append(time.perf_counter() - self.sent)
            if head[9:12] != b"200":
                self.run.errors.append(int(head[9:12]))
            if b"x-cache: hit" in head:
                self.run.hits += 1
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


class _Run:
    def __init__(self, requests: list[bytes], until: float, warm_until: float) -> None:
        self.requests, self.until, self.warm_until = requests, until, warm_until
        self.latencies: list[float] = []
        self.errors: list[int] = []
        self.hits = 0


def load(port: int, key: str, targets: list[str], clients: int, seconds: float,
         fresh: bool = False) -> tuple[list[float], list[int], int]:
    """``clients`` keep-alive connections sending requests back to back; 1 s warm-up first.
    ``fresh``: each request says ``Cache-Control: no-cache``. Returns the latencies, the
    non-200 statuses and how many answers came from the cache."""
    extra = "Cache-Control: no-cache\r\n" if fresh else ""
    requests = [f"GET {path} HTTP/1.1\r\nHost: bench\r\nX-API-Key: {key}\r\n{extra}\r\n"
                .encode() for path in targets]

    async def main() -> _Run:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        run = _Run(requests, start + 1 + seconds, start + 1)
        protocols = []
        for seed in range(clients):
            _, protocol = await loop.create_connection(lambda s=seed: _Client(run, s),
                                                       "127.0.0.1", port)
            protocols.append(protocol)
        await asyncio.gather(*(p.done for p in protocols))
        return run

    run = uvloop.run(main())
    return run.latencies, run.errors, run.hits


def measure(api_pid: int, postmaster: int, port: int, key: str, targets: list[str],
            clients: int, seconds: float, fresh: bool) -> tuple[str, dict[str, object]]:
    """One load run: its table row (after the label) and its figures."""
    before = (cpu_seconds(api_pid), cpu_seconds(postmaster), time.process_time())
    lat, errors, hits = load(port, key, targets, clients, seconds, fresh)
    after = (cpu_seconds(api_pid), cpu_seconds(postmaster), time.process_time())
    hit_share = hits / len(lat) if lat else 0.0
    # CPU per answered request (warm-up included on both sides): API, PostgreSQL, the client.
    answered = len(lat) * (seconds + 1) / seconds
    cpu_us = [round((a - b) / answered * 1e6) if lat else 0
              for a, b in zip(after, before, strict=True)]
    row = f"{pct(lat, .5):>9.1f}{pct(lat, .99):>9.1f}{len(lat) / seconds:>9.0f}" \
          f"{len(errors):>8}{hit_share:>7.0%}{'/'.join(map(str, cpu_us)):>18}"
    return row, {"p50_ms": pct(lat, .5), "p99_ms": pct(lat, .99), "rps": len(lat) / seconds,
                 "errors": len(errors), "cache_hits": hit_share, "cpu_us_api_pg_client": cpu_us,
                 "load_avg_1m": os.getloadavg()[0]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (uvicorn workers, PG backends)."""
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
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0
