"""Interview history and spaced-repetition state in SQLite under ``$QBANK_HOME`` (one file, many profiles).

WAL journal, one short transaction per write (an attempt and its card update commit
together or not at all), a fresh connection per call so threads (a Gradio server) and
processes can share the file. A process killed at any moment leaves the database
consistent: SQLite's journal rolls back a half-written transaction.

Tables: ``cards`` (profile, item → SM-2 state), ``attempts`` (every graded answer),
``sessions`` (serialised :class:`rag.interview.session.InterviewSession` state).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rag.interview.schedule import Card, review

SCHEMA_VERSION = 1
MAX_PROFILE_CHARS = 64   # default of the setting max_profile_chars: a profile name is stored on every row
_SCHEMA = """
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


@dataclass(frozen=True)
class TopicStat:
    """How a profile does on one topic."""

    topic: str
    attempts: int
    questions: int
    mean_score: float
    due: int

    def public(self) -> dict:
        return {"topic": self.topic, "attempts": self.attempts, "questions": self.questions,
                "mean_score": round(self.mean_score, 1), "due": self.due}


class HistoryStore:
    """Interview history for all profiles in one SQLite file.

    Args:
        path: the database file (``settings.db_path``); its folder is created.
        clock: returns "now" (inject a fake clock to simulate days in tests).
    """

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None,
                 max_profile_chars: int = MAX_PROFILE_CHARS):
        self.path = Path(path)
        self.clock = clock or datetime.now
        self.max_profile_chars = max_profile_chars
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as conn:
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc) from None
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection whose work commits at the end (or rolls back); a damaged file becomes a clear OSError.

        Only a damaged file ("database disk image is malformed", "file is not a database") is
        reported that way; a busy database (``OperationalError``) is raised as it is.
        """
        with closing(self._connect()) as conn:
            try:
                with conn:
                    yield conn
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError and not _cannot_write(exc):
                    raise
                raise self._failure(exc) from None

    def _failure(self, exc: sqlite3.DatabaseError) -> OSError:
        """The error to show: a full disk or a read-only folder is not a damaged history."""
        if _cannot_write(exc):
            return OSError(f"interview history {self.path} could not be written ({exc}): the disk is full or "
                           f"{self.path.parent} is read-only; the history itself is intact: free some space or make "
                           f"the folder writable, then try again")
        return OSError(f"interview history {self.path} is unreadable ({exc}); move it aside to start a new history")

    def today(self) -> date:
        return self.clock().date()

    # ------------------------------------------------------------------ writes
    def record(self, profile: str, item_id: str, score: int, answer: str, grade: dict, *, topic: str = "",
               doc: str = "", session_id: str | None = None) -> Card:
        """Store a graded answer and move the question's card on (one transaction). Returns the new card."""
        self.check_profile(profile)
        now = self.clock()
        with self._db() as conn:
            row = conn.execute("SELECT * FROM cards WHERE profile=? AND item_id=?", (profile, item_id)).fetchone()
            card = review(_card(row) if row else Card(item_id), score, now.date())
            topic, doc = topic or (row["topic"] if row else ""), doc or (row["doc"] if row else "")
            conn.execute(
                "INSERT INTO attempts (profile, item_id, session_id, answered_at, day, score, topic, doc, answer, grade)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (profile, item_id, session_id, now.isoformat(timespec="seconds"), now.date().isoformat(), int(score),
                 topic, doc, answer, json.dumps(grade, ensure_ascii=False)))
            conn.execute(
                "INSERT INTO cards (profile, item_id, ease, interval, reps, lapses, due, last_score, last_review, topic,"
                " doc) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(profile, item_id) DO UPDATE SET ease=excluded.ease,"
                " interval=excluded.interval, reps=excluded.reps, lapses=excluded.lapses, due=excluded.due,"
                " last_score=excluded.last_score, last_review=excluded.last_review, topic=excluded.topic,"
                " doc=excluded.doc",
                (profile, item_id, card.ease, card.interval, card.reps, card.lapses, card.due.isoformat(),
                 card.last_score, card.last_review.isoformat(), topic, doc))
        return card

    def check_profile(self, profile: str) -> str:
        """``profile``, or a ValueError when its name is longer than ``max_profile_chars``."""
        if len(profile) > self.max_profile_chars:
            raise ValueError(f"profile name is {len(profile):,} characters, over the limit of {self.max_profile_chars} "
                             f"(setting max_profile_chars); choose a shorter name")
        return profile

    def save_session(self, session_id: str, profile: str, state: dict, finished: bool = False) -> None:
        self.check_profile(profile)
        now = self.clock().isoformat(timespec="seconds")
        with self._db() as conn:
            conn.execute(
                "INSERT INTO sessions (id, profile, started_at, updated_at, finished, state) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET updated_at=excluded.updated_at, finished=excluded.finished,"
                " state=excluded.state",
                (session_id, profile, now, now, int(finished), json.dumps(state, ensure_ascii=False)))

    # ------------------------------------------------------------------ reads
    def load_session(self, session_id: str) -> dict | None:
        with self._db() as conn:
            row = conn.execute("SELECT state FROM sessions WHERE id=?", (session_id,)).fetchone()
        return json.loads(row["state"]) if row else None

    def card(self, profile: str, item_id: str) -> Card | None:
        with self._db() as conn:
            row = conn.execute("SELECT * FROM cards WHERE profile=? AND item_id=?", (profile, item_id)).fetchone()
        return _card(row) if row else None

    def cards(self, profile: str) -> dict[str, Card]:
        with self._db() as conn:
            rows = conn.execute("SELECT * FROM cards WHERE profile=?", (profile,)).fetchall()
        return {r["item_id"]: _card(r) for r in rows}

    def due(self, profile: str, today: date | None = None) -> list[Card]:
        """Cards due on or before ``today``, most overdue first, then lowest last score."""
        today = today or self.today()
        with self._db() as conn:
            rows = conn.execute("SELECT * FROM cards WHERE profile=? AND due<=? ORDER BY due, last_score",
                                (profile, today.isoformat())).fetchall()
        return [_card(r) for r in rows]

    def attempts(self, profile: str, item_id: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM attempts WHERE profile=?", [profile]
        if item_id:
            sql, args = sql + " AND item_id=?", args + [item_id]
        with self._db() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(r) | {"grade": json.loads(r["grade"])} for r in rows]

    def topic_stats(self, profile: str, today: date | None = None) -> list[TopicStat]:
        """Per topic: attempts, questions seen, mean score, questions due; weakest (lowest mean) first."""
        today = today or self.today()
        with self._db() as conn:
            rows = conn.execute(
                "SELECT a.topic AS topic, COUNT(*) AS n, COUNT(DISTINCT a.item_id) AS q, AVG(a.score) AS mean,"
                " (SELECT COUNT(*) FROM cards c WHERE c.profile=a.profile AND c.topic=a.topic AND c.due<=?) AS due"
                " FROM attempts a WHERE a.profile=? GROUP BY a.topic ORDER BY mean",
                (today.isoformat(), profile)).fetchall()
        return [TopicStat(r["topic"] or "其他", r["n"], r["q"], float(r["mean"]), r["due"]) for r in rows]

    def profiles(self) -> list[str]:
        with self._db() as conn:
            rows = conn.execute("SELECT DISTINCT profile FROM cards UNION SELECT DISTINCT profile FROM sessions").fetchall()
        return sorted(r[0] for r in rows)

    def check(self) -> str:
        """SQLite's own integrity check (``ok`` when the file is sound)."""
        with self._db() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _cannot_write(exc: BaseException) -> bool:
    """SQLite failed for lack of space or permission (SQLITE_FULL, SQLITE_READONLY, SQLITE_CANTOPEN, I/O errors)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        k in text for k in ("disk is full", "readonly", "read-only", "unable to open", "disk i/o error"))


def _card(row: sqlite3.Row) -> Card:
    return Card(row["item_id"], row["ease"], row["interval"], row["reps"], row["lapses"],
                date.fromisoformat(row["due"]) if row["due"] else None, row["last_score"],
                date.fromisoformat(row["last_review"]) if row["last_review"] else None)
