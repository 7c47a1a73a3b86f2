"""Coarse interview topics for items, from keywords in the question (used for filters and per-topic stats)."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "大模型/LLM": ("大模型", "大语言模型", "llm", "gpt", "prompt", "提示", "预训练语言模型", "微调", "fine-tun", "rlhf", "lora"),
    "NLP": ("nlp", "自然语言", "文本", "分词", "词嵌入", "embedding", "意图", "槽位", "对话", "bert", "seq2seq",
            "序列到序列", "停用词", "词形", "语言模型", "机器翻译", "命名实体", "情感"),
    "计算机视觉": ("cnn", "卷积", "图像", "视觉", "感受野", "目标检测", "图像识别", "图像分类", "gan", "生成对抗"),
    "训练与优化": ("梯度", "反向传播", "前向传播", "学习率", "优化", "loss", "损失", "混合精度", "随机种子", "滑动平均",
                "批量归一化", "归一化", "normalization", "初始化", "训练"),
    "正则化与泛化": ("过拟合", "正则", "dropout", "数据增强", "泛化"),
    "模型评估": ("评估", "指标", "准确率", "召回", "auc", "性能"),
    "模型压缩与部署": ("压缩", "剪枝", "量化", "蒸馏", "部署", "推理", "flops", "fps", "加速", "边缘"),
    "机器学习基础": ("机器学习", "深度学习", "人工智能", "迁移学习", "强化学习", "主动学习", "联邦学习", "监督", "聚类",
                "决策树", "svm", "知识图谱", "对抗攻击", "推荐"),
}
OTHER = "其他"


def topic_of(question: str, answer: str = "") -> str:
    """The topic whose keywords occur most in the question (answer as a tie-break)."""
    q = question.lower()
    a = answer[:600].lower()
    best, best_score = OTHER, 0.0
    for topic, words in TOPICS.items():
        score = sum(2.0 for w in words if w in q) + sum(0.1 for w in words if w in a)
        if score > best_score:
            best, best_score = topic, score
    return best
