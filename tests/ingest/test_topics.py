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
