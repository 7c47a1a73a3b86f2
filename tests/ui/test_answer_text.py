"""ui/answer_text.py: the input checks shared by the MCP server and the chat API, and an answer as plain text."""

from __future__ import annotations

import pytest

from rag.answer_types import Answer, Citation
from ui.answer_text import InputError, answer_text, check_k, check_text, lang_of, where


def test_check_text_cleans_and_names_the_parameter_in_the_callers_language():
    assert check_text("  什么是BN？\x07 ", "question", 100, "zh") == "什么是BN？"
    with pytest.raises(InputError, match="^query 为空") as info:
        check_text("\x1b[31m \x1b[0m", "query", 100, "zh")
    assert info.value.param == "query"
    with pytest.raises(InputError, match="answer is 101 characters long, over the limit of 100"):
        check_text("a" * 101, "answer", 100, "en")
    with pytest.raises(InputError, match="question must be text, got int"):
        check_text(42, "question", 100, "en")


@pytest.mark.parametrize("k", [0, 51, True, "3", 2.0])
def test_check_k_refuses_and_names_the_value(k):
    with pytest.raises(InputError, match=f"got {k!r}$"):
        check_k(k, "en")


def test_lang_of():
    assert [lang_of(x, "zh") for x in ("BN 是什么", "what is BN", "42？", None)] == ["zh", "en", "zh", "zh"]


def test_answer_text_lists_level_sources_and_nearest_questions():
    c = Citation(1, "dl-9", "深度学习 33 问", "dl.txt", 9, "什么是感受野？", (285, 289))
    answered = Answer("什么是感受野？", "感受野是… [1]", "extractive", False, (c,), level="answered", confidence=0.64)
    assert answer_text(answered, "zh") == ("感受野是… [1]\n\n【题库作答 · 置信度 0.64】\n\n出处：\n"
                                           "[1] 什么是感受野？ — 深度学习 33 问, dl.txt:285-289")
    uncovered = Answer("What is LoRA?", "The banks do not cover this question.", "extractive", True, (),
                       related=(c,), level="not_covered", confidence=-0.2, resolved_question="LoRA")
    assert answer_text(uncovered, "en").splitlines()[2:] == [
        "(searched: LoRA)", "[not_covered 0.00: not covered by the banks]", "", "Nearest questions:",
        "- 什么是感受野？ — 深度学习 33 问, dl.txt:285-289"]
    assert where(Citation(1, "x-1", "X", "x.pdf", 1, "q", None, page=3)) == "x.pdf p.3"
