"""Segmentation on literal strings: every layout a bank comes in, and the traps of the bundled corpus."""

from __future__ import annotations

import pytest

from ingest.segment import fence_mask, normalize, parse_number, segment


def seg(text: str):
    return segment(text.split("\n"))


def qa(text: str) -> list[tuple[int | None, str, str, int, int]]:
    """(number, question, answer, first line, last line) of each item, lines 0-based."""
    return [(s.number, s.question, s.answer, s.start, s.end) for s in seg(text).items]


# -- numbered headings -----------------------------------------------------------

@pytest.mark.parametrize("level", [1, 2, 3, 4, 5, 6])
def test_numbered_headings_at_every_level(level):
    h = "#" * level
    text = f"{h} 1. 什么是过拟合？\n\n训练好，测试差。\n\n{h} 2. 什么是欠拟合？\n\n都差。\n"
    assert qa(text) == [(1, "什么是过拟合？", "训练好，测试差。", 0, 2),
                        (2, "什么是欠拟合？", "都差。", 4, 6)]


def test_heading_with_title_above_keeps_title_as_rest_section():
    s = seg("# 深度学习题库\n\n## 1. 什么是BN？\n批量归一化。\n## 2. 什么是LN？\n层归一化。")
    assert [(i.number, i.start) for i in s.items] == [(1, 2), (2, 4)]
    assert [(r.kind, r.question, r.start, r.end) for r in s.rest] == [("section", "深度学习题库", 0, 0)]


def test_bold_numbered_heading_and_bold_question_line():
    assert [q[:2] for q in qa("#### **1. 什么是A？**\nA。\n#### **2. 什么是B？**\nB。")] == [(1, "什么是A？"), (2, "什么是B？")]
    assert [q[:2] for q in qa("**1. 什么是A？**\nA。\n\n**2. 什么是B？**\nB。")] == [(1, "什么是A？"), (2, "什么是B？")]


def test_sub_headings_inside_an_answer_are_not_questions():
    text = ("### 1. 模型压缩\n\n**题目：** 描述几种压缩技术。\n\n**答案：**\n\n#### 技术介绍：\n剪枝、量化。\n\n"
            "#### 优缺点：\n省内存。\n\n### 2. 主动学习\n\n**题目：** 主动学习如何应用？\n\n**答案：** 选样本。\n")
    items = seg(text).items
    assert [(i.number, i.question, i.detail) for i in items] == [
        (1, "模型压缩", "描述几种压缩技术。"), (2, "主动学习", "主动学习如何应用？")]
    assert "#### 技术介绍：\n剪枝、量化。" in items[0].answer and "#### 优缺点：" in items[0].answer
    assert items[1].answer == "选样本。"


def test_non_question_heading_at_question_level_ends_the_item():
    s = seg("## 1. 什么是A？\nA。\n## 2. 什么是B？\nB。\n## 总结\n全文总结。")
    assert [(i.number, i.end) for i in s.items] == [(1, 1), (2, 3)]
    assert [(r.question, r.start, r.end) for r in s.rest] == [("总结", 4, 5)]


def test_numbering_restarts_in_each_chapter():
    text = ("## 第一章 基础\n### 1. 什么是A？\na\n### 2. 什么是B？\nb\n"
            "## 第二章 进阶\n### 1. 什么是C？\nc\n### 2. 什么是D？\nd")
    s = seg(text)
    assert [(i.number, i.question, i.start) for i in s.items] == [
        (1, "什么是A？", 1), (2, "什么是B？", 3), (1, "什么是C？", 6), (2, "什么是D？", 8)]
    assert [r.question for r in s.rest] == ["第一章 基础", "第二章 进阶"]


def test_single_numbered_question_heading_is_an_item():
    assert qa("### 1. 什么是Dropout？\n随机丢弃神经元。") == [(1, "什么是Dropout？", "随机丢弃神经元。", 0, 1)]


# -- plain numbering styles ---------------------------------------------------------

@pytest.mark.parametrize("fmt", ["{n}.{q}", "{n}. {q}", "{n}、{q}", "{n}．{q}", "{n}) {q}", "{n}）{q}",
                                 "({n}) {q}", "（{n}）{q}", "第{n}题 {q}", "第{n}题：{q}"])
def test_plain_arabic_numbering(fmt):
    qs = ["什么是过拟合？", "什么是梯度消失？", "什么是注意力机制？"]
    text = "\n".join(fmt.format(n=n, q=q) + f"\n答案{n}。\n" for n, q in enumerate(qs, 1))
    assert [(i.number, i.question, i.answer) for i in seg(text).items] == [
        (1, qs[0], "答案1。"), (2, qs[1], "答案2。"), (3, qs[2], "答案3。")]


@pytest.mark.parametrize("fmt", ["{n}、{q}", "（{n}）{q}", "({n}){q}", "第{n}题、{q}"])
def test_chinese_numerals(fmt):
    nums = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
    text = "\n".join(fmt.format(n=n, q=f"问题{k}是什么？") + f"\n答{k}。\n" for k, n in enumerate(nums, 1))
    items = seg(text).items
    assert [i.number for i in items] == list(range(1, 13))
    assert items[11].question == "问题12是什么？" and items[11].answer == "答12。"


def test_parse_number():
    assert [parse_number(t) for t in ["7", "一", "十", "十二", "二十", "二十三", "一百零五", "两", "零", "abc"]] == [
        7, 1, 10, 12, 20, 23, 105, 2, None, None]


def test_answers_with_numbered_lists_stay_inside_the_answer():
    text = ("1.什么是模型微调？\n\n模型微调的基本步骤：\n\n1. 选择预训练模型：\n\n- 先选模型。\n\n2. 初始化：\n\n- 保留权重。\n\n"
            "3. 修改模型结构：\n\n- 改最后一层。\n\n2.什么是FLOPs？\n\n浮点运算次数。\n\n3.什么是FPS？\n\n每秒帧数。\n")
    items = seg(text).items
    assert [(i.number, i.question) for i in items] == [(1, "什么是模型微调？"), (2, "什么是FLOPs？"), (3, "什么是FPS？")]
    assert "1. 选择预训练模型：" in items[0].answer and "3. 修改模型结构：\n\n- 改最后一层。" in items[0].answer


def test_markdown_questions_with_numbered_bold_list_answers():
    text = ("#### 1. 如何评估模型？\n\n**答案：**\n\n1. **准确率**：对的比例。\n2. **召回率**：找全的比例。\n\n"
            "#### 2. 什么是反向传播？\n\n**答案：** 链式法则。\n")
    items = seg(text).items
    assert [(i.number, i.question) for i in items] == [(1, "如何评估模型？"), (2, "什么是反向传播？")]
    assert items[0].answer == "1. **准确率**：对的比例。\n2. **召回率**：找全的比例。"


def test_space_after_number_and_numbers_that_skip():
    text = "30.什么是dropout？\n随机丢弃。\n\n31. 解释批量归一化的概念？\n归一化。\n\n33.如何设置随机种子？\n设种子。\n"
    assert [(i.number, i.question) for i in seg(text).items] == [
        (30, "什么是dropout？"), (31, "解释批量归一化的概念？"), (33, "如何设置随机种子？")]


def test_decimal_numbers_and_versions_are_not_questions():
    text = "1. 什么是A？\n版本 2.0 发布。\n3.14 是圆周率。\n2. 什么是B？\nB。"
    assert [(i.number, i.answer) for i in seg(text).items] == [(1, "版本 2.0 发布。\n3.14 是圆周率。"), (2, "B。")]


# -- explicit markers ---------------------------------------------------------------

def test_q_and_a_markers():
    text = "Q: What is overfitting?\nA: Training good, test bad.\n\nQ: What is\ndropout exactly?\nA: Randomly drop units.\nMore.\n"
    assert qa(text) == [(1, "What is overfitting?", "Training good, test bad.", 0, 1),
                        (2, "What is dropout exactly?", "Randomly drop units.\nMore.", 3, 6)]


def test_numbered_q_markers_keep_their_numbers():
    text = "Q1: What is A?\nA1: a.\nQ2: What is B?\nA2: b.\nQ5: What is E?\nA5: e."
    assert [(i.number, i.question, i.answer) for i in seg(text).items] == [
        (1, "What is A?", "a."), (2, "What is B?", "b."), (5, "What is E?", "e.")]


def test_wen_da_markers():
    text = "问：什么是过拟合？\n答：训练好测试差。\n\n问：什么是BN？\n答：\n批量归一化。\n"
    assert [(i.number, i.question, i.answer) for i in seg(text).items] == [
        (1, "什么是过拟合？", "训练好测试差。"), (2, "什么是BN？", "批量归一化。")]


def test_wenti_numbered_markers():
    text = "问题1：什么是A？\n答案：A。\n问题2：什么是B？\n答案：B。"
    assert [(i.number, i.question, i.answer) for i in seg(text).items] == [(1, "什么是A？", "A。"), (2, "什么是B？", "B。")]


def test_bold_timu_daan_markers():
    text = "**题目：** 什么是过拟合？\n\n**答案：** 训练好测试差。\n\n**题目：**什么是BN？\n**答案：**\n批量归一化。\n"
    assert [(i.number, i.question, i.answer, i.start) for i in seg(text).items] == [
        (1, "什么是过拟合？", "训练好测试差。", 0), (2, "什么是BN？", "批量归一化。", 4)]


def test_markers_after_a_preamble_keep_the_preamble():
    s = seg("# 常见问题\n说明文字。\n\nQ: A?\nA: a\nQ: B?\nA: b")
    assert [i.question for i in s.items] == ["A?", "B?"]
    assert [(r.start, r.end) for r in s.rest] == [(0, 1)]


# -- tables of contents ---------------------------------------------------------------

def test_toc_block_with_header_is_not_questions():
    text = ("目录\n\n- 1.什么是A\n- 2.什么是B\n- 3.什么是C\n\n"
            "1.什么是A\n\n答A。\n\n2.什么是B\n\n答B。\n\n3.什么是C\n\n答C。\n")
    s = seg(text)
    assert [(i.number, i.question, i.start) for i in s.items] == [(1, "什么是A", 6), (2, "什么是B", 10), (3, "什么是C", 14)]
    assert [(r.question, r.start, r.end) for r in s.rest] == [("目录", 0, 4)]


def test_markdown_toc_with_links():
    text = ("# 面试题\n\n## 目录\n\n- [1. 什么是A](#a)\n- [2. 什么是B](#b)\n\n"
            "## 1. 什么是A\n\nA。\n\n## 2. 什么是B\n\nB。\n")
    s = seg(text)
    assert [(i.number, i.question, i.start) for i in s.items] == [(1, "什么是A", 7), (2, "什么是B", 11)]
    assert [r.start for r in s.rest] == [0, 2]


def test_numbered_toc_without_header():
    text = "1. 什么是A\n2. 什么是B\n3. 什么是C\n\n1. 什么是A\nans a\n\n2. 什么是B\nans b\n\n3. 什么是C\nans c\n"
    s = seg(text)
    assert [(i.number, i.start, i.answer) for i in s.items] == [(1, 4, "ans a"), (2, 7, "ans b"), (3, 10, "ans c")]
    assert [(r.start, r.end) for r in s.rest] == [(0, 2)]


def test_english_contents_header():
    text = "Contents\n1. What is A\n2. What is B\n\n1. What is A\nans\n2. What is B\nans\n"
    assert [(i.number, i.start) for i in seg(text).items] == [(1, 4), (2, 6)]


# -- un-numbered question headings and plain documents ---------------------------------

def test_unnumbered_question_headings():
    text = "# 面试题\n## 什么是过拟合？\n训练好测试差。\n## 什么是BN?\n批量归一化。\n## 如何选择学习率？\n试。\n"
    s = seg(text)
    assert [(i.number, i.question, i.answer) for i in s.items] == [
        (1, "什么是过拟合？", "训练好测试差。"), (2, "什么是BN?", "批量归一化。"), (3, "如何选择学习率？", "试。")]


def test_document_without_qa_structure_becomes_sections():
    text = "# 学习笔记\n一些介绍。\n\n第二段。\n## 卷积\n卷积是……\n\n```python\n# 1. not a question\nx = 1\n```\n"
    items = seg(text).items
    assert [(i.kind, i.question, i.start, i.end, i.number) for i in items] == [
        ("section", "学习笔记", 0, 3, None), ("section", "卷积", 4, 10, None)]
    assert items[1].answer.endswith("```python\n# 1. not a question\nx = 1\n```")


def test_long_section_is_split_at_blank_lines_not_inside_code():
    para = "这是一段很长的文字。" * 40
    code = "```\n" + "\n\n".join(f"x{k} = {k}" for k in range(200)) + "\n```"
    text = f"# 笔记\n{para}\n\n{para}\n\n{code}\n\n{para}"
    items = seg(text).items
    assert len(items) >= 2 and all(i.kind == "section" for i in items)
    assert sum(i.answer.count("```") for i in items) == 2
    assert any(code in i.answer for i in items)


def test_plain_paragraphs_without_headings():
    items = seg("just some text\nmore text\n\nanother paragraph").items
    assert [(i.kind, i.start, i.end) for i in items] == [("section", 0, 3)]


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\t"])
def test_blank_input_gives_nothing(text):
    s = seg(text)
    assert s.items == () and s.rest == ()


# -- code fences ------------------------------------------------------------------------

def test_hash_comments_in_code_fences_are_not_headings():
    text = ("### 1. 如何实现GAN？\n\n```python\n# 1. define the generator\n### 2. fake heading\n\nimport torch\n```\n\n"
            "### 2. 什么是VAE？\n\n变分自编码器。\n")
    items = seg(text).items
    assert [(i.number, i.question) for i in items] == [(1, "如何实现GAN？"), (2, "什么是VAE？")]
    assert items[0].answer == "```python\n# 1. define the generator\n### 2. fake heading\n\nimport torch\n```"


def test_backticks_inside_tilde_fence():
    text = "## 1. A?\n~~~markdown\n```\n## 2. fake\n```\n~~~\n## 2. B?\nb"
    items = seg(text).items
    assert [(i.number, i.start, i.end) for i in items] == [(1, 0, 5), (2, 6, 7)]
    assert items[0].answer == "~~~markdown\n```\n## 2. fake\n```\n~~~"


def test_longer_fence_is_closed_only_by_a_fence_as_long():
    text = "1. A?\n````\n```\n2. fake\n```\n````\n2. B?\nb"
    assert [(i.number, i.start) for i in seg(text).items] == [(1, 0), (2, 6)]


def test_unclosed_fence_runs_to_the_end():
    text = "### 1. A?\na\n### 2. B?\n```\n### 3. C?\nc"
    items = seg(text).items
    assert [(i.number, i.end) for i in items] == [(1, 1), (2, 5)]
    assert items[1].answer == "```\n### 3. C?\nc"


def test_indented_fence_in_a_numbered_answer():
    text = "1. A?\n   ```\n   2. fake\n   ```\n2. B?\nb"
    assert [(i.number, i.start) for i in seg(text).items] == [(1, 0), (2, 4)]


def test_fence_mask():
    lines = ["a", "```py", "# x", "", "```", "b", "~~~", "```", "~~~", "````", "```", "c"]
    assert fence_mask(lines) == [False, True, True, True, True, False, True, True, True, True, True, True]


def test_fence_closing_line_with_text_does_not_close():
    assert fence_mask(["```", "``` not a close", "x", "```", "y"]) == [True, True, True, True, False]


# -- detail and answer labels ------------------------------------------------------------

def test_detail_question_and_answer_labels_are_lifted_out():
    text = ("#### 1. 如何评估模型？\n\n**面试题：** 请列举常用的评估指标。\n\n**答案：**\n\n准确率、召回率。\n\n**解析：** 看任务。\n\n"
            "#### 2. 什么是反向传播？\n\n**面试题：** 简述反向传播。\n\n**答案：** 链式法则。\n")
    items = seg(text).items
    assert [(i.question, i.detail) for i in items] == [("如何评估模型？", "请列举常用的评估指标。"),
                                                       ("什么是反向传播？", "简述反向传播。")]
    assert items[0].answer == "准确率、召回率。\n\n**解析：** 看任务。"
    assert items[1].answer == "链式法则。"


def test_normalize_ignores_markup_punctuation_and_case():
    assert normalize("**什么是 迁移学习？**") == normalize("什么是迁移学习?") == "什么是迁移学习"
    assert normalize("What is BERT?") == "whatisbert"


def test_crlf_and_trailing_spaces():
    text = "## 1. 什么是A？  \r\nA。\r\n## 2. 什么是B？\r\nB。"
    items = segment([line.rstrip("\r") for line in text.split("\n")]).items
    assert [(i.number, i.question) for i in items] == [(1, "什么是A？"), (2, "什么是B？")]
