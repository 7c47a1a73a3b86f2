"""Practice sessions and conversations per profile in PostgreSQL: :class:`rag.interview.sessions.SessionLog`
on the database's tables (created with the history's, :mod:`rag.interview.pg_db`).

Selected by the setting ``database_url`` (:func:`rag.interview.history.open_session_log`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rag.interview.pg_db import HistoryDb
from rag.interview.sessions import SessionLog


class PgSessionLog(SessionLog):
    """Sessions and conversations of every profile in the database at ``url`` (the setting ``database_url``)."""

    def __init__(self, url: str, clock: Callable[[], datetime] | None = None, max_profile_chars: int = 64):
        super().__init__(None, clock, max_profile_chars, db=HistoryDb.shared(url))
