"""The session log (History, resume) and the progress figures, on literal states in a temporary SQLite file."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rag.interview.progress import daily_scores, streak, summarize
from rag.interview.sessions import SessionLog


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 1, 9, 0)

    def __call__(self):
        return self.now


def _state(sid, profile="p", scores=(), skipped=(), current=None, finished=False, total=3):
    results = [{"id": f"q{k}", "score": s, "topic": "NLP" if k % 2 else "CV"} for k, s in enumerate(scores)]
    return {"id": sid, "config": {"profile": profile}, "item_ids": [f"q{k}" for k in range(total)],
            "position": len(scores) + len(skipped), "results": results, "skipped": list(skipped),
            "current": current, "finished": finished}


def test_active_is_the_latest_unfinished_session_of_that_profile(tmp_path):
    clock = Clock()
    log = SessionLog(tmp_path / "h.sqlite3", clock=clock)
    log.save("a", "p", _state("a", scores=[50]))
    clock.now += timedelta(minutes=5)
    log.save("b", "p", _state("b", scores=[70, 80]))
    log.save("c", "other", _state("c", "other"))
    assert log.active("p")["id"] == "b" and log.active("other")["id"] == "c" and log.active("nobody") is None
    log.save("b", "p", _state("b", scores=[70, 80], finished=True))
    assert log.active("p")["id"] == "a"
    assert log.load("b", "p")["finished"] and log.load("b", "other") is None     # another profile's: not opened


def test_history_lists_answered_sessions_newest_first_with_their_summary(tmp_path):
    clock = Clock()
    log = SessionLog(tmp_path / "h.sqlite3", clock=clock)
    log.save("old", "p", _state("old", scores=[40, 90], finished=True))
    clock.now += timedelta(days=1)
    log.save("new", "p", _state("new", scores=[60], skipped=["q1"], current={"id": "q2", "score": 100, "topic": "CV"}))
    log.save("empty", "p", _state("empty"))                                      # nothing answered yet
    rows = log.history("p")
    assert [r.id for r in rows] == ["new", "old"]
    new, old = rows
    assert (new.summary.answered, new.summary.skipped, new.summary.mean_score) == (2, 1, 80.0)   # the current counts
    assert not new.finished and old.finished and old.started_at.startswith("2026-05-01")
    assert old.summary.topics == [("CV", 1, 40.0), ("NLP", 1, 90.0)]                        # weakest first


def test_conversation_round_trip_and_new_chat_forgets_it(tmp_path):
    log = SessionLog(tmp_path / "h.sqlite3")
    messages = [{"role": "user", "content": "什么是感受野？"}, {"role": "assistant", "content": "感受野是…[1]"}]
    turns = [{"question": "什么是感受野？", "resolved": "什么是感受野？", "topic": "什么是感受野？", "answer": "感受野是…",
              "item_id": "dl-9"}]
    log.save_conversation("p", messages, turns)
    assert log.conversation("p") == (messages, turns) and log.conversation("q") == ([], [])
    log.save_conversation("p", [], [])
    assert log.conversation("p") == ([], [])


def test_profile_names_are_bounded(tmp_path):
    log = SessionLog(tmp_path / "h.sqlite3", max_profile_chars=8)
    with pytest.raises(ValueError, match="max_profile_chars"):
        log.save("x", "p" * 9, _state("x"))
    with pytest.raises(ValueError, match="max_profile_chars"):
        log.save_conversation("p" * 9, [{"role": "user", "content": "hi"}], [])


def test_shares_the_history_file_with_the_store(tmp_path):
    from rag.interview.store import HistoryStore

    path = tmp_path / "h.sqlite3"
    store, log = HistoryStore(path), SessionLog(path)
    log.save("a", "p", _state("a", scores=[50]))
    store.record("p", "q0", 50, "答", {})
    assert store.check() == "ok" and log.active("p")["id"] == "a" and len(store.attempts("p")) == 1


def test_progress_figures():
    assert streak({"2026-05-03", "2026-05-04", "2026-05-05"}, date(2026, 5, 5)) == 3
    assert streak({"2026-05-03", "2026-05-04"}, date(2026, 5, 5)) == 2          # today not yet practised
    assert streak({"2026-05-01"}, date(2026, 5, 5)) == 0
    assert daily_scores([{"day": "2026-05-02", "score": 40}, {"day": "2026-05-01", "score": 90},
                         {"day": "2026-05-02", "score": 80}]) == [("2026-05-01", 90.0, 1), ("2026-05-02", 60.0, 2)]
    s = summarize(_state("x", scores=[10, 30], skipped=["q9"], total=4))
    assert (s.planned, s.answered, s.skipped, s.mean_score) == (4, 2, 1, 20.0)
    assert summarize(_state("y")).mean_score is None
