"""Pure helpers of the grader on literal strings: clauses, bigrams, and when a clause contradicts a point."""

from __future__ import annotations

from rag.interview import polarity
from rag.interview.text import bigrams, clauses, sanitize, truncate, units


def test_clauses_keep_offsets_and_sentences():
    text = "过拟合就是训练好、验证差。CNN 里我用这几招：第一是数据增强，对图片做随机翻转；第二是加 dropout"
    parts = clauses(text)
    assert [c.text for c in parts] == ["过拟合就是训练好、验证差", "CNN 里我用这几招", "第一是数据增强", "对图片做随机翻转",
                                       "第二是加 dropout"]
    assert all(text[c.start:c.end] == c.text for c in parts)
    assert [c.sentence for c in parts] == [0, 1, 1, 1, 2]
    windows = [u.text for u in units(text, parts) if u.size == 2]
    assert "第一是数据增强，对图片做随机翻转" in windows
    assert not any("验证差。CNN" in w for w in windows)       # windows never cross a sentence


def test_bigrams_sanitize_truncate():
    assert bigrams("批量归一化 BN") == {"批量", "量归", "归一", "一化", "bn"}
    assert sanitize("  a\x00b\x1bc \n") == "a b c"
    assert sanitize(None) == ""
    text, cut = truncate("一句话。" * 100, 50)
    assert cut and len(text) <= 50 and text.endswith("。")
    assert truncate("短", 50) == ("短", False)


def test_negation_is_a_denial_not_a_lexicalised_word():
    assert polarity.negated("测试时通常不会进行dropout操作")
    assert polarity.negated("没有单独的记忆单元")
    assert polarity.negated("it does not make them zero")
    for text in ("类别不平衡时模型容易偏向多数类", "对长序列特别有用", "无监督学习", "非线性激活", "不同的权重",
                 "不可察觉的扰动", "人眼几乎看不出来的小扰动", "没有被丢弃的神经元", "不像 RNN 那样递归"):
        assert not polarity.negated(text), text


def test_term_pairs_are_read_leftmost_longest():
    assert polarity.sides("无监督学习") == {"有/无监督": {1}}
    assert polarity.sides("预训练模型") == {}
    assert polarity.sides("dropout 在推理阶段随机关闭神经元") == {"阶段": {1}}


def test_a_swapped_pair_in_the_same_claim_contradicts():
    ref = "基本原理：在每次训练迭代时，随机地丢弃一部分神经元"
    assert polarity.contradiction(ref, "推理阶段随机丢弃一部分神经元") == "反义：阶段"
    assert polarity.contradiction("L1 正则化：添加等于权重绝对值之和的惩罚", "L2 是把权重的绝对值加进损失").startswith("反义：L1/L2")
    assert polarity.contradiction("感受野越大，网络能够捕获的全局信息越多", "感受野越大看到的越是局部信息").startswith("反义")
    assert polarity.contradiction("由于FP16的数值表示范围远小于FP32", "FP16 能表示的范围其实比 FP32 更大") == "反义：方向"
    assert polarity.contradiction("LSTM通过三个门来控制信息的流动", "它一共只有两个门") == "数量：3→2"
    ref = "模型蒸馏是一种将复杂模型的知识迁移到较小模型的方法"
    assert polarity.contradiction(ref, "蒸馏就是用小模型去训练大模型") == "顺序：教师/学生"
    assert polarity.contradiction(ref, "就是拿大模型去训练一个小模型") is None


def test_a_denial_contradicts_only_what_the_other_side_says():
    assert polarity.contradiction("通过引入记忆单元来解决长序列依赖问题", "它里面没有记忆单元") == "否定"
    assert polarity.contradiction("使用一个大型模型（教师模型）训练一个较小模型（学生模型）", "整个过程不涉及教师模型") == "否定"
    assert polarity.contradiction("从而在处理长序列时避免了梯度消失问题", "因此比 RNN 更容易出现梯度消失") == "否定"
    # the denied words are not the point's claim: a negation word alone never contradicts
    assert polarity.contradiction("其基本思想是在每次训练迭代时，随机地丢弃一部分神经元", "训练中随机让部分神经元不工作") is None
    assert polarity.contradiction("反向传播时只对没有被丢弃的神经元进行梯度更新", "被关掉的那些神经元不参与这一轮的参数更新") is None
    assert polarity.contradiction("它允许多个参与者在保持数据本地化的同时协同训练一个共享模型", "各方的数据都不出本地") is None
    assert polarity.contradiction("L2正则化：但不会像L1正则化那样使参数变为0", "L2 只会让所有权重变小") is None


def test_flips_cancel_out_and_conditions_or_hedges_claim_nothing():
    point = "基本原理：Dropout是一种在神经网络训练过程中使用的正则化技术，其基本思想是在每次训练迭代时，随机地丢弃一部分神经元"
    assert polarity.contradiction("其基本思想是在每次训练迭代时，随机地丢弃一部分神经元", "到了推理阶段就不再丢弃了", point) is None
    assert polarity.contradiction("测试阶段执行过程：而是将所有神经元都保留", "测试的时候一个神经元都不再丢弃") is None
    assert polarity.contradiction("从而在处理长序列时避免了梯度消失问题", "这样梯度在长序列上不容易消失") is None
    assert polarity.contradiction("梯度裁剪：这是一种简单有效的缓解梯度爆炸的方法", "遇到梯度爆炸就用梯度裁剪") is None
    assert polarity.contradiction("但如果它们不重要", "L1 会把一部分权重直接压成 0") is None          # a condition
    assert polarity.contradiction("计算FLOPs的工具有torchstat", "具体怎么算我记不太清了") is None
    assert polarity.contradiction("测试阶段执行过程：在测试阶段，通常不会进行dropout操作", "训练阶段") is None   # a name
    assert polarity.is_hedge("其他的暂时想不太起来了")


def test_a_swapped_term_in_another_claim_is_unrelated():
    ref = "编码器：将输入序列编码为一个固定长度的向量"
    assert polarity.judge(ref, "解码器拿这个向量当作初始状态") == ("unrelated", None)
    assert polarity.judge(ref, "编码器把整个输入序列压缩成固定长度的向量")[0] == "agrees"


def test_across_languages_a_denial_only_counts_for_the_parity():
    ref = "其基本思想是在每次训练迭代时，随机地丢弃一部分神经元"
    assert polarity.contradiction(ref, "nothing is dropped at test time") is None
    assert not polarity.same_language(ref, "nothing is dropped at test time")
    assert polarity.same_language(ref, "FLOPs 和 FLOPS 其实是一回事")


def test_siblings_and_claiming_labels():
    import re

    sib = {"模型剪枝": re.compile("模型剪枝|剪枝"), "量化": re.compile("量化")}
    ref = "模型剪枝：通过移除权重较小的神经元或连接"
    assert polarity.sibling_flip(ref, "量化就是移除权重较小的连接", sib) == "模型剪枝→量化"
    assert polarity.contradiction(ref, "量化就是移除权重较小的连接", "", sib) == "混淆：模型剪枝→量化"
    assert polarity.claims_something("减少标注成本") and not polarity.claims_something("模型剪枝")


def test_a_negator_ending_its_clause_denies_the_subject_with_its_predicate():
    # "维度不变" denies 维度变, not 维度: a clause that names the dimension in another claim is no denial of it
    assert polarity.negation_scope("输出的维度不变") == ["输出的维度变"]
    assert polarity.judge("池化后维度不变", "维度不会增加") == ("agrees", None)
    assert polarity.judge("训练时要求不高", "训练时要求很高")[0] == "contradicts"


def test_a_hedge_is_no_denial():
    # "未必收敛" claims less than the point, not its opposite
    assert not polarity.negated("未必收敛到全局最优")
    assert polarity.judge("凸问题上梯度法收敛到全局最优", "非凸的时候不一定收敛到全局最优") != ("contradicts", "否定")


def test_a_method_name_with_a_direction_word_says_no_direction():
    assert "方向" not in polarity.sides("用梯度下降训练")
    assert polarity.judge("二阶方法比一阶方法收敛更快", "所以牛顿法通常比梯度下降收敛得快") == ("agrees", None)
