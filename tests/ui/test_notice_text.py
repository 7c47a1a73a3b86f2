"""ui/answer_text.py words every notice of rag.answer_types in both languages (a new code without a translation fails)."""

from __future__ import annotations

import pytest

from ingest.text.script import has_cjk
from rag.answer_types import Answer, LLMFailure, Notice, NoticeCode
from rag.aspects import ASPECT_ORDER
from ui.answer_text import answer_body, answer_json, notice_text, notices_text

SAMPLE = {   # parameters each code takes, as the core sets them
    NoticeCode.BANKS_IN_CHINESE: {},
    NoticeCode.LLM_FAILED: {"reason": "timed out after 2s"},
    NoticeCode.CITATIONS_DROPPED: {"numbers": (7, 9)},
    NoticeCode.CITATIONS_ADDED: {},
    NoticeCode.LOW_CONFIDENCE: {},
    NoticeCode.HALF_COMPARISON: {"missing": ("LN", "BN")},
    NoticeCode.NOT_COVERED: {"nearest": (("What is BN?", "dl"),)},
    NoticeCode.NO_EXACT_MATCH: {},
    NoticeCode.EXCERPT: {"lines": (3, 9)},
    NoticeCode.ASPECT_NOT_IN_ITEM: {"aspect": "cons"},
    NoticeCode.ASPECT_IN_OTHER_ITEM: {"topic": "What is BN?", "aspect": "apps"},
    NoticeCode.ASPECT_NOT_COVERED: {"topic": "What is BN?", "aspect": "example"},
    NoticeCode.NO_DIRECT_COMPARISON: {"a": "LN", "b": "BN"},
    NoticeCode.COMPARE_SIDE: {"side": "LN"},
    NoticeCode.SIDE_NOT_COVERED: {"side": "LN"},
}


def test_every_code_has_sample_parameters():
    assert set(SAMPLE) == set(NoticeCode)


@pytest.mark.parametrize("code", list(NoticeCode))
def test_every_code_is_worded_in_both_languages(code):
    zh, en = notice_text(Notice.of(code, **SAMPLE[code]), "zh"), notice_text(Notice.of(code, **SAMPLE[code]), "en")
    assert zh and en and zh != en and not has_cjk(en)
    assert "{" not in zh + en     # every parameter was filled in


@pytest.mark.parametrize("aspect", ASPECT_ORDER)
def test_every_aspect_is_named_in_both_languages(aspect):
    zh = notice_text(Notice.of(NoticeCode.ASPECT_NOT_IN_ITEM, aspect=aspect), "zh")
    en = notice_text(Notice.of(NoticeCode.ASPECT_NOT_IN_ITEM, aspect=aspect), "en")
    assert has_cjk(zh) and not has_cjk(en)


def test_an_answer_body_is_worded_around_the_bank_text():
    body = (Notice.of(NoticeCode.ASPECT_NOT_IN_ITEM, aspect="cons"), "感受野是… [1]", "\n\n",
            Notice.of(NoticeCode.EXCERPT, lines=(3, 9)))
    zh = Answer("感受野有什么缺点？", "感受野是… [1]", "extractive", False, body=body)
    assert answer_body(zh) == "这道题没有专门讲缺点，以下是它的主要内容：\n\n感受野是… [1]\n\n*（节选：第 3–9 行；完整答案点击 [1] 查看）*"
    en = Answer("What are its drawbacks?", "感受野是… [1]", "extractive", False, body=body)
    assert answer_body(en) == ("This item does not discuss drawbacks; its main points:\n\n感受野是… [1]\n\n"
                               "*(Excerpt, lines 3–9; the whole item opens from [1].)*")
    assert answer_json(en)["answer"] == answer_body(en)
    none = Answer("什么是感受野？", "", "extractive", True,
                  body=(Notice.of(NoticeCode.NOT_COVERED, nearest=(("什么是 BN？", "dl"),)),))
    assert answer_body(none) == "题库中没有覆盖这个问题。最接近的题目：\n- 什么是 BN？（dl）"
    assert answer_body(Answer("q", "plain [1]", "llm", False)) == "plain [1]"


@pytest.mark.parametrize("kind", list(LLMFailure))
def test_every_llm_failure_kind_is_worded_in_both_languages(kind):
    zh = notice_text(Notice.of(NoticeCode.LLM_FAILED, kind=kind), "zh")
    en = notice_text(Notice.of(NoticeCode.LLM_FAILED, kind=kind), "en")
    assert has_cjk(zh) and not has_cjk(en) and "{" not in zh + en


def test_notices_read_as_today():
    assert notice_text(Notice.of(NoticeCode.LLM_FAILED, kind=LLMFailure.EMPTY), "zh") == \
        "大模型回答失败（回答为空），以下是题库中的参考答案。"
    assert notice_text(Notice.of(NoticeCode.CITATIONS_DROPPED, numbers=(7,)), "en") == \
        "Removed citation(s) [7] that pointed at no retrieved item."
    assert notice_text(Notice.of(NoticeCode.HALF_COMPARISON, missing=("LN", "BN")), "en") == \
        "The banks do not cover LN, BN: this is half an answer."


def test_an_answers_notices_follow_its_question_and_reach_the_json():
    notes = (Notice.of(NoticeCode.LLM_FAILED, reason="HTTP 503"), Notice(NoticeCode.BANKS_IN_CHINESE))
    ans = Answer("What is dropout?", "… [1]", "extractive", False, notices=notes)
    assert notices_text(ans) == ("The LLM answer failed (HTTP 503); showing the reference answer from the banks. "
                                 "The banks are in Chinese: this is the reference answer as written "
                                 "(set an LLM backend for an English answer).")
    data = answer_json(ans)
    assert data["notice"] == notices_text(ans)
    assert data["notices"] == [{"code": "llm_failed", "reason": "HTTP 503"}, {"code": "banks_in_chinese"}]
    assert notices_text(Answer("什么是 dropout？", "…", "extractive", False)) == ""
