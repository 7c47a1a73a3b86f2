"""Which script a text is written in: the CJK range, Chinese runs, and "is this English?".

Every stage asks these questions the same way: ``CJK`` is the one place the range of
Chinese characters (CJK Unified Ideographs, U+4E00–U+9FFF) is written.
"""

from __future__ import annotations

import re

CJK = "\u4e00-\u9fff"                 # for use inside a character class: rf"[\w{CJK}]"
CJK_CHAR = re.compile(f"[{CJK}]")
CJK_RUN = re.compile(f"[{CJK}]+")
_LETTER = re.compile(f"[A-Za-z{CJK}]")
_LATIN_PAIR = re.compile(r"[A-Za-z]{2}")


def is_cjk(ch: str) -> bool:
    """True for one Chinese character.

    Example:
        >>> is_cjk("感"), is_cjk("a")
        (True, False)
    """
    return "\u4e00" <= ch <= "\u9fff"


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one Chinese character."""
    return CJK_CHAR.search(text) is not None


def cjk_share(text: str) -> float:
    """Share of Chinese characters among the letters (Latin and Chinese) of ``text``; 1.0 when it has none.

    Example:
        >>> cjk_share("FLOPs 和 FLOP")
        0.1
    """
    letters = _LETTER.findall(text)
    return sum(1 for ch in letters if ch >= "\u4e00") / len(letters) if letters else 1.0


def is_english(text: str) -> bool:
    """True when ``text`` has Latin letters and no Chinese characters (the language an answer is given in).

    Example:
        >>> is_english("What is BN?"), is_english("什么是 BN？"), is_english("？")
        (True, False, False)
    """
    return not has_cjk(text) and _LATIN_PAIR.search(text) is not None


def mostly_latin(text: str, cjk_below: float = 0.3) -> bool:
    """Mostly Latin letters: under ``cjk_below`` of its letters Chinese (``FLOPs 和 FLOPS 其实是一回事`` is Chinese)."""
    return _LETTER.search(text) is not None and cjk_share(text) < cjk_below
