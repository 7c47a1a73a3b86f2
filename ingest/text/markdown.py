"""Markdown line patterns shared by loading, segmentation and key points."""

from __future__ import annotations

import re

# an ATX heading as CommonMark writes it: up to 3 spaces, 1-6 '#', a space; groups (marks, text)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# the same, also without the space ("#标题", as many Chinese banks write it); group ``text``.
# Key points read it so: such a line is never a point of the answer.
LOOSE_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(?P<text>.*?)\s*#*\s*$")
# the opening (or closing) line of a fenced code block; group 1 the fence
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` of an ATX heading line with text, else None.

    Example:
        >>> heading("## 3.1 基本概念 ##"), heading("#标题"), heading("# ")
        ((2, '3.1 基本概念'), None, None)
    """
    m = HEADING.match(line)
    return (len(m.group(1)), m.group(2)) if m and m.group(2) else None
