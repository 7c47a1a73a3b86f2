"""20 chat sessions and 5 mock interviews at once against one real ``qbank serve`` on loopback.

``tests/ui/test_concurrency.py`` runs 20 chat sessions alone. Here the chats share the
server with 5 interviews (start, 4 × submit + next, finish) started at the same moment,
each through its own ``gradio_client`` session. Nothing may fail, and nothing may cross
between sessions:

* each chat session's answer and follow-up cite what an in-process answerer cites for that
  same conversation, and its history holds only its own two questions;
* each interview's grade cards are for the question that session was shown, with the score
  the in-process grader gives that answer; its end report lists exactly its own questions
  and scores under its own profile, and so does the SQLite history.

Throughput and latency (p50 / p95 per kind of request) are printed and written to
``$QBANK_RELIABILITY_OUT/mixed_load.json`` when that is set.
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import (FOLLOW_UP, cited, conversation_plan, copy_home, free_port, percentile, start_serve,
                           stop_serve)

pytestmark = pytest.mark.integration

CHATS, INTERVIEWS, QUESTIONS = 20, 5, 4
REQUEST_TIMEOUT = 180
_SCORE = re.compile(r'id="qb-score-value">(\d+)<')
_WHERE = re.compile(r'<span class="qb-ref-where">(.*?)</span>')
_ROW = re.compile(r"^\| (\d+) \| .*? \| (\d+) \| .*?`([^`]+)`", re.M)


@pytest.fixture(scope="module")
def served(corpus_home, tmp_path_factory):
    home = copy_home(corpus_home, tmp_path_factory.mktemp("mixed") / "home")
    port = free_port()
    proc = start_serve(home, port)
    yield f"http://127.0.0.1:{port}/", home
    stop_serve(proc)


@pytest.fixture(scope="module")
def chat_plan(corpus_settings, searcher):
    """20 questions on 20 different items, with what a single in-process answerer cites for each and its follow-up."""
    from rag.answer import Answerer

    plan = conversation_plan(Answerer(corpus_settings, searcher), CHATS)
    if len(plan) == CHATS:
        return plan
    pytest.fail("not enough distinct eval questions")


@pytest.fixture(scope="module")
def grader(corpus_settings, searcher):
    from rag.interview.grade import Grader

    g = Grader(corpus_settings, searcher)
    g.warm_up()
    return g


def answer_for(question: str, by_question: dict) -> str:
    """A candidate's answer: the first two sentences of the reference answer of the question shown."""
    item = by_question[question][0]
    sentences = [s for s in re.split(r"(?<=[。！？])", " ".join(item.answer.split())) if s.strip()]
    return "".join(sentences[:2])[:240] or item.question


def item_of_card(card: str, items_by_file_number: dict) -> str:
    """The item id a grade card cites: ``file · 第 N 题 · 行 a–b`` -> ``<file stem>-N``."""
    where = html.unescape(_WHERE.search(card).group(1))
    file, number = where.split(" · ")[0], int(re.search(r"第 (\d+) 题", where).group(1))
    return items_by_file_number[(file, number)]


def test_chats_and_interviews_at_once(served, chat_plan, grader, corpus_settings):
    from gradio_client import Client

    url, home = served
    items = grader.searcher.index.items
    by_question: dict[str, list] = {}
    for it in items:
        by_question.setdefault(it.question, []).append(it)
    by_file_number = {(it.file, it.number): it.id for it in items}
    latencies: dict[str, list[float]] = {"chat": [], "interview": []}
    lock = threading.Lock()
    barrier = threading.Barrier(CHATS + INTERVIEWS)

    def timed(kind, client, *args, api_name):
        t0 = time.perf_counter()
        out = client.submit(*args, api_name=api_name).result(timeout=REQUEST_TIMEOUT)
        with lock:
            latencies[kind].append(time.perf_counter() - t0)
        return out

    def chat(k):
        question, expect_first, expect_follow = chat_plan[k]
        client = Client(url, verbose=False)
        barrier.wait(timeout=180)
        history, got = [], []
        for q in (question, FOLLOW_UP):
            history = timed("chat", client, q, history, api_name="/ask")[0]
            got.append(cited(history))
        client.close()
        users = [m["content"] if isinstance(m["content"], str) else "".join(p.get("text", "") for p in m["content"])
                 for m in history if m["role"] == "user"]
        return {"kind": "chat", "k": k, "ok": got == [expect_first, expect_follow] and users == [question, FOLLOW_UP],
                "got": got, "expected": [expect_first, expect_follow], "users": users}

    def interview(k):
        profile = f"mix{k}"
        client = Client(url, verbose=False)
        barrier.wait(timeout=180)
        out = timed("interview", client, [], [], QUESTIONS, "random", profile, api_name="/interview_start")
        question_md = out[1]
        graded = []
        for n in range(QUESTIONS):
            shown = question_md.split("\n", 1)[0].removeprefix("### ").strip()
            answer = answer_for(shown, by_question)
            progress, card = timed("interview", client, answer, api_name="/interview_submit")
            item_id = item_of_card(card, by_file_number)
            graded.append({"shown": shown, "id": item_id, "answer": answer, "score": int(_SCORE.search(card).group(1)),
                           "progress_ok": f"{n + 1}/{QUESTIONS}" in progress})
            question_md = timed("interview", client, api_name="/interview_next")[1]
        report = timed("interview", client, api_name="/interview_finish")[2]
        client.close()
        rows = [(m.group(3), int(m.group(2))) for m in _ROW.finditer(report)]
        return {"kind": "interview", "k": k, "profile": profile, "graded": graded, "report_rows": rows,
                "report_profile_ok": f"档案 `{profile}`" in report}

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CHATS + INTERVIEWS) as pool:
        futures = [pool.submit(chat, k) for k in range(CHATS)] + [pool.submit(interview, k) for k in range(INTERVIEWS)]
        results = [f.result(timeout=600) for f in futures]          # an error in any session fails here
    wall = time.perf_counter() - t0

    bad_chats = [r for r in results if r["kind"] == "chat" and not r["ok"]]
    assert not bad_chats, bad_chats
    from rag.interview.store import HistoryStore

    store = HistoryStore(home / "interview.sqlite3")
    for r in (r for r in results if r["kind"] == "interview"):
        graded = r["graded"]
        assert len({g["id"] for g in graded}) == QUESTIONS and all(g["progress_ok"] for g in graded), r
        for g in graded:
            item = grader.item(g["id"])
            assert item.question == g["shown"], g                   # the card is for the question this session saw
            assert g["score"] == grader.grade(item, g["answer"]).score, g   # and grades this session's answer
        assert r["report_profile_ok"] and r["report_rows"] == [(g["id"], g["score"]) for g in graded], r
        saved = [(a["item_id"], a["score"]) for a in store.attempts(r["profile"])]
        assert saved == [(g["id"], g["score"]) for g in graded], (saved, graded)
    assert store.check() == "ok"

    everything = latencies["chat"] + latencies["interview"]
    figures = {"chat_sessions": CHATS, "interview_sessions": INTERVIEWS, "requests": len(everything),
               "errors": 0, "wall_s": round(wall, 1), "throughput_rps": round(len(everything) / wall, 2),
               "p50_s": round(statistics.median(everything), 2), "p95_s": round(percentile(everything, 0.95), 2)}
    for kind, values in latencies.items():
        figures[f"{kind}_requests"] = len(values)
        figures[f"{kind}_p50_s"] = round(statistics.median(values), 2)
        figures[f"{kind}_p95_s"] = round(percentile(values, 0.95), 2)
    figures["ui_concurrency"] = corpus_settings.ui.ui_concurrency
    print("\nmixed load:", json.dumps(figures))
    out = os.environ.get("QBANK_RELIABILITY_OUT")
    if out:
        (Path(out) / "mixed_load.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    assert len(latencies["chat"]) == 2 * CHATS and len(latencies["interview"]) == INTERVIEWS * (2 + 2 * QUESTIONS)
    assert wall < 300, figures


def test_server_refuses_bad_input_clearly_and_keeps_serving(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, _ = served
    client = Client(url, verbose=False)
    for bad, message in (("", "the question is empty"), ("  \n ", "the question is empty"),
                         ("\x00\x1b[31m\u202e", "the question is empty"),
                         ("长" * 200_000, "characters long; the limit is 2000")):
        with pytest.raises(AppError, match=message):
            client.predict(bad, [], api_name="/ask")
    history = client.predict("什么是感受野？", [], api_name="/ask")[0]
    assert cited(history)[0] == "dl_basics_qa-9"
    with pytest.raises(AppError, match="请先开始一场面试"):
        client.predict("感受野", api_name="/interview_submit")
    client.predict([], [], 2, "random", "bad-input", api_name="/interview_start")
    for bad in ("", " \t\n "):
        with pytest.raises(AppError, match="回答为空"):
            client.predict(bad, api_name="/interview_submit")
    card = client.predict("感受野" * 70_000, api_name="/interview_submit")[1]       # graded on its start
    assert "只评了前" in card and _SCORE.search(card)
    client.close()
