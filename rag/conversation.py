"""One user's chat: the turns so far, answered by :class:`rag.answer.Answerer` with the follow-up policy of
:mod:`rag.followup`. This module imports answers; answers never import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rag.answer import Answerer
from rag.answer_types import Answer
from rag.followup import (GENERIC, MAX_TURNS, Resolution, Turn, carry_topic,  # noqa: F401  (re-exported)
                          history_messages, is_follow_up, resolve)


@dataclass
class Conversation:
    """One user's chat: remembers turns and resolves follow-ups against them (not thread-shared).

    Example:
        >>> chat = Conversation(Answerer(settings))          # doctest: +SKIP
        >>> chat.ask("什么是批量归一化？"); chat.ask("那它有什么缺点？").resolved_question  # doctest: +SKIP
        '什么是批量归一化？ 那它有什么缺点？'
    """

    answerer: Answerer
    turns: list[Turn] = field(default_factory=list)

    def ask(self, question: str) -> Answer:
        answer = None
        for part in self.stream(question):
            answer = part
        return answer

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Text chunks, then the final :class:`rag.answer.Answer`, which is recorded as a turn."""
        for part in self.answerer.stream(question, history=self.turns):
            if not isinstance(part, str):
                self.turns.append(Turn(question, part.resolved_question, part.topic, part.answer,
                                       getattr(part, "topic_item", "")))
                del self.turns[:-MAX_TURNS]
            yield part

    def reset(self) -> None:
        self.turns.clear()
