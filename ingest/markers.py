"""Candidate question markers: what each line of a bank could be the start of.

Every line outside code fences and tables of contents that could start a question becomes a
:class:`Marker`: a heading at any level, a bold line (closed or not), a numbered line (``1.``
``1、`` ``1)`` ``(1)`` ``第1题`` ``一、`` ``Q1：``, or hierarchical ``3.1`` / ``3.1.1``), a list item
at column 0 whose answer is indented below it. Which of them really are questions is decided
per document in :mod:`ingest.segment`, from how consistent each family of markers is.

All functions here are pure.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from ingest.text.markdown import HEADING  # noqa: F401  (public here: layout and segment import it)

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_MAY_START = re.compile(r"^(?:[-*+_(（第QqA问答题试练习一二三四五六七八九十百零两\d])")
_LIST = re.compile(r"^([-*+])\s+(\S.*?)\s*$")
NUMBERED = re.compile(
    r"^(?:第\s*)?(?P<open>[(（]\s*)?(?P<num>\d{1,6}|[一二三四五六七八九十百零两]{1,4})\s*"
    r"(?(open)[)）]|(?:[.．、](?![\d.．])|题[.、：:]?|[)）]))\s*(?P<text>\S.*?)\s*$")
_HIER = re.compile(r"^(?P<path>\d{1,4}(?:[.．]\d{1,4}){1,5})[.．、]?(?=\s|[^\d.．%])\s*(?P<text>\S.*?)\s*$")
# a label then a number then a separator: Q1： 问题2. 题目 3： 习题4、 Question 5: Problem 6. (never "题目 3 的…")
_QNUM = re.compile(r"^(?:question|problem|exercise|task|试题|练习|习题|题目|问题|题|问|Q)\s*(?P<num>\d{1,6})\s*"
                   r"[:：.．、]\s*(?P<text>\S.*?)\s*$", re.I)
# inline HTML that wraps a question line in Markdown: <details><summary><b>3. …？</b></summary>, <h3>…</h3>, <p><strong>…
_HTML_HEADING = re.compile(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>\s*$", re.I)
_HTML_BOLD = re.compile(r"</?(?:b|strong)\s*>", re.I)
_HTML_WRAP = re.compile(r"</?(?:details|summary|p|div|span|font|center)(?:\s[^>]*)?>", re.I)
_LINK_TAIL = re.compile(r"\s*(?:\[\[[^\]]*\]\([^)]*\)\]|\[[^\]]*\]\([^)]*\))\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPH = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)|`")
DETAIL = re.compile(r"^\s*\**\s*(?:题目|面试题|问题|题干)\s*[:：]\s*\**\s*(?P<text>.+?)\s*$")
ANSWER_LABEL = re.compile(r"^\s*\**\s*(?:答案|参考答案|答|回答|Answer|A)\s*[:：]\s*\**\s*", re.I)
_PUNCT = re.compile(r"[\s\W_]+", re.U)
_TRAILING_SYMBOLS = re.compile(r"[\s\u200d\ufe0f\u20e3]+$")

# Interrogative words and question forms, Chinese and English: a title that reads as a question.
_ASKS = re.compile(
    r"[？?]|什么|为什么|为何|如何|怎么|怎样|哪些|哪个|哪种|哪里|是否|有没有|能否|可否|吗|呢|区别|异同|对比|比较|"
    r"优缺点|优势|劣势|缺点|优点|好处|不足|作用|意义|含义|理解|介绍|简述|简介|解释|说说|讲讲|谈谈|描述|关系|联系|"
    r"影响|原因|推导|何时|何谓|\b(?:what|why|how|which|when|where|who|explain|describe|compare|difference|define)\b|"
    r"^(?:is|are|does|do|can|should|could|would|will|name|list|give)\b", re.I)


def normalize(text: str) -> str:
    """Key for comparing titles: lowercase, no markup, punctuation or spaces."""
    return _PUNCT.sub("", text.replace("**", "").lower())


@dataclass(frozen=True)
class Marker:
    """A line that could start a question.

    Attributes:
        line: 0-based line index.
        container: ``h1``..``h6``, ``bold``, ``plain`` or ``list``.
        bold: the title was wrapped in ``**`` (a bold heading or a bold line).
        scheme: numbering: ``none``, ``dec`` (1.), ``hier`` (3.1.1), ``cn`` (一、), ``paren`` ((1)),
            ``q`` (Q1：), ``ti`` (第1题).
        path: the number, as a path: ``(3, 1, 1)``, ``(5,)``; ``()`` when un-numbered.
        title: the question text without number and decorations.
        asks: the title reads as a question.
        indented_body: a list item whose next non-blank line is indented (its answer).
    """

    line: int
    container: str
    bold: bool
    scheme: str
    path: tuple[int, ...]
    title: str
    asks: bool
    indented_body: bool = False

    @property
    def level(self) -> int:
        """Structural rank: heading level 1–6, then bold lines (7), plain lines (8), list items (9)."""
        return int(self.container[1]) if self.container[0] == "h" else {"bold": 7, "plain": 8, "list": 9}[self.container]

    @property
    def number(self) -> int | None:
        return self.path[-1] if self.path else None


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


def strip_decorations(text: str) -> str:
    """A title without markdown emphasis, trailing ``[[src](…)]`` links, difficulty emoji or HTML entities.

    >>> strip_decorations("**What is regression? 👶**")
    'What is regression?'
    >>> strip_decorations("Why use ReLU? [[src](https://x.y/z)]")
    'Why use ReLU?'
    """
    text = html.unescape(text)
    while True:
        cut = _LINK_TAIL.sub("", text)
        if cut == text:
            break
        text = cut
    text = _LINK.sub(r"\1", text)
    text = _EMPH.sub("", text)
    text = text.replace("\u00a0", " ").strip()
    while text and (unicodedata.category(text[-1]) in ("So", "Sk", "Cn", "Co") or _TRAILING_SYMBOLS.search(text[-1:])):
        text = text[:-1].rstrip()
    return re.sub(r"\s+", " ", text).strip()


def asks(title: str) -> bool:
    """Whether a title reads as a question (a question mark or an interrogative word).

    >>> asks("神经网络组成？"), asks("什么是 Beam Search"), asks("How does dropout work"), asks("参考资料")
    (True, True, True, False)
    """
    title = title.rstrip()
    if title.endswith(("：", ":")):
        return False         # a label ("技术介绍：", "答案：") introduces text, it asks nothing
    return bool(_ASKS.search(title))


def _bold_body(body: str) -> str | None:
    """The inside of a whole bold line (``**…**``, or ``**…`` never closed); ``None`` for a bold lead-in.

    A bold question may carry a short remark after it: ``**为何用多头？**（为什么不用一个头）``.
    """
    for mark in ("**", "__"):
        if not body.startswith(mark) or len(body) <= 2 * len(mark):
            continue
        inner = body[len(mark):]
        close = inner.find(mark)
        if close == -1:
            return inner.strip()                     # never closed: the whole line is bold
        tail = inner[close + len(mark):].strip()
        head = inner[:close].strip()
        if not tail or not strip_decorations(tail):
            return head
        if asks(head) and len(tail) <= 60 and (tail[0] in "（([，," or head.endswith(("？", "?"))):
            return head      # a bold question with a remark after it
        return None
    return None


def parse_line(line: str, index: int, next_line: str | None = None) -> Marker | None:
    """The marker a line could be, or ``None`` for a line that cannot start a question."""
    if not line.strip():
        return None
    if line.lstrip().startswith("<"):
        line = _unwrap_html(line)
    heading = HEADING.match(line)
    if heading:
        container, body = f"h{len(heading.group(1))}", heading.group(2).strip()
    elif len(line) - len(line.lstrip(" \t")) > 3 and not line.lstrip().startswith(("**", "__")):
        return None
    else:
        container, body = "plain", line.strip()
        if not _MAY_START.match(body):
            return None      # no number, bullet or bold at its start: an ordinary line of text
    indented = False
    if container == "plain" and line[:1] in "-*+" and not body.startswith("**"):
        m = _LIST.match(line)
        if not m:
            return None
        container, body = "list", m.group(2)
        indented = bool(next_line) and next_line[:1] in (" ", "\t") and bool(next_line.strip())
    inner = _bold_body(body)
    bold = inner is not None
    if bold:
        body = inner
        if container == "plain":
            container = "bold"
    elif container == "plain" and body.startswith(("**", "__")):
        return None          # a bold lead-in ("**参考资料**：见下") is answer text
    body = body.strip()
    scheme, path, title = _numbering(body)
    if container == "plain" and scheme == "none":
        return None          # an ordinary line of text
    title = strip_decorations(title)
    if not title:
        return None
    # a question label (Q1： 题目 3： Problem 2.) says it is a question even when the title is an imperative task
    return Marker(index, container, bold, scheme, path, title, scheme == "q" or asks(title), indented)


def _unwrap_html(line: str) -> str:
    """The Markdown a line of inline HTML stands for: ``<h3>x</h3>`` → ``### x``, ``<summary><b>x</b></summary>`` → ``**x**``.

    >>> _unwrap_html("<details><summary><b>3. 什么是A？</b></summary>")
    '**3. 什么是A？**'
    >>> _unwrap_html("<h4>Q2: Why?</h4>"), _unwrap_html("</details>")
    ('#### Q2: Why?', '')
    """
    m = _HTML_HEADING.match(line)
    if m:
        return "#" * int(m.group(1)) + " " + _HTML_WRAP.sub("", _HTML_BOLD.sub("", m.group(2))).strip()
    return _HTML_BOLD.sub("**", _HTML_WRAP.sub("", line)).strip()


def _numbering(body: str) -> tuple[str, tuple[int, ...], str]:
    m = _HIER.match(body)
    if m:
        path = tuple(int(p) for p in re.split(r"[.．]", m.group("path")))
        return "hier", path, m.group("text")
    m = _QNUM.match(body)
    if m:
        return "q", (int(m.group("num")),), m.group("text")
    m = NUMBERED.match(body.strip("*_ "))
    if m:
        number = parse_number(m.group("num"))
        if number is not None:
            token = m.group("num")
            scheme = "paren" if m.group("open") else ("ti" if body.lstrip("*_ ").startswith("第") else
                                                      "dec" if token.isdigit() else "cn")
            return scheme, (number,), m.group("text")
    return "none", (), body
