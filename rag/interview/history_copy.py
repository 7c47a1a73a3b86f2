"""Copy an interview history from its SQLite file into the database (``qbank history copy --to-database``).

For a candidate (or a whole class) moving from files to a shared PostgreSQL: every attempt, FSRS card,
fitted parameter set, interview, practice session and conversation of ``interview.sqlite3`` goes into the
``qbank_*`` tables, in one transaction (all or nothing). Running it again copies nothing twice:

* an attempt is in the database already when one with the same profile, question, time, score and answer is;
* a card, a profile's parameters, an interview, a practice session (by id) or a conversation (by profile)
  already in the database is kept (what a replica wrote since wins over the file);
* a card the database had that gets older attempts from the file is replayed from all of its attempts in
  time order, so its FSRS state counts both.

The SQLite file is opened as every qbank command opens it (a schema-1 SM-2 file is migrated first) and is
otherwise only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from rag.interview import history_schema as schema
from rag.interview.history_db import SqliteDb
from rag.interview.history_dialect import POSTGRES
from rag.interview.schedule import replay, scheduler

_TABLES = ("attempts", "cards", "fsrs_params", "sessions", "practice_sessions", "conversations")


@dataclass
class CopyReport:
    """Rows copied and rows the database had already, per table; the profiles seen."""

    source: str
    target: str
    copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))
    replayed: int = 0                       # database cards replayed with the file's older attempts
    profiles: list[str] = field(default_factory=list)

    def public(self) -> dict:
        return {"from": self.source, "to": self.target, "copied": self.copied, "already_there": self.present,
                "cards_replayed": self.replayed, "profiles": self.profiles}


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def copy_to_database(source: Path, url: str) -> CopyReport:
    """Copy the SQLite history at ``source`` into the database at ``url`` (idempotent; see the module docstring).

    Raises:
        FileNotFoundError: there is no history file at ``source``.
        OSError: the file is unreadable, or the database is down or failed (one line naming it,
            password masked); nothing is copied then.
    """
    from rag.interview.pg_db import HistoryDb

    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"no interview history at {source} to copy (setting home / QBANK_HOME, or --from)")
    lite = SqliteDb(source)
    lite.prepare_history()
    lite.prepare_sessions()
    with lite.transaction() as conn:
        rows = {name: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()]
                for name, table, order in (("attempts", "attempts", "id"), ("cards", "cards", "profile, item_id"),
                                           ("fsrs_params", "fsrs_params", "profile"), ("sessions", "sessions", "id"),
                                           ("practice_sessions", "practice_sessions", "rowid"),
                                           ("conversations", "conversations", "profile"))}
    db = HistoryDb.shared(url)
    report = CopyReport(str(source), db.location)
    report.profiles = sorted({r["profile"] for table in rows.values() for r in table})
    t = POSTGRES.text
    with db.transaction("copying the interview history") as pg:
        for profile in report.profiles:      # no replica moves these profiles' cards on while they are copied
            db.lock(pg, profile)
        grown: set[tuple[str, str]] = set()  # (profile, item) that got attempts from the file
        for r in rows["attempts"]:
            key = (r["profile"], r["item_id"], _ts(r["answered_at"]), r["score"], t(r["answer"]))
            if pg.execute("SELECT 1 FROM qbank_attempts WHERE profile=%s AND item_id=%s AND answered_at=%s AND "
                          "score=%s AND answer=%s LIMIT 1", key).fetchone():
                report.present["attempts"] += 1
                continue
            pg.execute("INSERT INTO qbank_attempts (profile, item_id, session_id, answered_at, day, score, topic, doc,"
                       " answer, grade, rating) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                       (r["profile"], r["item_id"], r["session_id"], key[2], _day(r["day"]), r["score"],
                        t(r["topic"] or ""), t(r["doc"] or ""), key[4], t(r["grade"]), r["rating"]))
            report.copied["attempts"] += 1
            grown.add((r["profile"], r["item_id"]))
        for r in rows["cards"]:
            card = schema.card_of(r)
            done = pg.execute(
                "INSERT INTO qbank_cards (profile, item_id, state, step, stability, difficulty, due_at, due, reviewed_at,"
                " reps, lapses, last_score, last_rating, topic, doc) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (profile, item_id) DO NOTHING",
                (r["profile"], card.item_id, card.state, card.step, card.stability, card.difficulty, card.due_at,
                 card.due, card.reviewed_at, card.reps, card.lapses, card.last_score, card.last_rating,
                 t(r["topic"] or ""), t(r["doc"] or ""))).rowcount
            report.copied["cards"] += done
            report.present["cards"] += 1 - done
            if done:
                grown.discard((r["profile"], r["item_id"]))   # the file's card already counts the file's attempts
        for r in rows["fsrs_params"]:
            _put(report, "fsrs_params", pg.execute(
                "INSERT INTO qbank_fsrs_params VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (profile) DO NOTHING",
                (r["profile"], r["parameters"], r["reviews"], _ts(r["fitted_at"]), r["loss_default"],
                 r["loss_fitted"])).rowcount)
        for r in rows["sessions"]:
            _put(report, "sessions", pg.execute(
                "INSERT INTO qbank_interview_sessions (id, profile, started_at, updated_at, finished, state)"
                " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING",
                (r["id"], r["profile"], _ts(r["started_at"]), _ts(r["updated_at"]), bool(r["finished"]),
                 t(r["state"]))).rowcount)
        for r in rows["practice_sessions"]:
            _put(report, "practice_sessions", pg.execute(
                "INSERT INTO qbank_practice_sessions (id, profile, started_at, updated_at, finished, planned, answered,"
                " skipped, mean_score, topics, state) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (id) DO NOTHING",
                (r["id"], r["profile"], _ts(r["started_at"]), _ts(r["updated_at"]), bool(r["finished"]), r["planned"],
                 r["answered"], r["skipped"], r["mean_score"], t(r["topics"]), t(r["state"]))).rowcount)
        for r in rows["conversations"]:
            _put(report, "conversations", pg.execute(
                "INSERT INTO qbank_conversations VALUES (%s,%s,%s,%s) ON CONFLICT (profile) DO NOTHING",
                (r["profile"], _ts(r["updated_at"]), t(r["messages"]), t(r["turns"]))).rowcount)
        for profile, item_id in sorted(grown):   # a card of the database's, now with older attempts too
            report.replayed += _replay(pg, profile, item_id)
    return report


def _put(report: CopyReport, table: str, done: int) -> None:
    report.copied[table] += done
    report.present[table] += 1 - done


def _replay(pg, profile: str, item_id: str) -> int:
    """Replay one card of the database from all of its attempts in time order (FSRS counts every review once)."""
    d = POSTGRES
    reviews = schema.histories(pg, profile, d).get(item_id, [])     # replay() puts them in time order
    if not reviews:
        return 0
    last = pg.execute("SELECT topic, doc FROM qbank_attempts WHERE profile=%s AND item_id=%s ORDER BY answered_at DESC,"
                      " id DESC LIMIT 1", (profile, item_id)).fetchone()
    schema.put_card(pg, profile, replay(item_id, reviews, scheduler(schema.parameters(pg, profile, d))),
                    last["topic"], last["doc"], d)
    return 1
