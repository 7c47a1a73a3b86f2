"""A local server speaking the OpenAI chat.completions protocol, for the tests of the real ``ChatOpenAI`` clients.

:class:`Handler` picks its behaviour from the requested model name: ``ok`` streams :data:`CANNED` as SSE,
``err500`` fails with HTTP 500, ``malformed`` sends broken SSE, ``slow`` says nothing until released (or
10 s), ``stall`` stops after one chunk. :func:`serve_stub` runs it (or another handler, such as
``tests/ui/rubric_stub.py``'s) on a free loopback port. Every request is kept in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CANNED = ["批量归一化", "对每层输入做归一化", " [1]，", "据说还能治感冒 [7]", "。"]


def sse_chunk(delta: dict, finish: str | None = None, model: str = "ok", id: str = "chatcmpl-1") -> bytes:
    """One ``chat.completion.chunk`` server-sent event."""
    body = {"id": id, "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


class StubHandler(BaseHTTPRequestHandler):
    """Quiet, and calm when the client hangs up first (which is what the timeout tests do)."""

    def log_message(self, *args):   # keep test output clean
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):   # the client gave up first: that is the point
            pass

    def send_body(self, status: int, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Handler(StubHandler):
    """Answers by model name (see the module docstring); keeps ``(path, lower-cased headers, body)``."""

    server_version = "stub-openai/1"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        model = body["model"]
        if model == "err500":
            return self._json(500, {"error": {"message": "internal error", "type": "server_error"}})
        if model == "slow":
            self.server.release.wait(10)
            return self._json(200, {})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if model == "malformed":
            self.wfile.write(b'data: {"id": "x", "choices": [{"delta": {"content": "half\n\ndata: {not json\n\n')
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self.wfile.write(sse_chunk({"role": "assistant", "content": ""}, model=model))
        for piece in CANNED:
            self.wfile.write(sse_chunk({"content": piece}, model=model))
            self.wfile.flush()
            if model == "stall":
                self.server.release.wait(10)
                return
        self.wfile.write(sse_chunk({}, "stop", model=model))
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, status, obj):
        self.send_body(status, "application/json", json.dumps(obj).encode())


@contextmanager
def serve_stub(handler: type[BaseHTTPRequestHandler] = Handler) -> Iterator[ThreadingHTTPServer]:
    """Serve ``handler`` on a free loopback port (``server.server_address[1]``) in a thread.

    The server carries ``requests`` (a list the handler appends to) and ``release`` (an Event that
    silent models wait on; set on exit so no handler thread outlives the block).
    """
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    srv.requests = []
    srv.release = threading.Event()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
