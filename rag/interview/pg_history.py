"""Interview history and spaced-repetition state in PostgreSQL: :class:`HistoryStore` on the database's tables.

Selected by the setting ``database_url`` (:func:`rag.interview.history.open_history`). Every
replica on the database writes its finished answers here, so they all see the same attempts,
FSRS cards and due counts. The store is the SQLite one's (:mod:`rag.interview.store`) over the
database's connection object (:class:`rag.interview.pg_db.HistoryDb`): one transaction per
write, and a per-profile advisory lock keeps two replicas from moving the same card on from the
same old state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rag.interview.pg_db import HistoryDb
from rag.interview.store import MAX_PROFILE_CHARS, HistoryStore


class PgHistoryStore(HistoryStore):
    """Interview history for all profiles in the database at ``url`` (the setting ``database_url``)."""

    def __init__(self, url: str, clock: Callable[[], datetime] | None = None,
                 max_profile_chars: int = MAX_PROFILE_CHARS):
        super().__init__(None, clock, max_profile_chars, db=HistoryDb.shared(url))
