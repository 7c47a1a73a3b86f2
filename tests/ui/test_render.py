"""Pure formatting and i18n helpers of the app, on literal values."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from ingest.items import QAItem
from ui import render
from ui.i18n import TEXT, Labels, pick_lang, t
from ui.services import SessionLLM
from ui.settings_tab import session_llm

ITEM = QAItem(id="dl_basics_qa-9", doc="深度学习基础面试题 33 问", file="dl_basics_qa.txt", number=9,
              question="什么是感受野？", answer="感受野是……\n\n最后一行。", lines=(285, 289), topic="计算机视觉")


def test_link_citations_links_known_numbers_only_and_leaves_code_alone():
    text = "BN 归一化 [1]，见 [2]。`x[1]`\n```python\ny = a[1]\n```\n末尾 [1]"
    out = render.link_citations(text, {1: "dl_basics_qa-31"})
    assert out.count("(#qb-cite=dl_basics_qa-31)") == 2
    assert "[2]" in out and "`x[1]`" in out and "y = a[1]" in out


def test_cite_href_round_trips_any_id():
    for item_id in ("dl_basics_qa-9", "我的 题库-3", "a/b?c#d"):
        assert render.parse_cite_href("http://x/" + render.cite_href(item_id)) == item_id
    assert render.parse_cite_href("#other") is None


def test_item_markdown_shows_document_number_lines_and_whole_answer():
    md = render.item_markdown(ITEM)
    for part in ("什么是感受野？", "深度学习基础面试题 33 问", "dl_basics_qa.txt", "**题号:** 9", "285–289", "最后一行。"):
        assert part in md
    assert "Lines:** 285–289" in render.item_markdown(ITEM, "en")


def test_where_uses_pages_for_pdf():
    pdf = QAItem(id="x-1", doc="d", file="b.pdf", number=1, question="q", answer="a", lines=None, page=4)
    assert render.where(pdf) == "b.pdf · 第 1 题 · 页 4"
    assert render.where(ITEM, "en") == "dl_basics_qa.txt · No. 9 · Lines 285–289"


def test_answer_markdown_links_sources_and_names_the_mode():
    cite = NS(n=1, id=ITEM.id, doc=ITEM.doc, file=ITEM.file, number=9, question=ITEM.question, lines=(285, 289), page=None)
    answer = NS(question="那它有什么缺点？", answer="感受野…… [1]", citations=(cite,), abstained=False, mode="extractive",
                resolved_question="什么是感受野？ 那它有什么缺点？")
    md = render.answer_markdown(answer)
    assert md.count("#qb-cite=dl_basics_qa-9") == 2
    assert '结合上文理解为：<span class="qb-bank">什么是感受野？ 那它有什么缺点？</span>' in md and "题库作答" in md
    assert '<div class="qb-bank">\n\n感受野……' in md          # the bank's text is marked, the labels are not
    llm = render.answer_markdown(NS(**{**answer.__dict__, "mode": "llm", "resolved_question": answer.question}), "en")
    assert "Answered by the LLM" in llm and "Understood" not in llm


@pytest.mark.parametrize("mode, abstained, text", [("extractive", False, "题库作答"), ("llm", False, "LLM 作答"),
                                                   ("extractive", True, "题库未覆盖")])
def test_badge(mode, abstained, text):
    assert text in render.badge_html(mode, abstained)


@pytest.mark.parametrize("mode, level, text, color", [
    ("extractive", "answered", "题库作答", "#047857"), ("extractive", "closest", "最接近的题目，请核对", "#b45309"),
    ("llm", "closest", "仅有相近题目", "#b45309"), ("extractive", "not_covered", "题库未覆盖", "#6b7280")])
def test_badge_shows_the_confidence_level_not_one_green_badge(mode, level, text, color):
    badge = render.badge_html(mode, level == "not_covered", "zh", level, 0.23)
    assert text in badge and color in badge and f'data-level="{level}"' in badge and "置信度 0.23" in badge
    assert "Closest match" in render.badge_html("extractive", False, "en", "closest")


def test_a_closest_answer_is_tagged_as_such_and_an_excerpt_shows_its_lines():
    cite = NS(n=1, id=ITEM.id, doc=ITEM.doc, file=ITEM.file, number=9, question=ITEM.question, lines=(285, 289),
              page=None, excerpt_lines=(287, 288))
    answer = NS(question="q", answer="1. **感受野？** [1]", citations=(cite,), abstained=False, mode="extractive",
                resolved_question="q", level="closest")
    md = render.answer_markdown(answer)
    assert "最接近的题目，请核对" in md and "题库作答" not in md
    assert render.where(cite) == "dl_basics_qa.txt · 第 9 题 · 行 285–289 · 节选 287–288"


def test_grade_card_marks_each_point_and_escapes_the_answer():
    grade = NS(score=62, feedback="讲到了定义，漏了计算方法。", follow_up="感受野怎么计算？", notices=(),
               points=(NS(text="定义", status="covered", evidence="输出上一个点对应输入的区域"),
                       NS(text="计算", status="missing", evidence=""),
                       NS(text="越大越好", status="contradicted", evidence="<script>x</script>")),
               reference=NS(id=ITEM.id, doc=ITEM.doc, question=ITEM.question, lines=(285, 289), file=ITEM.file,
                            number=9, page=None))
    card = render.grade_card_html(grade, ITEM)
    assert card.count('data-status="covered"') == 1 and "✓" in card and "✗" in card
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "62" in card and "感受野怎么计算？" in card and "第 9 题 · 行 285–289" in card and "最后一行。" in card


def test_grade_card_shows_the_llm_grade_beside_the_offline_one_and_flags_disagreement():
    from rag.interview.llm_grade import LLMGrade

    llm = LLMGrade(20, ("missing", "covered"), ("", "<b>计算</b>"), "漏了定义。", "qwen2.5:7b")
    grade = NS(score=80, feedback="好。", follow_up="", notices=(), llm=llm, uncertain=True,
               points=(NS(text="定义", status="covered", evidence="区域"), NS(text="计算", status="partial", evidence="")),
               reference=NS(id=ITEM.id, doc=ITEM.doc, question=ITEM.question, lines=(285, 289), file=ITEM.file,
                            number=9, page=None))
    card = render.grade_card_html(grade, ITEM, notices=("LLM 评分不可用（x）",))
    assert 'id="qb-score-value">80<' in card and 'id="qb-llm-score-value">20<' in card and "qwen2.5:7b" in card
    assert card.index('data-llm-status="missing"') < card.index('data-llm-status="covered"')   # point order kept
    assert 'data-uncertain="true"' in card and "两种评分不一致" in card and "漏了定义。" in card
    assert "<b>计算</b>" not in card and "LLM 评分不可用（x）" in card
    agreed = render.grade_card_html(NS(**{**vars(grade), "uncertain": False}), ITEM, "en")
    assert "disagree" not in agreed and "LLM grade" in agreed and 'data-uncertain="false"' in agreed


def test_every_text_has_both_languages_and_pick_lang():
    assert all(len(v) == 2 and v[0] and v[1] for v in TEXT.values())
    assert t("send") == "发送" and t("send", "en") == "Send"
    assert t("lib_count", "en", n=3) == "3 questions"
    assert pick_lang("en", "zh") == "en" and pick_lang("EN-us", "zh") == "en"
    assert pick_lang("fr", "zh") == "zh" and pick_lang(None, "en") == "en" and pick_lang(None, "xx") == "zh"


def test_labels_updates_follow_registration_order():
    labels = Labels()
    labels.add("box", label="question", placeholder="question_ph")
    labels.add("radio", choices=lambda lang: [lang])
    ups = labels.updates("en")
    assert ups[0]["label"] == "Your question" and ups[1]["choices"] == ["en"]


def test_session_key_is_kept_only_for_openai_and_never_in_repr():
    current = SessionLLM.chosen("openai", "m", "", api_key="sk-1")
    kept = session_llm(current, "openai", "m2", " http://x/v1 ", "")
    assert kept.api_key == "sk-1" and kept.base_url == "http://x/v1" and kept.model == "m2"
    assert session_llm(current, "ollama", "qwen", "", "").api_key == ""
    assert "sk-1" not in repr(current) and current.key_id() and "sk-1" not in current.key_id()


def test_item_markdown_in_english_marks_bank_text_and_lists_its_copies():
    import re

    copy = QAItem(id="b-3", doc="另一份题库", file="b.md", number=3, question=ITEM.question, answer="…", lines=(7, 9))
    md = render.item_markdown(QAItem(**{**ITEM.__dict__, "topic": "计算机视觉", "duplicates": ("b-3",)}), "en", [copy])
    assert "**Topic:** Computer vision" in md
    assert '<span class="qb-bank">另一份题库</span> · b.md · No. 3 · Lines 7–9' in md
    outside = re.sub(r'<span class="qb-bank">.*?</span>|<div class="qb-bank">.*?</div>', "", md, flags=re.S)
    assert not re.search(r"[\u3400-\u9fff]", outside), outside      # the English UI's own words are English
