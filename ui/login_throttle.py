"""Throttled logins for ``qbank serve``: failed logins are counted per client address and over all clients.

Gradio checks the password at ``POST /login`` and answers 400 on a wrong one, as fast as it is asked
(500 guesses took 0.6 s). :class:`LoginThrottleMiddleware` sits in front of that route: after
``login_max_failures`` failed logins from one address within ``login_window_s`` seconds, or
``login_global_max_failures`` from all addresses together, further logins are answered
``429 Too Many Requests`` with ``Retry-After`` and ``{"detail": "too many failed logins …; try again in N s"}``
(without checking the password) until the oldest counted failure leaves the window. A successful login
clears its address's count. Sessions already logged in are never affected: only the login route is.

Gradio's own login page shows its fixed "incorrect credentials" text for any refused login, so the page's
``auth_message`` states the rule; API clients (``gradio_client``, curl) get the exact wait.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Sliding-window counts of failed logins, per client and global.

    Args:
        per_client: failures one address may make within ``window`` seconds.
        global_max: failures all addresses together may make within ``window`` seconds.
        window: seconds a failure counts for.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, per_client: int = 5, global_max: int = 50, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.per_client, self.global_max, self.window, self.clock = per_client, global_max, window, clock
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "LoginThrottle":
        return cls(settings.ui.login_max_failures, settings.ui.login_global_max_failures, settings.ui.login_window_s)

    def _expire(self, now: float) -> None:
        edge = now - self.window
        while self._all and self._all[0] <= edge:
            self._all.popleft()
        for client in [c for c, q in self._clients.items() if not q or q[-1] <= edge]:
            del self._clients[client]
        for q in self._clients.values():
            while q and q[0] <= edge:
                q.popleft()

    def wait(self, client: str) -> tuple[float, str]:
        """``(seconds to wait, "this address" | "all addresses")`` before ``client`` may try again; ``(0, "")`` now."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            own = self._clients.get(client)
            if own is not None and len(own) >= self.per_client:
                return own[len(own) - self.per_client] + self.window - now, "this address"
            if len(self._all) >= self.global_max:
                return self._all[len(self._all) - self.global_max] + self.window - now, "all addresses"
            return 0.0, ""

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            self._clients.setdefault(client, deque()).append(now)
            self._all.append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def message(self, seconds: float, scope: str) -> str:
        limit = self.per_client if scope == "this address" else self.global_max
        return (f"too many failed logins from {scope} ({limit} within {self.window:g} s); "
                f"try again in {max(1, int(seconds + 0.999))} s")


class LoginThrottleMiddleware:
    """ASGI middleware applying a :class:`LoginThrottle` to ``POST …/login`` (streams everything else untouched)."""

    def __init__(self, app, throttle: LoginThrottle):
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") != "POST" or \
                not scope.get("path", "").rstrip("/").endswith("/login"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        seconds, who = self.throttle.wait(client)
        if seconds > 0:
            body = json.dumps({"detail": self.throttle.message(seconds, who)}).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                    (b"retry-after", str(max(1, int(seconds + 0.999))).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        status: dict[str, int] = {}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        code = status.get("code", 0)
        if code in (400, 401, 403):
            self.throttle.failed(client)
        elif 200 <= code < 300:
            self.throttle.succeeded(client)


def login_rule(settings) -> str:
    """The rule, as shown on the login page."""
    return (f"qbank — after {settings.ui.login_max_failures} failed logins within {settings.ui.login_window_s:g} s, "
            f"logins from that address pause until the window has passed")
