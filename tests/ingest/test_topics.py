"""Topics from question keywords, with the answer only breaking ties."""

from __future__ import annotations

import pytest

from ingest.topics import OTHER, TOPICS, topic_of


@pytest.mark.parametrize("question,topic", [
    ("什么是长短时记忆网络（LSTM）？", "网络结构"),
    ("什么是循环神经网络（RNN）？如何实现RNN？", "网络结构"),
    ("如何使用卷积神经网络（CNN）进行图像分类？", "计算机视觉"),
    ("如何使用深度学习进行图像分类？", "计算机视觉"),
    ("强化学习中的深度 Q 网络（DQN）", "强化学习"),
    ("什么是变分自编码器（VAE）？如何实现VAE？", "生成模型"),
    ("描述L1和L2正则化之间的区别，并且描述这二者的使用场景？", "正则化与泛化"),
    ("简要介绍一下FLOPs", "模型压缩与部署"),
    ("什么是意图识别？", "NLP"),
    ("红烧肉怎么做？", OTHER),
])
def test_topic_of_questions(question, topic):
    assert topic_of(question) == topic


def test_answer_breaks_ties_only():
    assert topic_of("什么是它？", "它是一种卷积神经网络") == "网络结构"
    assert topic_of("什么是意图识别？", "图像 图像 图像 图像") == "NLP"
    assert len(TOPICS) >= 8


@pytest.mark.parametrize("question,topic", [
    ("异常检测算法在金融欺诈检测中的应用", "机器学习基础"),      # 检测 inside 异常检测 is not computer vision
    ("如何在目标检测任务中使用深度学习模型？", "计算机视觉"),       # a specific vision term still wins
    ("工业缺陷检测怎么做？", "计算机视觉"),                      # the generic head alone still names its topic
    ("什么是自监督预训练？", "机器学习基础"),                    # 训练 is the head of 对抗性训练: half weight
])
def test_a_generic_head_word_does_not_outvote_a_specific_compound(question, topic):
    assert topic_of(question) == topic


def test_an_occurrence_inside_another_topics_keyword_belongs_to_it():
    from ingest.topics import generic_heads, keyword_hits

    assert ("计算机视觉", "检测") in generic_heads()
    assert "计算机视觉" not in keyword_hits("异常检测")
    assert keyword_hits("欺诈检测")["计算机视觉"] == {"检测": True}
