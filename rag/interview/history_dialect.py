"""How each backend of the interview history spells its SQL and values (:class:`Dialect`, :data:`SQLITE`, :data:`POSTGRES`).

Apart from :mod:`rag.interview.history_db` so that the schema module can use it without importing the connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Dialect:
    """How one backend spells the history's SQL and values."""

    name: str
    placeholder: str                  # ``?`` or ``%s``
    tables: dict[str, str]            # logical name -> table ({cards}, {attempts}, ..., {rowid}: insertion order)
    native_times: bool                # datetime/date columns (PostgreSQL) rather than ISO text (SQLite)
    strip_nul: bool                   # PostgreSQL's text cannot hold NUL characters
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def sql(self, template: str) -> str:
        """``template`` (``?`` placeholders, ``{cards}``-style table names) in this backend's SQL."""
        done = self._cache.get(template)
        if done is None:
            done = self._cache[template] = template.format(**self.tables).replace("?", self.placeholder)
        return done

    def time(self, value: datetime | date):
        """A datetime or date as the backend stores it (ISO text in SQLite)."""
        return value if self.native_times else value.isoformat()

    def parse(self, value) -> datetime:
        """A stored time back as a datetime."""
        return value if self.native_times else datetime.fromisoformat(value)

    def iso(self, value) -> str:
        """A stored time as the ISO text callers see (``2026-05-01T09:00:00``, ``2026-05-01``)."""
        if isinstance(value, datetime):
            return value.isoformat(timespec="seconds")
        return value.isoformat() if isinstance(value, date) else value

    def text(self, value: str) -> str:
        """``value`` as the backend can store it (PostgreSQL: without NUL characters; SQLite keeps them)."""
        return value.replace("\x00", "") if self.strip_nul and "\x00" in value else value


SQLITE = Dialect("sqlite", "?", {"attempts": "attempts", "cards": "cards", "fsrs_params": "fsrs_params",
                                 "sessions": "sessions", "practice_sessions": "practice_sessions",
                                 "conversations": "conversations", "rowid": "rowid"},
                 native_times=False, strip_nul=False)
POSTGRES = Dialect("postgresql", "%s", {"attempts": "qbank_attempts", "cards": "qbank_cards",
                                        "fsrs_params": "qbank_fsrs_params", "sessions": "qbank_interview_sessions",
                                        "practice_sessions": "qbank_practice_sessions",
                                        "conversations": "qbank_conversations", "rowid": "seq"},
                   native_times=True, strip_nul=True)
