"""Twenty chat sessions at once through ``gradio_client`` against a real ``qbank serve`` on loopback.

Each session asks a different question, then a follow-up that only makes sense in its own
conversation. Every answer must cite what a single-threaded, in-process answerer cites for
the same conversation: no errors, and no answer or follow-up taken from another session.
Throughput and p95 latency are printed (run with ``-s``) and written to ``$QBANK_HOME/concurrency.json``;
the same questions through Gradio's REST API (no client library) give the server's own figures.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import FOLLOW_UP, cited, conversation_plan, percentile

pytestmark = pytest.mark.integration

SESSIONS = 20


@pytest.fixture(scope="module")
def conversations(corpus_settings):
    """20 questions on 20 different items, each with the items an in-process answerer cites for it and its follow-up."""
    from rag.answer import Answerer

    picked = conversation_plan(Answerer(corpus_settings), SESSIONS)
    assert len(picked) == SESSIONS
    return picked


def test_twenty_concurrent_chat_sessions(server_url, served_home, conversations):
    from gradio_client import Client

    barrier = threading.Barrier(SESSIONS)
    latencies: list[float] = []
    lock = threading.Lock()

    def session(k: int):
        question, expect_first, expect_follow = conversations[k]
        client = Client(server_url, verbose=False)
        barrier.wait(timeout=120)          # all sessions ask at the same moment
        out = []
        history: list = []
        for q in (question, FOLLOW_UP):
            t0 = time.perf_counter()
            result = client.predict(q, history, api_name="/ask")
            with lock:
                latencies.append(time.perf_counter() - t0)
            history = result[0]
            out.append(cited(history))
        client.close()
        return k, out, expect_first, expect_follow, history

    t0 = time.perf_counter()
    with ThreadPoolExecutor(SESSIONS) as pool:
        results = list(pool.map(session, range(SESSIONS)))
    wall = time.perf_counter() - t0
    mixed = []
    for k, (first, follow), expect_first, expect_follow, history in results:
        if first != expect_first or follow != expect_follow:
            mixed.append((k, first, expect_first, follow, expect_follow))
        # the session's own history only: its question, its follow-up, nothing from another session
        users = [m["content"] for m in history if m["role"] == "user"]
        texts = [u if isinstance(u, str) else "".join(p.get("text", "") for p in u) for u in users]
        assert texts == [conversations[k][0], FOLLOW_UP]
    assert not mixed, mixed
    lat = sorted(latencies)
    p95 = percentile(lat, 0.95)
    figures = {"sessions": SESSIONS, "requests": len(lat), "wall_s": round(wall, 2),
               "throughput_rps": round(len(lat) / wall, 2), "p50_s": round(statistics.median(lat), 3),
               "p95_s": round(p95, 3), "max_s": round(lat[-1], 3)}
    (served_home / "concurrency.json").write_text(json.dumps(figures), encoding="utf-8")
    print(f"\nconcurrency: {json.dumps(figures)}")
    assert len(lat) == 2 * SESSIONS


def test_twenty_concurrent_clients_on_the_rest_api(server_url, served_home, conversations):
    """The same first questions through Gradio's REST API (no client library): the server's own figures."""
    import httpx

    barrier = threading.Barrier(SESSIONS)
    latencies: list[float] = []
    lock = threading.Lock()

    def one(k: int):
        question, expect, _ = conversations[k]
        with httpx.Client(base_url=server_url, timeout=120) as http:
            barrier.wait(timeout=60)
            got = []
            for _ in range(2):
                t0 = time.perf_counter()
                event = http.post("gradio_api/call/ask", json={"data": [question, []]}).json()["event_id"]
                with http.stream("GET", f"gradio_api/call/ask/{event}") as r:
                    body = "".join(r.iter_text())
                with lock:
                    latencies.append(time.perf_counter() - t0)
                assert "event: complete" in body, body[-500:]
                data = json.loads(body.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])
                got.append(cited(data[0]))
        return got, expect

    t0 = time.perf_counter()
    with ThreadPoolExecutor(SESSIONS) as pool:
        results = list(pool.map(one, range(SESSIONS)))
    wall = time.perf_counter() - t0
    assert all(g == [expect, expect] for g, expect in results), results
    lat = sorted(latencies)
    figures = {"clients": SESSIONS, "requests": len(lat), "wall_s": round(wall, 2),
               "throughput_rps": round(len(lat) / wall, 2), "p50_s": round(statistics.median(lat), 3),
               "p95_s": round(percentile(lat, 0.95), 3)}
    (served_home / "concurrency_rest.json").write_text(json.dumps(figures), encoding="utf-8")
    print(f"\nconcurrency (REST API): {json.dumps(figures)}")
