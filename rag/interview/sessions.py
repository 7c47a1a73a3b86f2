"""Practice sessions and conversations per profile, for the app's History view and for resuming after a reload.

Two tables beside the interview history, in the same SQLite file (``settings.db_path``):

* ``practice_sessions``: every interview of a profile with its whole state
  (:meth:`rag.interview.session.InterviewSession.to_state`), its summary (questions, mean
  score, per topic) and whether it is still in progress;
* ``conversations``: the current chat of a profile (the messages shown and the turns the
  follow-ups are resolved against).

The spaced-repetition schedule and the attempts stay in :mod:`rag.interview.store`; this
module only remembers sessions, over the same connection object (:mod:`rag.interview.history_db`:
the SQLite file, or the database with ``database_url``:
:class:`rag.interview.pg_sessions.PgSessionLog`). One short transaction per write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rag.interview.history_db import OnHistoryDb
from rag.interview.progress import Summary, summarize


@dataclass(frozen=True)
class SessionRow:
    """One practice session as the History view lists it."""

    id: str
    started_at: str
    updated_at: str
    finished: bool
    summary: Summary


class SessionLog(OnHistoryDb):
    """Sessions and conversations of every profile in one SQLite file (or, given ``db``, in the database).

    Args:
        path: the database file (the interview history's, ``settings.db_path``); its folder is created.
        clock: returns "now" (a fake clock simulates days in tests).
        max_profile_chars: the longest profile name stored (setting ``max_profile_chars``).
        db: the connection object to use instead of the file (:class:`rag.interview.pg_db.HistoryDb`).
    """

    def __init__(self, path: Path | None, clock: Callable[[], datetime] | None = None, max_profile_chars: int = 64,
                 *, db=None):
        super().__init__(path, clock, max_profile_chars, db)
        self.db.prepare_sessions()

    def _check(self, profile: str) -> str:
        if not profile or len(profile) > self.max_profile_chars:
            raise ValueError(f"profile must be a name of 1 to {self.max_profile_chars} characters "
                             f"(setting max_profile_chars), got {len(profile)}")
        return profile

    def _now(self):
        return self.d.time(self.clock().replace(microsecond=0))

    # ------------------------------------------------------------------ sessions
    def save(self, session_id: str, profile: str, state: dict) -> None:
        """Store (or update) a session's state and summary; ``state["finished"]`` marks it ended."""
        self._check(profile)
        d, now = self.d, self._now()
        s = summarize(state)
        with self.db.transaction("saving a practice session") as conn:
            conn.execute(d.sql(
                "INSERT INTO {practice_sessions} (id, profile, started_at, updated_at, finished, planned, answered,"
                " skipped, mean_score, topics, state) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
                " updated_at=excluded.updated_at, finished=excluded.finished, planned=excluded.planned,"
                " answered=excluded.answered, skipped=excluded.skipped, mean_score=excluded.mean_score,"
                " topics=excluded.topics, state=excluded.state"),
                (session_id, profile, now, now, bool(state.get("finished")), s.planned, s.answered, s.skipped,
                 s.mean_score, d.text(json.dumps(s.topics, ensure_ascii=False)),
                 d.text(json.dumps(state, ensure_ascii=False))))

    def load(self, session_id: str, profile: str | None = None) -> dict | None:
        """A session's state (only if it belongs to ``profile``, when given), or None."""
        with self.db.transaction() as conn:
            row = conn.execute(self.d.sql("SELECT profile, state FROM {practice_sessions} WHERE id=?"),
                               (session_id,)).fetchone()
        if row is None or (profile is not None and row["profile"] != profile):
            return None
        return json.loads(row["state"])

    def active(self, profile: str) -> dict | None:
        """The state of the profile's latest session still in progress (not finished), or None."""
        with self.db.transaction() as conn:
            row = conn.execute(self.d.sql("SELECT state FROM {practice_sessions} WHERE profile=? AND finished=?"
                                          " ORDER BY updated_at DESC, {rowid} DESC LIMIT 1"),
                               (profile, False)).fetchone()
        return json.loads(row["state"]) if row else None

    def history(self, profile: str, limit: int = 200) -> list[SessionRow]:
        """The profile's sessions with at least one question answered or skipped, newest first."""
        d = self.d
        with self.db.transaction() as conn:
            rows = conn.execute(d.sql(
                "SELECT id, started_at, updated_at, finished, planned, answered, skipped, mean_score, topics"
                " FROM {practice_sessions} WHERE profile=? AND answered + skipped > 0"
                " ORDER BY started_at DESC, {rowid} DESC LIMIT ?"), (profile, limit)).fetchall()
        return [SessionRow(r["id"], d.iso(r["started_at"]), d.iso(r["updated_at"]), bool(r["finished"]),
                           Summary(r["planned"], r["answered"], r["skipped"], r["mean_score"],
                                   [tuple(x) for x in json.loads(r["topics"])]))
                for r in rows]

    # ------------------------------------------------------------------ conversations
    def save_conversation(self, profile: str, messages: list, turns: list[dict]) -> None:
        """Remember the profile's current chat (an empty one forgets it)."""
        self._check(profile)
        d = self.d
        with self.db.transaction("saving a conversation") as conn:
            if not messages:
                conn.execute(d.sql("DELETE FROM {conversations} WHERE profile=?"), (profile,))
                return
            conn.execute(d.sql("INSERT INTO {conversations} VALUES (?,?,?,?) ON CONFLICT (profile) DO UPDATE SET"
                               " updated_at=excluded.updated_at, messages=excluded.messages, turns=excluded.turns"),
                         (profile, self._now(), d.text(json.dumps(messages, ensure_ascii=False)),
                          d.text(json.dumps(turns, ensure_ascii=False))))

    def conversation(self, profile: str) -> tuple[list, list[dict]]:
        """``(messages, turns)`` of the profile's current chat (both empty when there is none)."""
        with self.db.transaction() as conn:
            row = conn.execute(self.d.sql("SELECT messages, turns FROM {conversations} WHERE profile=?"),
                               (profile,)).fetchone()
        return (json.loads(row["messages"]), json.loads(row["turns"])) if row else ([], [])
