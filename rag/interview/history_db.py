"""The interview history's two backends behind one small object: a SQLite file (the default) or PostgreSQL.

:class:`rag.interview.store.HistoryStore` and :class:`rag.interview.sessions.SessionLog` write their SQL
once, with ``?`` placeholders and ``{table}`` names; a :class:`Dialect` turns it into the backend's
(placeholders, table names, how times are stored, what text may hold). The connection object
(:class:`SqliteDb` here, :class:`rag.interview.pg_db.HistoryDb` for the database) opens one transaction
per call, takes a profile's write lock, creates the tables and turns driver errors into one-line
``OSError``\\ s. Both backends take the same upserts (``INSERT … ON CONFLICT (…) DO UPDATE``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from rag.interview import history_schema as schema
from rag.interview.history_dialect import SQLITE, Dialect


class OnHistoryDb:
    """What :class:`rag.interview.store.HistoryStore` and :class:`rag.interview.sessions.SessionLog` share: the
    connection object (the SQLite file at ``path`` unless ``db`` is given), its dialect, the clock and the
    longest profile name."""

    def __init__(self, path: Path | None, clock, max_profile_chars: int, db=None):
        self.db = db if db is not None else SqliteDb(path)
        self.d: Dialect = self.db.dialect
        self.path = getattr(self.db, "path", None)
        self.location = self.db.location
        self.clock = clock or datetime.now
        self.max_profile_chars = max_profile_chars


class SqliteDb:
    """The history in one SQLite file: WAL journal, a fresh connection per call (threads and processes share the
    file), one transaction per call; a damaged file, a full disk or a read-only folder is one clear OSError."""

    dialect = SQLITE

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

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
    def transaction(self, doing: str = "") -> Iterator[sqlite3.Connection]:
        """A connection whose work commits at the end (or rolls back); a damaged file becomes a clear OSError.

        Only a damaged file ("database disk image is malformed", "file is not a database") or one that
        cannot be written is reported that way; a busy database (``OperationalError``) is raised as it is.
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

    def lock(self, conn: sqlite3.Connection, profile: str) -> None:
        """Hold the write lock from here to the commit (read and update a card with no other writer in between)."""
        conn.execute("BEGIN IMMEDIATE")

    def prepare_history(self) -> None:
        """Create the history's tables, or migrate a schema-1 (SM-2) file (one process migrates, the others wait)."""
        with self.transaction() as conn:
            conn.executescript(schema.SCHEMA)
        with self.transaction() as conn:
            if schema.cards_columns(conn) != schema.CARDS_V2 or schema.attempt_columns(conn) != schema.ATTEMPTS_V2:
                conn.execute("BEGIN IMMEDIATE")
                schema.migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(schema.SCHEMA_VERSION),))

    def prepare_sessions(self) -> None:
        with self.transaction() as conn:
            conn.executescript(schema.SESSIONS_SCHEMA)

    def check(self) -> str:
        """SQLite's own integrity check (``ok`` when the file is sound)."""
        with self.transaction() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _cannot_write(exc: BaseException) -> bool:
    """SQLite failed for lack of space or permission (SQLITE_FULL, SQLITE_READONLY, SQLITE_CANTOPEN, I/O errors)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        k in text for k in ("disk is full", "readonly", "read-only", "unable to open", "disk i/o error"))
