"""Cues that a candidate's clause contradicts the reference clause it is aligned with.

Pragmatic, lexical, and tested on literal strings; no model is involved:

* **negation**: one side negates (不/没/无/非/未…) and the other does not, and the negated
  words are about what the other side says (``测试时不进行 dropout`` vs ``测试时也随机丢弃``);
  attributive negation (``不可察觉的扰动``) describes rather than denies and is ignored;
* **antonyms**: a word of the reference is replaced by its opposite (``全局/局部``,
  ``训练时/测试时``, ``稀疏/稠密``…), or the direction flips (``增加/降低``, ``更快/变慢``);
* **counts**: ``三个门`` vs ``两个门``;
* **swaps**: the clause says what the reference says of one thing (``L1``) about a
  sibling thing (``L2``); the grader finds the sibling things and the alignment.

Hedges such as ``我记不太清了`` are no claims and never contradict.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

# words with 不/没/无/非/未 inside that negate nothing
_LEXICALIZED = re.compile(
    r"不同|不断|不仅|不只|不少|不错|不久|不过|不管|不论|不如|不平衡|不均衡|不确定|不变性|差不多|不得不|"
    r"是不是|有没有|能不能|会不会|要不要|可不可以|好不好|对不对|"
    r"无论|无监督|非监督|非常|非线性|非结构化|非零|未知|未来|未标注|未标记|未见|无关紧要|毫不|并不是说")
_NEGATOR_WORD = re.compile(r"^(?:.*不.*|[没无非未].*|别|勿|毫无)$")
_HEDGE = re.compile(
    r"记不(太)?清|想不(太)?起|我(也)?不(太)?(会|懂|熟|清楚|记得|确定|了解)|不太(熟|清楚|记得|确定|了解)|"
    r"不知道|忘了|说不好|可能不对|没(太)?(研究|用过|接触)")

ANTONYMS: tuple[tuple[str, str], ...] = (
    ("越大", "越小"), ("越大", "较小"), ("较大", "较小"), ("较大", "越小"), ("越多", "越少"), ("越高", "越低"),
    ("高维", "低维"), ("多数类", "少数类"), ("过采样", "欠采样"), ("全局", "局部"), ("稀疏", "稠密"), ("稀疏", "密集"),
    ("菱形", "圆形"), ("绝对值", "平方"), ("调和平均", "算术平均"),
    ("训练时", "测试时"), ("训练阶段", "测试阶段"), ("训练时", "推理时"), ("训练阶段", "推理阶段"),
    ("监督学习", "无监督学习"), ("有监督", "无监督"), ("判别模型", "生成模型"), ("判别式", "生成式"),
    ("离散", "连续"), ("并行", "串行"), ("并行", "顺序"), ("确定性", "随机"), ("固定", "动态"), ("固定", "可学习"),
    ("软标签", "硬标签"), ("鲁棒", "脆弱"), ("正样本", "负样本"), ("正类", "负类"), ("之前", "之后"),
    ("过去", "后面"), ("低精度", "高精度"), ("有区别", "一回事"), ("有区别", "一样"),
    ("区别", "一回事"), ("不同", "相同"), ("本地", "上传"), ("本地", "集中"), ("分布式", "集中"),
    ("引入", "去掉"), ("添加", "去掉"), ("加入", "去掉"), ("引入", "去除"), ("加入", "移除"),
    ("on-policy", "off-policy"), ("在线", "离线"), ("有限", "无限"),
    ("可解释", "不透明"), ("无标签", "有标签"), ("不确定", "最确定"), ("最小化", "最大化"), ("增加", "去掉"),
    ("避免", "更容易"), ("缓解", "更容易"), ("难以", "容易"), ("困难", "容易"),
)
# direction words: a clause that only goes one way, against one that only goes the other
_UP = ("较高", "较多", "增加", "增大", "提高", "提升", "上升", "升高", "放大", "加快", "加速", "更快", "变快", "越大", "更大", "变大",
       "较大", "大于", "越高", "更高", "变高", "越多", "更多", "翻倍", "加深", "加宽", "扩大", "变长", "更长")
_DOWN = ("较低", "较少", "减少", "减小", "降低", "下降", "缩小", "减慢", "减速", "变慢", "更慢", "越小", "更小", "变小", "较小",
         "小于", "越低", "更低", "变低", "越少", "更少", "减半", "压缩", "缓解", "变短", "更短", "删除", "移除")
MIN_CLAIM_CHARS = 8
_HYPOTHETICAL = re.compile(r"如果|假如|假设|若是|一旦|要是")
_COUNT = re.compile(r"([一二两三四五六七八九十]|\d{1,2})\s*个\s*([\u4e00-\u9fff])")
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def is_hedge(clause: str) -> bool:
    """A clause that only hedges (``我记不太清了``): it claims nothing, so it cannot contradict."""
    return bool(_HEDGE.search(clause))


def _words(text: str) -> list[str]:
    return [w for w in _jieba().lcut(text) if w.strip() and re.search(r"[\w\u4e00-\u9fff]", w)]


_AUX = {"要", "会", "能", "太", "需", "需要", "用", "是", "必", "必要", "可", "可以", "应该", "应", "再", "都", "也",
        "就", "很", "够", "了", "得", "在", "有", "大", "怎么", "一定", "那么", "直接", "的", "地", "任何", "什么"}
_PREVENT = ("避免", "防止", "缓解", "解决", "克服", "抑制", "消除", "减轻", "降低", "减少")   # deny their object too
_UNRELATED = {"没关系", "无关", "没有关系", "不相关", "无关紧要"}
_CONTEXTS = (("训练", "测试"), ("训练", "推理"), ("编码器", "解码器"), ("生成器", "判别器"), ("前向", "反向"))


def negation_scope(clause: str) -> set[str] | None:
    """What a clause denies: the two content words after each negator (auxiliaries skipped), or, when
    the negator ends its clause (``要求不高``, ``都没关系``), the two words before it. ``None``: no denial.

    Attributive negation (``不可察觉的扰动``: a 不-word right before 的) only describes and is skipped.
    """
    text = _LEXICALIZED.sub(" ", clause)
    if not re.search(r"[不没无非未别勿毫]", text):
        return None
    scope: set[str] = set()
    found = False
    for piece in re.split(r"[，,；;。！？!?：:]", text):       # a negation reaches the end of its clause only
        words = _words(piece)
        for k, w in enumerate(words):
            if not _NEGATOR_WORD.match(w):
                continue
            if w != "没有" and w[0] in "不没未" and "的" in words[k + 1:k + 3]:
                continue        # attributive: "不可察觉的扰动", "没标注的数据" describe, deny nothing
            found = True
            after = [x for x in words[k + 1:] if x not in _AUX][:2]
            rest = w.lstrip("不没无非未")
            if w in _UNRELATED:
                after = []          # "跟步长、池化都没关系": what is denied comes before
            elif rest and rest not in _AUX:
                after.insert(0, rest)
            if len(after) <= 1:     # "对计算资源要求不高": a predicate adjective denies what comes before
                after += [x for x in words[max(0, k - 2):k] if x not in _AUX]
            scope.update(after)
    return scope if found else None


def _other_context(reference: str, candidate: str) -> bool:
    """The two clauses speak of different phases or parts (训练 vs 测试, 编码器 vs 解码器)."""
    for a, b in _CONTEXTS:
        if (a in reference and b in candidate and b not in reference) or \
                (b in reference and a in candidate and a not in reference):
            return True
    return False


def negated(clause: str) -> bool:
    """Whether the clause denies something (lexicalised words like 不同/无监督/类别 and ``不…的`` excluded)."""
    return negation_scope(clause) is not None


def _overlaps(scope: set[str], other: str) -> bool:
    words = set(_words(other))
    return any(w in words or (len(w) >= 2 and w in other) for w in scope if w)


def antonym_flip(reference: str, candidate: str) -> tuple[str, str] | None:
    """The (reference word, candidate word) of an opposite pair, when the candidate took the other side."""
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x in reference and y in candidate and y not in reference and x not in candidate:
                return x, y
    return None


def flips(reference: str, candidate: str) -> list[tuple[str, str]]:
    """Every opposite pair on which the candidate took the other side (one per pair)."""
    out = []
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x in reference and y in candidate and y not in reference and x not in candidate:
                out.append((x, y))
                break
    return out


def direction_flip(reference: str, candidate: str) -> tuple[str, str] | None:
    """``("降低", "翻倍")`` when the reference only goes down and the candidate only up (or the reverse)."""
    def way(text: str) -> tuple[str | None, str | None]:
        up = next((w for w in _UP if w in text), None)
        down = next((w for w in _DOWN if w in text), None)
        return up, down

    ru, rd = way(reference)
    cu, cd = way(candidate)
    if ru and not rd and cd and not cu:
        return ru, cd
    if rd and not ru and cu and not cd:
        return rd, cu
    return None


_BIG = re.compile(r"大模型|大的|大型|较大的?模型|复杂模型|教师")
_SMALL = re.compile(r"小模型|小的|小型|较小的?模型|简单模型|学生")
_TRANSFER = re.compile(r"(知识|输出).*(迁移|传递|交给|传给|转移)")


def order_flip(reference: str, candidate: str) -> bool:
    """Roles swapped: the reference has the big model (teacher) before the small one, the candidate the reverse."""
    def order(text: str) -> int | None:
        b, s = _BIG.search(text), _SMALL.search(text)
        return None if not (b and s) else (1 if b.start() < s.start() else -1)

    if not (_TRANSFER.search(reference) and _TRANSFER.search(candidate)):
        return False
    r, c = order(reference), order(candidate)
    return r is not None and c is not None and r != c


def claims_something(text: str) -> bool:
    """Whether a short text (a bullet's label) states a direction or a denial, not just a name."""
    return any(w in text for w in _UP + _DOWN) or negated(text)


def _counts(text: str) -> dict[str, int]:
    out = {}
    for num, unit in _COUNT.findall(text):
        out[unit] = int(num) if num.isdigit() else _CN_NUM.get(num, 0)
    return out


def count_mismatch(reference: str, candidate: str) -> tuple[int, int] | None:
    """``(3, 2)`` for ``三个门`` vs ``两个门``: the same thing counted differently."""
    ref, cand = _counts(reference), _counts(candidate)
    for unit, n in cand.items():
        if unit in ref and ref[unit] != n:
            return ref[unit], n
    return None


def swapped(ref_things: set[str] | frozenset[str], cand_things: set[str] | frozenset[str]) -> str | None:
    """``混淆：l1→l2`` when the candidate says of one sibling thing what the reference says of another."""
    if len(cand_things) == 1 and ref_things and not (set(ref_things) & set(cand_things)):
        return f"混淆：{'/'.join(sorted(ref_things))}→{next(iter(cand_things))}"
    return None


def contradiction(reference: str, candidate: str, context: str = "") -> str | None:
    """Why ``candidate`` contradicts the aligned ``reference`` clause, or ``None``.

    Args:
        reference: a clause of the reference answer.
        candidate: the candidate's clause aligned with it (about the same thing).
        context: the whole reference statement the clause comes from (its phase: 训练/测试…).

    Returns:
        A short reason in Chinese (``否定``, ``反义：全局→局部``, ``方向：降低→翻倍``, ``数量：3→2``), or ``None``.
    """
    if is_hedge(candidate):
        return None
    flip = antonym_flip(reference, candidate)
    if flip is None and context and len(flips(context, candidate)) % 2 == 1:
        flip = flips(context, candidate)[0]     # two flips ("小…局部" for "大…全局") cancel out
    if flip:
        return f"反义：{flip[0]}→{flip[1]}"
    if order_flip(reference, candidate):
        return "顺序：大/小（教师/学生）颠倒"
    turn = direction_flip(reference, candidate)
    if turn:
        return f"方向：{turn[0]}→{turn[1]}"
    count = count_mismatch(reference, candidate)
    if count:
        return f"数量：{count[0]}→{count[1]}"
    if _HYPOTHETICAL.search(reference) or _HYPOTHETICAL.search(candidate):
        return None         # "但如果它们不重要": a condition, not a claim
    ref_scope, cand_scope = negation_scope(reference), negation_scope(candidate)
    if (ref_scope is None) == (cand_scope is None) or _other_context(context or reference, candidate):
        return None
    if any(w in (candidate if cand_scope is None else reference) for w in _PREVENT):
        return None         # "避免了梯度消失" and "梯度不容易消失" agree
    if cand_scope is not None:
        # the candidate denies something: it must be something the reference asserts
        return "否定" if _overlaps(cand_scope, reference) else None
    # the reference denies something: a bare mention ("一是规则模板") is no claim against it
    if len(re.sub(r"[\W_]", "", candidate)) >= MIN_CLAIM_CHARS and _overlaps(ref_scope, candidate):
        return "否定"
    return None
