"""The interview state machine: a revised answer regrades the question on screen; leaving it records one attempt."""

from __future__ import annotations

import json

import pytest

from rag.interview.session import InterviewSession, SessionConfig
from rag.interview.sessions import SessionLog
from rag.interview.store import HistoryStore


def _good(grader, item_id):
    return "；".join(grader.item(item_id).key_points[:3])


def test_resubmitting_regrades_the_same_question_and_records_it_once(grader, tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    s = InterviewSession.start(grader, store, SessionConfig(count=3, seed=11, profile="ana"))
    first = s.next_question()
    weak = s.answer("我不知道。")
    strong = s.answer(_good(grader, first.id))
    assert s.next_question() == first and s.position == 0           # still on question 1
    assert weak.id == strong.id == first.id and strong.score > weak.score
    assert s.answered == 1 and s.current.score == strong.score      # the latest grade counts
    assert store.attempts("ana") == []                               # nothing recorded while it is on screen
    s.advance()
    assert s.next_question().n == 2
    attempts = store.attempts("ana")
    assert [(a["item_id"], a["score"]) for a in attempts] == [(first.id, strong.score)]
    assert store.card("ana", first.id).last_score == strong.score


def test_leaving_without_a_grade_skips_and_finish_records_the_graded_current(grader, tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    s = InterviewSession.start(grader, store, SessionConfig(count=3, seed=5, profile="bo"))
    q1 = s.next_question()
    s.advance()                                                      # nothing graded: skipped, by its text
    q2 = s.next_question()
    s.answer(_good(grader, q2.id))
    state = json.loads(json.dumps(s.to_state()))                     # a reload: the pending grade survives JSON
    again = InterviewSession.from_state(state, grader, store)
    assert again.current is not None and again.current.id == q2.id and again.next_question() == q2
    report = again.finish()
    assert report.planned == 2 and [r.id for r in report.results] == [q2.id]
    assert report.skipped == (q1.id,) and report.skipped_questions == (q1.question,)
    assert [a["item_id"] for a in store.attempts("bo")] == [q2.id]
    md = report.to_markdown()
    assert q1.question in md and f"`{q1.id}`" not in md.split("跳过")[1].split("##")[0]   # skipped by its text
    r = report.results[0]
    assert r.answer in md and "参考答案" in md and r.reference.strip()[:20] in md  # answer, card, reference
    with pytest.raises(ValueError, match="finished"):
        again.answer("more")


def test_practising_the_weak_ones_again_asks_exactly_those(grader, tmp_path):
    s = InterviewSession.start(grader, None, SessionConfig(count=3, seed=2))
    s.submit("不知道")
    s.submit(_good(grader, s.next_question().id))
    s.submit("随便说说")
    s.finish()
    weak = s.weak_ids()
    assert weak and all(r.score < 60 for r in s.results if r.id in weak)
    again = InterviewSession.start(grader, None, SessionConfig(count=len(weak), items=tuple(weak)))
    assert again.item_ids == weak


def test_the_log_follows_a_session_to_its_end(grader, tmp_path):
    log = SessionLog(tmp_path / "h.sqlite3")
    s = InterviewSession.start(grader, None, SessionConfig(count=2, seed=4, profile="cy"), log=log)
    assert log.active("cy")["id"] == s.id and log.history("cy") == []      # nothing answered: not in History yet
    s.answer("感受野")
    assert log.active("cy")["current"]["id"] == s.item_ids[0]
    s.finish()
    assert log.active("cy") is None
    [row] = log.history("cy")
    assert row.id == s.id and row.finished and row.summary.answered == 1 and row.summary.planned == 1
