"""Key points of a reference answer: 3–8 short statements a candidate is expected to make.

Derived once at ingest and stored with the item, so grading is fast and repeatable.
The answer is read as a small outline:

* code fences, display formulas (``$$…$$``), images, links and zero-width marks are skipped; a quoted
  note (``> …``) is text, and a table is read as an outline, each cell under its row label and column
  header (``卷积层的结构：…``);
* boilerplate labels (``**答案：**``, ``**解析：**``, ``**源代码实例：**``…) are dropped,
  the text after them kept; ``#### 举例：`` / code-intro lines are skipped;
* a line that is only a label (``**模型剪枝：**``, ``2. 训练阶段执行过程``, ``concat 操作``)
  becomes the *group* of the bullets under it, so a generic sub-bullet such as
  ``- **缺点**：可能影响模型性能`` becomes ``模型剪枝的缺点：可能影响模型性能``;
* bullets become points (a short item with nothing under it too); prose is split into sentences;
  examples (``例如…``) rank low; questions and remarks about the text itself (``下面将介绍…``) are no points.

When there are more than 8 candidates the most informative are kept (the opening
definition, top-level bullets, longer statements), in their original order; near
duplicates are merged. An answer with too few sentences is split into clauses, and
as a last resort its key terms make a point of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.segment import fence_mask
from ingest.text.grams import squeezed_bigrams
from ingest.text.markdown import LOOSE_HEADING
from ingest.text.script import CJK

MIN_POINTS, MAX_POINTS = 3, 8
SOFT_LEN, HARD_LEN = 90, 120
SHORT_SENTENCE = 30

_BOILER_WORDS = ("解析|答案|参考答案|回答|源代码实例|代码实例|代码示例|示例代码|实例代码|源代码|代码|举例|示例|例子|"
                 "总结|注意|说明|补充|技术介绍|详细解释|解释|实现")
# a boilerplate label must end with a colon (so "注意力机制" is never taken for "注意")
_BOILER = re.compile(rf"^\s*(?:#+\s*)?\**\s*(?:{_BOILER_WORDS})\s*\**\s*[:：]\s*\**\s*")
_CODE_SECTION = re.compile(r"(举例|示例|实例|代码|源代码|code|example)", re.I)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]\s+|[•◦▪●○]\s*|\d{1,3}[.、)）](?!\d)\s*|[（(]\d{1,3}[)）]\s*)")
_LABEL = re.compile(r"^(?P<label>[^：:。！？]{1,60}?)\s*[:：]\s*(?P<rest>.*)$")
_PAREN = re.compile(r"\s*[（(][^（()）]*[)）]")
_SENT_END = re.compile(r"(?<=[。！？；!?;])")
_CLAUSE_END = re.compile(r"(?<=[，,])")
_MD = re.compile(r"\*\*|__|`|!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_ESCAPE = re.compile(r"\\([\[\]_*#`|<>])")        # markdown escapes: "\[CLS]" is "[CLS]", "batch\_size" "batch_size"
_INLINE_MATH = re.compile(r"\$[^$\n]{0,200}\$")
_EXAMPLE = re.compile(r"^(例如|比如|譬如|举个例子|举例来说|假设|假如|如果我们|以.{1,12}为例|e\.g\.)")
_SUMMARY = re.compile(r"^(这些|以上|上述|通过以上|总之|综上|总的来说|总而言之)")
_INTRO_END = re.compile(r"(如下|为|是|包括|有|以下.{0,6}|步骤|方法|公式)\s*[:：]?$|[:：]$")
# a question is not a point ("为什么要做多头注意力机制呢？"), nor a sentence about the text itself
_ASKS = re.compile(r"[？?]\s*$")
_META = re.compile(r"^(下面|接下来|下文|上文|本节|本文|后文|后面|前面)(将|来|会|我们|就|再)?.{0,8}(介绍|讲解|讲讲|讨论|说明|展开)|^(下面|以下)是.{0,12}$")
_FIGURE_REF = re.compile(r"[，,]?\s*(如|见|参见|参考)\s*(图|表)\s*[\d.\-]*\s*(所示)?(?=[。，,；;]|$)")
_CODE_INTRO = re.compile(r"(使用|用|基于).{0,30}(实现|代码|示例)|代码|import |\w+\(.*\)")
GENERIC_LABELS = {
    "优点", "缺点", "优势", "劣势", "不足", "局限", "局限性", "作用", "用途", "目的", "目标", "定义", "原理", "特点",
    "特征", "核心概念", "核心思想", "基本思想", "维度变化", "区别", "适用场景", "使用场景", "应用", "应用场景", "场景",
    "方法", "步骤", "过程", "实现", "影响", "效果", "举例", "公式", "定义公式", "计算方式", "含义", "意义", "注意事项",
}


@dataclass(frozen=True)
class _Cand:
    text: str
    order: float
    weight: float
    optional: bool = False      # examples, formula-damaged text: used only to reach MIN_POINTS


def _math(m: re.Match) -> str:
    """Keep simple inline math (``$p = 0.5$``) as text; drop formulas with LaTeX commands."""
    inner = m.group(0).strip("$").strip()
    return "" if "\\" in inner or "^" in inner or "_" in inner else inner


def clean(text: str) -> str:
    """Strip markdown emphasis, links, inline formulas and the spaces/punctuation they leave behind."""
    text = _MD.sub(lambda m: m.group(1) or "", text)
    text = _URL.sub("", _ESCAPE.sub(r"\1", text))
    text = _INLINE_MATH.sub(_math, text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*([，,、；;])(\s*[，,、；;])+", r"\1", text)   # "矩阵 ，矩阵 ，" -> "矩阵，矩阵，"
    text = re.sub(r"\s+([，。；：、）)])", r"\1", text)
    return text.strip(" ：:;；，,、")


def _shorten(text: str) -> str:
    """Keep a point to its first sentence (a short one takes the next too), at most HARD_LEN characters.

    One statement per point keeps points gradeable: ``加快训练速度：混合精度训练能够加快模型的训练速度``
    without the hardware details that follow it.
    """
    out = ""
    for sent in _SENT_END.split(text):
        if out and (len(out) >= SHORT_SENTENCE or len(out) + len(sent) > SOFT_LEN):
            break
        out += sent
    if len(out) > HARD_LEN:
        cut = ""
        for clause in _CLAUSE_END.split(out):
            if cut and len(cut) + len(clause) > HARD_LEN:
                break
            cut += clause
        out = cut if len(cut) <= HARD_LEN else cut[:HARD_LEN]
    return out.rstrip("。；;，, ")


def _split_label(text: str) -> tuple[str, str]:
    m = _LABEL.match(text)
    if not m:
        return "", text
    label = m.group("label").strip()
    # a label is short and not itself a sentence ("在测试阶段，通常…" has no label)
    if len(_PAREN.sub("", label)) > 24 or re.search(r"[，,。]", _PAREN.sub("", label)):
        return "", text
    return label, m.group("rest").strip()


_bigrams = lru_cache(maxsize=8192)(squeezed_bigrams)   # each point is compared with every kept point: once each


def _near_duplicate(a: str, b: str) -> bool:
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return a == b
    return len(x & y) / min(len(x), len(y)) > 0.75


def _marker_kind(bullet: re.Match | None) -> int:
    """Outline depth of a list marker: numbered 1, circle-like 2, dash-like 3 (0 for no marker)."""
    if bullet is None:
        return 0
    mark = bullet.group(0).strip()[:1]
    if mark.isdigit() or mark in "（(":
        return 1
    return 2 if mark in "•◦▪●○" else 3


_ANAPHOR = re.compile(r"^(这|其|它|该|此|与前者|反之|与.{1,8}相反)")
_SENTENCE_LIKE = re.compile(r"(是|有|为|会|能|可以|需要|不同|区别)")


def _with_group(text: str, label: str, rest: str, group: str) -> str:
    """Give a point the context of its group when it would not stand alone."""
    if not group:
        return text
    if label and label in GENERIC_LABELS:
        return f"{group}的{label}：{rest}"
    if label:
        return text
    core = re.sub(r"[（(].*?[)）]|[\s`]", "", group)
    if not label and len(core) <= 16 and core and core not in re.sub(r"\s", "", text):
        return f"{core}：{text}"
    return text


_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")       # zero-width spaces and marks some banks are full of
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_TABLE_RULE = re.compile(r"^\s*:?-{2,}:?\s*$")
_CELL_BREAK = re.compile(r"<br\s*/?>", re.I)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_lines(rows: list[str]) -> list[str]:
    """A markdown table as outline lines: each cell a bullet under its row's label.

    ``| 结构 | 零填充时输出维度不变 | 通常特征维度会降低 |`` under the header ``| | 卷积层 | 池化层 |`` gives
    ``- 卷积层的结构：零填充时输出维度不变`` and ``- 池化层的结构：通常特征维度会降低``; a table with one
    value column gives its row label as a group line and the cell's ``<br>`` parts as bullets under it.
    """
    table = [_cells(r) for r in rows]
    header: list[str] = []
    if len(table) > 1 and table[1] and all(_TABLE_RULE.match(c) for c in table[1] if c):
        header, table = table[0], table[2:]
    out: list[str] = []
    for row in table:
        if all(_TABLE_RULE.match(c) or not c for c in row):
            continue
        label, values = (row[0], row[1:]) if len(row) > 1 else ("", row)
        label = clean(label)
        for j, cell in enumerate(values, 1):
            parts = [p.strip() for p in _CELL_BREAK.split(cell) if clean(p)]
            if not parts:
                continue
            column = clean(header[j]) if j < len(header) and len(values) > 1 else ""
            group = f"{column}的{label}" if column and label else column or label
            if group and len(parts) == 1:
                out.append(f"- {group}：{parts[0]}")
            else:
                out += ([f"{group}：", *(p if _BULLET.match(p) else f"- {p}" for p in parts)] if group
                        else [f"- {p}" for p in parts])
    return out


def _outline(answer: str) -> list[tuple[str, bool]]:
    """The answer's lines, each with whether it is code: invisible marks removed, quote markers (``>``)
    dropped (a quoted note is text), tables turned into outline lines (:func:`_table_lines`)."""
    lines = _INVISIBLE.sub("", answer).split("\n")
    out: list[tuple[str, bool]] = []
    table: list[str] = []
    for line, code in zip(lines, fence_mask(lines)):
        if not code:
            line = _QUOTE.sub("", line)
            if line.lstrip().startswith("|"):
                table.append(line)
                continue
        if table:
            out += [(t, False) for t in _table_lines(table)]
            table = []
        out.append((line, code))
    out += [(t, False) for t in _table_lines(table)]
    return out


def _candidates(answer: str) -> list[_Cand]:
    out: list[_Cand] = []
    groups: dict[int, str] = {}          # outline depth -> the label heading that depth
    example_section = False
    first_prose = True
    in_formula = False

    def add(text: str, weight: float, optional: bool = False) -> None:
        text = _FIGURE_REF.sub("", text).strip(" ，,")
        if len(text) >= 4 and not _ASKS.search(text) and not _META.match(text):
            out.append(_Cand(text, len(out), weight, optional))

    # a list item short enough to look like a label ("1. 数据增强") is the group of what follows it; when
    # nothing follows before the next item of its level, it was a point of its own (a list of short items)
    pending: list[tuple[str, int, int, str]] = []      # (text, depth, len(out) when seen, its parent group)

    def flush(depth: int | None = None) -> None:
        while pending and (depth is None or pending[-1][1] >= depth):
            text, _, seen, parent = pending.pop()
            if len(out) == seen:
                add(_with_group(text, "", text, parent), 0.9 + min(len(text), 60) / 120)

    for line, code in _outline(answer):
        raw = line.rstrip()
        if code or not raw.strip():
            continue
        stripped = raw.strip()
        if in_formula:                     # inside a display formula: up to the line that closes it
            in_formula = not stripped.endswith("$$")
            continue
        if stripped.startswith("$$"):
            in_formula = not (stripped.endswith("$$") and len(stripped) > 2)
            continue
        if stripped.startswith(("![", "<")) or re.fullmatch(r"[-=*_ ]{3,}", stripped):
            continue
        heading = LOOSE_HEADING.match(raw)
        if heading:
            flush()
            title = clean(heading.group("text")).rstrip("：:")
            example_section = bool(_CODE_SECTION.search(title))
            groups = {} if example_section else {0: title}
            continue
        boiler = _BOILER.match(stripped)
        if boiler:
            word = stripped[:boiler.end()]
            example_section = bool(_CODE_SECTION.search(word)) and not re.search(r"解析|答案|回答", word)
            raw = stripped = stripped[boiler.end():]
            if not stripped.strip():
                continue
        bullet = _BULLET.match(raw)
        kind = _marker_kind(bullet)
        indent = len(bullet.group("indent")) if bullet else 0
        depth = kind * 10 + indent if bullet else 0
        body = clean(raw[bullet.end():] if bullet else stripped)
        if not body or len(re.sub(r"[\W_]", "", body)) < 2:
            continue
        if not bullet and re.match(r"^[的了和与及、，,]", body):
            continue    # the tail of a line the bank wrapped by mistake
        if kind == 1:
            example_section = False
        math_damaged = any(not _math(x) for x in _INLINE_MATH.finditer(raw))
        if example_section:
            if _CODE_INTRO.search(body) or len(body) < 40:
                continue
        label, rest = _split_label(body)
        is_label_line = (label and not rest) or (
            not label and len(_PAREN.sub("", body)) <= 24 and not re.search(r"[，,。；]", _PAREN.sub("", body))
            and (bool(bullet) or raw.rstrip().endswith(("：", ":", "**"))))
        if is_label_line:
            head = re.sub(r"\s*的(概念|定义|介绍|解释)$", "", (label or body).rstrip("：:"))
            groups = {d: g for d, g in groups.items() if d < depth}
            if bullet:
                flush(depth)
                parent = groups[max(groups)] if groups and max(groups) > 0 else ""
                pending.append((head, depth, len(out), parent))
            groups[max(depth, 1)] = head
            if len(head) >= 10 and _SENTENCE_LIKE.search(head) and not _INTRO_END.search(head):
                add(head, 0.8)      # "首先注意FLOPs和FLOPS是有区别的：" says something itself
            continue
        if bullet:
            groups = {d: g for d, g in groups.items() if d < depth}
        group = groups[max(groups)] if groups else ""
        label_group = groups[max(groups)] if groups and max(groups) > 0 else ""   # not a section heading
        optional = example_section or math_damaged
        if bullet:
            flush(depth)
            text = _with_group(body, label, rest, label_group)
            weight = 1.0 + (0.3 if label and kind <= 1 else 0.0) - (0.15 if indent > 0 or kind == 3 and groups else 0.0)
            add(text, weight + min(len(body), 60) / 120, optional or bool(_EXAMPLE.match(body)))
            continue
        for k, sent in enumerate(s for s in (clean(x) for x in _SENT_END.split(body)) if len(s) >= 8):
            if (_INTRO_END.search(sent) and len(sent) < 30) or (re.search(r"以下|如下", sent) and len(sent) < 40):
                continue    # "其计算公式为" / "实现模型蒸馏的方法包括：" / "可以使用以下步骤来使用BERT"
            weight = 0.9 + min(len(sent), 60) / 120
            if first_prose:
                weight += 0.6       # the opening definition
                first_prose = False
            if k > 0:
                weight -= 0.1
            if k == 0 and group and _ANAPHOR.match(sent):
                sent = f"{group}：{sent}"
            add(sent, weight, optional or bool(_EXAMPLE.match(sent) or _SUMMARY.match(sent)))
    flush()
    return out


def _clauses(text: str) -> list[str]:
    """Split a long sentence at commas into clauses of at least 12 characters (a short subject stays attached)."""
    out: list[str] = []
    for part in _CLAUSE_END.split(text):
        if out and len(clean(out[-1])) < 12:
            out[-1] += part
        else:
            out.append(part)
    if len(out) > 1 and len(clean(out[-1])) < 12:
        last = out.pop()
        out[-1] += last
    parts = [clean(p) for p in out if clean(p)]
    m = _SUBJECT.match(parts[0]) if parts else None
    subject = m.group("subject").strip() if m else ""
    if subject and len(_PAREN.sub("", subject)) <= 16:
        parts = parts[:1] + [p if p.startswith(subject) else f"{subject}：{p}" for p in parts[1:]]
    return parts


_SUBJECT = re.compile(r"^(?!从|由|在|对|当|因为|所以|如果|通过|根据|我们|这|那|其|但|而)"
                      r"(?P<subject>[^，,。：:]{1,24}?)\s*(?:是|通过|指|能够|可以|用于|，|,)")


_ACRONYM = re.compile(r"(?<![A-Za-z\\])[A-Z][A-Z0-9\-]{1,10}(?![a-z])|(?<![A-Za-z\\])[A-Za-z]+[0-9][A-Za-z0-9]*")
_GLOSSED = re.compile(rf"[{CJK}]{{2,8}}(?=\s*[（(][A-Za-z])")


def key_terms(text: str, limit: int = 6) -> list[str]:
    """Terms a candidate should name: acronyms (``FPS``, ``L2``) and Chinese terms glossed in English."""
    text = clean(text)
    found = [(m.start(), m.group(0)) for m in _GLOSSED.finditer(text)]
    bare = _PAREN.sub(lambda m: " " * len(m.group(0)), text)     # English glosses are not terms of their own
    found += [(m.start(), m.group(0)) for m in _ACRONYM.finditer(bare)]
    seen: list[str] = []
    for _, t in sorted(found):
        if t.lower() not in {x.lower() for x in seen}:
            seen.append(t)
    return seen[:limit]


def key_points(answer: str) -> tuple[str, ...]:
    """3–8 key points of a reference answer (fewer only when the answer has too little text).

    Args:
        answer: the reference answer as it appears in the bank (markdown, code fences allowed).

    Returns:
        The points in their original order, each at most ``HARD_LEN`` characters.
    """
    points: list[_Cand] = []
    for c in _candidates(answer):
        short = _shorten(c.text)
        if len(short) < 4:
            continue
        dup = next((k for k, p in enumerate(points) if _near_duplicate(p.text, short)), None)
        if dup is None:
            points.append(_Cand(short, c.order, c.weight, c.optional))
        elif c.weight > points[dup].weight and len(short) > len(points[dup].text):
            points[dup] = _Cand(short, points[dup].order, c.weight, c.optional and points[dup].optional)
    required = [p for p in points if not p.optional]
    if len(required) < MIN_POINTS:
        optional = sorted((p for p in points if p.optional), key=lambda p: -p.weight)
        required += optional[:MIN_POINTS - len(required)]
    points = sorted(required, key=lambda p: p.order)
    if len(points) < MIN_POINTS:
        # too few sentences: split the longer ones into clauses
        split: list[_Cand] = []
        for p in points:
            parts = _clauses(p.text) if len(p.text) > 30 else [p.text]
            split.extend(_Cand(x, p.order + k / 10, p.weight) for k, x in enumerate(parts or [p.text]))
        points = split
    if len(points) < MIN_POINTS:
        terms = key_terms(" ".join(p.text for p in points) or answer)
        if len(terms) >= 2:
            points.append(_Cand("关键术语：" + "、".join(terms), 10_000, 0.5))
    if len(points) > MAX_POINTS:
        keep = sorted(points, key=lambda p: -p.weight)[:MAX_POINTS]
        points = sorted(keep, key=lambda p: p.order)
    return tuple(p.text for p in points)


def statements(answer: str) -> list[str]:
    """Every statement of a reference answer (bullets and sentences, with their group context), unshortened.

    The grader aligns a candidate's clauses with these to spot contradictions beyond the key points.
    """
    return [c.text for c in _candidates(answer)]


def split_label(point: str) -> tuple[str, str]:
    """``("模型剪枝的缺点", "可能影响模型性能")`` for ``模型剪枝的缺点：可能影响模型性能``; ``("", point)`` if none."""
    return _split_label(point)
