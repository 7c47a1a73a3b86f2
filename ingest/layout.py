"""Choose a document's question layout from its own lines: which family of markers starts questions.

Every candidate marker (:mod:`ingest.markers`) belongs to a *family*: the same container (heading
level, bold line, plain line, list item) and the same numbering scheme. Each family proposes a set
of question starts, scored by how consistent a Q&A structure it makes:

- flat numbering (``1.`` ``1、`` ``一、`` ``第1题`` ``Q1：``): the best chain of increasing numbers
  (dynamic programming; numbering may restart under a higher heading);
- hierarchical numbering (``3.1`` / ``3.1.1``): the *leaves* of the numbering tree are questions,
  the inner nodes are sections (``## 3.1 基本概念`` above ``### 3.1.1 神经网络组成？``);
- un-numbered headings, bold lines and list items with indented answers: a family whose titles
  mostly read as questions.

Per marker the score rewards a title that asks, a match with the table of contents, a body of
answer text, and penalises labels (``技术介绍：``), very long titles and empty bodies. The best
proposal wins unless its markers all sit inside the answers of another plausible proposal of a
higher rank (a numbered list inside answers, ``#### 技术介绍：`` under ``### N.``). Then the text
left outside any item is searched again, more strictly, for a family of its own (a notes part
followed by bold questions). A document whose best proposal does not read as Q&A becomes heading
sections.

All functions here are pure.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ingest.markers import ANSWER_LABEL, DETAIL, HEADING, Marker, normalize, parse_line

# Tuned on the tune split of data/eval/segmentation_gold.jsonl (real banks) and the unit fixtures.
ASKS_FOR_TREE = 0.3        # share of the leaves of a numbering tree (3.1.1 …) that must ask for them to be Q&A
ASKS_FOR_FLAT = 0.5        # the same for a flat numbered run (## 1. … ## 2. …): the usual form of tutorial
                           # chapters, so it needs more evidence (tune split: banks 0.67-1.0, notes 0.06-0.25)
ASKS_UNNUMBERED = 0.5      # the same for an un-numbered family (headings, bold lines, list items)
ASKS_RECURSIVE = 0.8       # ... for a family found again in the text left outside the items
MIN_RECURSIVE = 3          # ... and how many questions it needs there
TITLE_QUESTION_MAX_CHARS = 4000   # a short notes document whose title asks is one answer to it


@dataclass(frozen=True)
class Start:
    """One question start: its marker line, number, question text, structural level and section path."""

    line: int
    number: int | None
    question: str
    level: int
    section: str = ""


@dataclass
class Proposal:
    """What one family of markers would make of the document."""

    name: str                       # a key of ingest.segment.LAYOUTS
    starts: list[Marker]
    score: float
    breaks: set[int] = field(default_factory=set)   # lines that end an item without starting one
    numbered: bool = False
    tree: bool = False              # the leaves of a hierarchical numbering (sections above them)
    asks: float = 0.0               # share of starts that ask (or carry a question label)

    def notes(self, declared_bank: bool = False) -> bool:
        """Numbered titles that mostly do not ask: chapters of notes, not questions.

        A document whose own title says it is a question bank needs no more evidence for a flat run than for a tree.
        """
        return self.numbered and self.asks < (ASKS_FOR_TREE if self.tree or declared_bank else ASKS_FOR_FLAT)

    @property
    def rank(self) -> int:
        return min(m.level for m in self.starts)


@dataclass(frozen=True)
class Choice:
    """The chosen layout: its name, the question starts, and the lines that only end an item."""

    name: str
    starts: tuple[Start, ...]
    breaks: frozenset[int] = frozenset()


def markers(lines: list[str], fenced: list[bool], skip: set[int]) -> list[Marker]:
    """Every candidate marker of the document, outside code fences and the table of contents."""
    out = []
    for i, line in enumerate(lines):
        if fenced[i] or i in skip:
            continue
        nxt = next((lines[j] for j in range(i + 1, min(i + 4, len(lines))) if lines[j].strip()), None)
        m = parse_line(line, i, nxt)
        if m is not None and not (m.scheme == "q" and m.container == "plain"):   # Q1: lines: see segment._cut_markers
            out.append(m)
    # a numbered line whose number and title recur later is a table-of-contents entry
    seen: dict[tuple, int] = {}
    toc_like: set[int] = set()
    for m in out:
        if m.path:
            key = (m.path, normalize(m.title))
            if key in seen:
                toc_like.add(seen[key])
            seen[key] = m.line
    return [m for m in out if m.line not in toc_like]


def _name(container: str) -> str:
    return {"bold": "bold", "plain": "numbered", "list": "list"}.get(container, f"heading{container[1:]}")


@dataclass(frozen=True)
class _Cand:
    line: int
    number: int
    text: str
    style: str
    quality: float
    chapter: int = 0   # headings above this heading level seen so far (numbering may restart per chapter)


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


# -- per-marker evidence -------------------------------------------------------------

def _body_lines(lines: list[str], fenced: list[bool], m: Marker, until: int) -> list[str]:
    return [lines[j] for j in range(m.line + 1, min(until, len(lines))) if lines[j].strip()]


def _quality(lines: list[str], m: Marker, toc_titles: set[str], labelled: bool) -> float:
    q = 0.0
    key = normalize(m.title)
    if toc_titles and key and any(key == t or (len(t) >= 4 and (t in key or key in t)) for t in toc_titles):
        q += 4
    if m.title.endswith(("：", ":")):
        q -= 3
    if m.asks or labelled:
        q += 1
    if m.container[0] == "h":
        q += 1
    if len(m.title) > 80:
        q -= 1 if len(m.title) <= 150 else 3
    prev = lines[m.line - 1].strip() if m.line > 0 else ""
    if m.container in ("plain", "list") and prev and parse_line(prev, m.line - 1) is not None:
        q -= 1    # one line of a run of numbered lines: a list, not questions
    return q


def _labelled(lines: list[str], m: Marker) -> bool:
    """The body opens with a question or answer label (``**题目：**``, ``答案：``): this is a Q&A item."""
    for j in range(m.line + 1, min(m.line + 6, len(lines))):
        if lines[j].strip():
            return bool(DETAIL.match(lines[j]) or ANSWER_LABEL.match(lines[j]))
    return False


def _has_body(lines: list[str], fenced: list[bool], m: Marker, nxt: int) -> bool:
    """Text (or code) between the marker and the next start/heading: an unanswered question is none."""
    for j in range(m.line + 1, min(nxt, len(lines))):
        heading = None if fenced[j] else HEADING.match(lines[j])
        if heading and (m.container[0] != "h" or len(heading.group(1)) <= m.level):
            return False
        if lines[j].strip():
            return True      # text, code, or a sub-heading of the answer
    return False


# -- proposals -------------------------------------------------------------------

def _flat(lines, fenced, ms: list[Marker], toc_titles, labelled) -> list[Proposal]:
    """One proposal per flat-numbered family: the best chain of increasing numbers."""
    families: dict[tuple, list[tuple[Marker, int]]] = {}
    seen = [0] * 8
    for m in ms:
        if m.container[0] == "h":
            level = m.level
            chapter = sum(seen[1:level])
            seen[level] += 1
        else:
            chapter = sum(seen[1:7])
        if m.scheme in ("none", "hier"):
            continue
        families.setdefault((m.container, m.bold, m.scheme), []).append((m, chapter))
    # headings without numbers count for chapters too
    families.update(_across_levels(ms, families))
    out = []
    for (container, _bold, scheme), members in families.items():
        cands = [_Cand(m.line, m.path[-1], m.title, container, _quality(lines, m, toc_titles, labelled[m.line]), ch)
                 for m, ch in members]
        chain, score = _chain_dp(cands)
        if not chain:
            continue
        by_line = {m.line: m for m, _ in members}
        starts = [by_line[c.line] for c in chain]
        lone = len(starts) == 1 and container[0] == "h" and starts[0].title.endswith(("？", "?"))
        if len(starts) >= 2 or lone:
            if container == "h*":     # one run across heading levels: named by the level most of it is at
                levels = [m.container for m in starts]
                container = max(set(levels), key=levels.count)
            out.append(Proposal(_name(container), starts, score, numbered=True))
    return out


def _across_levels(ms: list[Marker], families: dict) -> dict:
    """One numbering run may go on across heading levels (``### 2.`` under a part, ``#### 3.`` under a sub-topic).

    For each numbering scheme used by headings of two or more levels, the union of those headings as one more
    family (container ``h*``), its chapters counted above the highest of its levels; the chain search then
    decides whether the numbers run on.
    """
    out = {}
    groups: dict[tuple, list[Marker]] = {}
    for (container, bold, scheme), members in families.items():
        if container[0] == "h":
            groups.setdefault((bold, scheme), []).extend(m for m, _ in members)
    for (bold, scheme), members in groups.items():
        if len({m.container for m in members}) < 2:
            continue
        top, lines = min(m.level for m in members), {m.line for m in members}
        seen, merged = [0] * 8, []
        for m in ms:
            if m.container[0] != "h":
                continue
            if m.line in lines:
                merged.append((m, sum(seen[1:top])))
            seen[m.level] += 1
        out[("h*", bold, scheme)] = merged
    return out


def _hier(lines, fenced, ms: list[Marker], toc_titles, labelled) -> list[Proposal]:
    """The leaves of a hierarchical numbering tree are questions; inner nodes (and ``N.`` headings above) are sections."""
    families: dict[str, list[Marker]] = {}
    for m in ms:
        if m.container == "list":
            continue
        if m.scheme == "hier" or (m.scheme == "dec" and m.container[0] == "h"):
            key = "bold" if m.bold or m.container == "bold" else ("heading" if m.container[0] == "h" else "plain")
            families.setdefault(key, []).append(m)
    out = []
    for nodes in families.values():
        if not any(n.scheme == "hier" for n in nodes):
            continue
        leaves, parents = [], set()
        for k, n in enumerate(nodes):
            nxt = nodes[k + 1] if k + 1 < len(nodes) else None
            if nxt is not None and len(nxt.path) > len(n.path) and nxt.path[:len(n.path)] == n.path:
                parents.add(n.line)
            elif n.scheme == "hier":
                leaves.append(n)
        if len(leaves) < 2:
            continue
        score, prev = 0.0, None
        for n in leaves:
            in_seq = prev is not None and (
                (n.path[:-1] == prev.path[:-1] and n.path[-1] == prev.path[-1] + 1) or n.path[-1] == 1)
            score += 2 + _quality(lines, n, toc_titles, labelled[n.line]) + (1 if in_seq else 0)
            prev = n
        # dec headings that are not parents of any leaf are not part of this tree: they break items
        breaks = {n.line for n in nodes if n.line not in {x.line for x in leaves}}
        counts: dict[str, int] = {}
        for n in leaves:
            counts[n.container] = counts.get(n.container, 0) + 1
        out.append(Proposal(_name(max(counts, key=counts.get)), leaves, score, breaks, numbered=True, tree=True))
    return out


def _unnumbered(lines, fenced, ms: list[Marker], toc_titles, labelled, min_asks: float) -> list[Proposal]:
    """Headings of one level, bold lines, or list items with indented answers, that mostly ask."""
    families: dict[str, list[Marker]] = {}
    for m in ms:
        if m.container == "plain" or (m.container == "list" and not m.indented_body):
            continue
        if m.container == "bold" and m.scheme == "hier":
            continue
        families.setdefault(m.container, []).append(m)
    out = []
    for container, members in families.items():
        asked = [m for m in members if m.asks or labelled[m.line]]
        if len(members) < 2 or len(asked) < min_asks * len(members):
            continue
        score = sum((2.0 if (m.asks or labelled[m.line]) else -1.0) + _quality(lines, m, toc_titles, labelled[m.line]) - 1
                    for m in members)
        out.append(Proposal(_name(container), members, score))
    return out


# -- choice ----------------------------------------------------------------------

def _spans(p: Proposal, n_lines: int, heads: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` (end exclusive) of each item: to the next start or break, or to a heading that closes it."""
    ends = sorted([m.line for m in p.starts] + list(p.breaks)) + [n_lines]
    out = []
    head_lines = [i for i, _ in heads] if heads else []
    for m in sorted(p.starts, key=lambda m: m.line):
        stop = ends[bisect.bisect_right(ends, m.line)]
        if heads:
            closing = m.level if m.container[0] == "h" else 6
            window = heads[bisect.bisect_right(head_lines, m.line):bisect.bisect_left(head_lines, stop)]
            stop = next((i for i, lvl in window if lvl <= closing), stop)
        out.append((m.line, stop))
    return out


def _inside(inner: Proposal, outer: Proposal, n_lines: int) -> bool:
    """Every start of ``inner`` lies inside an item of ``outer`` (not on its first line), and is no numbered child."""
    spans = _spans(outer, n_lines)
    outer_by_line = {m.line: m for m in outer.starts}
    for m in inner.starts:
        span = next(((a, b) for a, b in spans if a < m.line < b), None)
        if span is None:
            return False
        parent = outer_by_line[span[0]]
        if m.path and parent.path and len(m.path) > len(parent.path) and m.path[:len(parent.path)] == parent.path:
            return False
    return True


def _asks_share(p: Proposal, labelled: list[bool]) -> float:
    return sum(1 for m in p.starts if m.asks or labelled[m.line]) / len(p.starts)


def _pick(proposals: list[Proposal], n_lines: int) -> Proposal | None:
    proposals = sorted(proposals, key=lambda p: p.score, reverse=True)
    for p in proposals:
        if p.score <= 0:
            break
        if any(q is not p and q.rank < p.rank and q.score > 0 and _inside(p, q, n_lines) for q in proposals):
            continue
        return p
    return None


def _proposals(lines, fenced, ms, toc_titles, labelled, min_unnumbered: float) -> list[Proposal]:
    props = _flat(lines, fenced, ms, toc_titles, labelled) + _hier(lines, fenced, ms, toc_titles, labelled)
    props += _unnumbered(lines, fenced, ms, toc_titles, labelled, min_unnumbered)
    for p in props:
        p.asks = _asks_share(p, labelled)
    return props


def _forced(name: str, lines, fenced, ms: list[Marker], toc_titles, labelled) -> Proposal | None:
    """The user's choice: every marker of that container (numbered chains keep their best chain)."""
    container = {"bold": "bold", "numbered": "plain", "list": "list"}.get(name, f"h{name[-1]}")
    if container == "plain":
        flat = [p for p in _flat(lines, fenced, ms, toc_titles, labelled) if p.name == "numbered"]
        return max(flat, key=lambda p: p.score) if flat else None
    members = [m for m in ms if m.container == container]
    return Proposal(name, members, float(len(members))) if members else None


_BANK_TITLE = re.compile(r"面试|面经|题库|八股|考题|习题|问答|问题集|\binterview|\bquestions?\b|\bq\s*&\s*a\b|\bfaq\b", re.I)


def declares_bank(lines: list[str], within: int = 12) -> bool:
    """Whether the document's own title (its first heading, near the top) says it is a question bank.

    >>> declares_bank(["# NLP 面试题", "", "## 1. BERT"]), declares_bank(["# LSTM 学习笔记", "## 1. 什么是LSTM"])
    (True, False)
    >>> declares_bank(["Some intro", "# Machine Learning Interview Questions"])
    True
    """
    for line in lines[:within]:
        m = HEADING.match(line)
        if m:
            return bool(_BANK_TITLE.search(m.group(2)))
    return False


def _drop_unanswered(lines, fenced, p: Proposal) -> Proposal:
    ends = sorted([m.line for m in p.starts] + list(p.breaks)) + [len(lines)]
    keep = []
    for m in p.starts:
        nxt = ends[bisect.bisect_right(ends, m.line)]
        if _has_body(lines, fenced, m, nxt):
            keep.append(m)
        else:
            p.breaks.add(m.line)
    p.starts = keep
    return p


def choose(lines: list[str], fenced: list[bool], toc_lines: set[int], toc_titles: set[str],
           forced: str | None = None) -> tuple[str, list[Marker], set[int]]:
    """The layout name, the markers that start questions, and the lines that only end an item.

    An empty marker list means: no Q&A structure (heading sections).
    """
    ms = markers(lines, fenced, toc_lines)
    labelled = [False] * len(lines)
    for m in ms:
        labelled[m.line] = _labelled(lines, m)
    if forced == "sections":
        return "sections", [], set()
    if forced is not None and forced != "qa":
        p = _forced(forced, lines, fenced, ms, toc_titles, labelled)
        return (forced, p.starts, p.breaks) if p and p.starts else ("sections", [], set())
    # numbered notes ("1.1 输入层", "1.2 卷积层") are sections, not questions: such a family is no candidate
    bank = declares_bank(lines)
    props = [p for p in _proposals(lines, fenced, ms, toc_titles, labelled, ASKS_UNNUMBERED) if not p.notes(bank)]
    best = _pick(props, len(lines))
    if best is None:
        return "sections", [], set()
    best = _drop_unanswered(lines, fenced, best)
    if not best.starts:
        return "sections", [], set()     # every question of the family was unanswered
    starts, breaks = list(best.starts), set(best.breaks)
    starts += _again(lines, fenced, ms, toc_titles, labelled, best)
    starts += _asking_leaves(lines, fenced, ms, best, {m.line for m in starts})
    starts.sort(key=lambda m: m.line)
    return best.name, starts, breaks


def _again(lines, fenced, ms, toc_titles, labelled, best: Proposal) -> list[Marker]:
    """Questions in the text outside the chosen items: a stricter family of its own there."""
    heads = [(i, len(HEADING.match(line).group(1))) for i, line in enumerate(lines)
             if not fenced[i] and HEADING.match(line)]
    spans = _spans(best, len(lines), heads)
    span_starts = [a for a, _ in spans]

    def inside(line: int) -> bool:
        k = bisect.bisect_right(span_starts, line) - 1
        return k >= 0 and spans[k][0] <= line < spans[k][1]
    outside = [m for m in ms if not inside(m.line) and m.line not in best.breaks]
    if len(outside) < MIN_RECURSIVE:
        return []
    props = _unnumbered(lines, fenced, outside, toc_titles, labelled, ASKS_RECURSIVE)
    props = [p for p in props if len(p.starts) >= MIN_RECURSIVE and p.name not in ("list",)]
    if not props:
        return []
    p = max(props, key=lambda p: p.score)
    return [m for m in p.starts if m.asks or labelled[m.line]]


def _asking_leaves(lines, fenced, ms: list[Marker], best: Proposal, taken: set[int]) -> list[Marker]:
    """With un-numbered heading questions at level L, a heading above L that asks, has an answer and no sub-headings.

    ``### ELMo 的缺点`` among ``### topic`` / ``#### question`` pairs is a question written one level up.
    """
    if best.numbered or not best.starts or best.starts[0].container[0] != "h":
        return []
    level = best.starts[0].level
    heads = [m for m in ms if m.container[0] == "h"]
    out = []
    for k, m in enumerate(heads):
        if m.line in taken or m.level >= level or not m.asks or m.level == 1:
            continue
        nxt = heads[k + 1] if k + 1 < len(heads) else None
        if nxt is not None and nxt.level > m.level:
            continue         # it has sub-headings: a topic above questions
        if _has_body(lines, fenced, m, nxt.line if nxt else len(lines)):
            out.append(m)
    return out
