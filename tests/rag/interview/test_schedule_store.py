"""FSRS across simulated days (grade → rating, intervals, lapses), and the SQLite history (WAL, transactions,
across processes)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest
from fsrs import Rating

from rag.interview.schedule import (
    Card,
    Review,
    rating,
    replay,
    retrievability,
    review,
    statuses_of,
)
from rag.interview.store import HistoryStore


class Clock:
    """A fake clock that tests move forward by days."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def _points(*statuses):
    return {"points": [{"text": f"p{k}", "status": s} for k, s in enumerate(statuses)]}


def test_rating_of_scores_and_point_statuses():
    assert [rating(s) for s in (100, 90, 89, 70, 69, 50, 49, 0)] == [Rating.Easy, Rating.Easy, Rating.Good, Rating.Good,
                                                                    Rating.Hard, Rating.Hard, Rating.Again, Rating.Again]
    assert rating(95, ("covered", "covered")) == Rating.Easy
    assert rating(95, ("covered", "partial")) == Rating.Good            # Easy needs every point covered
    assert rating(80, ("covered", "contradicted")) == Rating.Hard       # recalled, but wrongly
    assert rating(40, ("covered", "contradicted")) == Rating.Again
    assert rating(60, ("missing", "contradicted")) == Rating.Again      # nothing of the answer recalled
    assert statuses_of(_points("covered", "missing")) == ("covered", "missing") and statuses_of({"score": 3}) == ()
    with pytest.raises(ValueError, match="0..100, got 101"):
        rating(101)
    with pytest.raises(ValueError, match="'forgotten' is not one of"):
        rating(80, ("covered", "forgotten"))


def test_fsrs_intervals_grow_with_good_grades_and_a_failure_comes_back_tomorrow():
    day = datetime(2026, 1, 1, 9, 0)
    card = Card("x")
    intervals = []
    for score in (80, 80, 80, 80):
        card = review(card, score, day)
        intervals.append(card.interval)
        day = datetime.combine(card.due, day.time())
    assert intervals == sorted(intervals) and intervals[0] >= 1 and intervals[-1] > 3 * intervals[1]
    assert card.reps == 4 and card.lapses == 0 and card.last_rating == Rating.Good
    # recall predicted at the due date is the desired retention (0.9), lower when overdue
    assert retrievability(card, card.due_at) == pytest.approx(0.9, abs=0.01)
    assert 0.8 < retrievability(card, card.due_at + timedelta(days=300)) < retrievability(card, card.due_at + timedelta(days=30)) < 0.9
    failed = review(card, 10, day)
    assert failed.interval == 1 and failed.lapses == 1 and failed.stability < card.stability
    assert failed.due == day.date() + timedelta(days=1)


def test_first_interval_follows_the_rating():
    t = datetime(2026, 1, 1, 9, 0)
    # FSRS-6 defaults: Easy 8 days, Good 2, Hard and Again 1
    assert [review(Card("q"), score, t).interval for score in (95, 75, 55, 10)] == [8, 2, 1, 1]


def test_replay_of_a_log_gives_the_live_card():
    t, live, log = datetime(2026, 2, 1, 20, 0), Card("q"), []
    for score in (30, 70, 95, 60, 85):
        live = review(live, score, t)
        log.append(Review(t, score, rating(score)))
        t = datetime.combine(live.due, t.time()) + timedelta(days=1)
    assert replay("q", reversed(log)) == live                       # time order, whatever order the log comes in


def test_due_queue_over_simulated_days(tmp_path):
    clock = Clock(datetime(2026, 3, 1, 9, 0))
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    store.record("ana", "q-good", 80, "…", _points("covered", "covered"), topic="NLP")
    store.record("ana", "q-bad", 15, "…", _points("missing", "missing"), topic="计算机视觉")
    store.record("ana", "q-half", 60, "…", _points("covered", "missing"), topic="NLP")
    store.record("bob", "q-good", 10, "…", {"score": 10})
    assert store.due("ana") == []                                  # nothing due on the day of the review
    clock.advance(1)
    assert [c.item_id for c in store.due("ana")] == ["q-bad", "q-half"]   # lowest predicted recall first
    assert [a["rating"] for a in store.attempts("ana")] == [Rating.Good, Rating.Again, Rating.Hard]
    store.record("ana", "q-bad", 20, "…", {"score": 20})            # failed again: tomorrow
    store.record("ana", "q-half", 85, "…", {"score": 85})
    clock.advance(1)
    assert {c.item_id for c in store.due("ana")} == {"q-good", "q-bad"}
    cards = store.cards("ana")
    assert cards["q-half"].interval > 1 and cards["q-bad"].interval == 1
    assert 0 < cards["q-bad"].retrievability < cards["q-half"].retrievability <= 1
    stats = store.topic_stats("ana")
    assert stats[0].topic == "计算机视觉" and stats[0].mean_score == pytest.approx(17.5) and stats[0].due == 1
    assert [c.item_id for c in store.due("bob", clock().date())] == ["q-good"]   # profiles are separate
    assert store.card("bob", "q-good").reps == 1 and store.card("ana", "q-bad").reps == 2


def test_wal_mode_and_atomic_record(tmp_path):
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    store.record("p", "a", 80, "answer", {"score": 80})
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(TypeError):      # a grade that cannot be stored: neither the attempt nor the card changes
        store.record("p", "a", 10, "answer", {"bad": object()})
    assert len(store.attempts("p")) == 1 and store.card("p", "a").last_score == 80 and store.card("p", "a").reps == 1
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
