"""Key points on literal answers in the style of each bundled bank."""

from __future__ import annotations

import pytest

from ingest.keypoints import HARD_LEN, MAX_POINTS, MIN_POINTS, key_points, key_terms, split_label, statements

# dl_basics (plain text, numbered lists and ◦ sub-heads, inline formulas)
DL_BASICS = """梯度消失：在训练神经网络时，有时权重的更新会变得太小。这使得学习变得非常缓慢或完全停止。
梯度爆炸：与前者相反，梯度值可能会变得非常大，超出网络处理范围，导致模型运行不稳定。

1. 梯度消失和爆炸问题的解释

◦ 梯度消失

- 在深度神经网络中，当梯度随着网络层数的增加而趋近于0时，就发生了梯度消失问题。
- 例如，Sigmoid函数的导数取值范围是(0,0.25]。

2. 缓解梯度消失和爆炸现象的方法

◦ 梯度裁剪 (Gradient Clipping)

- 这是一种简单有效的缓解梯度爆炸的方法。其原理是设定一个梯度的阈值。

◦ 残差网络 (Residual Network, ResNet)

- 假设一个普通的神经网络层的输出为 $y = F(x)$，在残差网络中，输出变为 $y = F(x)+x$。

$$\\frac{\\partial L}{\\partial x} = 1 + \\frac{\\partial F}{\\partial x}$$
"""

# ai_product_design (**答案：** / **解析：** labels, bold bullet labels)
PRODUCT = """**答案：** 数据不平衡是指训练数据集中各类别的样本数量不均衡，可能导致模型偏向多数类。常用的处理方法包括：

1. **重采样（Resampling）**： 通过增加少数类样本的数量或减少多数类样本的数量。
2. **过采样（Over-sampling）**： 通过复制少数类样本或生成新的少数类样本来增加少数类样本的数量。
3. **欠采样（Under-sampling）**： 通过随机删除多数类样本来减少多数类样本的数量。

**解析：** 这些方法有助于提高模型在处理数据不平衡问题时的性能。
"""

# llm_principles (short prose + 解析 + python fence with # comments)
PRINCIPLES = """长短时记忆网络（LSTM）是一种改进的RNN结构，通过引入记忆单元来解决长序列依赖问题。

**解析：** LSTM通过三个门（输入门、遗忘门和输出门）来控制信息的流动，从而在处理长序列时避免了梯度消失问题。

**代码实例：**

```python
# LSTM模型
class LSTM(nn.Module):
    pass
```
"""

# llm_industry_apps (definition, then "- **label：** text" bullets)
INDUSTRY = """模型蒸馏是一种将复杂模型的知识迁移到较小模型的方法。实现模型蒸馏的方法包括：

- **教师-学生模型蒸馏：** 使用一个大型模型（教师模型）训练一个较小模型（学生模型）。
- **软标签：** 在训练过程中，教师模型的输出作为软标签，指导学生模型的学习。
"""

# ai_tech_applications (#### 技术介绍 sub-headings, grouped 优点/缺点, 源代码实例)
TECH = """#### 技术介绍：

1. **模型剪枝（Model Pruning）**：通过移除权重较小的神经元或连接，减少模型的大小。
2. **量化（Quantization）**：将模型的权重和激活值转换为较低的精度，如8位或16位。

#### 优点和缺点：

**模型剪枝：**
- **优点**：减小模型大小和计算复杂度。
- **缺点**：可能影响模型性能，需要适当控制剪枝力度。

**源代码实例：**

```python
student_model.fit(x_train, y_train, epochs=10)
```
"""


@pytest.mark.parametrize("answer", [DL_BASICS, PRODUCT, PRINCIPLES, INDUSTRY, TECH],
                         ids=["dl_basics", "product", "principles", "industry", "tech"])
def test_every_bank_style_gives_3_to_8_short_points_without_code_or_boilerplate(answer):
    points = key_points(answer)
    assert MIN_POINTS <= len(points) <= MAX_POINTS, points
    for p in points:
        assert len(p) <= HARD_LEN
        assert "```" not in p and "import" not in p and "nn.Module" not in p and "fit(" not in p
        assert not p.startswith(("解析", "答案", "代码实例", "源代码实例", "技术介绍", "**"))
        assert "$" not in p and "\\frac" not in p


def test_product_style_keeps_labelled_bullets_and_drops_the_summary():
    points = key_points(PRODUCT)
    assert points[0].startswith("数据不平衡是指")
    assert any(p.startswith("过采样：") or p.startswith("过采样（Over-sampling）") for p in points)
    assert not any(p.startswith("这些方法") for p in points)


def test_generic_sub_bullets_take_their_group_name():
    points = key_points(TECH)
    assert "模型剪枝的缺点：可能影响模型性能，需要适当控制剪枝力度" in points
    assert not any(p.startswith("缺点") for p in points)


def test_sub_heading_names_an_anaphoric_bullet_and_formulas_are_optional():
    points = key_points(DL_BASICS)
    assert any(p.startswith("梯度裁剪：这是一种简单有效的缓解梯度爆炸的方法") for p in points)
    assert not any("F(x)" in p for p in points)           # formula-only example dropped
    assert not any(p.startswith("例如") for p in points)


def test_short_prose_is_split_into_clauses_that_keep_their_subject():
    points = key_points(PRINCIPLES)
    assert points[0] == "长短时记忆网络（LSTM）是一种改进的RNN结构"
    assert "长短时记忆网络（LSTM）：通过引入记忆单元来解决长序列依赖问题" in points
    assert not any("注意" == p[:2] for p in points)


def test_注意力_is_not_taken_for_the_注意_label():
    points = key_points("注意力机制是一种计算方法，用于确定哪些部分的数据更重要。\n\n**注意：** 计算量随序列长度平方增长。")
    assert points[0].startswith("注意力机制是一种计算方法")
    assert "计算量随序列长度平方增长" in points


def test_statements_and_labels():
    assert any(s.startswith("教师-学生模型蒸馏") for s in statements(INDUSTRY))
    assert split_label("模型剪枝的缺点：可能影响模型性能") == ("模型剪枝的缺点", "可能影响模型性能")
    assert split_label("在测试阶段，通常不会进行dropout操作") == ("", "在测试阶段，通常不会进行dropout操作")
    assert key_terms("FPS，每秒帧数(Frame Per Second)，L2 正则化（Ridge）") == ["FPS", "每秒帧数", "L2", "正则化"]


def test_empty_or_code_only_answers_give_no_points():
    assert key_points("") == ()
    assert key_points("```python\nprint(1)\n```") == ()


def test_intro_sentences_are_not_points():
    points = key_points("BERT是一种预训练语言模型。在文本分类任务中，可以使用以下步骤来使用BERT：\n\n"
                        "1. **预训练**： 在大规模语料上预训练。\n2. **微调**： 添加分类层后微调。")
    assert not any("以下" in p for p in points) and len(points) == 3


# Layouts of real public banks (our own wording): display formulas on lines of their own, tables, quoted notes,
# zero-width spaces before list numbers, rhetorical questions and sentences about the text itself.
FORMULA_BLOCKS = """熵衡量一个节点里样本类别的混乱程度。
$$
H = -\\sum_k p_k \\log p_k
$$

其中叶子越多模型越复杂，所以要加一项惩罚。

$$
C = H + \\alpha |T|
$$

参数越大，剪枝后的树越小。"""


def test_text_after_a_closed_display_formula_is_kept():
    points = key_points(FORMULA_BLOCKS)
    assert any("惩罚" in p for p in points), points
    assert any("剪枝后的树越小" in p for p in points), points
    assert not any("\\sum" in p or "\\alpha" in p for p in points)


TABLE = """两种层做的事不一样，对比见表3.2所示。

|            | 全连接层 | 卷积层 |
| :--------: | :------: | :----: |
| **连接方式** | 每个输出连到全部输入 | 每个输出只看一小块邻域 |
| **参数量** | 随输入尺寸平方增长 | 只和核大小、核个数有关 |
"""


def test_table_cells_become_points_under_their_row_and_column():
    points = key_points(TABLE)
    assert "全连接层的连接方式：每个输出连到全部输入" in points
    assert "卷积层的参数量：只和核大小、核个数有关" in points
    assert not any("表3.2" in p or p.startswith("|") for p in points), points


ONE_COLUMN_TABLE = """| 方面 | 说明 |
| ---- | ---- |
| 共同点 | 1、都靠反向传播训练<br />2、都由多层神经元堆叠而成 |
| 不同点 | 1、一个在空间上共享卷积核<br />2、另一个在时间步之间共享权重 |
"""


def test_a_one_column_table_gives_each_break_separated_part_with_its_row_label():
    points = key_points(ONE_COLUMN_TABLE)
    assert "共同点：都靠反向传播训练" in points, points
    assert "不同点：另一个在时间步之间共享权重" in points, points


QUOTED_AND_INVISIBLE = """\u200b\t梯度消失的办法主要有下面几类。

\u200b\t1、换激活函数，比如用ReLU，正半轴导数恒为一

\u200b\t2、加归一化层，让每层输入分布稳定下来

> 注：残差连接让梯度可以绕过中间层直接往回传。

为什么残差能缓解这个问题呢？

下面将介绍门控结构的细节。"""


def test_zero_width_marks_quotes_questions_and_remarks_about_the_text():
    points = key_points(QUOTED_AND_INVISIBLE)
    assert any(p.startswith("换激活函数") for p in points), points      # the "1、" under a zero-width space is a bullet
    assert any("残差连接让梯度" in p for p in points), points          # a quoted note is text
    assert not any("\u200b" in p for p in points)
    assert not any(p.endswith(("？", "?")) for p in points), points     # a question is not a point
    assert not any(p.startswith("下面将介绍") for p in points), points


def test_a_clause_split_never_takes_a_prepositional_phrase_for_the_subject():
    points = key_points("从上面的推导可以看出，每一步都让误差平方和不增，而取值组合只有有限多种，所以迭代一定会停下来")
    assert not any(p.startswith("从上面的推导") and "：" in p for p in points), points


def test_links_and_markdown_escapes_are_not_point_text():
    points = key_points("句首的 \\[CLS\\] 位置汇总整句信息，常拿来做分类。batch\\_size 太小时统计量不稳。参考链接： https://example.com/a/b")
    assert any("[CLS]" in p for p in points) and any("batch_size" in p for p in points), points
    assert not any("http" in p or "\\[" in p for p in points), points
