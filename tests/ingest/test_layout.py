"""The layout chosen from the document: one fixture per layout family (our own text), traps included."""

from __future__ import annotations

import pytest

from ingest.markers import asks, parse_line, strip_decorations
from ingest.segment import LAYOUTS, segment


def seg(text: str, layout: str | None = None):
    return segment(text.split("\n"), layout=layout)


def starts(text: str, layout: str | None = None) -> list[tuple[int, str]]:
    """(1-based line, question) of each qa item."""
    return [(s.start + 1, s.question) for s in seg(text, layout).items if s.kind == "qa"]


HIER_H3 = """# 第三章 深度学习基础

## 3.1 基本概念

### 3.1.1 神经元由哪几部分组成？

输入、权重、偏置和激活函数。

1. 输入：上一层的输出。
2. 权重：可学习的参数。

### 3.1.2 激活函数的作用

引入非线性。

## 3.2 训练技巧

### 3.2.1 什么是梯度消失？

反向传播时梯度越来越小。

#### 梯度消失

深层网络里尤其明显。

### 3.2.2 学习率怎么选

先用学习率搜索。

## 参考文献

一本书。
"""


def test_hierarchical_numbering_leaves_are_questions_inner_nodes_are_sections():
    s = seg(HIER_H3)
    assert [(i.start + 1, i.question, i.section) for i in s.items] == [
        (5, "神经元由哪几部分组成？", "3.1 基本概念"), (12, "激活函数的作用", "3.1 基本概念"),
        (18, "什么是梯度消失？", "3.2 训练技巧"), (26, "学习率怎么选", "3.2 训练技巧")]
    first, third = s.items[0], s.items[2]
    assert "2. 权重：可学习的参数。" in first.answer            # the numbered list stays in the answer
    assert "#### 梯度消失" in third.answer                      # so does a sub-heading
    assert s.layout == "heading3" and s.doubt == ""
    assert [i.number for i in s.items] == [1, 2, 3, 4]


def test_hierarchical_numbering_at_level_four_under_numbered_parts():
    text = ("# 大模型面试\n\n### 1. 理论篇\n\n#### 1.1 大模型训练存在哪些问题？\n\n显存和稳定性。\n\n"
            "#### 1.2 为什么要做指令微调？\n\n对齐人类意图。\n\n### 2. 工程篇\n\n#### 2.1 如何估算显存？\n\n"
            "参数量乘以字节数。\n\n| 框架 | 说明 |\n|---|---|\n| A | 一 |\n")
    s = seg(text)
    assert [(i.start + 1, i.question, i.section) for i in s.items] == [
        (5, "大模型训练存在哪些问题？", "1. 理论篇"), (9, "为什么要做指令微调？", "1. 理论篇"),
        (15, "如何估算显存？", "2. 工程篇")]
    assert "| A | 一 |" in s.items[2].answer


def test_leaves_at_different_levels():
    text = ("## 6.1 为什么需要循环网络？\n\n序列数据。\n\n## 6.2 结构\n\n### 6.2.1 单层结构是什么样的？\n\n一层。\n\n"
            "### 6.2.2 编码器解码器有什么用？\n\n变长序列。\n\n## 6.3 循环网络有什么特点？\n\n共享参数。\n")
    assert starts(text) == [(1, "为什么需要循环网络？"), (7, "单层结构是什么样的？"),
                            (11, "编码器解码器有什么用？"), (15, "循环网络有什么特点？")]


def test_sub_numbered_questions_with_numbered_lists_inside_answers():
    qs = ["什么是束搜索？", "束宽怎么选？", "贪心解码有什么问题？", "温度采样是什么？", "top-p 采样如何工作？"]
    text = "\n".join(f"### 1.{k} {q}\n\n要点如下：\n\n1. 第一点。\n2. 第二点。\n3. 第三点。\n" for k, q in enumerate(qs, 1))
    s = seg(text)
    assert [i.question for i in s.items] == qs
    assert all("3. 第三点。" in i.answer for i in s.items)


def test_q_numbered_headings_with_answer_labels_and_a_list_inside():
    text = ("## Q1：什么是 Beam Search？\n\nA：一种启发式解码。\n\n1. 束宽越大，搜索越充分。\n2. 代价是更慢。\n\n"
            "## Q2：什么是重复惩罚？\n\nA：降低已生成词的概率。\n\n## Q3：什么是长度惩罚？\n\nA：避免偏爱短句。\n")
    s = seg(text)
    assert [(i.number, i.question, i.start) for i in s.items] == [
        (1, "什么是 Beam Search？", 0), (2, "什么是重复惩罚？", 7), (3, "什么是长度惩罚？", 11)]
    assert s.items[0].answer.startswith("一种启发式解码。") and "2. 代价是更慢。" in s.items[0].answer


ENGLISH_BOLD = """# Data science interview

## Regression

**What is linear regression? 👶**

A model that fits a line. **Key idea**: least squares.

**How do you evaluate a regression model? ⭐️**

With RMSE or R².

## Validation

**What is cross-validation? 👶**

Splitting data into folds.

**Why do we need a validation set? 🚀**

To tune hyperparameters without touching the test set.
"""


def test_english_bold_question_lines_under_topic_headings():
    s = seg(ENGLISH_BOLD)
    assert [(i.start + 1, i.question, i.section) for i in s.items] == [
        (5, "What is linear regression?", "Regression"), (9, "How do you evaluate a regression model?", "Regression"),
        (15, "What is cross-validation?", "Validation"), (19, "Why do we need a validation set?", "Validation")]
    assert s.items[1].end + 1 == 11          # the next topic heading is not part of the answer
    assert s.layout == "bold"


def test_bold_q_lines_even_with_the_closing_stars_missing():
    text = "**Q1：什么是过拟合？**\n\n训练好测试差。\n\n**Q2：什么是欠拟合？\n\n都差。\n\n**Q3：怎么缓解过拟合？**\n\n正则化。\n"
    assert [(i.number, i.question) for i in seg(text).items] == [
        (1, "什么是过拟合？"), (2, "什么是欠拟合？"), (3, "怎么缓解过拟合？")]


def test_list_items_with_indented_answers():
    text = ("# 面试速记\n\n- 什么是 dropout？\n    训练时随机丢弃神经元。\n    - 测试时不丢弃。\n"
            "- 为什么要做归一化？\n    加快收敛。\n- BN 和 LN 有什么区别？\n    归一化的维度不同。\n")
    s = seg(text)
    assert [(i.start + 1, i.question) for i in s.items] == [
        (3, "什么是 dropout？"), (6, "为什么要做归一化？"), (8, "BN 和 LN 有什么区别？")]
    assert "测试时不丢弃" in s.items[0].answer and s.layout == "list"


def test_source_links_and_emphasis_are_stripped_but_lines_stay_exact():
    text = ("#### 1) Why is ReLU popular? [[src](https://example.org/a)]\n\nIt does not saturate.\n\n"
            "#### 2) What is *batch* normalization? [[src](https://example.org/b)]\n\nNormalizes activations.\n")
    s = seg(text)
    assert [(i.question, i.start, i.end) for i in s.items] == [
        ("Why is ReLU popular?", 0, 2), ("What is batch normalization?", 4, 6)]


def test_bold_lead_ins_and_label_subheadings_stay_inside_answers():
    text = ("## 1. 决策树如何处理缺失值？\n\n**思路**\n\n先忽略缺失样本。\n\n**参考资料**\n\n某博客。\n\n"
            "## 2. 决策树为什么不需要归一化？\n\n#### 技术介绍：\n\n按阈值切分。\n\n> A：与尺度无关。\n")
    s = seg(text)
    assert [i.question for i in s.items] == ["决策树如何处理缺失值？", "决策树为什么不需要归一化？"]
    assert "**参考资料**" in s.items[0].answer and "#### 技术介绍：" in s.items[1].answer
    assert "> A：与尺度无关。" in s.items[1].answer


def test_tutorial_part_then_questions_part():
    text = ("# 卷积网络\n\n## 知识体系\n\n### 卷积\n\n卷积核滑动。\n\n### 池化\n\n下采样。\n\n## Questions\n\n"
            "### 基础\n\n#### 卷积有什么好处？\n\n参数共享。\n\n#### 池化层的作用是什么？\n\n降维。\n\n"
            "### 进阶\n\n#### 空洞卷积怎么理解？\n\n扩大感受野。\n\n### 空洞卷积的缺点\n\n网格效应。\n")
    assert starts(text) == [(17, "卷积有什么好处？"), (21, "池化层的作用是什么？"), (27, "空洞卷积怎么理解？"),
                            (31, "空洞卷积的缺点")]


def test_notes_with_numbered_headings_become_sections():
    text = ("## 目录\n\n- 1. 概述\n- 2. 结构\n\n## 1. 概述\n\n### 1.1 输入层\n\n读入图像。\n\n### 1.2 卷积层\n\n"
            "提取特征。\n\n## 2. 结构\n\n### 2.1 全连接层\n\n分类。\n\n### 2.2 小结\n\n总结。\n")
    s = seg(text)
    assert s.layout == "sections" and all(i.kind == "section" for i in s.items)
    assert "提取特征。" in "\n".join(i.answer for i in s.items)      # nothing is lost


TUTORIAL_FLAT = """# 梯度提升树学习笔记

## 1. 什么是 GBDT

GBDT 用一串回归树逐步拟合残差。

## 2. 负梯度与残差

平方损失下负梯度就是残差。

## 3. 为什么用回归树？

因为要拟合连续的残差。

## 4. 学习率与树的数量

学习率小则需要更多树。

## 5. 子采样

每轮只用一部分样本。

## 6. 正则化项的作用

叶子数和叶子权重的惩罚。

## 7. 代码示例

```python
# 训练
model.fit(X, y)
```

## 8. 参考资料

- 一篇论文
"""

BANK_FLAT_TOPICS = """# 推荐系统面试题

## 1. 召回和排序有什么区别？

召回求全，排序求准。

## 2. 协同过滤的两种形式

基于用户和基于物品。

## 3. 冷启动怎么处理？

用内容特征和热门兜底。

## 4. Embedding 召回

双塔模型分别编码用户和物品。

## 5. 为什么要做负采样？

全量 softmax 太贵。

## 6. 多路召回如何融合？

按配额合并后统一排序。
"""


def test_a_tutorial_whose_chapters_sometimes_ask_is_sections():
    # three of eight flat chapter titles ask (什么是, 为什么, 作用): study notes, not a bank
    s = seg(TUTORIAL_FLAT)
    assert s.layout == "sections" and all(i.kind == "section" for i in s.items)
    assert "每轮只用一部分样本。" in "\n".join(i.answer for i in s.items)


def test_a_flat_bank_with_some_topic_titles_keeps_every_question():
    # four of six ask; the other two are topic-style questions of the same numbered run
    assert [q for _, q in starts(BANK_FLAT_TOPICS)] == [
        "召回和排序有什么区别？", "协同过滤的两种形式", "冷启动怎么处理？", "Embedding 召回", "为什么要做负采样？",
        "多路召回如何融合？"]



def test_a_document_titled_as_a_bank_keeps_its_topic_style_questions():
    # the same kind of flat run as the tutorial (two of six titles ask), but the title says it is a question bank
    text = ("# 梯度提升树 面试题\n\n## 1. GBDT 的基本思想\n\n逐步拟合残差。\n\n## 2. 为什么用回归树？\n\n拟合连续值。\n\n"
            "## 3. 学习率与树的数量\n\n此消彼长。\n\n## 4. 子采样\n\n每轮部分样本。\n\n## 5. 正则化项\n\n惩罚叶子。\n\n"
            "## 6. GBDT 和随机森林的区别\n\n串行与并行。\n")
    assert [q for _, q in starts(text)][:2] == ["GBDT 的基本思想", "为什么用回归树？"] and len(starts(text)) == 6
    assert seg(text.replace("面试题", "学习笔记")).layout == "sections"


def test_labelled_task_numbers_with_sub_headings_inside():
    text = ("# 手写代码题\n\n### 题目 1：实现 softmax\n\n#### 解析\n\n先减最大值。\n\n#### 参考代码\n\n```python\n"
            "# 数值稳定\ne = np.exp(x - x.max())\n```\n\n题目 1 的要点是数值稳定。\n\n### 题目 2：写一个 NMS\n\n#### 解析\n\n"
            "按分数排序后去重。\n\n### Problem 3. Reverse a linked list\n\nThree pointers.\n")
    assert starts(text) == [(3, "实现 softmax"), (18, "写一个 NMS"), (24, "Reverse a linked list")]


def test_questions_in_inline_html_details():
    text = ("# 速记卡\n\n<details>\n<summary><b>1. 什么是 Dropout？</b></summary>\n\n随机丢弃神经元。\n\n</details>\n\n"
            "<details><summary><b>2. BN 放在激活前还是后？</b></summary>\n\n两种都有。\n</details>\n")
    assert [q for _, q in starts(text)] == ["什么是 Dropout？", "BN 放在激活前还是后？"]
    assert "随机丢弃神经元。" in seg(text).items[0].answer
    html_headings = "<h3>1. 为什么要归一化？</h3>\n\n加速收敛。\n\n<h3>2. 什么是残差？</h3>\n\n跳连。\n"
    assert starts(html_headings) == [(1, "为什么要归一化？"), (5, "什么是残差？")]


def test_one_numbering_run_across_heading_levels():
    text = ("# 机器学习面试题\n\n## 模型\n\n### 1. 什么是过拟合？\n\n训练好测试差。\n\n### 2. 什么是欠拟合？\n\n都差。\n\n"
            "### 树模型\n\n#### 3. 什么是决策树？\n\n按特征切分。\n\n#### 4. 随机森林和 GBDT 的区别？\n\n并行与串行。\n\n"
            "### 线性模型\n\n#### 5. 为什么 LR 用交叉熵？\n\n凸且梯度好。\n\n## 深度学习\n\n### 6. 什么是 BN？\n\n"
            "批归一化。\n\n1. 减均值\n2. 除方差\n")
    assert [(n, q) for n, q in starts(text)] == [
        (5, "什么是过拟合？"), (9, "什么是欠拟合？"), (15, "什么是决策树？"), (19, "随机森林和 GBDT 的区别？"),
        (25, "为什么 LR 用交叉熵？"), (31, "什么是 BN？")]

def test_a_short_note_answering_its_title_question_is_one_item():
    text = "# 为什么大模型多用 decoder-only 结构？\n\n### 1. 低秩问题\n\n双向注意力会低秩。\n\n### 2. 效率\n\n可以复用缓存。\n"
    s = seg(text)
    assert [(i.question, i.start, i.end) for i in s.items] == [("为什么大模型多用 decoder-only 结构？", 0, 8)]


def test_unanswered_questions_are_no_items():
    text = "## 1. 什么是A？\n\nA。\n\n## 2. 什么是B？\n\n## 3. 什么是C？\n\nC。\n"
    assert [i.question for i in seg(text).items] == ["什么是A？", "什么是C？"]


def test_forced_layout_overrides_the_choice():
    text = "## 模型\n\n**什么是A？**\n\nA。\n\n**什么是B？**\n\nB。\n\n## 数据\n\n**什么是C？**\n\nC。\n"
    assert seg(text).layout == "bold"
    forced = seg(text, "heading2")
    assert forced.layout == "heading2" and [i.question for i in forced.items] == ["模型", "数据"]
    assert seg(text, "sections").layout == "sections"
    with pytest.raises(ValueError, match="unknown layout 'headings'"):
        seg(text, "headings")
    assert set(LAYOUTS) >= {"heading3", "bold", "numbered", "list", "qa", "sections"}


def test_a_doubtful_split_is_flagged():
    long_answer = "\n".join(f"第{k}行解释。" for k in range(200))
    s = seg(f"## 1. 什么是A？\n\n{long_answer}\n")
    assert s.doubt == "few_items"
    text = ("### 1. 什么是A？\n\n短。\n\n### 2. 什么是B？\n\n" + "很长的答案。" * 300 + "\n\n### 3. 什么是C？\n\n短。\n")
    assert seg(text).doubt == "dominant_answer"
    assert seg(HIER_H3).doubt == ""


@pytest.mark.parametrize("title, expected", [
    ("**What is regression? 👶**", "What is regression?"),
    ("Question? [[src](https://a.b/c)]", "Question?"),
    ("Flash Attention&#x20;", "Flash Attention"),
    ("[链接题目](http://x) 的含义", "链接题目 的含义"),
])
def test_strip_decorations(title, expected):
    assert strip_decorations(title) == expected


def test_asks_and_labels():
    assert asks("神经网络由什么组成") and asks("How does attention scale?") and asks("BN和LN的区别")
    assert not asks("技术介绍：") and not asks("参考资料") and not asks("输入层")


def test_parse_line_families():
    assert parse_line("### 3.1.1 神经网络组成？", 0).path == (3, 1, 1)
    assert parse_line("### 3.1.1 神经网络组成？", 0).scheme == "hier"
    assert parse_line("第12题：什么是A", 0).scheme == "ti"
    assert parse_line("一、什么是A", 0).scheme == "cn"
    assert parse_line("123456. 第十万题", 0).path == (123456,)     # numbers over five digits
    assert parse_line("**参考资料**：见下文", 0) is None           # a bold lead-in is answer text
    assert parse_line("普通的一行", 0) is None


def test_a_bank_of_only_unanswered_questions_is_sections_not_a_crash():
    s = seg("## 1. 什么是A？\n## 2. 什么是B？\n## 3. 什么是C？\n")
    assert s.layout == "sections" and all(i.kind == "section" for i in s.items)
