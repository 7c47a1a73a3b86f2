"""Browser tests of the Library's upload preview: how a chosen file would be split, the question marker
picked and re-split before indexing, the choice remembered, and a doubtful split flagged (see conftest.py)."""

from __future__ import annotations

import json
import re

import pytest

from ingest.segment import segment
from ui.library_tab import layout_label

pytestmark = pytest.mark.browser

# hierarchical numbering: chapters at level 2, questions at level 3, a numbered list inside the first answer
BANK = """# 推荐系统面试题

## 1 召回

### 1.1 什么是协同过滤召回？

协同过滤根据用户与物品的共现关系寻找相似的物品，再把相似物品推荐给用户。

常见做法：

1. 基于物品的协同过滤：计算物品之间的相似度。
2. 基于用户的协同过滤：找到兴趣相近的用户。

### 1.2 双塔模型为什么适合做召回？

用户塔和物品塔分开编码，物品向量可以离线算好并建近邻索引，线上只需计算用户向量。

## 2 排序

### 2.1 CTR 预估为什么要做特征交叉？

单个特征的表达力有限，交叉特征能刻画特征之间的组合效应，例如“年轻用户 × 游戏类物品”。
"""
NOTES = """# 组会纪要

## 本周进展

数据清洗脚本已经合并，标注平台换成了新的版本，标注速度提高了一倍。

## 下周计划

整理评测集，补齐长尾类别的样本，再和产品确认上线时间。
"""


def count_in(text: str, name: str) -> int:
    m = re.search(rf"{re.escape(name)}：(\d+) (?:题|个章节)", text)
    assert m, text
    return int(m.group(1))


def test_preview_then_resplit_with_another_marker_then_index(page, tmp_path, served_home):
    bank = tmp_path / "recsys_preview_qa.md"
    bank.write_text(BANK, encoding="utf-8")
    lines = BANK.split("\n")
    auto, forced = segment(lines), segment(lines, "numbered")        # what the preview must show
    assert len(auto.items) != len(forced.items)
    page.click("#qb-tab-library-button")
    page.set_input_files("#qb-upload-files input[type=file]", [str(bank)])
    preview = page.locator("#qb-upload-preview")
    preview.get_by_text("recsys_preview_qa.md").wait_for()
    text = preview.inner_text()
    assert count_in(text, bank.name) == len(auto.items)
    assert auto.items[0].question in text and layout_label(auto.layout, "zh") in text
    assert "1 召回" in text                                              # the section is shown with the question

    page.click("#qb-preview-layout input")
    page.get_by_role("option", name=layout_label("numbered", "zh")).click()
    page.click("#qb-preview-resplit")
    page.wait_for_function("document.querySelector('#qb-upload-preview').innerText.includes('手动选择')")
    text = preview.inner_text()
    assert count_in(text, bank.name) == len(forced.items)
    assert forced.items[0].question in text and layout_label("numbered", "zh") in text
    assert not (served_home / "layouts.json").exists() or "recsys_preview_qa" not in \
        (served_home / "layouts.json").read_text(encoding="utf-8")       # nothing stored before indexing

    page.click("#qb-upload-btn")
    result = page.locator("#qb-upload-result")
    result.get_by_text("recsys_preview_qa.md").wait_for(timeout=180_000)
    assert f"recsys_preview_qa.md：已加入 {len(forced.items)} 题" in result.inner_text()
    stored = str((served_home / "uploads" / bank.name).resolve())
    assert json.loads((served_home / "layouts.json").read_text(encoding="utf-8"))[stored] == "numbered"
    # the preview is cleared with the files
    page.wait_for_function("document.querySelector('#qb-upload-preview').innerText.trim() === ''")

    # an item of the re-split file is in the library, with its section
    page.fill("#qb-lib-text textarea, #qb-lib-text input", "基于物品的协同过滤")
    page.press("#qb-lib-text textarea, #qb-lib-text input", "Enter")
    cell = page.locator("#qb-lib-table").get_by_text(forced.items[0].question).filter(visible=True).first
    cell.wait_for()
    cell.click()
    item = page.locator("#qb-lib-item")
    item.get_by_text("recsys_preview_qa.md").wait_for()
    assert "章节" in item.inner_text() and forced.items[0].section.split(" › ")[0] in item.inner_text()

    # its section is offered as a topic in the interview set-up, and picks its questions
    page.click("#qb-tab-interview-button")
    page.click("#qb-iv-topics input")
    page.get_by_role("option", name=f"§ {forced.items[0].section}").click()
    page.keyboard.press("Escape")
    page.fill("#qb-iv-count input[type=number]", "1")
    page.press("#qb-iv-count input[type=number]", "Enter")
    page.click("#qb-iv-start")
    page.locator("#qb-iv-progress").get_by_text("0/1").wait_for()
    shown = page.inner_text("#qb-iv-question")
    assert any(it.question in shown for it in forced.items) and forced.items[0].section in shown


def test_a_doubtful_split_is_flagged_in_the_preview_and_the_summary(page, tmp_path):
    notes = tmp_path / "meeting_notes_preview.md"
    notes.write_text(NOTES, encoding="utf-8")
    page.click("#qb-tab-library-button")
    page.set_input_files("#qb-upload-files input[type=file]", [str(notes)])
    preview = page.locator("#qb-upload-preview")
    preview.get_by_text("meeting_notes_preview.md").wait_for()
    assert "⚠️" in preview.inner_text() and "没有识别出题目" in preview.inner_text()
    page.click("#qb-upload-btn")
    result = page.locator("#qb-upload-result")
    result.get_by_text("meeting_notes_preview.md").wait_for(timeout=180_000)
    summary = result.inner_text()
    assert "⚠️ meeting_notes_preview.md" in summary and "✅ meeting_notes_preview.md" not in summary
    assert "请在预览中选择题目标记" in summary


def test_preview_in_english(browser, server_url, tmp_path):
    bank = tmp_path / "recsys_preview_en.md"
    bank.write_text(BANK, encoding="utf-8")
    page = browser.new_page()
    try:
        page.set_default_timeout(60_000)
        page.goto(server_url + "?lang=en")
        page.wait_for_selector("#qb-question textarea")
        page.get_by_text("Library").first.wait_for()
        page.click("#qb-tab-library-button")
        page.set_input_files("#qb-upload-files input[type=file]", [str(bank)])
        preview = page.locator("#qb-upload-preview")
        preview.get_by_text("Split preview").wait_for()
        auto = segment(BANK.split("\n"))
        assert f"question marker: {layout_label(auto.layout, 'en')}" in preview.inner_text()
        page.click("#qb-preview-layout input")
        assert page.get_by_role("option", name="Bold lines").count() == 1
    finally:
        page.close()
