"""The follow-up policy of a multi-turn chat: resolve follow-ups ("那它有什么缺点？", "举个例子", "what about its drawbacks?").

With an LLM, a follow-up is rewritten into a standalone question by the condense-question
chain (:func:`rag.chain.condense_chain`). Without one, or when the LLM fails, the topic is
carried: the follow-up is searched together with the question that opened the topic, so
the item of the previous turn stays first. A question with its own subject starts a new topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from ingest.text.script import has_cjk

MAX_TURNS = 12
_ANAPHORA = re.compile(
    r"它|它们|其|这个|那个|这种|那种|这些|那些|该(?:方法|模型|技术|算法)|此|上述|前者|后者|"
    r"\b(?:it|its|it's|this|that|these|those|they|them|their)\b", re.I)
# words that ask *about* a topic without naming one (analyser tokens, lowercase)
GENERIC = set(
    "缺点 优点 优缺点 优势 劣势 不足 局限 局限性 好处 坏处 弊端 问题 举个 例子 举例 实例 示例 案例 详细 具体 展开 "
    "更多 再 说 说说 讲 能 还有 还 呢 应用 场景 用途 用 使用 实现 代码 公式 区别 联系 为什么 原因 怎么办 解决 "
    "改进 效果 意义 作用 步骤 流程 细节 一点 简单 通俗 解释 理解 "
    "give me example examples instance more detail details detailed drawback drawbacks disadvantage disadvantages "
    "advantage advantages pros cons limitation limitations use uses usage used implement implementation code "
    "tell else why when where who then so also again elaborate simpler simply".split())


@dataclass(frozen=True)
class Turn:
    """One finished exchange.

    Attributes:
        question: what the user typed.
        resolved: the standalone question that was searched.
        topic: the question that opened the current topic (carried to follow-ups).
        answer: the answer text shown.
        item_id: the item the answer was about (a follow-up on an aspect reads its sections).
    """

    question: str
    resolved: str
    topic: str
    answer: str = ""
    item_id: str = ""


@dataclass(frozen=True)
class Resolution:
    """How a question was understood: ``how`` is ``standalone``, ``carried`` or ``condensed``."""

    resolved: str
    topic: str
    how: str = "standalone"


def _short(question: str) -> bool:
    if has_cjk(question):
        return len(question) <= 24
    return len(question.split()) <= 8


def is_follow_up(question: str, tokens: Sequence[str]) -> bool:
    """Whether a question leans on the previous turn.

    True when it is short and refers back (它, 这个, 其, it, its, this…), or when it names no
    subject of its own (all its content tokens are generic, e.g. 缺点, 例子, drawbacks).

    Args:
        question: the user's message.
        tokens: its search tokens (``Searcher.analyzer.tokens``), stopwords removed.

    Example:
        >>> is_follow_up("那它有什么缺点？", ["缺点"]), is_follow_up("什么是 dropout？", ["dropout"])
        (True, False)
    """
    if _ANAPHORA.search(question) and _short(question):
        return True
    return not [t for t in tokens if t.lower() not in GENERIC and not t.isdigit()]


def resolve(question: str, history: Sequence[Turn], tokens: Sequence[str],
            condense: Callable[[list[BaseMessage], str], str] | None = None, max_chars: int = 2000) -> Resolution:
    """The standalone question to search for ``question`` after ``history``.

    Args:
        question: the user's message (already checked by ``check_query``).
        history: earlier turns, oldest first.
        tokens: search tokens of ``question``.
        condense: ``(history_messages, question) -> standalone question`` (an LLM); it may raise,
            and then the topic is carried instead.
        max_chars: longest acceptable condensed question.
    """
    if not history or not is_follow_up(question, tokens):
        return Resolution(question, question)
    prev = history[-1]
    if condense is not None:
        try:
            text = _clean_condensed(condense(history_messages(history), question))
        except Exception:  # noqa: BLE001 - any LLM failure: carry the topic instead
            text = ""
        if text and len(text) <= max_chars:
            return Resolution(text, text, "condensed")
    return Resolution(carry_topic(prev.topic, question), prev.topic, "carried")


def carry_topic(topic: str, question: str) -> str:
    """``"什么是批量归一化？" + "那它有什么缺点？"`` -> ``"什么是批量归一化？ 那它有什么缺点？"``."""
    return f"{topic.strip()} {question.strip()}".strip()


def _clean_condensed(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    line = re.sub(r"^(standalone question|rewritten question|question|问题|改写)\s*[:：]\s*", "", lines[0], flags=re.I)
    return line.strip().strip("\"'“”「」").strip()


def history_messages(history: Sequence[Turn], max_answer_chars: int = 600) -> list[BaseMessage]:
    """Earlier turns as chat messages (answers cut short) for the condense-question prompt."""
    out: list[BaseMessage] = []
    for t in history[-MAX_TURNS:]:
        out.append(HumanMessage(t.resolved or t.question))
        out.append(AIMessage(t.answer[:max_answer_chars]))
    return out
