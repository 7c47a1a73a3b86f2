"""Grading by meaning: the failures of issue 12, on literal answers written for these tests.

Each answer here was written for this file (not taken from the banks, the issue or any grading set):
correct answers in other words and in English, short correct partial answers, wrong answers that
reuse the topic's words, and answers with a pair of terms swapped.
"""

from __future__ import annotations

import pytest

DROPOUT = "dl_basics_qa-30"
L1L2 = "dl_basics_qa-28"
DISTILL = "llm_industry_apps_qa-6"
FEDERATED = "llm_industry_apps_qa-16"


def grade(grader, item_id, answer):
    return grader.grade(grader.item(item_id), answer)


def contradicted(result):
    return [p for p in result.points if p.status == "contradicted"]


def test_a_correct_complete_dropout_answer_is_not_contradicted(grader):
    r = grade(grader, DROPOUT, "训练阶段，dropout 会在每一轮迭代里按一定概率随机把一部分神经元的输出设成 0，被关掉的神经元"
                               "这一轮也不参与反向传播的参数更新，网络因此不会过分依赖个别神经元。推理的时候不再关掉任何神经元，"
                               "全部保留，同时把输出乘上相应的系数，保证输出的期望和训练时一致。")
    assert not contradicted(r) and not r.claims, [(p.evidence, p.reason) for p in contradicted(r)]
    # (was >= 60 before evidence sharing lowered every credited cosine; the failure was a score of 0)
    assert r.score >= 50
    assert "确定吗" not in r.follow_up


def test_no_dropout_at_inference_covers_the_test_phase_point(grader):
    r = grade(grader, DROPOUT, "测试和推理阶段不使用 dropout。")
    point = next(p for p in r.points if "通常不会进行dropout" in p.text)
    assert point.status == "covered", [(p.status, round(p.similarity, 2)) for p in r.points]
    assert not contradicted(r)


def test_l1_gives_sparse_solutions_for_feature_selection_is_not_contradicted(grader):
    for answer in ("L1 会产生稀疏的解，所以常被拿来做特征筛选。",
                   "L1 正则会产生稀疏解，可以用来做特征选择；L2 让权重变小但不会变成 0，更适合防止过拟合。"):
        r = grade(grader, L1L2, answer)
        assert not contradicted(r), (answer, [(p.evidence, p.reason) for p in contradicted(r)])
        assert "确定吗" not in r.follow_up


@pytest.mark.parametrize("item_id,answer", [
    (DROPOUT, "In training, each step randomly switches off part of the neurons by setting their outputs to zero, and "
              "those neurons get no weight update in backpropagation. At inference no neuron is switched off; all are "
              "used and their outputs are rescaled to keep the same expectation."),
    (DISTILL, "Knowledge distillation moves what a big teacher model has learned into a smaller student model: the "
              "student is trained on the teacher's softened output probabilities, used as soft labels."),
    (FEDERATED, "In federated learning every participant keeps its data on its own machine, trains the model locally and "
                "sends only the update; a server aggregates the updates into one global model, and differential "
                "privacy noise can be added while aggregating."),
])
def test_correct_english_answers_score_well(grader, item_id, answer):
    r = grade(grader, item_id, answer)
    assert r.score >= 50, (r.score, [(p.status, round(p.similarity, 2)) for p in r.points])   # the issue saw 26-34
    assert not contradicted(r)


def test_a_wrong_definition_reusing_the_words_scores_below_a_short_correct_one(grader):
    wrong = grade(grader, DISTILL, "模型蒸馏是把大模型的参数蒸馏压缩后保存到硬盘上，方便下次直接读取权重，本质上就是一种存储"
                                   "模型的方式。")
    short = grade(grader, DISTILL, "用一个大的教师模型去指导小的学生模型学习它的输出。")
    assert short.score > wrong.score, (short.score, wrong.score)
    assert wrong.score <= 50


def test_train_and_test_swapped_is_flagged_and_scores_low(grader):
    r = grade(grader, DROPOUT, "dropout 只在推理阶段随机关闭一部分神经元，训练阶段则让所有神经元都正常工作，不做任何丢弃。")
    wrong = contradicted(r)
    assert wrong and all(p.evidence and p.reason for p in wrong)
    assert any("阶段" in p.reason for p in wrong)
    assert r.score <= 15
    assert "与参考答案矛盾" in r.feedback and r.follow_up.startswith("你说「")


def test_l1_and_l2_swapped_is_flagged(grader):
    r = grade(grader, L1L2, "L2 才会产生稀疏解，适合用来做特征选择，而 L1 只会让权重均匀变小。")
    assert contradicted(r)
    assert r.score < grade(grader, L1L2, "L1 会让很多权重直接变成 0，得到稀疏的模型，方便挑出重要特征。").score


@pytest.mark.parametrize("item_id,partial,wrong", [
    (DROPOUT, "训练时随机让一部分神经元失活，防止过拟合。",
     "dropout 是在测试阶段随机丢掉一些神经元，训练时所有神经元都保留。"),
    (DISTILL, "用一个大的教师模型去指导小的学生模型学习它的输出。",
     "蒸馏就是让小模型去训练大模型，大模型学小模型的输出。"),
    (FEDERATED, "各方数据不出本地，一起训练一个共享模型。",
     "联邦学习要先把各参与方的原始数据上传到中心服务器集中训练，客户端本地不做训练。"),
])
def test_a_short_correct_partial_answer_beats_an_on_topic_wrong_one(grader, item_id, partial, wrong):
    p, w = grade(grader, item_id, partial), grade(grader, item_id, wrong)
    assert p.score > w.score, (p.score, w.score)
    assert p.score >= 10 and not contradicted(p)
