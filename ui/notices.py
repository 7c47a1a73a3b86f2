"""Short inline notices for user mistakes, and how the server logs them.

A mistake (an empty question, a missing model name) is shown where it happened, in the
UI's language, as one Markdown line; the server log gets one line for it, no traceback.
Tracebacks are kept for real faults (:func:`fault`).
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("qbank.ui")
if not log.handlers:        # `qbank serve` configures no logging: one plain line on stderr (serve.log)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("qbank: %(levelname)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def notice_markdown(message: str) -> str:
    """``> ⚠️ message`` (a quoted line), or "" for no message."""
    return f"> ⚠️ {message}" if message else ""


def mistake(where: str, message: str) -> str:
    """Log a user's mistake as one line and return its inline notice.

    Args:
        where: the event (``chat.ask``, ``settings.apply``).
        message: what the user sees (in the UI's language).
    """
    log.info("%s: %s", where, message.replace("\n", " ")[:300])
    return notice_markdown(message)


def fault(where: str, exc: BaseException) -> None:
    """Log a real fault with its traceback."""
    log.error("%s failed: %s", where, exc, exc_info=exc)
