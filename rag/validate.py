"""Input validation: a typed query cleaned (control characters and terminal escapes out) or refused
with a message that says what to do."""

from __future__ import annotations

from ingest.text.normalize import ANSI, printable

EMPTY = "the question is empty: type a question, e.g. 什么是感受野？"


class QueryError(ValueError):
    """A query that cannot be searched (empty, or too long); the message says what to do."""


def check_query(query: str, max_chars: int) -> str:
    """Strip a query and reject empty or absurdly long ones with a clear message.

    >>> check_query("  感受野\\x00 ", 100)
    '感受野'
    """
    if query is None:
        raise QueryError(EMPTY)
    cleaned = printable(ANSI.sub(" ", str(query))).strip()
    if not cleaned:
        raise QueryError(EMPTY)
    if len(cleaned) > max_chars:
        raise QueryError(f"the question is {len(cleaned)} characters long; the limit is {max_chars}. "
                         f"Ask about one topic at a time.")
    return cleaned
