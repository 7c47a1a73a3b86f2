"""What a question asks *about*, and the parts of an item's answer that address it.

* :func:`comparison`: ``A和B的区别``, ``A vs B``, ``difference between A and B`` -> ``("A", "B")``.
* :func:`aspect`: the aspect a question (often a follow-up) asks for: drawbacks (缺点), advantages
  (优点), how it is computed (怎么计算), applications (应用场景), how it works, why, an example.
* :func:`sections`: an answer cut into its sections (a numbered or labelled heading line and what
  follows), each with its line span in the bank file when it can be found there.
* :func:`select`: the sections of an answer that address a question (its aspect, else its words),
  so an extractive answer is the relevant passage, not always the whole answer.

Pure text functions: no index, no model. The answer module decides what to do with them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.passages import paragraphs

# aspect -> (words in a question that ask for it, words in an answer that address it)
ASPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cons": (("缺点", "不足", "劣势", "局限", "弊端", "缺陷", "短板", "坏处", "毛病", "drawback", "disadvantage", "cons",
              "limitation", "weakness", "downside"),
             ("缺点", "不足", "劣势", "局限", "弊端", "缺陷", "短板", "坏处", "挑战", "drawback", "disadvantage",
              "limitation", "weakness")),
    "pros": (("优点", "优缺点", "优势", "好处", "长处", "advantage", "benefit", "pros", "strength", "upside"),
             ("优点", "优势", "好处", "长处", "advantage", "benefit", "strength")),
    "compute": (("怎么计算", "如何计算", "怎么算", "如何算", "计算公式", "公式", "推导", "compute", "computed", "calculate",
                 "calculated", "formula", "derive"),
                ("计算", "公式", "推导", "$", "=", "compute", "formula")),
    "apps": (("应用场景", "应用", "场景", "用途", "用在", "用于", "用来做", "application", "use case", "used for", "applied"),
             ("应用", "场景", "用途", "用于", "适用", "application", "use case")),
    "how": (("怎么做", "怎么实现", "如何实现", "实现", "步骤", "流程", "过程", "原理", "怎么工作", "how does", "how do",
             "how is", "how to", "work", "works", "implement"),
            ("步骤", "流程", "过程", "原理", "实现", "执行", "首先", "然后", "step", "process", "implement")),
    "why": (("为什么", "为何", "原因", "为啥", "why"),
            ("原因", "因为", "由于", "所以", "因此", "目的", "为了", "because", "reason")),
    "example": (("例子", "举例", "举个", "示例", "实例", "案例", "example", "instance"),
                ("例如", "比如", "举例", "示例", "例子", "案例", "example", "e.g.")),
}
ASPECT_ORDER = ("cons", "pros", "compute", "apps", "example", "why", "how")   # first match wins
SPECIFIC = ("cons", "pros", "compute", "apps", "example")   # narrow enough to pick a part of an answer by themselves
SHORT_ANSWER = 700        # an answer this short is shown whole
EXCERPT_BUDGET = 900      # characters of an excerpt, about
# a label line ("缺点：", "**优点**", "## 应用") heads a section; numbered lines ("1. 基本原理") do when
# the answer has no labels (else they are the points under a label)
_LABEL = re.compile(r"^\s*(?:#{1,6}\s+\S.*|\*\*[^*]{1,40}\*\*\s*[:：]?|[^。，,.!！?？\d*#\-][^。，,.!！?？]{0,19}[:：])\s*$")
_NUMBERED = re.compile(r"^\s*(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.、)）]\s*\S|[（(]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）])")
_MARK = re.compile(r"^[\s#*\-•◦]*(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.、)）])?[\s*]*")
_COMPARE_ZH = re.compile(
    r"^(?:请问|请|说说|讲讲|介绍一下|介绍下|简述|比较一下|比较|对比一下|对比)?\s*(?P<a>.+?)\s*"
    r"(?:和|与|跟|同|及|以及|还是|vs\.?|VS\.?|versus|对比|相比|比较|比起来)\s*(?P<b>.+?)\s*"
    r"(?:比起来|相比|比较起来|相比较)?\s*(?:之间)?(?:的|有|到底|究竟|都)?\s*(?:什么|哪些|啥|有啥|有什么)?\s*"
    r"(?:区别|不同|差别|差异|异同|联系|对比|比较|优劣|不一样|哪个好|怎么选)", re.I)
_COMPARE_EN = re.compile(
    r"(?:differences?|distinction)\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s*[?.!]*$|"
    r"^(?:compare\s+)?(?P<c>.+?)\s+(?:vs\.?|versus|compared (?:to|with))\s+(?P<d>.+?)\s*[?.!]*$|"
    r"^compare\s+(?P<e>.+?)\s+(?:and|with|to)\s+(?P<f>.+?)\s*[?.!]*$|"
    r"^how (?:does|do|is|are)\s+(?P<g>.+?)\s+differ(?:ent)? from\s+(?P<h>.+?)\s*[?.!]*$", re.I)
_EDGE = re.compile(r"^[\s,，、:：\"'“”「」（）()]+|[\s,，、:：?？。.!！\"'“”「」（）()的]+$")


def comparison(question: str) -> tuple[str, str] | None:
    """The two sides of a comparison question, or None.

    Example:
        >>> comparison("BN和LN有什么区别？"), comparison("LSTM vs GRU"), comparison("什么是BN？")
        (('BN', 'LN'), ('LSTM', 'GRU'), None)
    """
    q = question.strip()
    m = _COMPARE_ZH.search(q)
    if m:
        a, b = m["a"], m["b"]
    else:
        m = _COMPARE_EN.search(q)
        if not m:
            return None
        groups = [g for g in m.groups()]
        a, b = next((groups[i], groups[i + 1]) for i in range(0, len(groups), 2) if groups[i])
        a = re.sub(r"^(?:what(?:'s| is| are)\s+(?:the\s+)?)", "", a, flags=re.I)
    a, b = _EDGE.sub("", a), _EDGE.sub("", b)
    if not a or not b or a.lower() == b.lower() or max(len(a), len(b)) > 40:
        return None
    return a, b


def aspects_in(text: str) -> list[str]:
    """Every aspect ``text`` asks for, in :data:`ASPECT_ORDER` (``优缺点`` asks for two)."""
    low = text.lower()
    return [name for name in ASPECT_ORDER
            if any((re.search(rf"\b{re.escape(w)}s?\b", low) if w.isascii() else w in low) for w in ASPECTS[name][0])]


def aspect(question: str) -> str | None:
    """The aspect a question asks for (``cons``, ``pros``, ``compute``, ``apps``, ``example``, ``why``,
    ``how``), or None when it asks about a thing as a whole."""
    found = aspects_in(question)
    return found[0] if found else None


@dataclass(frozen=True)
class Section:
    """A part of an answer: its text and, when the bank file has it, its 1-based line span."""

    index: int
    text: str
    lines: tuple[int, int] | None = None

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0].strip()


@functools.lru_cache(maxsize=64)
def _file_lines(path: str, mtime: float) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _locate(item, texts: list[str]) -> list[tuple[int, int] | None]:
    """The line span of each text in the item's bank file (searched within the item's own lines)."""
    if not item.lines or not getattr(item, "path", ""):
        return [None] * len(texts)
    try:
        lines = _file_lines(item.path, Path(item.path).stat().st_mtime)
    except OSError:
        return [None] * len(texts)
    lo, hi = item.lines
    out, pos = [], lo   # 1-based; search forward so repeated lines resolve in order
    for text in texts:
        rows = [r.strip() for r in text.split("\n") if r.strip()]
        if not rows:
            out.append(None)
            continue
        first = next((n for n in range(pos, min(hi, len(lines)) + 1) if lines[n - 1].strip() == rows[0]), None)
        if first is None:
            out.append(None)
            continue
        last, n = first, first
        for row in rows[1:]:
            n = next((k for k in range(n + 1, min(hi, len(lines)) + 1) if lines[k - 1].strip() == row), n)
            last = max(last, n)
        out.append((first, last))
        pos = last
    return out


def sections(item) -> list[Section]:
    """The item's answer cut at heading-like paragraphs (``1. 基本原理``, ``缺点：``, ``**反向传播**``)."""
    paras = paragraphs(item.answer)
    heads = [p.split("\n", 1)[0] for p in paras]
    labels = [p for p, h in zip(paras, heads) if _LABEL.match(h)]
    # labels head the sections when there are several, or one that stands alone ("缺点：" over its list)
    heading = _LABEL if len(labels) >= 2 or (labels and "\n" not in labels[0].strip()) else _NUMBERED
    groups: list[list[str]] = []
    for para, head in zip(paras, heads):
        if not groups or heading.match(head):
            groups.append([para])
        else:
            groups[-1].append(para)
    texts = ["\n\n".join(g) for g in groups]
    return [Section(i, t, span) for i, (t, span) in enumerate(zip(texts, _locate(item, texts)))]


def addresses(section: Section, name: str) -> int:
    """How strongly a section addresses an aspect: 3 when its heading is the aspect (``缺点：``), 2 when
    the heading names it, 1 when only its text does, else 0."""
    words = [w for w in ASPECTS[name][1] if len(w) > 1]
    title = _MARK.sub("", section.title).lower()
    if any(title.startswith(w) for w in words):
        return 3
    if any(w in title for w in words):
        return 2
    return 1 if any(w in section.text.lower() for w in words) else 0


def select(item, question: str, tokens: list[str] | None = None, want: str | None = None) -> tuple[list[Section], bool]:
    """The sections of ``item`` that answer ``question``, in their order; and whether that is all of it.

    Args:
        tokens: the question's search tokens (to score sections by the words they share with it).
        want: the aspect asked for (default: :func:`aspect` of the question). With an aspect, only the
            sections that address it are returned (none when the answer does not: the caller says so).
    """
    parts = sections(item)
    want = want if want is not None else aspect(question)
    if want:
        scored = [(addresses(s, want), s) for s in parts]
        best = max((v for v, _ in scored), default=0)
        chosen = [s for v, s in scored if v == best and v > 0]
        if best == 1:   # no heading names the aspect: quote the lines that do ("例如……"), not whole sections
            chosen = _lines_about(item, chosen, want)
            return chosen, False
        return chosen, len(chosen) == len(parts)
    if len(item.answer) <= SHORT_ANSWER or len(parts) <= 1:
        return parts, True
    words = {t.lower() for t in (tokens or []) if len(t) > 1}
    score = {s.index: sum(1 for w in words if w in s.text.lower()) for s in parts}
    keep = {0}   # the opening (usually the definition)
    used = len(parts[0].text)
    for s in sorted(parts[1:], key=lambda s: (-score[s.index], s.index)):
        if score[s.index] == 0 or used >= EXCERPT_BUDGET:
            break
        keep.add(s.index)
        used += len(s.text)
    chosen = [s for s in parts if s.index in keep]
    return chosen, len(chosen) == len(parts)


def _lines_about(item, within: list[Section], want: str, limit: int = 3) -> list[Section]:
    """The lines (bullets, sentences on their own line) of ``within`` that name the aspect, at most ``limit``."""
    words = [w for w in ASPECTS[want][1] if len(w) > 1]
    rows = [r for s in within for r in s.text.split("\n") if r.strip() and any(w in r.lower() for w in words)]
    rows = rows[:limit]
    return [Section(1000 + k, r.strip(), span) for k, (r, span) in enumerate(zip(rows, _locate(item, rows)))]


def span(chosen: list[Section]) -> tuple[int, int] | None:
    """The lines from the first chosen section to the last, when all of them were found in the file."""
    if not chosen or any(s.lines is None for s in chosen):
        return None
    return chosen[0].lines[0], chosen[-1].lines[1]


def excerpt(chosen: list[Section]) -> str:
    """The chosen sections as one text; a gap between sections that were not adjacent shows as ``…``."""
    out: list[str] = []
    for k, s in enumerate(chosen):
        if k and s.index != chosen[k - 1].index + 1:
            out.append("…")
        out.append(s.text.strip())
    return "\n\n".join(out)
