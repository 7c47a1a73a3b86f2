"""Overlap units of a text: character bigrams of its Chinese runs, and Latin words.

Chinese has no spaces, so two texts that say the same thing share character bigrams
(``感受`` ``受野``) where English texts share words; every overlap measure in qbank
(near-duplicate key points, citation attribution, grading evidence, swapped claims) counts
these units.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ingest.text.script import CJK_RUN

_NON_WORD = re.compile(r"[\W_]+")


def char_bigrams(run: str) -> list[str]:
    """Every pair of neighbouring characters of ``run``.

    Example:
        >>> char_bigrams("感受野")
        ['感受', '受野']
    """
    return [run[i:i + 2] for i in range(len(run) - 1)]


def cjk_bigrams(text: str, singles: bool = False) -> set[str]:
    """Character bigrams of each Chinese run of ``text``; a one-character run is kept itself when ``singles``.

    Example:
        >>> sorted(cjk_bigrams("感受野 of a 核", singles=True))
        ['受野', '感受', '核']
    """
    out: set[str] = set()
    _add_cjk_bigrams(out, text, singles)
    return out


def _add_cjk_bigrams(out: set[str], text: str, singles: bool) -> None:
    for run in CJK_RUN.findall(text):
        if singles and len(run) == 1:
            out.add(run)
        out.update(run[i:i + 2] for i in range(len(run) - 1))


def units(text: str, word: re.Pattern, stop: Collection[str] = (), singles: bool = False) -> set[str]:
    """Lowercase Latin words (matches of ``word`` not in ``stop``) plus the Chinese bigrams of ``text``.

    Example:
        >>> sorted(units("Dropout 防止过拟合", re.compile(r"[a-z]+")))
        ['dropout', '拟合', '止过', '过拟', '防止']
    """
    low = text.lower()
    out = {w for w in word.findall(low) if w not in stop}
    _add_cjk_bigrams(out, low, singles)
    return out


def squeezed_bigrams(text: str) -> frozenset[str]:
    """Bigrams of ``text`` lowercased with punctuation, spaces and underscores removed (script-blind).

    Example:
        >>> sorted(squeezed_bigrams("A_b, 感"))
        ['ab', 'b感']
    """
    t = _NON_WORD.sub("", text.lower())
    return frozenset(char_bigrams(t))
