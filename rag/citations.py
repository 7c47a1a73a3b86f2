"""Inline ``[n]`` citation markers in LLM answers: validate, drop invalid ones, attribute uncited answers.

Pure functions on strings. A marker is ``[1]``, ``[1, 2]``, ``[1][3]`` or the full-width
``【1】``; markers inside code (fenced blocks or inline backticks) are code, not citations,
so ``x[0]`` in a code fence is never touched. :class:`CitationStream` applies the same
cleaning to a streamed answer chunk by chunk, so the streamed text equals the final text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import stopwords
from ingest.text.grams import units

MARKER = re.compile(r"\s*[\[【]\s*(\d{1,3}(?:\s*[,，、;；]\s*\d{1,3})*)\s*[\]】]")
# an inline span also ends at a newline, so whether a marker is code depends only on the text before it
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*(?:`|\n|\Z)", re.S)
_NUM = re.compile(r"\d{1,3}")
_HOLD = 16   # a marker is at most this long; an unclosed "[" this close to the end may still become one


@dataclass(frozen=True)
class CitationCheck:
    """The result of :func:`check_citations`.

    Attributes:
        text: the answer with invalid markers removed and valid ones normalised to ``[n]``.
        used: valid item numbers, in order of first appearance.
        invalid: numbers that pointed at no retrieved item, in order of first appearance.
    """

    text: str
    used: tuple[int, ...]
    invalid: tuple[int, ...]


def _code_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CODE.finditer(text)]


def check_citations(text: str, n_items: int) -> CitationCheck:
    """Keep the markers that point at one of ``n_items`` retrieved items (1-based) and drop the rest.

    Args:
        text: the model's answer.
        n_items: how many items the model was given.

    Returns:
        The cleaned text with the used and invalid numbers.

    Example:
        >>> check_citations("BN 归一化每层输入 [1]，见 [7]。", 2).text
        'BN 归一化每层输入 [1]，见。'
    """
    used: list[int] = []
    invalid: list[int] = []
    spans = _code_spans(text)
    out: list[str] = []
    pos = 0
    for m in MARKER.finditer(text):
        if any(a <= m.start(1) < b for a, b in spans):
            continue
        nums = [int(x) for x in _NUM.findall(m.group(1))]
        good = [n for n in nums if 1 <= n <= n_items]
        for n in nums:
            bucket = used if n in good else invalid
            if n not in bucket:
                bucket.append(n)
        lead = m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
        out.append(text[pos:m.start()])
        if good:
            out.append(lead + "".join(f"[{n}]" for n in dict.fromkeys(good)))
        pos = m.end()
    out.append(text[pos:])
    return CitationCheck("".join(out), tuple(used), tuple(invalid))


def _safe_end(raw: str) -> int:
    """How much of a growing answer can be cleaned now without a later chunk changing it."""
    end = len(raw)
    tail = raw[max(0, end - _HOLD):]
    for opener in ("[", "【"):
        i = tail.rfind(opener)
        if i >= 0 and not re.search(r"[\]】]", tail[i:]):
            end = min(end, len(raw) - len(tail) + i)
    while end > 0 and (raw[end - 1].isspace() or raw[end - 1] == "`"):
        end -= 1
    return end


class CitationStream:
    """Clean citation markers of a streamed answer as it arrives.

    ``feed`` returns the text that is safe to show now (a partial ``[`` or trailing
    whitespace is held back until the next chunk decides it); ``finish`` returns the rest.
    The concatenation of everything returned equals ``check_citations(full, n).text``.
    """

    def __init__(self, n_items: int):
        self.n_items = n_items
        self.raw = ""
        self._shown = 0

    def _emit(self, upto: int) -> str:
        clean = check_citations(self.raw[:upto], self.n_items).text
        piece = clean[self._shown:]
        self._shown = len(clean)
        return piece

    def feed(self, chunk: str) -> str:
        self.raw += chunk
        return self._emit(_safe_end(self.raw))

    def finish(self) -> str:
        return self._emit(len(self.raw))

    def check(self) -> CitationCheck:
        return check_citations(self.raw, self.n_items)


_STOP = stopwords.load("citation")
_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")


def _units(text: str) -> set[str]:
    """Chinese character bigrams and Latin words (3+ letters, common words left out)."""
    return units(text, _WORD, _STOP)


def attribute(answer: str, sources: list[str], min_share: float = 0.3, near_best: float = 0.75) -> list[int]:
    """Which sources (1-based) an uncited answer was written from, by shared wording.

    A source counts when at least ``min_share`` of the answer's units (Chinese character
    bigrams, Latin words) occur in it, and it is within ``near_best`` of the best source;
    a made-up or gibberish answer gets ``[]``.

    Example:
        >>> attribute("批量归一化把每层输入归一化", ["批量归一化对每层输入做归一化", "红烧肉"])
        [1]
    """
    mine = _units(answer)
    if not mine:
        return []
    shares = [len(mine & _units(src)) / len(mine) for src in sources]
    best = max(shares, default=0.0)
    return [n for n, s in enumerate(shares, 1) if s >= min_share and s >= near_best * best]
