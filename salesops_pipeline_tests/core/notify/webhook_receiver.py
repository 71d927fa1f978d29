"""A real HTTP webhook receiver (http.server in a thread) on a free local port, for alert tests.

It records each JSON body it accepts; ``fail_first`` makes it answer 500 that many times first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    """What the local webhook received; it answers 500 to the first ``fail_first`` POSTs."""

    url: str
    fail_first: int = 0
    posts: int = 0
    bodies: list[dict] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@contextmanager
def webhook_receiver(*, fail_first: int = 0) -> Iterator[Receiver]:
    """An http.server on 127.0.0.1:<free port> in a thread, until the block ends."""
    receiver = Receiver(url="", fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            data = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.posts += 1
            if receiver.posts <= receiver.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            receiver.bodies.append(json.loads(data))
            receiver.content_types.append(self.headers["Content-Type"])
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
