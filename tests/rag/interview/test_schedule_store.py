"""SM-2 across simulated days, and the SQLite history (WAL, transactions, across processes)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta

import pytest

from rag.interview.schedule import Card, quality, review
from rag.interview.store import HistoryStore


class Clock:
    """A fake clock that tests move forward by days."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def test_quality_of_scores():
    assert [quality(s) for s in (100, 90, 89, 75, 60, 59, 40, 20, 19, 0)] == [5, 5, 4, 4, 3, 2, 2, 1, 0, 0]
    with pytest.raises(ValueError, match="0..100"):
        quality(101)


def test_sm2_intervals_grow_with_good_grades_and_reset_on_a_failure():
    day = date(2026, 1, 1)
    card = Card("x")
    intervals = []
    for score in (95, 95, 95, 95):
        card = review(card, score, day)
        intervals.append(card.interval)
        day = card.due
    assert intervals[:2] == [1, 6]
    assert intervals[2] > 6 and intervals[3] > intervals[2]
    assert card.ease > 2.5
    failed = review(card, 10, day)
    assert failed.interval == 1 and failed.reps == 0 and failed.lapses == 1 and failed.due == day + timedelta(days=1)
    assert failed.ease < card.ease


def test_ease_never_falls_below_the_floor():
    card, day = Card("x"), date(2026, 1, 1)
    for _ in range(20):
        card = review(card, 0, day)
    assert card.ease == pytest.approx(1.3)


def test_due_queue_over_simulated_days(tmp_path):
    clock = Clock(datetime(2026, 3, 1, 9, 0))
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    store.record("ana", "q-good", 95, "…", {"score": 95}, topic="NLP")
    store.record("ana", "q-bad", 15, "…", {"score": 15}, topic="计算机视觉")
    store.record("bob", "q-good", 10, "…", {"score": 10})
    assert store.due("ana") == []                                  # nothing due on the day of the review
    clock.advance(1)
    assert {c.item_id for c in store.due("ana")} == {"q-good", "q-bad"}
    store.record("ana", "q-good", 95, "…", {"score": 95})           # second success: next in 6 days
    store.record("ana", "q-bad", 20, "…", {"score": 20})            # failed again: tomorrow
    clock.advance(1)
    assert [c.item_id for c in store.due("ana")] == ["q-bad"]
    clock.advance(5)
    assert {c.item_id for c in store.due("ana")} == {"q-good", "q-bad"}
    stats = store.topic_stats("ana")
    assert stats[0].topic == "计算机视觉" and stats[0].mean_score == pytest.approx(17.5)
    assert [c.item_id for c in store.due("bob", clock().date())] == ["q-good"]   # profiles are separate


def test_wal_mode_and_atomic_record(tmp_path):
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.record("p", "a", 80, "answer", {"score": 80})
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(TypeError):      # a grade that cannot be stored: neither the attempt nor the card changes
        store.record("p", "a", 10, "answer", {"bad": object()})
    assert len(store.attempts("p")) == 1 and store.card("p", "a").last_score == 80
    assert store.check() == "ok"


def test_unreadable_database_is_a_clear_error(tmp_path):
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OSError, match="move it aside"):
        HistoryStore(path)


@pytest.mark.integration
def test_history_persists_across_processes(tmp_path):
    path = tmp_path / "h.sqlite3"
    writer = textwrap.dedent(f"""
        from rag.interview.store import HistoryStore
        s = HistoryStore({str(path)!r})
        for k in range(5):
            s.record("p", f"item-{{k}}", 20 * k, "answer", {{"k": k}}, topic="NLP")
    """)
    reader = textwrap.dedent(f"""
        import json
        from rag.interview.store import HistoryStore
        s = HistoryStore({str(path)!r})
        print(json.dumps({{"attempts": len(s.attempts("p")), "cards": sorted(s.cards("p")),
                           "topics": [t.public() for t in s.topic_stats("p")], "check": s.check()}}))
    """)
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", reader], check=True, capture_output=True, text=True, timeout=60)
    got = json.loads(out.stdout)
    assert got["attempts"] == 5 and got["cards"] == [f"item-{k}" for k in range(5)] and got["check"] == "ok"
    assert got["topics"][0]["mean_score"] == 40.0
