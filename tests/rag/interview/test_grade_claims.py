"""Round 3 of issue 12: a clause is evidence for a key point only if it states the point's claim.

One test per failure family, each on answers written for this file (not taken from the banks, the issue
or any grading set): a correct answer with a correct negation, a wrong answer with two roles swapped, a
wrong definition that only reuses the topic's words, and a correct answer in English.
"""

from __future__ import annotations

import pytest


FEDERATED = "llm_industry_apps_qa-16"
CNN = "ai_product_design_qa-11"
KNOWLEDGE_GRAPH = "llm_industry_apps_qa-9"
AUGMENT = "llm_principles_qa-16"
GAN = "ai_product_design_qa-7"


def grade(grader, item_id, answer):
    return grader.grade(grader.item(item_id), answer)


def statuses(result):
    return [(p.status, round(p.similarity, 2), p.evidence) for p in result.points]


def test_a_correct_negation_is_neither_contradicted_nor_discounted(grader):
    r = grade(grader, FEDERATED, "联邦学习里各个机构的原始数据始终不离开自己的服务器，大家只在本地训练，然后只把模型参数的更新"
                                 "发出去，由服务器汇总成一个全局模型。")
    assert not [p for p in r.points if p.status == "contradicted"] and not r.claims, statuses(r)
    local = next(p for p in r.points if "本地训练" in p.text)
    assert local.status == "covered", statuses(r)
    assert r.score >= 50, statuses(r)


KNOWN = ("known gap: round 3's 'mentioning is not stating' discount (polarity.disagrees, grade.misattributed) fixed "
         "this on the tuning sets but lost 3 of 125 pairs on the frozen grading_heldout3.jsonl, so it was taken out")


@pytest.mark.parametrize("item_id,swapped,partial", [
    # where the data goes: the centre instead of staying local (本地/集中)
    pytest.param(FEDERATED, "联邦学习就是各个参与方先把自己的原始数据统一上传到中心服务器，再由服务器集中训练一个模型。",
     "各方的数据都留在本地，只把训练出来的模型更新发给服务器聚合。", marks=pytest.mark.xfail(reason=KNOWN, strict=True)),
    # who does what in a GAN (生成器/判别器)
    (GAN, "GAN 里判别器负责从噪声生成假图片，生成器负责判断图片是真是假。", "GAN 由生成器和判别器组成，生成器负责造假样本。"),
])
def test_swapped_roles_score_below_a_short_correct_partial(grader, item_id, swapped, partial):
    w, p = grade(grader, item_id, swapped), grade(grader, item_id, partial)
    assert p.score > w.score, (p.score, w.score, statuses(w))
    assert w.score <= 15, statuses(w)


@pytest.mark.xfail(reason="known (round 3): the two swapped clauses in one sentence make a window that names both "
                          "layers, so neither clause's misattribution reaches it; the window's cosine credits the "
                          "pooling point", strict=False)
def test_conv_and_pool_swapped_in_one_sentence_score_below_a_short_partial(grader):
    swapped = grade(grader, CNN, "CNN 里面是池化层拿卷积核在图上滑动去抽取边缘和纹理，而卷积层负责降采样，把特征图缩小；"
                                 "最后再接全连接层做分类。")
    partial = grade(grader, CNN, "池化层主要做下采样，把特征图的尺寸缩小，降低计算量。")
    assert partial.score > swapped.score, (partial.score, swapped.score, statuses(swapped))


@pytest.mark.xfail(reason=KNOWN, strict=True)
def test_a_wrong_definition_in_the_topics_words_scores_below_a_short_partial(grader):
    wrong = grade(grader, KNOWLEDGE_GRAPH, "知识图谱其实就是把图片的像素按颜色分块画成一张图，用来做图像分割，里面没有实体，也不存"
                                           "关系，构建的时候也用不上领域专家。")
    partial = grade(grader, KNOWLEDGE_GRAPH, "知识图谱是用实体以及实体之间的关系来组织知识的一种结构。")
    assert partial.score > wrong.score, (partial.score, wrong.score, statuses(wrong))
    assert wrong.score <= 30, statuses(wrong)


def test_a_correct_english_answer_is_covered(grader):
    r = grade(grader, AUGMENT, "Data augmentation makes new training examples out of the ones you already have, by "
                               "rotating, scaling or cropping them, so the training data becomes more varied.")
    first = r.points[0]
    assert first.status == "covered", statuses(r)
    assert not r.claims
