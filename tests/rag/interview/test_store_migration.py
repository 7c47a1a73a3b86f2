"""A history written by the SM-2 store (schema 1, commit 998a9fd) opened by the FSRS store: nothing lost.

The database is built with that code's own SQL (its DDL and its INSERT statements, copied verbatim)
and its SM-2 arithmetic, as ``HistoryStore.record`` wrote it before FSRS.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest
from fsrs import Rating

from rag.interview.schedule import Review, rating, replay, statuses_of
from rag.interview.store import SCHEMA_VERSION, HistoryStore

# ---- the schema-1 store, verbatim ---------------------------------------------------------------------------
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
    profile TEXT NOT NULL, item_id TEXT NOT NULL, ease REAL NOT NULL, interval INTEGER NOT NULL,
    reps INTEGER NOT NULL, lapses INTEGER NOT NULL, due TEXT, last_score INTEGER, last_review TEXT,
    topic TEXT NOT NULL DEFAULT '', doc TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (profile, item_id));
CREATE INDEX IF NOT EXISTS cards_due ON cards (profile, due);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, item_id TEXT NOT NULL, session_id TEXT,
    answered_at TEXT NOT NULL, day TEXT NOT NULL, score INTEGER NOT NULL, topic TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL, grade TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_profile ON attempts (profile, item_id);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, profile TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL);
"""
OLD_ATTEMPT = ("INSERT INTO attempts (profile, item_id, session_id, answered_at, day, score, topic, doc, answer, grade)"
               " VALUES (?,?,?,?,?,?,?,?,?,?)")
OLD_CARD = ("INSERT INTO cards (profile, item_id, ease, interval, reps, lapses, due, last_score, last_review, topic,"
            " doc) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(profile, item_id) DO UPDATE SET ease=excluded.ease,"
            " interval=excluded.interval, reps=excluded.reps, lapses=excluded.lapses, due=excluded.due,"
            " last_score=excluded.last_score, last_review=excluded.last_review, topic=excluded.topic,"
            " doc=excluded.doc")
QUALITY_STEPS = ((90, 5), (75, 4), (60, 3), (40, 2), (20, 1))


@dataclass(frozen=True)
class Sm2Card:
    item_id: str
    ease: float = 2.5
    interval: int = 0
    reps: int = 0
    lapses: int = 0
    due: date | None = None
    last_score: int | None = None
    last_review: date | None = None


def sm2_review(card: Sm2Card, score: int, today: date) -> Sm2Card:
    q = next((q for threshold, q in QUALITY_STEPS if score >= threshold), 0)
    ease = max(1.3, card.ease + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
    if q < 3:
        reps, interval, lapses = 0, 1, card.lapses + (1 if card.reps or card.due else 0)
    else:
        reps = card.reps + 1
        interval = 1 if reps == 1 else 6 if reps == 2 else max(1, round(card.interval * ease))
        lapses = card.lapses
    return replace(card, ease=round(ease, 4), interval=interval, reps=reps, lapses=lapses,
                   due=today + timedelta(days=interval), last_score=int(score), last_review=today)


def old_record(conn, profile, item_id, score, answer, grade, now: datetime, topic="", doc="", session_id=None):
    """``HistoryStore.record`` of schema 1."""
    with conn:
        row = conn.execute("SELECT * FROM cards WHERE profile=? AND item_id=?", (profile, item_id)).fetchone()
        old = Sm2Card(row["item_id"], row["ease"], row["interval"], row["reps"], row["lapses"],
                      date.fromisoformat(row["due"]), row["last_score"], date.fromisoformat(row["last_review"])) \
            if row else Sm2Card(item_id)
        card = sm2_review(old, score, now.date())
        topic, doc = topic or (row["topic"] if row else ""), doc or (row["doc"] if row else "")
        conn.execute(OLD_ATTEMPT, (profile, item_id, session_id, now.isoformat(timespec="seconds"),
                                   now.date().isoformat(), int(score), topic, doc, answer,
                                   json.dumps(grade, ensure_ascii=False)))
        conn.execute(OLD_CARD, (profile, item_id, card.ease, card.interval, card.reps, card.lapses,
                                card.due.isoformat(), card.last_score, card.last_review.isoformat(), topic, doc))


def grade(score, *statuses):
    return {"id": "x", "score": score, "points": [{"text": f"要点{k}", "status": s, "evidence": "", "similarity": 0.5}
                                                 for k, s in enumerate(statuses)], "feedback": "…"}


# each question: (profile, item, [(day offset, score, statuses)])
LOG = [
    ("ana", "nlp-1", [(0, 92, ("covered", "covered")), (1, 95, ("covered", "covered")), (7, 90, ("covered",))]),
    ("ana", "nlp-2", [(0, 30, ("missing", "partial")), (1, 45, ("partial", "missing")), (2, 20, ("missing",))]),
    ("ana", "cv-1", [(0, 80, ("covered", "contradicted"))]),
    ("ana", "cv-2", [(0, 75, ("covered", "partial")), (1, 65, ()), (7, 85, ("covered", "partial"))]),
    ("bob", "nlp-1", [(0, 10, ("missing", "missing")), (3, 70, ("covered", "missing"))]),
]
START = datetime(2026, 5, 4, 20, 30)


def build_old_db(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.executescript(OLD_SCHEMA)
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", ("1",))
    events = sorted(((off, profile, item, score, st) for profile, item, log in LOG for off, score, st in log),
                    key=lambda e: e[0])
    for n, (off, profile, item, score, st) in enumerate(events):
        old_record(conn, profile, item, score, f"回答 {n}", grade(score, *st), START + timedelta(days=off, minutes=n),
                   topic="NLP" if item.startswith("nlp") else "计算机视觉", doc="题库", session_id=f"s{off}")
    with conn:
        conn.execute("INSERT INTO sessions VALUES ('s0', 'ana', '2026-05-04T20:30:00', '2026-05-04T20:40:00', 1, ?)",
                     (json.dumps({"id": "s0", "position": 4}),))
    conn.commit()
    conn.close()


def dump(path, table):
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_sm2_history_opens_with_every_review_kept_and_fsrs_cards_replayed(tmp_path):
    path = tmp_path / "interview.sqlite3"
    build_old_db(path)
    attempts_before, cards_before, sessions_before = dump(path, "attempts"), dump(path, "cards"), dump(path, "sessions")
    assert len(attempts_before) == 12 and len(cards_before) == 5 and "ease" in cards_before[0]

    clock = Clock(START + timedelta(days=8, hours=1))
    store = HistoryStore(path, clock=clock)

    # every attempt kept, field for field, each with the FSRS rating of its score and key points
    attempts_after = dump(path, "attempts")
    assert [{k: v for k, v in a.items() if k != "rating"} for a in attempts_after] == attempts_before
    assert [a["rating"] for a in attempts_after] == [
        int(rating(a["score"], statuses_of(json.loads(a["grade"])))) for a in attempts_before]
    assert Rating.Again in [a["rating"] for a in attempts_after] and Rating.Easy in [a["rating"] for a in attempts_after]
    # the SM-2 state is kept as it was; the sessions too
    assert dump(path, "cards_sm2") == cards_before and dump(path, "sessions") == sessions_before
    assert store.load_session("s0") == {"id": "s0", "position": 4}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)

    # every card gets its FSRS state from replaying its whole log
    for profile, item, log in LOG:
        card = store.card(profile, item)
        reviews = [Review(datetime.fromisoformat(a["answered_at"]), a["score"], Rating(a["rating"]))
                   for a in attempts_after if a["profile"] == profile and a["item_id"] == item]
        want = replay(item, reviews)
        assert card.reps == len(log) == len(reviews) and card.last_score == log[-1][1]
        assert (card.stability, card.difficulty, card.due_at, card.state) == (want.stability, want.difficulty,
                                                                            want.due_at, want.state)
        assert card.due > card.last_review and 0 < card.retrievability <= 1
    assert len(store.cards("ana")) == 4 and len(store.cards("bob")) == 1
    # due dates mean something: three failures come back the day after the last one; three good answers wait
    assert store.card("ana", "nlp-2").due == (START + timedelta(days=3)).date()
    assert store.card("ana", "nlp-1").interval > store.card("ana", "cv-1").interval > 0
    assert store.card("ana", "nlp-1").interval > 10
    due_now = [c.item_id for c in store.due("ana")]
    assert due_now[0] == "nlp-2" and "nlp-1" not in due_now     # least recalled first; the well-known one waits
    assert [s.topic for s in store.topic_stats("ana")] == ["NLP", "计算机视觉"]      # weakest mean first

    # the migrated history goes on: a new answer adds to the replayed card
    before = store.card("ana", "nlp-2")
    after = store.record("ana", "nlp-2", 85, "再答", grade(85, "covered", "partial"))
    assert after.reps == before.reps + 1 and after.stability > before.stability
    assert len(store.attempts("ana")) == 11 and store.check() == "ok"

    # opening it again changes nothing
    cards_now = dump(path, "cards")
    HistoryStore(path, clock=clock)
    assert dump(path, "cards") == cards_now and len(dump(path, "attempts")) == 13


@pytest.mark.integration
def test_two_processes_opening_an_old_history_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "interview.sqlite3"
    build_old_db(path)
    opener = textwrap.dedent(f"""
        from rag.interview.store import HistoryStore
        s = HistoryStore({str(path)!r})
        print(sum(c.reps for p in ("ana", "bob") for c in s.cards(p).values()))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", opener], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert [o.strip() for o, _ in outs] == ["12"] * 3
    assert len(dump(path, "attempts")) == 12 and len(dump(path, "cards")) == 5 and len(dump(path, "cards_sm2")) == 5
