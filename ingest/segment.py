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

import re
from dataclasses import dataclass

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED = re.compile(
    r"^(?:第\s*)?(?P<open>[(（]\s*)?(?P<num>\d{1,5}|[一二三四五六七八九十百零两]{1,4})\s*"
    r"(?(open)[)）]|(?:[.．、](?!\d)|题[.、：:]?|[)）]))\s*(?P<text>\S.*?)\s*$")
_BOLD_WRAP = re.compile(r"^\*\*(?P<inner>.+?)\*\*\s*$")
_TOC_HEAD = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?\**\s*(目\s*录|contents|table of contents)\s*\**\s*[:：]?\s*$", re.I)
_TOC_ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[(?P<link>[^\]]+)\]\([^)]*\)|(?P<text>\S.*?))\s*$")
_Q_MARK = re.compile(
    r"^\s*(?:\*\*)?\s*(?:Q(?P<qn>\d{1,5})?|问题?(?P<cn>\d{1,5})?|题目|面试题)\s*(?:\*\*)?\s*[:：.．]\s*(?:\*\*)?\s*(?P<text>.*?)\s*$",
    re.I)
_A_MARK = re.compile(r"^\s*(?:\*\*)?\s*(?:A\d{0,5}|答案?|参考答案|回答)\s*(?:\*\*)?\s*[:：.．]\s*(?:\*\*)?\s*(?P<text>.*?)\s*$", re.I)
_DETAIL = re.compile(r"^\s*\**\s*(?:题目|面试题|问题|题干)\s*[:：]\s*\**\s*(?P<text>.+?)\s*$")
_ANSWER_LABEL = re.compile(r"^\s*\**\s*(?:答案|参考答案|答|回答|Answer|A)\s*[:：]\s*\**\s*", re.I)
_PUNCT = re.compile(r"[\s\W_]+", re.U)
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


@dataclass(frozen=True)
class _Cand:
    line: int
    number: int
    text: str
    style: str
    quality: float
    chapter: int = 0   # headings above this heading level seen so far (numbering may restart per chapter)


def parse_number(token: str) -> int | None:
    """``"12"`` -> 12, ``"十二"`` -> 12, ``"二十"`` -> 20; ``None`` if it is no number."""
    if token.isdigit():
        return int(token)
    if not token or any(ch not in CN_DIGITS and ch not in "十百" for ch in token):
        return None
    total, current = 0, 0
    for ch in token:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + CN_DIGITS[ch] if current else CN_DIGITS[ch]
    return total + current or None


def normalize(text: str) -> str:
    """Key for comparing titles: lowercase, no markup, punctuation or spaces."""
    return _PUNCT.sub("", text.replace("**", "").lower())


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
    chain = _best_chain(lines, fenced, toc_lines, toc_titles)
    markers = [i for i, line in enumerate(lines) if not fenced[i] and _Q_MARK.match(line) and _Q_MARK.match(line).group("text")]
    if chain and (len(chain) >= 2 or not markers) and len(chain) >= len(markers) // 2:
        starts = [(c.line, c.number, c.text, _level(lines[c.line])) for c in chain]
        return _cut(lines, fenced, starts)
    if len(markers) >= 1:
        return _cut_markers(lines, fenced, markers)
    headings = _question_headings(lines, fenced)
    if headings:
        return _cut(lines, fenced, headings)
    return Segmentation(items=tuple(_sections(lines, fenced, 0, len(lines) - 1)))


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
            numbered = _NUMBERED.match(entry.strip("* ")) if entry else None
            bulleted = text.startswith(("-", "*", "+", "["))
            key = normalize(numbered.group("text") if numbered else entry)
            if not (bulleted or numbered) or key in titles or bullet_style not in (None, bulleted):
                break  # past the TOC: another kind of line, or its first title again
            bullet_style = bulleted
            toc_lines.add(j)
            titles.add(key)
        break
    return toc_lines, {t for t in titles if t}


# -- numbered chains ----------------------------------------------------------

def _level(line: str) -> int:
    m = _HEADING.match(line)
    return len(m.group(1)) if m else 7


def _candidates(lines: list[str], fenced: list[bool], toc_lines: set[int], toc_titles: set[str]) -> list[_Cand]:
    cands: list[_Cand] = []
    seen_levels = [0] * 7   # headings seen so far, by level
    for i, line in enumerate(lines):
        if fenced[i] or i in toc_lines or not line.strip():
            continue
        heading = _HEADING.match(line)
        chapter = 0
        if heading:
            level = len(heading.group(1))
            chapter = sum(seen_levels[1:level])
            seen_levels[level] += 1
            body, style = heading.group(2).strip(), f"h{level}"
        elif len(line) - len(line.lstrip(" \t")) > 3:
            continue
        else:
            body, style = line.strip(), "plain"
        bold = _BOLD_WRAP.match(body)
        if bold:
            body, style = bold.group("inner").strip(), style + "-bold"
        m = _NUMBERED.match(body)
        if not m:
            continue
        number = parse_number(m.group("num"))
        if number is None:
            continue
        text = m.group("text").strip().strip("*").strip()
        if not text:
            continue
        style += "-cn" if not m.group("num").isdigit() else ""
        style += "-paren" if m.group("open") else ""
        cands.append(_Cand(i, number, text, style, _quality(lines, i, text, style, toc_titles), chapter))
    # a numbered line whose number and title recur later is a table-of-contents entry
    seen: dict[tuple[int, str], int] = {}
    toc_like: set[int] = set()
    for c in cands:
        key = (c.number, normalize(c.text))
        if key in seen:
            toc_like.add(seen[key])
        seen[key] = c.line
    return [c for c in cands if c.line not in toc_like]


def _quality(lines: list[str], i: int, text: str, style: str, toc_titles: set[str]) -> float:
    q = 0.0
    key = normalize(text)
    if toc_titles and key and any(key == t or (len(t) >= 4 and (t in key or key in t)) for t in toc_titles):
        q += 4
    stripped = text.rstrip("*").rstrip()
    if stripped.endswith(("：", ":")):
        q -= 3
    if stripped.endswith(("？", "?")):
        q += 1
    if style.startswith("h"):
        q += 1
    elif text.startswith("**") or "：**" in text or ":**" in text:
        q -= 1
    if len(text) > 80:
        q -= 1 if len(text) <= 150 else 3
    prev_numbered = i > 0 and lines[i - 1].strip() and _NUMBERED.match(lines[i - 1].strip().lstrip("#").strip())
    if prev_numbered and not style.startswith("h"):
        q -= 1
    return q


def _best_chain(lines, fenced, toc_lines, toc_titles) -> list[_Cand]:
    by_style: dict[str, list[_Cand]] = {}
    for c in _candidates(lines, fenced, toc_lines, toc_titles):
        by_style.setdefault(c.style, []).append(c)
    best_chain: list[_Cand] = []
    best_score = float("-inf")
    for cands in by_style.values():
        chain, score = _chain_dp(cands)
        lone_question = (len(chain) == 1 and chain[0].style.startswith("h")
                         and chain[0].text.rstrip("*").rstrip().endswith(("？", "?")))
        if (len(chain) >= 2 or lone_question) and score > best_score:
            best_chain, best_score = chain, score
    return best_chain


def _chain_dp(cands: list[_Cand]) -> tuple[list[_Cand], float]:
    """Best chain of strictly increasing numbers (steps of 1 preferred, at most 3), candidates in line order.

    Numbering may restart at 1 after a heading of a higher level (``## 第二章`` then ``### 1.``).
    """
    best: list[float] = []
    back: list[int] = []
    last_by_number: dict[int, list[int]] = {}
    chapter, best_in_chapter, best_before = 0, -1, -1   # indexes into best (-1: none)
    for i, c in enumerate(cands):
        if c.chapter != chapter:
            if best_in_chapter != -1 and (best_before == -1 or best[best_in_chapter] > best[best_before]):
                best_before = best_in_chapter
            chapter, best_in_chapter = c.chapter, -1
        start = 2 + c.quality + (1.0 if c.number == 1 else -min(c.number - 1, 5))
        score, prev = start, -1
        for step in (1, 2, 3):
            for j in last_by_number.get(c.number - step, ()):
                s = best[j] + 2 + c.quality - 2.5 * (step - 1)
                if s > score:
                    score, prev = s, j
        if c.number == 1 and best_before != -1 and best[best_before] + 2 + c.quality - 0.5 > score:
            score, prev = best[best_before] + 2 + c.quality - 0.5, best_before
        best.append(score)
        back.append(prev)
        last_by_number.setdefault(c.number, []).append(i)
        if best_in_chapter == -1 or score > best[best_in_chapter]:
            best_in_chapter = i
    if not best:
        return [], float("-inf")
    end = max(range(len(best)), key=best.__getitem__)
    chain = []
    while end != -1:
        chain.append(cands[end])
        end = back[end]
    return chain[::-1], max(best)


# -- cutting ------------------------------------------------------------------

def _last_text_line(lines: list[str], start: int, end: int) -> int:
    while end > start and not lines[end].strip():
        end -= 1
    return end


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
        m = _DETAIL.match(line)
        if m:
            detail = m.group("text").strip().strip("*").strip()
            body = body[:k] + body[k + 1:]
        break
    answer = "\n".join(body).strip("\n")
    answer = _ANSWER_LABEL.sub("", answer, count=1) if _ANSWER_LABEL.match(answer) else answer
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
        m = None if fenced[i] else _HEADING.match(line)
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
        heading = None if fenced[i] else _HEADING.match(line)
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
