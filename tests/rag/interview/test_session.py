"""Interview sessions: selection (filters, duplicates once, no repeats, due/weakest order), state, report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from ingest.items import QAItem
from rag.interview.session import InterviewSession, SessionConfig, select_items
from rag.interview.store import HistoryStore


def _item(i, topic="NLP", doc="A", dups=()):
    return QAItem(id=f"a-{i}", doc=doc, file="a.md", number=i, question=f"问题{i}？", answer="答案。", lines=(i, i),
                  duplicates=tuple(dups), topic=topic)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 1, 20, 0)

    def __call__(self):
        return self.now


def test_duplicates_count_once_and_nothing_repeats():
    items = [_item(1, dups=["a-2", "a-3"]), _item(2, dups=["a-1", "a-3"]), _item(3, dups=["a-1", "a-2"]), _item(4),
             _item(5, topic="CV")]
    for seed in range(20):
        chosen = select_items(items, SessionConfig(count=10, seed=seed))
        ids = [it.id for it in chosen]
        assert len(ids) == len(set(ids)) == 3                       # {1,2,3} is one question, plus 4 and 5
        assert len({"a-1", "a-2", "a-3"} & set(ids)) == 1


def test_filters_and_errors():
    items = [_item(1, topic="CV", doc="B"), _item(2), _item(3, doc="B")]
    assert [it.id for it in select_items(items, SessionConfig(topics=("CV",), count=5))] == ["a-1"]
    assert {it.id for it in select_items(items, SessionConfig(docs=("B",), count=5))} == {"a-1", "a-3"}
    with pytest.raises(ValueError, match="no questions match"):
        select_items(items, SessionConfig(topics=("不存在",)))
    with pytest.raises(ValueError, match="mode"):
        SessionConfig(mode="hardest")
    with pytest.raises(ValueError, match="count"):
        SessionConfig(count=0)


def test_due_and_weakest_orders(tmp_path):
    clock = Clock()
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    items = [_item(k) for k in range(1, 7)]
    store.record("p", "a-5", 90, "…", {})
    store.record("p", "a-2", 10, "…", {})
    store.record("p", "a-4", 50, "…", {})
    clock.now += timedelta(days=1)
    cards, today = store.cards("p"), store.today()
    due = [it.id for it in select_items(items, SessionConfig(count=6, mode="due", seed=1, profile="p"), cards, today)]
    # FSRS: the failed (Again) and the half-right (Hard) answers are due after a day, least recalled first;
    # the 90 (Easy) one is due in 8 days, so it comes after the new questions
    assert due[:2] == ["a-2", "a-4"] and due[-1] == "a-5"
    weakest = [it.id for it in select_items(items, SessionConfig(count=6, mode="weakest", seed=1), cards, today)]
    assert weakest[:3] == ["a-2", "a-4", "a-5"]


def test_a_session_grades_records_serialises_and_reports(grader, tmp_path):
    clock = Clock()
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    config = SessionConfig(topics=("NLP",), count=3, seed=7, profile="ana")
    s = InterviewSession.start(grader, store, config)
    q1 = s.next_question()
    assert (q1.n, q1.total) == (1, 3) and q1.topic == "NLP" and s.next_question() == q1
    r1 = s.submit("这个我不太会。")
    assert 0 <= r1.score <= 100
    s.skip()
    state = json.loads(json.dumps(s.to_state()))                     # survives JSON (gr.State, the database)
    again = InterviewSession.from_state(state, grader, store)
    assert again.next_question().n == 3
    resumed = InterviewSession.resume(s.id, grader, store)
    assert resumed.item_ids == s.item_ids and resumed.position == 2
    resumed.submit("")
    assert resumed.next_question() is None
    with pytest.raises(ValueError, match="finished"):
        resumed.submit("more")
    report = resumed.report()
    assert [r.id for r in report.results] == [s.item_ids[0], s.item_ids[2]] and report.skipped == (s.item_ids[1],)
    md = report.to_markdown()
    assert "# 模拟面试报告" in md and "## 按主题" in md and "## 需要复习" in md and s.item_ids[0] in md
    assert report.public()["review"]                                   # low scores are listed for review
    assert len(store.attempts("ana")) == 2 and store.card("ana", s.item_ids[1]) is None   # skipped: not scheduled


def test_finish_early_keeps_only_what_was_asked(grader, tmp_path):
    s = InterviewSession.start(grader, None, SessionConfig(count=4, seed=3))
    s.submit("不知道")
    report = s.finish()
    assert report.planned == 1 and len(report.results) == 1 and s.next_question() is None
