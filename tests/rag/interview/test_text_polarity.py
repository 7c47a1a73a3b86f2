"""Pure helpers of the grader on literal strings: clauses, bigrams, contradiction cues."""

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
    for text in ("类别不平衡时模型容易偏向多数类", "对长序列特别有用", "无监督学习", "非线性激活", "不同的权重",
                 "不可察觉的扰动"):
        assert not polarity.negated(text), text


def test_contradiction_cues():
    assert polarity.contradiction("感受野越大，网络能够捕获的全局信息越多", "感受野越大看到的是越局部的细节").startswith("反义")
    assert polarity.contradiction("由于FP16的数值表示范围远小于FP32", "FP16 的数值范围比 FP32 更大").startswith("方向")
    assert polarity.contradiction("LSTM通过三个门来控制信息的流动", "它只有两个门") == "数量：3→2"
    assert polarity.contradiction("大模型训练需要大量的数据，数据隐私是一个重要的挑战", "也不涉及数据隐私问题") == "否定"
    assert polarity.contradiction("需要额外的计算资源训练教师模型", "不需要额外训练教师模型") == "否定"


def test_no_contradiction_for_paraphrase_hedge_or_other_phase():
    assert polarity.contradiction("随机地丢弃一部分神经元", "让网络不要太依赖某几个神经元") is None
    assert polarity.contradiction("其基本思想是在每次训练迭代时随机丢弃神经元", "测试时不丢弃",
                                  "其基本思想是在每次训练迭代时随机丢弃神经元") is None
    assert polarity.contradiction("相比之下规则模板方法则不需要标注数据", "一是规则模板") is None
    assert polarity.contradiction("但如果它们不重要", "L1 会把一部分权重直接压成 0") is None          # a condition
    assert polarity.contradiction("构建一个额外的网络来检测对抗样本", "先判断它是不是对抗样本") is None   # a question form
    assert polarity.contradiction("计算FLOPs的工具有torchstat", "具体怎么算我记不太清了") is None
    assert polarity.is_hedge("其他的暂时想不太起来了")


def test_swaps_need_one_named_sibling():
    assert polarity.swapped({"l1正则化"}, {"l2正则化"}) == "混淆：l1正则化→l2正则化"
    assert polarity.swapped({"l1正则化"}, {"l1正则化"}) is None
    assert polarity.swapped({"l1正则化"}, {"l1正则化", "l2正则化"}) is None


def test_prevention_verbs_agree_with_negation():
    assert polarity.contradiction("从而在处理长序列时避免了梯度消失问题", "这样长序列里梯度不容易消失") is None
    assert polarity.contradiction("从而在处理长序列时避免了梯度消失问题", "所以比 RNN 更容易梯度消失").startswith("反义")


def test_teacher_student_order_and_claiming_labels():
    ref = "模型蒸馏是一种将大模型的知识迁移到小模型的方法"
    assert polarity.contradiction(ref, "蒸馏是把小模型的知识迁移到大模型上").startswith("顺序")
    assert polarity.contradiction(ref, "就是把大模型的知识迁移给小模型") is None
    assert polarity.contradiction(ref, "让一个小模型去拟合它的输出，小模型就能逼近大模型的效果") is None
    assert polarity.claims_something("减少标注成本") and not polarity.claims_something("模型剪枝")
