"""The app's words in chat messages already shown, redrawn in the other language (ui/relabel.py)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace as NS

import pytest

from ingest.items import QAItem
from ui import render
from ui.relabel import relabel_answer, relabel_messages

ITEM = QAItem(id="dl_basics_qa-9", doc="深度学习基础面试题 33 问", file="dl_basics_qa.txt", number=9,
              question="什么是感受野？", answer="感受野是……", lines=(285, 289), topic="计算机视觉")
PDF = replace(ITEM, id="cv_notes-2", file="cv_notes.pdf", number=None, lines=None, page=4, question="何为 NMS — 非极大值抑制？")
ITEMS = {it.id: it for it in (ITEM, PDF)}


def answer(mode="extractive", level="", abstained=False, resolved=""):
    cites = [NS(n=1, **vars(ITEM)), NS(n=2, **vars(PDF))]
    return NS(answer="感受野是输出上一点对应的输入区域 [1]，见 [2]。", citations=cites, question="它呢？",
              resolved_question=resolved, mode=mode, level=level, abstained=abstained)


@pytest.mark.parametrize("kind", [{}, {"mode": "llm"}, {"level": "closest"}, {"mode": "llm", "level": "closest"},
                                  {"resolved": "什么是感受野？"}])
@pytest.mark.parametrize("src,dest", [("zh", "en"), ("en", "zh")])
def test_an_answer_redrawn_in_the_other_language_is_the_answer_drawn_in_it(kind, src, dest):
    a = answer(**kind)
    shown = render.answer_markdown(a, src)
    assert relabel_answer(shown, dest, ITEMS.get) == render.answer_markdown(a, dest)
    assert relabel_answer(shown, src, ITEMS.get) == shown


def test_bank_text_user_messages_and_unknown_items_stay_as_they_are():
    a = answer()
    a.answer = "- [\\[1\\]](#qb-cite=dl_basics_qa-9) 题库自己的一行 — *行 1–2*\n\n📖 题库作答"
    shown = render.answer_markdown(a, "zh")
    out = relabel_answer(shown, "en", {}.get)           # the cited items are gone from the index
    assert "题库自己的一行 — *行 1–2*" in out and "\n\n📖 题库作答" in out   # inside the bank's block: untouched
    assert "第 9 题 · 行 285–289" in out                # a source whose item is gone keeps its location
    assert out.endswith('<sub class="qb-mode-tag">📖 Answered from the banks</sub>')
    messages = [{"role": "user", "content": "📖 题库作答"},
                {"role": "assistant", "content": [{"type": "text", "text": shown}]}]
    out = relabel_messages(messages, "en", ITEMS.get)
    assert out[0] == messages[0] and "No. 9 · Lines 285–289" in out[1]["content"][0]["text"]
    assert "第 9 题" in messages[1]["content"][0]["text"]          # the input is not changed in place
