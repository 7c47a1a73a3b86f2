"""The Library's upload preview and summary as text (pure formatting), the localised question markers,
and sections offered next to the topics in the interview set-up."""

from __future__ import annotations

from pathlib import Path

from ingest.items import FileSplit, QAItem
from ingest.segment import LAYOUTS
from rag.uploads import Saved, UploadPreview, UploadReport
from ui import render
from ui.library_tab import layout_choices, preview_markdown, table, upload_summary
from ui.services import Services


def _item(n, question, section="", kind="qa", doc="推荐系统面试题", topic="推荐"):
    return QAItem(id=f"r-{n}", doc=doc, file="r.md", number=n if kind == "qa" else None, question=question,
                  answer="答案。", lines=(n, n + 1), kind=kind, topic=topic, section=section)


ITEMS = tuple(_item(n, f"问题{n}？", "1 召回" if n < 4 else "2 排序") for n in range(1, 8))


def test_preview_lists_count_first_questions_layout_and_doubt():
    ok = UploadPreview("r.md", "r.md", FileSplit("/u/r.md", "r.md", layout="heading3", lines=40, items=ITEMS))
    few = UploadPreview("big.md", "big.md", FileSplit("/u/big.md", "big.md", layout="numbered", forced="numbered",
                                                      doubt="few_items", lines=900, items=ITEMS[:2]))
    bad = UploadPreview("x.exe", error="'x.exe': file type '.exe' is not allowed")
    zh = preview_markdown([ok, few, bad], "zh")
    assert "**r.md**：7 题 · 题目标记：三级标题（###）" in zh
    assert all(f"问题{n}？" in zh for n in range(1, 6)) and "问题6？" not in zh and "……另有 2 项" in zh
    assert "1 召回" in zh and "2 排序" in zh
    assert "编号行（1. / 1、 / 一、 / 第1题）（手动选择）" in zh
    assert "⚠️ 只切出 2 题，文件却有 900 行：请在预览中检查题目标记" in zh
    assert "❌ x.exe：'x.exe': file type '.exe' is not allowed" in zh
    en = preview_markdown([ok, few], "en")
    assert "**r.md**: 7 questions · question marker: Headings at level 3 (###)" in en and "(your choice)" in en
    assert "Only 2 questions from a file of 900 lines" in en
    assert preview_markdown([], "zh") == ""


def test_a_section_title_that_looks_like_a_list_item_is_shown_as_text():
    sections = tuple(_item(n, f"{n}. 笔记{n}", kind="section") for n in (1, 2))
    pv = UploadPreview("n.md", "n.md", FileSplit("/u/n.md", "n.md", layout="sections", doubt="only_sections",
                                                 lines=30, items=sections))
    text = preview_markdown([pv], "zh")
    assert "- 1\\. 笔记1" in text and "2 个章节（未识别出题目）" in text
    assert "没有识别出题目，按 2 个章节索引" in text


def test_upload_summary_warns_instead_of_a_silent_tick_when_a_split_is_doubtful():
    report = UploadReport(added=[Saved("a.md", Path("/u/a.md")), Saved("b.md", Path("/u/b.md"))], items=180,
                          new_items={"a.md": 5, "b.md": 2})
    report.splits = {"a.md": FileSplit("/u/a.md", "a.md", layout="heading3", lines=50, items=ITEMS[:5]),
                     "b.md": FileSplit("/u/b.md", "b.md", layout="bold", doubt="dominant_answer", lines=800,
                                       items=ITEMS[:2])}
    zh = upload_summary(report, "zh")
    assert "✅ a.md：已加入 5 题" in zh
    assert "⚠️ b.md：已加入 2 题。一个答案占了文件的大部分" in zh and "✅ b.md" not in zh
    assert "⚠️ b.md: 2 questions added. One answer holds most of the file" in upload_summary(report, "en")


def test_every_layout_has_a_localised_choice():
    for lang in ("zh", "en"):
        choices = layout_choices(lang)
        assert [v for _, v in choices] == ["auto", *LAYOUTS]
        assert len({label for label, _ in choices}) == len(choices)


def test_section_is_shown_without_the_document_title():
    assert render.section_of(_item(1, "Q", "推荐系统面试题")) == ""
    assert render.section_of(_item(1, "Q", "推荐系统面试题 › 3.1 基本概念")) == "3.1 基本概念"
    assert render.section_of(_item(1, "Q", "3.1 基本概念")) == "3.1 基本概念"
    item = _item(1, "Q", "3.1 基本概念")
    # the section is the bank's own text, marked as such for the language-parity check
    assert '**章节:** <span class="qb-bank">3.1 基本概念</span>' in render.item_markdown(item, "zh")
    assert '**Section:** <span class="qb-bank">3.1 基本概念</span>' in render.item_markdown(item, "en")
    assert "章节" not in render.item_markdown(_item(1, "Q"), "zh")
    df = table([item], "en")
    assert list(df.columns) == ["ID", "Question", "Section", "Topic", "Location", "Copies"]
    assert df.iloc[0]["Section"] == "3.1 基本概念"


def test_interview_topics_list_topics_then_sections():
    services = Services.__new__(Services)          # no index needed: only the item list is used
    items = [_item(1, "Q1", "3.1 基本概念", topic="NLP"), _item(2, "Q2", "推荐系统面试题", topic="CV"),
             _item(3, "Q3", "NLP", topic="NLP"), _item(4, "S", "4 附录", kind="section", topic="")]
    services.all_items = lambda: items
    assert services.sections() == ["3.1 基本概念", "NLP"]     # not the document's title, not a notes section
    assert services.topic_choices() == [("CV", "CV"), ("NLP", "NLP"), ("§ 3.1 基本概念", "3.1 基本概念")]
