"""Interview history and spaced-repetition state: SQLite under ``$QBANK_HOME`` (one file, many profiles; the
default) or the PostgreSQL database (setting ``database_url``: :class:`rag.interview.pg_history.PgHistoryStore`).

One store over a small connection object (:mod:`rag.interview.history_db`: SQLite's file, or the
database's pool in :mod:`rag.interview.pg_db`): one short transaction per write (an attempt and its
card update commit together or not at all) under the profile's write lock (SQLite's ``BEGIN
IMMEDIATE``, a per-profile advisory lock in PostgreSQL, so two replicas never move a card on from
the same old state). In SQLite: WAL journal, a fresh connection per call so threads (a Gradio
server) and processes can share the file; a process killed at any moment leaves the database
consistent (SQLite's journal rolls back a half-written transaction).

Tables: ``cards`` (profile, item → FSRS state), ``attempts`` (every graded answer, with the FSRS
rating it became), ``fsrs_params`` (a profile's fitted FSRS parameters), ``sessions`` (serialised
:class:`rag.interview.session.InterviewSession` state).

Schema 1 (SM-2: ease and interval per card) is migrated when the file is opened, in one
transaction (:mod:`rag.interview.history_schema`): the SM-2 table is kept as ``cards_sm2``, every
attempt gets its rating, and every card is rebuilt by replaying its attempts through FSRS, so due
dates follow the whole history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

from rag.interview import history_schema as schema
from rag.interview.history_db import OnHistoryDb
from rag.interview.history_schema import SCHEMA_VERSION  # noqa: F401  (public here)
from rag.interview.schedule import (
    Card,
    Review,
    fit_parameters,
    later_day_reviews,
    log_loss,
    rating,
    retrievability,
    review,
    scheduler,
    statuses_of,
)

MAX_PROFILE_CHARS = 64   # default of the setting max_profile_chars: a profile name is stored on every row
@dataclass(frozen=True)
class FitReport:
    """What fitting a profile's FSRS parameters gave: reviews used, log loss before and after, kept or not."""

    profile: str
    reviews: int
    parameters: tuple[float, ...]
    loss_default: float
    loss_fitted: float
    kept: bool          # False: the fitted parameters predicted the log no better; the defaults stay
    cards: int          # cards rescheduled

    def public(self) -> dict:
        return {"profile": self.profile, "reviews": self.reviews, "parameters": [round(x, 4) for x in self.parameters],
                "loss_default": round(self.loss_default, 4), "loss_fitted": round(self.loss_fitted, 4),
                "kept": self.kept, "cards": self.cards}


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


class HistoryStore(OnHistoryDb):
    """Interview history for all profiles in one SQLite file (or, given ``db``, in the database).

    Args:
        path: the database file (``settings.db_path``); its folder is created.
        clock: returns "now" (inject a fake clock to simulate days in tests).
        max_profile_chars: the longest profile name stored (setting ``max_profile_chars``).
        db: the connection object to use instead of the file (:class:`rag.interview.pg_db.HistoryDb`).
    """

    def __init__(self, path: Path | None, clock: Callable[[], datetime] | None = None,
                 max_profile_chars: int = MAX_PROFILE_CHARS, *, db=None):
        super().__init__(path, clock, max_profile_chars, db)
        self.db.prepare_history()    # tables created (or migrated) now; a dead database fails here, in one line

    def today(self) -> date:
        return self.clock().date()

    # ------------------------------------------------------------------ writes
    def record(self, profile: str, item_id: str, score: int, answer: str, grade: dict, *, topic: str = "",
               doc: str = "", session_id: str | None = None) -> Card:
        """Store a graded answer and move the question's FSRS card on (one transaction). Returns the new card.

        The rating comes from ``score`` and the key points' statuses in ``grade`` (:func:`schedule.rating`);
        the profile's fitted parameters are used once it has them.
        """
        self.check_profile(profile)
        d = self.d
        rated = rating(score, statuses_of(grade))
        grade_json = json.dumps(grade, ensure_ascii=False)   # before the transaction: a bad grade changes nothing
        now = self.clock().replace(microsecond=0)            # as stored: a replayed log gives the same card
        with self.db.transaction("recording an answer") as conn:
            self.db.lock(conn, profile)     # read and update the card with no other writer in between
            sched = scheduler(schema.parameters(conn, profile, d))
            row = conn.execute(d.sql("SELECT * FROM {cards} WHERE profile=? AND item_id=?"),
                               (profile, item_id)).fetchone()
            card = review(schema.card_of(row, d) if row else Card(item_id), score, now, sched=sched, rated=rated)
            topic, doc = topic or (row["topic"] if row else ""), doc or (row["doc"] if row else "")
            conn.execute(d.sql(
                "INSERT INTO {attempts} (profile, item_id, session_id, answered_at, day, score, topic, doc, answer, grade,"
                " rating) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
                (profile, item_id, session_id, d.time(now), d.time(now.date()), int(score), d.text(topic),
                 d.text(doc), d.text(answer), d.text(grade_json), int(rated)))
            schema.put_card(conn, profile, card, topic, doc, d)
        return replace(card, retrievability=retrievability(card, now, sched))

    def fit(self, profile: str) -> FitReport:
        """Fit the profile's own FSRS parameters to its review log (fsrs's Optimizer, torch) and reschedule its cards.

        The fitted parameters are kept only when they predict the profile's log better (lower log
        loss) than FSRS-6's defaults; either way every card is replayed with the parameters in use.

        Raises:
            schedule.NotEnoughReviews: fewer than ``schedule.MIN_FIT_REVIEWS`` later-day reviews.
        """
        self.check_profile(profile)
        d = self.d
        histories = self.histories(profile)
        fitted = fit_parameters(histories)
        loss_default, n = log_loss(histories, scheduler())
        loss_fitted, _ = log_loss(histories, scheduler(fitted))
        kept = loss_fitted < loss_default
        now = self.clock().replace(microsecond=0)
        with self.db.transaction("saving fitted FSRS parameters") as conn:
            self.db.lock(conn, profile)
            conn.execute(d.sql(
                "INSERT INTO {fsrs_params} VALUES (?,?,?,?,?,?) ON CONFLICT (profile) DO UPDATE SET"
                " parameters=excluded.parameters, reviews=excluded.reviews, fitted_at=excluded.fitted_at,"
                " loss_default=excluded.loss_default, loss_fitted=excluded.loss_fitted"),
                (profile, json.dumps(list(fitted) if kept else None), later_day_reviews(histories), d.time(now),
                 loss_default, loss_fitted))
            cards = schema.rebuild(conn, profile, d)
        return FitReport(profile, n, fitted, loss_default, loss_fitted, kept, cards)

    def parameters(self, profile: str) -> tuple[float, ...] | None:
        """The profile's fitted FSRS parameters, or ``None`` (FSRS-6's defaults are used)."""
        with self.db.transaction() as conn:
            return schema.parameters(conn, profile, self.d)

    def histories(self, profile: str) -> dict[str, list[Review]]:
        """Every question's review log for ``profile`` (time order), as :class:`schedule.Review`."""
        with self.db.transaction() as conn:
            return schema.histories(conn, profile, self.d)

    def check_profile(self, profile: str) -> str:
        """``profile``, or a ValueError when its name is longer than ``max_profile_chars``."""
        if len(profile) > self.max_profile_chars:
            raise ValueError(f"profile name is {len(profile):,} characters, over the limit of {self.max_profile_chars} "
                             f"(setting max_profile_chars); choose a shorter name")
        return profile

    def save_session(self, session_id: str, profile: str, state: dict, finished: bool = False) -> None:
        self.check_profile(profile)
        d = self.d
        now = d.time(self.clock().replace(microsecond=0))
        with self.db.transaction("saving an interview") as conn:
            conn.execute(d.sql(
                "INSERT INTO {sessions} (id, profile, started_at, updated_at, finished, state) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET updated_at=excluded.updated_at, finished=excluded.finished,"
                " state=excluded.state"),
                (session_id, profile, now, now, bool(finished), d.text(json.dumps(state, ensure_ascii=False))))

    # ------------------------------------------------------------------ reads
    def load_session(self, session_id: str) -> dict | None:
        with self.db.transaction() as conn:
            row = conn.execute(self.d.sql("SELECT state FROM {sessions} WHERE id=?"), (session_id,)).fetchone()
        return json.loads(row["state"]) if row else None

    def card(self, profile: str, item_id: str) -> Card | None:
        return self.cards(profile, item_id).get(item_id)

    def cards(self, profile: str, item_id: str | None = None) -> dict[str, Card]:
        """The profile's cards by item id, each with its retrievability now."""
        d = self.d
        sql, args = "SELECT * FROM {cards} WHERE profile=?", [profile]
        if item_id is not None:
            sql, args = sql + " AND item_id=?", args + [item_id]
        with self.db.transaction() as conn:
            rows = conn.execute(d.sql(sql), args).fetchall()
            sched = scheduler(schema.parameters(conn, profile, d))
        now = self.clock()
        return {r["item_id"]: _with_recall(schema.card_of(r, d), now, sched) for r in rows}

    def due(self, profile: str, today: date | None = None) -> list[Card]:
        """Cards due on or before ``today``, least likely to be recalled (lowest retrievability) first."""
        d = self.d
        today = today or self.today()
        with self.db.transaction() as conn:
            rows = conn.execute(d.sql("SELECT * FROM {cards} WHERE profile=? AND due<=?"),
                                (profile, d.time(today))).fetchall()
            sched = scheduler(schema.parameters(conn, profile, d))
        now = self.clock() if today == self.today() else datetime.combine(today, time(12))
        cards = [_with_recall(schema.card_of(r, d), now, sched) for r in rows]
        return sorted(cards, key=lambda c: (c.retrievability, c.due, c.last_score or 0, c.item_id))

    def attempts(self, profile: str, item_id: str | None = None) -> list[dict]:
        """The profile's attempts, oldest first (``answered_at``, ``day`` as ISO text in either backend)."""
        d = self.d
        sql, args = "SELECT * FROM {attempts} WHERE profile=?", [profile]
        if item_id:
            sql, args = sql + " AND item_id=?", args + [item_id]
        with self.db.transaction() as conn:
            rows = conn.execute(d.sql(sql + " ORDER BY id"), args).fetchall()
        return [dict(r) | {"answered_at": d.iso(r["answered_at"]), "day": d.iso(r["day"]),
                           "grade": json.loads(r["grade"])} for r in rows]

    def topic_stats(self, profile: str, today: date | None = None) -> list[TopicStat]:
        """Per topic: attempts, questions seen, mean score, questions due; weakest (lowest mean) first."""
        d = self.d
        today = today or self.today()
        with self.db.transaction() as conn:
            rows = conn.execute(d.sql(
                "SELECT a.topic AS topic, COUNT(*) AS n, COUNT(DISTINCT a.item_id) AS q, AVG(a.score) AS mean,"
                " (SELECT COUNT(*) FROM {cards} c WHERE c.profile=a.profile AND c.topic=a.topic AND c.due<=?) AS due"
                " FROM {attempts} a WHERE a.profile=? GROUP BY a.profile, a.topic ORDER BY mean"),
                (d.time(today), profile)).fetchall()
        return [TopicStat(r["topic"] or "其他", r["n"], r["q"], float(r["mean"]), r["due"]) for r in rows]

    def profiles(self) -> list[str]:
        with self.db.transaction() as conn:
            rows = conn.execute(self.d.sql("SELECT DISTINCT profile FROM {cards} UNION"
                                           " SELECT DISTINCT profile FROM {sessions}")).fetchall()
        return sorted(r["profile"] for r in rows)

    def check(self) -> str:
        """``ok`` when the history is sound (SQLite's integrity check; the database's tables answer)."""
        return self.db.check()


def _with_recall(card: Card, now: datetime, sched) -> Card:
    return replace(card, retrievability=retrievability(card, now, sched))
