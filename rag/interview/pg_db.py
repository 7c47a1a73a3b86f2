"""The interview history's tables in PostgreSQL (setting ``database_url``), and the connections to them.

The same tables as the SQLite file under ``$QBANK_HOME`` (:mod:`rag.interview.history_schema`),
named ``qbank_*`` beside the index's, with PostgreSQL's types (``timestamptz`` for FSRS's UTC
times, ``date`` for the local day). Every replica on the database reads and writes them, so a
finished answer on one is in the history (and the due counts) of all. There is no SM-2 schema to
migrate here: the database history starts at FSRS. :class:`HistoryDb` is the connection object
that :class:`rag.interview.store.HistoryStore` and :class:`rag.interview.sessions.SessionLog`
take instead of the SQLite file (:mod:`rag.interview.history_db`); connections, the schema
check and the error wording are those of the index (:mod:`ingest.pg_conn`).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

from ingest.pg_conn import (
    DatabaseUnavailable,
    PerUrl,
    Pool,
    SchemaOnce,
    failure,
    redact,
)
from rag.interview.history_dialect import POSTGRES

SCHEMA_VERSION = 2    # that of the SQLite history (FSRS cards, rated attempts)
POOL_SIZE = 4
_LOCK = 7263512       # advisory lock while the tables are created (the index's is 7263511)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS qbank_history_schema (version int NOT NULL);
CREATE TABLE IF NOT EXISTS qbank_attempts (
    id bigserial PRIMARY KEY, profile text NOT NULL, item_id text NOT NULL, session_id text,
    answered_at timestamp NOT NULL, day date NOT NULL, score int NOT NULL, topic text NOT NULL DEFAULT '',
    doc text NOT NULL DEFAULT '', answer text NOT NULL, grade text NOT NULL, rating int NOT NULL);
CREATE INDEX IF NOT EXISTS qbank_attempts_profile ON qbank_attempts (profile, item_id);
CREATE TABLE IF NOT EXISTS qbank_cards (
    profile text NOT NULL, item_id text NOT NULL, state int NOT NULL, step int, stability double precision,
    difficulty double precision, due_at timestamptz NOT NULL, due date NOT NULL, reviewed_at timestamptz NOT NULL,
    reps int NOT NULL, lapses int NOT NULL, last_score int, last_rating int, topic text NOT NULL DEFAULT '',
    doc text NOT NULL DEFAULT '', PRIMARY KEY (profile, item_id));
CREATE INDEX IF NOT EXISTS qbank_cards_due ON qbank_cards (profile, due);
CREATE TABLE IF NOT EXISTS qbank_fsrs_params (
    profile text PRIMARY KEY, parameters text NOT NULL, reviews int NOT NULL, fitted_at timestamp NOT NULL,
    loss_default double precision, loss_fitted double precision);
CREATE TABLE IF NOT EXISTS qbank_interview_sessions (
    id text PRIMARY KEY, profile text NOT NULL, started_at timestamp NOT NULL, updated_at timestamp NOT NULL,
    finished boolean NOT NULL DEFAULT false, state text NOT NULL);
CREATE TABLE IF NOT EXISTS qbank_practice_sessions (
    seq bigserial UNIQUE, id text PRIMARY KEY, profile text NOT NULL, started_at timestamp NOT NULL,
    updated_at timestamp NOT NULL, finished boolean NOT NULL DEFAULT false, planned int NOT NULL DEFAULT 0,
    answered int NOT NULL DEFAULT 0, skipped int NOT NULL DEFAULT 0, mean_score double precision,
    topics text NOT NULL DEFAULT '[]', state text NOT NULL);
CREATE INDEX IF NOT EXISTS qbank_practice_sessions_profile ON qbank_practice_sessions (profile, updated_at);
CREATE TABLE IF NOT EXISTS qbank_conversations (
    profile text PRIMARY KEY, updated_at timestamp NOT NULL, messages text NOT NULL, turns text NOT NULL);
"""


class HistoryUnavailable(OSError):
    """The database holding the interview history cannot be used; the message names it (password masked).

    An ``OSError``, like a damaged or read-only SQLite history: the UI and the CLI show it as one line.
    """


def profile_lock(profile: str) -> int:
    """A 64-bit advisory lock key for one profile: its card updates and refits run one at a time."""
    return int.from_bytes(hashlib.sha1(f"qbank-history:{profile}".encode()).digest()[:8], "big", signed=True)


class HistoryDb(PerUrl):
    """Connections to the history's tables at ``url`` (created on first use, one process at a time);
    ``HistoryDb.shared(url)``: one pool per URL in this process (the history store and the session log share it)."""

    dialect = POSTGRES


    def __init__(self, url: str):
        self.url = url
        self.location = f"the database at {redact(url)}"
        self._pool = Pool(url, POOL_SIZE, vectors=False)
        self._tables = SchemaOnce(url, _LOCK, _SCHEMA, "qbank_history_schema", SCHEMA_VERSION, lambda found: (
            f"the interview history in {self.location} is of schema {found}, this qbank uses "
            f"{SCHEMA_VERSION}; upgrade qbank on every replica, or use another database"),
            doing="creating the interview history's tables")

    def _schema(self) -> None:
        try:
            self._tables.ensure()
        except DatabaseUnavailable as exc:
            raise HistoryUnavailable(f"interview history: {exc}") from None

    @contextmanager
    def transaction(self, doing: str = "reading the interview history"):
        """A connection (rows as dicts) inside one transaction: it commits at the end or rolls back.

        Raises:
            HistoryUnavailable: the database is down, or the connection broke while ``doing``.
        """
        import psycopg
        from psycopg.rows import dict_row

        self._schema()
        try:
            with self._pool.connection(doing) as conn:
                conn.row_factory = dict_row
                with conn.transaction():
                    yield conn
        except DatabaseUnavailable as exc:
            raise HistoryUnavailable(f"interview history: {exc}") from None
        except psycopg.Error as exc:   # any other driver error: one line naming the database, not a traceback
            raise HistoryUnavailable(f"interview history: {failure(exc, self.url, doing)}") from None

    def lock(self, conn, profile: str) -> None:
        """The profile's advisory lock until the commit: its card updates and refits run one at a time."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (profile_lock(profile),))

    def prepare_history(self) -> None:
        with self.transaction():    # tables created now; a dead database fails here, in one line
            pass

    prepare_sessions = prepare_history

    def check(self) -> str:
        """``ok`` when the history's tables answer (PostgreSQL checks its own pages)."""
        with self.transaction() as conn:
            conn.execute("SELECT count(*) FROM qbank_cards").fetchone()
        return "ok"

    def close(self) -> None:
        self._pool.close()
