"""Coarse interview topics for items, from keywords in the question (used for filters and per-topic stats).

The question decides (each keyword found in it counts 2); the start of the answer only
breaks ties (0.1 each); on a tie the topic listed first wins, so "用 CNN 做图像分类" is
计算机视觉 (an application) while "什么是 CNN" is 网络结构 (a model).

Two rules keep a generic word from outvoting a specific one (Chinese compounds put the head
noun last: 异常检测 is a kind of 检测):

* an occurrence inside a longer keyword of another topic belongs to that keyword
  ("检测" inside "异常检测" is not 计算机视觉's "检测");
* a keyword that ends another topic's keyword is that compound's generic head and counts
  half where it stands alone ("欺诈检测" says 检测, not which kind).
"""

from __future__ import annotations

import re
from functools import lru_cache

TOPICS: dict[str, tuple[str, ...]] = {
    "大模型/LLM": ("大模型", "大语言模型", "llm", "gpt", "prompt", "提示", "预训练语言模型", "微调", "fine-tun", "rlhf", "lora",
                 "少样本", "零样本", "小样本", "语言模型"),
    "计算机视觉": ("图像", "图像分类", "图像识别", "视觉", "目标检测", "感受野", "卷积操作", "空间不变性", "图片", "视频", "检测"),
    "NLP": ("nlp", "自然语言", "文本", "分词", "词嵌入", "embedding", "意图", "槽位", "对话", "bert", "停用词", "词形",
            "机器翻译", "命名实体", "情感", "序列标注", "语音"),
    "强化学习": ("强化学习", "增强学习", "dqn", "ddpg", "q 网络", "策略梯度", "经验回放", "游戏ai", "游戏 ai"),
    "生成模型": ("gan", "生成对抗", "生成式模型", "vae", "变分自编码器", "图像生成"),
    "网络结构": ("cnn", "卷积神经网络", "rnn", "循环神经网络", "lstm", "长短时记忆", "gru", "transformer", "注意力",
              "attention", "自编码器", "autoencoder", "图卷积", "gcn", "图神经网络", "seq2seq", "序列到序列", "权重共享",
              "concat", "神经架构", "计算图"),
    "训练与优化": ("梯度", "反向传播", "前向传播", "学习率", "优化", "loss", "损失", "混合精度", "随机种子", "滑动平均",
               "批量归一化", "归一化", "normalization", "初始化", "训练", "元学习", "多任务"),
    "正则化与泛化": ("过拟合", "正则", "dropout", "数据增强", "泛化", "对抗样本", "对抗攻击", "对抗性训练"),
    "模型评估": ("评估", "指标", "准确率", "召回", "auc", "性能"),
    "模型压缩与部署": ("压缩", "剪枝", "量化", "蒸馏", "部署", "推理", "flops", "fps", "加速", "边缘"),
    "机器学习基础": ("机器学习", "人工智能", "迁移学习", "主动学习", "联邦学习", "监督", "聚类", "决策树", "svm",
                "知识图谱", "推荐", "异常检测", "kaggle", "嵌入"),
}
OTHER = "其他"
QUESTION_WEIGHT = 2.0
ANSWER_WEIGHT = 0.1
HEAD_FACTOR = 0.5          # a generic head noun standing alone


@lru_cache(maxsize=1)
def generic_heads() -> frozenset[tuple[str, str]]:
    """``(topic, keyword)`` pairs where the keyword ends a longer keyword of another topic (检测 ← 异常检测)."""
    heads = set()
    for topic, words in TOPICS.items():
        for w in words:
            if any(o != topic and len(x) > len(w) and x.endswith(w) for o, xs in TOPICS.items() for x in xs):
                heads.add((topic, w))
    return frozenset(heads)


def keyword_hits(text: str) -> dict[str, dict[str, bool]]:
    """Per topic, the keywords found in ``text`` (lower-cased), each with whether it stands alone.

    An occurrence inside a longer keyword of another topic is left to that keyword.

    Example:
        >>> hits = keyword_hits("异常检测算法")
        >>> "检测" in hits.get("计算机视觉", {}), hits["机器学习基础"]
        (False, {'异常检测': True})
    """
    spans = [(m.start(), m.end(), topic, w) for topic, words in TOPICS.items() for w in words
             for m in re.finditer(re.escape(w), text)]
    found: dict[str, dict[str, bool]] = {}
    for start, end, topic, w in spans:
        inside_other = any(o != topic and s <= start and end <= e and e - s > end - start for s, e, o, _ in spans)
        if not inside_other:
            found.setdefault(topic, {})[w] = True
    return found


def _score(text: str, weight: float) -> dict[str, float]:
    heads = generic_heads()
    return {topic: sum(weight * (HEAD_FACTOR if (topic, w) in heads else 1.0) for w in words)
            for topic, words in keyword_hits(text).items()}


def topic_of(question: str, answer: str = "") -> str:
    """The topic whose keywords occur most in the question (the answer's start as a tie-break)."""
    q, a = _score(question.lower(), QUESTION_WEIGHT), _score(answer[:600].lower(), ANSWER_WEIGHT)
    best, best_score = OTHER, 0.0
    for topic in TOPICS:
        score = q.get(topic, 0.0) + a.get(topic, 0.0)
        if score > best_score:
            best, best_score = topic, score
    return best
