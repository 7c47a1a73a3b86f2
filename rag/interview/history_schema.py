"""The SQLite schema of the interview history, its migration from SM-2 (schema 1), and the row helpers
(written once for both backends: a :class:`rag.interview.history_dialect.Dialect` spells them for SQLite or PostgreSQL).

Schema 2 (FSRS): ``cards`` hold each question's FSRS state per profile (``due`` is the local date
"due today" compares, ``due_at``/``reviewed_at`` the UTC times FSRS works with), ``attempts`` every graded
answer with the FSRS rating it became, ``fsrs_params`` a profile's fitted parameters. :func:`migrate`
brings a schema-1 file (SM-2: ease and interval per card) to it without deleting anything.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

from fsrs import Rating

from rag.interview.history_dialect import SQLITE, Dialect
from rag.interview.schedule import (
    Card,
    Review,
    rating,
    replay,
    review,
    scheduler,
    statuses_of,
)

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, item_id TEXT NOT NULL, session_id TEXT,
    answered_at TEXT NOT NULL, day TEXT NOT NULL, score INTEGER NOT NULL, topic TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL, grade TEXT NOT NULL, rating INTEGER);
CREATE INDEX IF NOT EXISTS attempts_profile ON attempts (profile, item_id);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, profile TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fsrs_params (
    profile TEXT PRIMARY KEY, parameters TEXT NOT NULL, reviews INTEGER NOT NULL, fitted_at TEXT NOT NULL,
    loss_default REAL, loss_fitted REAL);
"""
# the practice sessions and conversations (rag.interview.sessions), in the same file
SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS practice_sessions (
    id TEXT PRIMARY KEY, profile TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0, planned INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0, mean_score REAL, topics TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS practice_sessions_profile ON practice_sessions (profile, updated_at);
CREATE TABLE IF NOT EXISTS conversations (
    profile TEXT PRIMARY KEY, updated_at TEXT NOT NULL, messages TEXT NOT NULL, turns TEXT NOT NULL);
"""
# due: the local date ("due today"); due_at / reviewed_at: UTC times for FSRS
_CARDS = [
    """CREATE TABLE cards (
    profile TEXT NOT NULL, item_id TEXT NOT NULL, state INTEGER NOT NULL, step INTEGER, stability REAL,
    difficulty REAL, due_at TEXT NOT NULL, due TEXT NOT NULL, reviewed_at TEXT NOT NULL, reps INTEGER NOT NULL,
    lapses INTEGER NOT NULL, last_score INTEGER, last_rating INTEGER, topic TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL DEFAULT '', PRIMARY KEY (profile, item_id))""",
    "CREATE INDEX cards_due ON cards (profile, due)",
]
_CARD_UPSERT = (
    "INSERT INTO {cards} (profile, item_id, state, step, stability, difficulty, due_at, due, reviewed_at, reps, lapses,"
    " last_score, last_rating, topic, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (profile, item_id) DO"
    " UPDATE SET state=excluded.state, step=excluded.step, stability=excluded.stability,"
    " difficulty=excluded.difficulty, due_at=excluded.due_at, due=excluded.due, reviewed_at=excluded.reviewed_at,"
    " reps=excluded.reps, lapses=excluded.lapses, last_score=excluded.last_score, last_rating=excluded.last_rating,"
    " topic=excluded.topic, doc=excluded.doc")


CARDS_V2 = ("profile", "item_id", "state", "step", "stability", "difficulty", "due_at", "due", "reviewed_at",
             "reps", "lapses", "last_score", "last_rating", "topic", "doc")
ATTEMPTS_V2 = ("id", "profile", "item_id", "session_id", "answered_at", "day", "score", "topic", "doc", "answer",
                "grade", "rating")


def cards_columns(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(r[1] for r in conn.execute("PRAGMA table_info(cards)"))


def attempt_columns(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(r[1] for r in conn.execute("PRAGMA table_info(attempts)"))


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a schema-1 (SM-2) or empty database to schema 2 (FSRS), inside the caller's transaction.

    Nothing is deleted: the SM-2 cards stay in ``cards_sm2``, every attempt stays and gets its
    rating (from its score and its grade's key points), and every card is replayed through FSRS.
    """
    columns = cards_columns(conn)
    if columns == CARDS_V2 and attempt_columns(conn) == ATTEMPTS_V2:
        return                                   # another process migrated it while this one waited
    sm2 = "ease" in columns
    if sm2:
        conn.execute("DROP INDEX IF EXISTS cards_due")
        conn.execute("ALTER TABLE cards RENAME TO cards_sm2")
    if not columns or sm2:
        for ddl in _CARDS:
            conn.execute(ddl)
    if "rating" not in attempt_columns(conn):
        conn.execute("ALTER TABLE attempts ADD COLUMN rating INTEGER")
    rows = conn.execute("SELECT id, score, grade FROM attempts WHERE rating IS NULL").fetchall()
    conn.executemany("UPDATE attempts SET rating=? WHERE id=?",
                     [(int(rating(min(max(r["score"], 0), 100), statuses_of(_json(r["grade"])))), r["id"])
                      for r in rows])
    for (profile,) in conn.execute("SELECT DISTINCT profile FROM attempts").fetchall():
        rebuild(conn, profile)
    if sm2:     # an SM-2 card without any attempt (never written by qbank): its last grade is its only review
        for r in conn.execute("SELECT * FROM cards_sm2 s WHERE last_score IS NOT NULL AND last_review IS NOT NULL"
                              " AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.profile=s.profile AND"
                              " c.item_id=s.item_id)").fetchall():
            card = review(Card(r["item_id"]), r["last_score"], date.fromisoformat(r["last_review"]))
            put_card(conn, r["profile"], card, r["topic"], r["doc"])
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('migrated_from_sm2', ?)",
                     (datetime.now().isoformat(timespec="seconds"),))
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def histories(conn, profile: str, d: Dialect = SQLITE) -> dict[str, list[Review]]:
    out: dict[str, list[Review]] = {}
    for r in conn.execute(d.sql("SELECT item_id, answered_at, score, rating FROM {attempts} WHERE profile=? ORDER BY id"),
                          (profile,)).fetchall():
        out.setdefault(r["item_id"], []).append(Review(d.parse(r["answered_at"]), r["score"], Rating(r["rating"])))
    return out


def rebuild(conn, profile: str, d: Dialect = SQLITE) -> int:
    """Replay every card of ``profile`` from its attempts with its parameters; returns how many."""
    sched = scheduler(parameters(conn, profile, d))
    last = {r["item_id"]: (r["topic"], r["doc"]) for r in conn.execute(
        d.sql("SELECT item_id, topic, doc FROM {attempts} WHERE profile=? ORDER BY id"), (profile,)).fetchall()}
    logs = histories(conn, profile, d)
    for item_id, reviews in logs.items():
        topic, doc = last[item_id]
        put_card(conn, profile, replay(item_id, reviews, sched), topic, doc, d)
    return len(logs)


def parameters(conn, profile: str, d: Dialect = SQLITE) -> tuple[float, ...] | None:
    row = conn.execute(d.sql("SELECT parameters FROM {fsrs_params} WHERE profile=?"), (profile,)).fetchone()
    value = json.loads(row["parameters"]) if row else None
    return tuple(value) if value else None


def put_card(conn, profile: str, card: Card, topic: str, doc: str, d: Dialect = SQLITE) -> None:
    conn.execute(d.sql(_CARD_UPSERT), (profile, card.item_id, card.state, card.step, card.stability, card.difficulty,
                                       d.time(card.due_at), d.time(card.due), d.time(card.reviewed_at), card.reps,
                                       card.lapses, card.last_score, card.last_rating, d.text(topic or ""),
                                       d.text(doc or "")))


def card_of(row, d: Dialect = SQLITE) -> Card:
    """The :class:`Card` of a ``cards`` row."""
    return Card(row["item_id"], row["state"], row["step"], row["stability"], row["difficulty"],
                d.parse(row["due_at"]), d.parse(row["reviewed_at"]), row["reps"], row["lapses"], row["last_score"],
                row["last_rating"])
