"""Login throttling (issue 18 item 9): 500 wrong passwords used to be checked in 0.6 s. Now, after
``login_max_failures`` failures from one address (or ``login_global_max_failures`` from all) within
``login_window_s``, logins answer 429 with "try again in N s" until the window has passed."""

from __future__ import annotations

import time

import pytest

from tests.support import free_port, start_serve, stop_serve

USER, PASSWORD = "alice", "correct horse battery"


def test_throttle_counts_per_client_and_globally():
    from ui.login_throttle import LoginThrottle

    now = [0.0]
    t = LoginThrottle(per_client=3, global_max=5, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert t.wait("a") == (0.0, "")
        t.failed("a")
    seconds, who = t.wait("a")
    assert who == "this address" and seconds == pytest.approx(60)
    assert "try again in 60 s" in t.message(seconds, who)
    now[0] = 30
    assert t.wait("a")[0] == pytest.approx(30) and t.wait("b") == (0.0, "")
    t.failed("b")
    t.failed("c")
    assert t.wait("d")[1] == "all addresses"            # 5 failures from three addresses
    now[0] = 60.5                                       # a's failures have left the window
    assert t.wait("a") == (0.0, "") and t.wait("d") == (0.0, "")
    t.failed("b")
    t.succeeded("b")                                    # a good login clears its own count
    assert "b" not in t._clients


@pytest.fixture()
def server(rel_home):
    port = free_port()
    env = {"QBANK_AUTH_USER": USER, "QBANK_PASSWORD": PASSWORD, "QBANK_LOGIN_MAX_FAILURES": "5",
           "QBANK_LOGIN_GLOBAL_MAX_FAILURES": "8", "QBANK_LOGIN_WINDOW_S": "4"}
    proc = start_serve(rel_home, port, env=env)
    yield f"http://127.0.0.1:{port}"
    stop_serve(proc)


def _client(url, source="127.0.0.1"):
    import httpx

    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=source))


def test_wrong_passwords_are_throttled_with_a_clear_wait(server):
    h = _client(server)
    codes, details = [], []
    t0 = time.monotonic()
    for _ in range(40):
        r = h.post("/login", data={"username": USER, "password": "guess"})
        codes.append(r.status_code)
        details.append(r.json().get("detail", ""))
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}, codes
    assert "too many failed logins from this address (5 within 4 s); try again in " in details[-1]
    r = h.post("/login", data={"username": USER, "password": PASSWORD})   # not even checked while waiting
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 4
    time.sleep(max(0.0, t0 + 4.5 - time.monotonic()))
    r = h.post("/login", data={"username": USER, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert h.get("/config").status_code == 200        # logged in: the app itself is never throttled


def test_failures_from_many_addresses_throttle_everyone(server):
    for source, n in (("127.0.0.2", 5), ("127.0.0.3", 3)):
        h = _client(server, source)
        assert [h.post("/login", data={"username": USER, "password": "x"}).status_code
                for _ in range(n)] == [400] * n
    r = _client(server, "127.0.0.4").post("/login", data={"username": USER, "password": PASSWORD})
    assert r.status_code == 429 and "from all addresses (8 within 4 s); try again in" in r.json()["detail"]
