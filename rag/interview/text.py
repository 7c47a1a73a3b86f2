"""Pure text helpers for grading: cleaning a candidate's answer, cutting it into clauses, character bigrams.

A candidate speaks in long comma-chained sentences, so the unit of evidence is the
comma clause; windows of two neighbouring clauses and whole sentences are also
offered to the aligner, because one key point is often said across a comma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import grams
from ingest.text.normalize import printable
from ingest.text.script import CJK

_SENT_BREAK = re.compile(r"(?:[。！？!?；;\n]|\.(?=\s))+")     # ". " ends an English sentence; "0.5" does not
_CLAUSE_BREAK = re.compile(r"\s*[，,：:]\s*")
_WORD = re.compile(r"[a-z0-9]+(?:[.\-+][a-z0-9]+)*")
_CONTENT = re.compile(rf"[\w{CJK}]")
# ASCII punctuation touching a Chinese character, as typed on an English keyboard: "区域.由" means "区域。由"
_FULLWIDTH = {".": "。", ",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_ASCII_PUNCT = re.compile(rf"(?<=[{CJK}])[ \t]*([.,;:?!])(?![\d.])[ \t]*|[ \t]*([.,;:?!])[ \t]*(?=[{CJK}])")


@dataclass(frozen=True)
class Span:
    """A piece of the candidate's answer with its character offsets (``answer[start:end] == text``)."""

    text: str
    start: int
    end: int
    sentence: int = 0     # index of the sentence the piece belongs to
    size: int = 1         # how many clauses it spans


def sanitize(text: str | None) -> str:
    """Replace control characters with spaces, make ASCII punctuation next to Chinese full-width, trim.

    The same answer typed with ``.`` and ``,`` instead of ``。`` and ``，`` must grade the same:
    ``.`` is no sentence break (``0.5``, ``e.g.``), so "区域.由卷积核决定" would be one sentence.
    ``None`` becomes ``""``.

    Example:
        >>> sanitize("感受野是区域.由卷积核, 步长决定\x1b")
        '感受野是区域。由卷积核，步长决定'
    """
    if not text:
        return ""
    text = printable(str(text))
    return _ASCII_PUNCT.sub(lambda m: _FULLWIDTH[m.group(1) or m.group(2)], text).strip()


def clauses(text: str) -> list[Span]:
    """Comma-level clauses of ``text`` with offsets, each tagged with its sentence index."""
    out: list[Span] = []
    for n, sent in enumerate(_pieces(text, _SENT_BREAK, 0, len(text))):
        for start, end in _pieces(text, _CLAUSE_BREAK, sent[0], sent[1]):
            piece = text[start:end]
            if _CONTENT.search(piece):
                out.append(Span(piece, start, end, n, 1))
    return out


def _pieces(text: str, pattern: re.Pattern, lo: int, hi: int) -> list[tuple[int, int]]:
    spans, start = [], lo
    for m in pattern.finditer(text, lo, hi):
        if m.start() > start:
            spans.append(_trim(text, start, m.start()))
        start = m.end()
    if start < hi:
        spans.append(_trim(text, start, hi))
    return [(s, e) for s, e in spans if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n。，,；;：:、":
        start += 1
    while end > start and text[end - 1] in " \t\r\n。，,；;：:、":
        end -= 1
    return start, end


def units(text: str, parts: list[Span], max_size: int = 3) -> list[Span]:
    """Clauses plus windows of up to ``max_size`` neighbouring clauses of the same sentence."""
    out = list(parts)
    for size in range(2, max_size + 1):
        for i in range(len(parts) - size + 1):
            first, last = parts[i], parts[i + size - 1]
            if first.sentence == last.sentence:
                out.append(Span(text[first.start:last.end], first.start, last.end, first.sentence, size))
    return out


def bigrams(text: str) -> set[str]:
    """Character bigrams of the Chinese runs plus lowercase latin words (``dropout``, ``l2``)."""
    return grams.units(text, _WORD, singles=True)


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """Cut ``text`` to at most ``limit`` characters at a sentence end when one is near; returns (text, cut?)."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    m = max(head.rfind(ch) for ch in "。！？!?；;\n")
    if m >= limit * 0.8:
        head = head[:m + 1]
    return head, True
