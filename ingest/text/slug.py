"""The id prefix of a bank's items, from its file name."""

from __future__ import annotations

import re

from ingest.text.script import CJK

_NOT_WORD = re.compile(rf"[^\w{CJK}]+")


def slug(stem: str) -> str:
    """A file stem as an item-id prefix: runs of anything but word characters become ``_``.

    Example:
        >>> slug("LLM 原理 (v2)"), slug("...")
        ('LLM_原理_v2', 'doc')
    """
    return _NOT_WORD.sub("_", stem).strip("_") or "doc"
