"""Cleaning text before it is stored or searched: control characters, and NFKC for matching.

Two cleanings, for two purposes:

* :func:`strip_controls` keeps a text's length (line numbers and offsets of a bank hold) and
  replaces C0/C1 control characters but tab and newline with spaces, so a bank's ESC sequences
  never reach a terminal;
* :func:`printable` replaces everything ``str.isprintable`` refuses (controls, format characters,
  odd spaces) but newline and tab, for what a user types (a query, an interview answer).

:func:`fold` is what keyword matching compares: NFKC (full-width ``ＢＥＲＴ`` is ``BERT``, ``ｆｉ``
ligatures and circled digits their plain forms) then lowercase. Both the index and the query side
of keyword search go through it (:class:`ingest.keyword.Analyzer`); stored texts keep their form.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# an ANSI escape sequence: CSI (colours, cursor moves), OSC (titles, hyperlinks) or a two-character escape
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def strip_controls(text: str) -> str:
    """C0/C1 control characters (but tab and newline) as spaces; the length is kept.

    Example:
        >>> strip_controls("a\\x1b[31mb\\tc")
        'a [31mb\\tc'
    """
    return CONTROL.sub(" ", text)


def printable(text: str) -> str:
    """Every character ``str.isprintable`` refuses, but newline and tab, as a space.

    Example:
        >>> printable("BN\\x00是\\u200b什么")
        'BN 是 什么'
    """
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def nfkc(text: str) -> str:
    """Unicode NFKC: compatibility forms to their plain ones (``ＢＥＲＴ`` -> ``BERT``, ``①`` -> ``1``).

    ASCII text (the common case) is returned as it is, without the normalisation's cost.
    """
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def fold(text: str) -> str:
    """What keyword matching compares: NFKC, then lowercase.

    Example:
        >>> fold("ＢＥＲＴ 和 Ｌｏｒａ")
        'bert 和 lora'
    """
    return nfkc(text).lower()
