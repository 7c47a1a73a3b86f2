"""Segmentation of a bank's lines into Q&A items (or, failing any Q&A structure, sections).

The algorithm, in order:

1. Mark code fences, so nothing inside one is taken for a heading or a question.
2. Find a table of contents (a ``目录``/``Contents`` block, or numbered lines whose
   number and title recur later) and keep its titles as evidence.
3. Collect numbered candidates per *style* (``#### N.``, plain ``N.``/``N、``,
   ``一、``, bold ``**N. …**``), score each (matches the TOC, ends in ``？``,
   ends in ``：`` like a list item, …) and pick, per style, the chain of
   increasing numbers with the best total (dynamic programming). The best chain
   across styles gives the questions. This is what keeps ``1. 选择预训练模型：``
   inside an answer out of the question list.
4. Otherwise use explicit markers (``Q:``/``A:``, ``问：``/``答：``, ``**题目：**``),
   then question-like headings, then plain heading/paragraph sections.

All functions here are pure: lines in, :class:`Segment` out.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from ingest.layout import TITLE_QUESTION_MAX_CHARS, choose
from ingest.markers import (ANSWER_LABEL, CN_DIGITS, DETAIL, HEADING, NUMBERED, Marker,  # noqa: F401  (re-exported)
                            normalize, parse_line, parse_number, strip_decorations)
from ingest.text.markdown import FENCE as _FENCE

_TOC_HEAD = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?\**\s*(目\s*录|contents|table of contents)\s*\**\s*[:：]?\s*$", re.I)
_TOC_ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[(?P<link>[^\]]+)\]\([^)]*\)|(?P<text>\S.*?))\s*$")
_Q_MARK = re.compile(
    r"^\s*(?:\*\*)?\s*(?:Q(?P<qn>\d{1,5})?|问题?(?P<cn>\d{1,5})?|题目|面试题)\s*(?:\*\*)?\s*[:：.．]\s*(?:\*\*)?\s*(?P<text>.*?)\s*$",
    re.I)
_A_MARK = re.compile(r"^\s*(?:\*\*)?\s*(?:A\d{0,5}|答案?|参考答案|回答)\s*(?:\*\*)?\s*[:：.．]\s*(?:\*\*)?\s*(?P<text>.*?)\s*$", re.I)
SECTION_MAX_CHARS = 1500


@dataclass(frozen=True)
class Segment:
    """A span of a document that became one item (0-based, inclusive line indexes)."""

    start: int
    end: int
    question: str
    answer: str
    number: int | None = None
    detail: str = ""
    kind: str = "qa"
    section: str = ""      # the numbered/heading section path above the question ("3.1 基本概念")


# Layouts a user can force (``qbank ingest --layout NAME``, the Library's upload preview);
# ``Segmentation.layout`` names the one chosen, in the same vocabulary.
LAYOUTS: dict[str, str] = {
    "heading1": "headings at level 1", "heading2": "headings at level 2", "heading3": "headings at level 3",
    "heading4": "headings at level 4", "heading5": "headings at level 5", "heading6": "headings at level 6",
    "bold": "bold lines", "numbered": "numbered lines (1. / 1、 / 一、 / 第1题)",
    "list": "list items with indented answers", "qa": "Q:/问： lines with A:/答： answers",
    "sections": "no questions: heading sections",
}


@dataclass(frozen=True)
class Segmentation:
    """Items, plus the text that is no item (preamble, TOC, trailing sections), so nothing is lost.

    Attributes:
        items: the Q&A items (or sections, for a document without Q&A structure).
        rest: text outside any item.
        layout: the question marker chosen (a key of :data:`LAYOUTS`).
        doubt: "" when the split looks sound, else a code: ``few_items`` (very few items for the
            file's size) or ``dominant_answer`` (one answer holds most of the file).
    """

    items: tuple[Segment, ...]
    rest: tuple[Segment, ...] = ()
    layout: str = "sections"
    doubt: str = ""


def fence_mask(lines: list[str] | tuple[str, ...]) -> list[bool]:
    """True for every line inside (or delimiting) a fenced code block; an unclosed fence runs to the end."""
    mask = [False] * len(lines)
    opener: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if opener is None:
            if m:
                opener = m.group(1)
                mask[i] = True
        else:
            mask[i] = True
            if m and m.group(1)[0] == opener[0] and len(m.group(1)) >= len(opener) and not line.strip()[len(m.group(1)):].strip():
                opener = None
    return mask


def segment(lines: list[str] | tuple[str, ...], layout: str | None = None) -> Segmentation:
    """Split a document's lines into Q&A items, or into sections when it has no Q&A structure.

    Args:
        lines: the document's lines.
        layout: force a question marker (a key of :data:`LAYOUTS`); ``None`` chooses from the document.

    Raises:
        ValueError: for an unknown layout name.
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    lines = list(lines)
    fenced = fence_mask(lines)
    toc_lines, toc_titles = _find_toc(lines, fenced)
    name, starts, breaks = choose(lines, fenced, toc_lines, toc_titles, layout)
    q_markers = [i for i, line in enumerate(lines)
                 if not fenced[i] and _Q_MARK.match(line) and _Q_MARK.match(line).group("text")]
    use_markers = layout == "qa" or (layout is None and q_markers and not (
        starts and (len(starts) >= 2 or not q_markers) and len(starts) >= len(q_markers) // 2))
    if use_markers and q_markers:
        return _with_doubt(lines, replace(_cut_markers(lines, fenced, q_markers), layout="qa"))
    if starts:
        return _with_doubt(lines, replace(_cut_items(lines, fenced, starts, breaks), layout=name))
    single = _title_question(lines, fenced)
    if single is not None:
        return Segmentation(items=(single,), layout="heading1")
    return Segmentation(items=tuple(_sections(lines, fenced, 0, len(lines) - 1)), layout="sections")


def _title_question(lines: list[str], fenced: list[bool]) -> Segment | None:
    """A short document with no Q&A structure whose own title asks is one answer to that question."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or sum(len(line) for line in lines) > TITLE_QUESTION_MAX_CHARS:
        return None
    m = parse_line(lines[first], first)
    if m is None or m.container != "h1" or not m.asks:
        return None
    end = _last_text_line(lines, first, len(lines) - 1)
    if end == first:
        return None
    return _make_item(lines, first, end, 1, m.title)


def _with_doubt(lines: list[str], seg: Segmentation) -> Segmentation:
    """Flag a split that looks wrong: very few items for the file's size, or one answer holding most of it."""
    qa = [s for s in seg.items if s.kind == "qa"]
    total = sum(len(line) for line in lines) or 1
    doubt = ""
    if qa and len(lines) >= 150 and len(qa) <= 2:
        doubt = "few_items"
    elif len(qa) >= 3 and max(len(s.answer) for s in qa) > 0.6 * total:
        doubt = "dominant_answer"
    return replace(seg, doubt=doubt) if doubt else seg


# -- table of contents --------------------------------------------------------

def _find_toc(lines: list[str], fenced: list[bool]) -> tuple[set[int], set[str]]:
    toc_lines: set[int] = set()
    titles: set[str] = set()
    for i, line in enumerate(lines[:400]):
        if fenced[i] or not _TOC_HEAD.match(line):
            continue
        toc_lines.add(i)
        blank_run = 0
        bullet_style: bool | None = None
        for j in range(i + 1, len(lines)):
            text = lines[j].strip()
            if not text:
                blank_run += 1
                if blank_run >= 2 and titles:
                    break
                continue
            blank_run = 0
            m = _TOC_ENTRY.match(lines[j])
            entry = (m.group("link") or m.group("text")) if m else ""
            numbered = NUMBERED.match(entry.strip("* ")) if entry else None
            bulleted = text.startswith(("-", "*", "+", "["))
            key = normalize(numbered.group("text") if numbered else entry)
            if not (bulleted or numbered) or key in titles or bullet_style not in (None, bulleted):
                break  # past the TOC: another kind of line, or its first title again
            bullet_style = bulleted
            toc_lines.add(j)
            titles.add(key)
        break
    return toc_lines, {t for t in titles if t}


def _level(line: str) -> int:
    m = HEADING.match(line)
    return len(m.group(1)) if m else 7


# -- cutting ------------------------------------------------------------------

def _last_text_line(lines: list[str], start: int, end: int) -> int:
    while end > start and not lines[end].strip():
        end -= 1
    return end


def _cut_items(lines: list[str], fenced: list[bool], starts: list[Marker], breaks: set[int]) -> Segmentation:
    """Items from the chosen question markers, each with its section path; the text between becomes sections.

    An item ends at the next start or break, or at a heading that closes it: for a heading question
    any heading at its level or above, for a bold/numbered/list question any heading at the level of
    the headings that group the questions.
    """
    start_lines = {m.line for m in starts}
    ends = sorted(start_lines | set(breaks)) + [len(lines)]
    heads = [(i, len(HEADING.match(line).group(1))) for i, line in enumerate(lines)
             if not fenced[i] and HEADING.match(line)]
    group_level = _group_level(heads, [m for m in starts if m.container[0] != "h"])
    titles = _section_titles(lines, heads, start_lines)
    items: list[Segment] = []
    rest: list[Segment] = []
    first = min(start_lines)
    if any(line.strip() for line in lines[:first]):
        rest.extend(_sections(lines, fenced, 0, first - 1))
    head_lines = [i for i, _ in heads]
    for m in sorted(starts, key=lambda m: m.line):
        stop = ends[bisect.bisect_right(ends, m.line)] - 1
        closing = m.level if m.container[0] == "h" else group_level
        k = bisect.bisect_right(head_lines, m.line)
        cut = next((i - 1 for i, lvl in heads[k:bisect.bisect_right(head_lines, stop)] if lvl <= closing), stop)
        if cut < stop:
            rest.extend(_sections(lines, fenced, cut + 1, stop))
        end = _last_text_line(lines, m.line, cut)
        item = _make_item(lines, m.line, end, m.number, m.title)
        items.append(replace(item, section=titles(m)))
    for b in sorted(breaks):
        if b not in start_lines and b >= first:
            stop = ends[bisect.bisect_right(ends, b)] - 1
            rest.extend(_sections(lines, fenced, b, stop))
    if any(m.scheme in ("none", "hier") for m in starts):
        # un-numbered questions, or hierarchical leaves (3.1.1, 3.2.1 …): count them 1, 2, 3 … in the document
        items = [replace(s, number=k) for k, s in enumerate(items, start=1)]
    return Segmentation(items=tuple(items), rest=tuple(sorted(rest, key=lambda s: s.start)))


def _group_level(heads: list[tuple[int, int]], starts: list[Marker]) -> int:
    """The level of the headings that group non-heading questions (the most common one right above them)."""
    counts: dict[int, int] = {}
    for m in starts:
        above = [lvl for i, lvl in heads if i < m.line]
        if above:
            counts[above[-1]] = counts.get(above[-1], 0) + 1
    return max(counts, key=counts.get) if counts else 0


def _section_titles(lines: list[str], heads: list[tuple[int, int]], start_lines: set[int]):
    """A function giving each question the path of the non-question headings above it ("3 章 › 3.1 节")."""
    h1 = [i for i, lvl in heads if lvl == 1]
    skip = {h1[0]} if len(h1) == 1 else set()    # the document's own title is no section
    stacks: list[tuple[int, dict[int, str]]] = []   # (heading line, the stack right after it)
    stack: dict[int, str] = {}
    for i, lvl in heads:
        stack = {k: v for k, v in stack.items() if k < lvl}
        if i not in start_lines and i not in skip:
            stack[lvl] = strip_decorations(HEADING.match(lines[i]).group(2))
        stacks.append((i, stack))
    lines_of = [i for i, _ in stacks]

    def titles(m: Marker) -> str:
        k = bisect.bisect_left(lines_of, m.line) - 1
        above = stacks[k][1] if k >= 0 else {}
        limit = m.level if m.container[0] == "h" else 7
        return " › ".join(t for lvl, t in sorted(above.items()) if lvl < limit and t)
    return titles


def _cut(lines: list[str], fenced: list[bool], starts: list[tuple[int, int | None, str, int]]) -> Segmentation:
    """Items from question start lines; a non-question heading at or above the question level ends an item."""
    items: list[Segment] = []
    rest: list[Segment] = []
    first = starts[0][0]
    if any(line.strip() for line in lines[:first]):
        rest.extend(_sections(lines, fenced, 0, first - 1))
    q_level = min(s[3] for s in starts)
    for k, (start, number, text, _lvl) in enumerate(starts):
        stop = starts[k + 1][0] - 1 if k + 1 < len(starts) else len(lines) - 1
        cut = stop
        if q_level < 7:
            for j in range(start + 1, stop + 1):
                if not fenced[j] and _level(lines[j]) <= q_level:
                    cut = j - 1
                    rest.extend(_sections(lines, fenced, j, stop))
                    break
        end = _last_text_line(lines, start, cut)
        items.append(_make_item(lines, start, end, number, text))
    return Segmentation(items=tuple(items), rest=tuple(rest))


def _make_item(lines: list[str], start: int, end: int, number: int | None, question: str) -> Segment:
    body = lines[start + 1:end + 1]
    detail = ""
    for k, line in enumerate(body):
        if not line.strip():
            continue
        m = DETAIL.match(line)
        if m:
            detail = m.group("text").strip().strip("*").strip()
            body = body[:k] + body[k + 1:]
        break
    answer = "\n".join(body).strip("\n")
    answer = ANSWER_LABEL.sub("", answer, count=1) if ANSWER_LABEL.match(answer) else answer
    return Segment(start=start, end=end, question=_clean(question), answer=answer.strip(), number=number, detail=detail)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def _cut_markers(lines: list[str], fenced: list[bool], markers: list[int]) -> Segmentation:
    starts = []
    for ordinal, i in enumerate(markers, start=1):
        m = _Q_MARK.match(lines[i])
        num = m.group("qn") or m.group("cn")
        starts.append((i, int(num) if num else ordinal, m.group("text"), 7))
    seg = _cut(lines, fenced, starts)
    items = []
    for s in seg.items:
        # the question may run over several lines until the answer marker
        body = lines[s.start + 1:s.end + 1]
        q_extra: list[str] = []
        for k, line in enumerate(body):
            if _A_MARK.match(line):
                first = _A_MARK.match(line).group("text")
                answer = "\n".join(([first] if first else []) + body[k + 1:]).strip()
                break
            q_extra.append(line)
        else:
            answer, q_extra = "\n".join(body).strip(), []
        question = _clean(" ".join([s.question] + [x for x in q_extra if x.strip()]))
        items.append(Segment(s.start, s.end, question, answer, s.number, "", "qa"))
    return Segmentation(items=tuple(items), rest=seg.rest)


def _question_headings(lines: list[str], fenced: list[bool]) -> list[tuple[int, int | None, str, int]]:
    """Un-numbered headings that read as questions (most at one level end in ？ or ?)."""
    by_level: dict[int, list[tuple[int, str]]] = {}
    for i, line in enumerate(lines):
        m = None if fenced[i] else HEADING.match(line)
        if m and m.group(2).strip():
            by_level.setdefault(len(m.group(1)), []).append((i, m.group(2).strip()))
    for level in sorted(by_level):
        heads = by_level[level]
        asks = [h for h in heads if h[1].rstrip("*").rstrip().endswith(("？", "?"))]
        if len(asks) >= 2 and len(asks) >= 0.6 * len(heads):
            return [(i, n, text, level) for n, (i, text) in enumerate(heads, start=1)]
    return []


def _sections(lines: list[str], fenced: list[bool], lo: int, hi: int) -> list[Segment]:
    """Heading/paragraph sections of ``lines[lo:hi+1]``, each at most ~SECTION_MAX_CHARS unless a code block."""
    out: list[Segment] = []
    start, title, size = None, "", 0

    def flush(end: int) -> None:
        nonlocal start
        if start is None:
            return
        last = _last_text_line(lines, start, end)
        body = "\n".join(lines[start:last + 1]).strip()
        if body:
            head = title or next((ln.strip() for ln in lines[start:last + 1] if ln.strip()), "")
            out.append(Segment(start, last, _clean(head.lstrip("#").strip())[:80], body, None, "", "section"))
        start = None

    for i in range(lo, hi + 1):
        line = lines[i]
        heading = None if fenced[i] else HEADING.match(line)
        if heading:
            flush(i - 1)
            start, title, size = i, heading.group(2), 0
            continue
        if not line.strip():
            if start is not None and size >= SECTION_MAX_CHARS and not fenced[i]:
                flush(i)
            continue
        if start is None:
            start, title, size = i, "", 0
        size += len(line)
    flush(hi)
    return out
