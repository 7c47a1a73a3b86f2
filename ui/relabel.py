"""The app's own words in chat messages already on screen, redrawn in the other language (the switch, a reload).

An answer message (:func:`ui.render.answer_markdown`) is bank text plus a few of the app's words:
the "understood in context as" prefix, each source's location (``第 9 题 · 行 285–289``) and the
mode tag. Only those are rewritten; the bank's text and the user's questions stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ui import render
from ui.i18n import TEXT, t

_MODE_KEYS = ("mode_extractive", "mode_llm", "mode_abstained", "mode_closest", "mode_llm_closest")
_MODE_TAG = re.compile(r'(<sub class="qb-mode-tag">)(.*?)(</sub>)')
# one source line: - [\[1\]](#qb-cite=<id>) <question> — *<where>*
_SOURCE = re.compile(r"^(- \[\\\[\d+\\\]\]\((?P<href>[^)\s]*)\) .* — \*)(?P<where>[^*\n]*)(\*)$", re.MULTILINE)
_RESOLVED = re.compile("^<sub>🔗 ({})".format("|".join(re.escape(x) for x in TEXT["resolved_as"])))


def relabel_answer(markdown: str, lang: str, item: Callable[[str], object | None]) -> str:
    """``markdown`` (an answer message) with the app's words in ``lang``; ``item(id)`` looks a cited item up.

    >>> relabel_answer('<div class="qb-bank">\\n\\n答\\n\\n</div>\\n\\n<sub class="qb-mode-tag">📖 题库作答</sub>',
    ...                "en", lambda i: None).endswith('<sub class="qb-mode-tag">📖 Answered from the banks</sub>')
    True
    """
    head, sep, tail = markdown.rpartition("\n\n</div>")       # the bank block ends there; the app's words follow
    if not sep:
        head, tail = "", markdown
    head = _RESOLVED.sub(lambda m: f"<sub>🔗 {t('resolved_as', lang)}", head, count=1)

    def source(m: re.Match) -> str:
        found = item(render.parse_cite_href(m["href"]) or "")
        return m.group(0) if found is None else f"{m.group(1)}{render.where(found, lang)}{m.group(4)}"

    def mode(m: re.Match) -> str:
        key = next((k for k in _MODE_KEYS if m.group(2) in TEXT[k]), None)
        return m.group(0) if key is None else f"{m.group(1)}{t(key, lang)}{m.group(3)}"

    tail = _MODE_TAG.sub(mode, _SOURCE.sub(source, tail))
    return head + sep + tail


def relabel_messages(messages: list, lang: str, item: Callable[[str], object | None]) -> list:
    """The chat's messages (plain ``{"role", "content"}`` dicts, content a string or Gradio's text parts) in ``lang``."""
    out = []
    for m in messages or []:
        m = dict(m)
        if m.get("role") == "assistant":
            content = m.get("content")
            if isinstance(content, str):
                m["content"] = relabel_answer(content, lang, item)
            elif isinstance(content, list):
                m["content"] = [{**c, "text": relabel_answer(c["text"], lang, item)}
                                if isinstance(c, dict) and isinstance(c.get("text"), str) else c for c in content]
        out.append(m)
    return out
