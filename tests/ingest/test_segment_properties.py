"""Property tests (hypothesis): segmentation never crashes and never loses a line of text."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.formats import split_lines
from ingest.segment import segment

# lines a bank is made of, mixed with arbitrary text (control characters included)
STRUCTURE = st.sampled_from([
    "", " ", "\t", "1. 什么是过拟合？", "2. B?", "3、C", "99999. big", "0. zero", "一、甲", "十二、乙", "（一）丙", "(2) 丁",
    "第3题 戊", "#### 1. X？", "### 2. Y", "###### 7. Z", "# 标题", "## 总结", "#", "####### 8. too deep",
    "```", "```python", "~~~", "````", "   ```", "# comment", "Q: q?", "A: a", "Q1: q", "A1: a", "问：x？", "答：y",
    "问题2：z", "**题目：** z", "**答案：**", "**面试题：** w", "目录", "Contents", "- 1. a", "- [2. b](#b)",
    "**1. bold**", "1. 选择预训练模型：", "\x00", "\x0c", "\x1b[31m", "\u2028", "\ufeff", "\t  1. x", "    2. indented",
])
LINE = st.one_of(STRUCTURE, st.text(max_size=40), st.from_regex(r"\A#{0,7} ?[0-9一二三]{1,3}[.、)）] ?\S{0,8}\Z"))


def _check_nothing_lost(lines: list[str]) -> None:
    s = segment(lines)
    spans = [(x.start, x.end) for x in s.items + s.rest]
    for a, b in spans:
        assert 0 <= a <= b < len(lines)
    for i, line in enumerate(lines):
        if line.strip():
            assert any(a <= i <= b for a, b in spans), f"line {i} {line!r} is in no item or section"
    for item in s.items:
        assert item.kind in ("qa", "section")
        assert item.question or item.answer or not lines[item.start].strip()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=60))
@example(["```", "1. a", "2. b"])
@example(["目录", "- 1. a", "- 2. b", "", "1. a", "x", "2. b", "y"])
@example(["## 1. q?", "a", "## 总结", "t", "## 2. r?", "b"])
def test_segment_never_crashes_and_keeps_every_line(lines):
    _check_nothing_lost(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_segment_of_any_text(text):
    _check_nothing_lost(split_lines(text))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.text(min_size=1, max_size=20).filter(str.strip),
                          st.text(max_size=40)), max_size=30),
       st.sampled_from(["{n}. {q}", "### {n}. {q}", "{n}、{q}", "Q{n}: {q}"]))
def test_random_numbering(rows, fmt):
    lines = []
    for n, q, a in rows:
        lines += [fmt.format(n=n, q=q.replace("\n", " ")), *split_lines(a), ""]
    _check_nothing_lost(lines)
