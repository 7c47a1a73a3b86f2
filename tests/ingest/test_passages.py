"""Answer passages and the lead sentences embedded on their own (ingest/passages.py)."""

from __future__ import annotations

from ingest.passages import lead_sentences


def test_lead_sentences_are_the_first_prose_sentences_without_markup():
    answer = "定义\n\n**意图识别**，是判断用户要做什么。说到底它是文本分类！第三句不要。"
    assert lead_sentences(answer) == ["意图识别，是判断用户要做什么。", "说到底它是文本分类！"]
    assert lead_sentences(answer, 1) == ["意图识别，是判断用户要做什么。"]
    assert lead_sentences(answer, 0) == []


def test_lead_sentences_skip_headings_code_and_labels():
    answer = ("#### 技术介绍：\n\n```python\n# 这是代码里的一句很长的注释。\nx = 1\n```\n"
              "答案：\n- 对抗样本是一种通过微小扰动来误导模型的样本；防御方法包括鲁棒训练。")
    assert lead_sentences(answer) == ["对抗样本是一种通过微小扰动来误导模型的样本；", "防御方法包括鲁棒训练。"]


def test_an_answer_without_prose_has_no_lead_sentence():
    assert lead_sentences("```\nprint('hello world, long enough')\n```") == []
    assert lead_sentences("") == []
