"""SALESOPS_LOG_FORMAT=json: the API run by uvicorn writes only JSON lines, access log included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uvicorn_logs_one_json_object_per_line(api_db: str) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": api_db, "SALESOPS_LOG_FORMAT": "json"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "salesops_pipeline.api.main:app",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "API did not start"
                time.sleep(0.2)
        assert status == 200
        assert httpx.get(f"http://127.0.0.1:{port}/no/such/page").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert out == ""
    lines = [json.loads(x) for x in err.splitlines()]  # fails on any line that is not JSON
    assert all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    access = [x["message"] for x in lines if x["logger"] == "uvicorn.access"]
    assert any('"GET /health HTTP/1.1" 200' in m for m in access), access
    assert any('"GET /no/such/page HTTP/1.1" 404' in m for m in access), access
    assert any(x["logger"] == "uvicorn.error" and "Application startup complete" in x["message"]
               for x in lines)
