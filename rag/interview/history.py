"""Where the interview history lives: SQLite under ``$QBANK_HOME`` (the default) or the PostgreSQL database.

The setting ``database_url`` picks the store for the index (:func:`ingest.index_store.open_store`)
and, here, for the history: attempts, FSRS cards, fitted parameters, sessions and conversations.
Both backends have the same methods, so callers do not know which one they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ingest.settings import Settings
from rag.interview.sessions import SessionLog
from rag.interview.store import HistoryStore


def open_history(settings: Settings, clock: Callable[[], datetime] | None = None):
    """The interview history the settings name (:class:`HistoryStore` or :class:`PgHistoryStore`).

    Raises:
        OSError: the history cannot be opened (a damaged file; a database that is down names itself).
        ImportError: ``database_url`` is set but psycopg is not installed.
    """
    if settings.store.database_url:
        from rag.interview.pg_history import PgHistoryStore

        return PgHistoryStore(settings.store.database_url, clock=clock, max_profile_chars=settings.interview.max_profile_chars)
    return HistoryStore(settings.db_path, clock=clock, max_profile_chars=settings.interview.max_profile_chars)


def open_session_log(settings: Settings, clock: Callable[[], datetime] | None = None):
    """The practice sessions and conversations (:class:`SessionLog` or :class:`PgSessionLog`), beside the history."""
    if settings.store.database_url:
        from rag.interview.pg_sessions import PgSessionLog

        return PgSessionLog(settings.store.database_url, clock=clock, max_profile_chars=settings.interview.max_profile_chars)
    return SessionLog(settings.db_path, clock=clock, max_profile_chars=settings.interview.max_profile_chars)
