"""Strong evidence that a candidate's clause says the opposite of the key point it is aligned with.

A clause contradicts a point only when it makes *the same claim with one side swapped*:

* **a term pair**: the point says one side of a pair and the clause the other, and neither says
  both (``训练``/``测试``, ``增大``/``减小``, ``L1``/``L2``, ``过采样``/``欠采样``, ``编码器``/``解码器``,
  or two sibling things of the item such as ``剪枝``/``量化``); teacher and big model before
  student and small model in one side, the reverse in the other;
* **polarity**: one side denies (``不/没/无/未/非``, ``not/no/never/without``) or prevents
  (``避免/缓解/防止…``) what the other asserts, and *the denied words are the other side's words*
  (``不涉及教师模型`` against ``使用一个教师模型``): a negation word alone is never a contradiction
  (``让一部分神经元不工作`` does not deny ``随机丢弃一部分神经元``);
* **a count**: ``三个门`` against ``两个门``.

Flips are counted and an even number cancel out: ``测试时不丢弃`` (phase and polarity swapped)
agrees with ``训练时随机丢弃``. Hedges (``我记不太清了``) and conditions (``如果…``) claim nothing.
Pragmatic and lexical, tested on literal strings; *which* clause is compared with *which* point is
decided by the embeddings (:mod:`rag.interview.claims`).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from ingest.text import grams, stopwords
from ingest.text.script import CJK, mostly_latin

# ---------------------------------------------------------------- term pairs
# (name, one side, other side); latin forms match whole words, Chinese forms as substrings; matches are
# leftmost-longest, so a form inside a longer one does not count (监督学习 inside 无监督学习).
_UP = ("添加", "加入", "引入", "加上", "增大", "增加", "提高", "提升", "上升", "升高", "变大", "更大", "越大", "较大",
       "很大", "太大", "过大", "非常大", "加快", "加速", "更快", "变快", "变多", "更多", "越多", "较多", "翻倍", "扩大",
       "放大", "变长", "更长", "更高", "越高", "较高", "变高", "大于",
       "increase", "increases", "larger", "faster", "add", "adds", "added")
_DOWN = ("去掉", "去除", "移除", "删除", "删掉", "减小", "减少", "降低", "下降", "缩小", "变小", "更小", "越小", "较小",
         "很小", "太小", "过小", "非常小", "减慢", "变慢", "更慢", "变少", "更少", "越少", "较少", "减半", "压缩", "变短",
         "更短", "更低", "越低", "较低", "变低", "小于",
         "decrease", "decreases", "reduce", "reduces", "smaller", "slower", "shrink", "shrinks", "remove", "removes",
         "removed")
PAIRS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("阶段", ("训练", "training", "train"), ("测试", "推理", "预测阶段", "预测时", "test", "testing", "inference")),
    ("方向", _UP, _DOWN),
    ("保留/丢弃", ("保留",), ("丢弃",)),
    ("L1/L2", ("l1", "lasso"), ("l2", "ridge", "岭回归", "岭正则")),
    ("过采样/欠采样", ("过采样", "oversample", "oversampling", "over-sampling"),
     ("欠采样", "undersample", "undersampling", "under-sampling")),
    ("多数类/少数类", ("多数类", "majority"), ("少数类", "minority")),
    ("全局/局部", ("全局", "global"), ("局部", "local")),
    ("稀疏/稠密", ("稀疏", "sparse"), ("稠密", "密集", "dense")),
    ("菱形/圆形", ("菱形", "diamond"), ("圆形", "圆", "circle")),
    ("绝对值/平方", ("绝对值", "absolute"), ("平方", "squared", "square")),
    ("调和/算术平均", ("调和平均", "harmonic"), ("算术平均", "arithmetic")),
    ("编码器/解码器", ("编码器", "encoder"), ("解码器", "decoder")),
    ("生成器/判别器", ("生成器", "generator"), ("判别器", "discriminator")),
    ("生成/判别模型", ("生成模型", "生成式", "generative"), ("判别模型", "判别式", "discriminative")),
    ("有/无监督", ("有监督", "监督学习", "supervised"), ("无监督", "非监督", "unsupervised")),
    ("有/无标签", ("有标签", "已标注", "标注好", "labeled", "labelled"),
     ("无标签", "无标注", "未标注", "没标注", "没有标注", "unlabeled", "unlabelled")),
    ("离散/连续", ("离散", "discrete"), ("连续", "continuous")),
    ("并行/串行", ("并行", "parallel"), ("串行", "顺序", "sequential")),
    ("前向/反向", ("前向", "forward"), ("反向", "backward")),
    ("消失/爆炸", ("梯度消失", "vanishing"), ("梯度爆炸", "exploding")),
    ("软/硬标签", ("软标签", "soft label", "soft labels"), ("硬标签", "hard label", "hard labels")),
    ("最大化/最小化", ("最大化", "maximize", "maximise"), ("最小化", "minimize", "minimise")),
    ("正/负样本", ("正样本", "positive"), ("负样本", "negative")),
    ("本地/集中", ("本地", "locally", "local data"), ("上传", "集中", "中心服务器", "centralized", "centralised", "upload")),
    ("在线/离线", ("在线", "online"), ("离线", "offline")),
    ("高/低维", ("高维", "high-dimensional"), ("低维", "low-dimensional")),
    ("之前/之后", ("之前", "before"), ("之后", "after")),
    ("相同/不同", ("相同", "一样", "一回事", "same"), ("不同", "区别", "different")),
    ("线性/非线性", ("线性", "linear"), ("非线性", "nonlinear", "non-linear")),
)
# the big (teacher) model and the small (student) model: who teaches whom
_BIG = r"(?:教师|大模型|大的模型|大型模型|复杂模型|较大的?模型|teacher|large model|big model)"
_SMALL = r"(?:学生|小模型|小的模型|较小的?模型|小型模型|简单模型|student|small model)"
_TEACH = r"(?:训练|迁移|传给|传递|转移|交给|教(?!师)|指导|带|蒸馏|train|trains|transfer|teach|teaches|guide|guides)"
_LEARN = r"(?:学习|去学|学(?!生)|模仿|拟合|逼近|learn|learns|mimic|mimics|imitate|match|matches)"
_LABEL = re.compile(r"^[^，,。：:]{1,24}[：:]\s*")
_DOWNHILL = re.compile(rf"{_BIG}.{{0,14}}?{_TEACH}.{{0,14}}?{_SMALL}|{_SMALL}.{{0,14}}?{_LEARN}.{{0,14}}?{_BIG}", re.I)
_UPHILL = re.compile(rf"{_SMALL}.{{0,14}}?{_TEACH}.{{0,14}}?{_BIG}|{_BIG}.{{0,14}}?{_LEARN}.{{0,14}}?{_SMALL}", re.I)


# ---------------------------------------------------------------- negation
_LEXICALIZED = re.compile(
    r"不同|不断|不仅|不只|不少|不错|不久|不过|不管|不论|不如|不平衡|不均衡|不确定|不变性|差不多|不得不|"
    r"是不是|有没有|能不能|会不会|要不要|可不可以|好不好|对不对|"
    r"无论|非常|非线性|非结构化|非零|未知|未来|未见|无关紧要|毫不|并不是说|不可察觉|不易察觉|"
    r"不像|不同于|几乎不|几乎没有?|(?:无|未|非)(?:监督|标注|标签|标记)|"
    # hedges deny nothing: "不一定独立" does not say "不独立"
    r"不一定|并不一定|未必|不见得|不总是|不完全|不全是|不全|不尽")
_EN_NEG = re.compile(r"\b(?:not|no|never|without|nothing|none|cannot|neither|nor)\b|n't\b", re.I)
# verbs that deny their object: "避免了梯度消失" is "梯度不会消失"
_PREVENT = ("避免", "防止", "预防", "防", "缓解", "解决", "克服", "抑制", "减轻", "消除", "限制", "prevent", "prevents",
            "avoid", "avoids", "mitigate", "mitigates", "alleviate", "alleviates")
_CAUSE = re.compile(r"更容易|容易出现|导致|加重|加剧|引起|造成|恶化|cause|causes|worsen|worsens", re.I)
_HEDGE = re.compile(
    r"记不(太)?清|想不(太)?起|我(也)?不(太)?(会|懂|熟|清楚|记得|确定|了解)|不太(熟|清楚|记得|确定|了解)|"
    r"不知道|忘了|说不好|可能不对|没(太)?(研究|用过|接触)|not sure|don't remember|i forget", re.I)
_HYPOTHETICAL = re.compile(r"如果|假如|假设|若是|一旦|要是|\bif\b", re.I)
_AUX = {"要", "会", "能", "太", "需", "需要", "用", "是", "必", "必要", "可", "可以", "应该", "应", "再", "都", "也",
        "就", "很", "够", "了", "得", "在", "有", "大", "怎么", "一定", "那么", "直接", "的", "地", "任何", "什么", "进行",
        "做", "被", "对", "把", "会像", "像", "那样"}
_EN_STOP = stopwords.load("polarity_en")
_CONTENT = re.compile(rf"[\w{CJK}]")
_COUNT = re.compile(rf"([一二两三四五六七八九十]|\d{{1,2}})\s*个\s*([{CJK}])")
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def is_hedge(clause: str) -> bool:
    """A clause that only hedges (``我记不太清了``): it claims nothing, so it cannot contradict."""
    return bool(_HEDGE.search(clause))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _jieba().lcut(text) if w.strip() and _CONTENT.search(w))


# ---------------------------------------------------------------- sides of a pair
# forms that contain a side's word but name neither side
_NEUTRAL = ("预训练", "训练集", "测试集", "pretrain", "pretrained", "pre-trained",
            # method names that hold a direction word but say no direction: "牛顿法比梯度下降收敛快"
            "梯度下降", "梯度上升", "坐标下降", "gradient descent", "gradient ascent")


@lru_cache(maxsize=1)
def _pair_pattern() -> tuple[re.Pattern, list[tuple[str | None, int | None]]]:
    """One pattern for every form of every pair (longest first) and, per alternative, its (pair, side)."""
    forms: dict[str, tuple[str | None, int | None]] = {f: (None, None) for f in _NEUTRAL}
    for name, a, b in PAIRS:
        for side, fs in ((0, a), (1, b)):
            for f in fs:
                forms.setdefault(f, (name, side))
    alts, owner = [], []
    for f in sorted(forms, key=len, reverse=True):
        pat = re.escape(f)
        if re.fullmatch(r"[a-z0-9 \-]+", f):
            pat = r"(?<![a-z0-9])" + pat + r"(?![a-z0-9])"
        alts.append(f"({pat})")
        owner.append(forms[f])
    return re.compile("|".join(alts), re.I), owner


@lru_cache(maxsize=8192)
def _sides(text: str) -> tuple[tuple[str, frozenset[int]], ...]:
    big, owner = _pair_pattern()
    got: dict[str, set[int]] = {}
    for m in big.finditer(text):                # leftmost-longest
        name, side = owner[m.lastindex - 1]
        if name is not None:
            got.setdefault(name, set()).add(side)
    return tuple((n, frozenset(v)) for n, v in got.items())


def sides(text: str) -> dict[str, frozenset[int]]:
    """For each term pair, the sides (0, 1) that ``text`` names: ``{"阶段": {0}}`` for ``训练时随机丢弃``.

    Matches are leftmost-longest, so ``无监督学习`` names 无监督 only and ``预训练`` names no phase.
    """
    return dict(_sides(text))


_CONTEXT_PAIRS = ("阶段",)     # a point's phase holds for all its clauses ("测试阶段执行过程：…将所有神经元都保留")


def _pair_flips(reference: str, candidate: str, context: str = "") -> list[str]:
    """Pairs on which the candidate took the other side; for the phase, the context (the whole point)
    decides when the aligned reference clause itself does not say it."""
    r, c, ctx = sides(reference), sides(candidate), sides(context) if context else {}
    out = []
    for name, _, _ in PAIRS:
        rs = r.get(name) or (ctx.get(name) if name in _CONTEXT_PAIRS else None)
        cs = c.get(name)
        if rs and cs and len(rs) == 1 and len(cs) == 1 and rs != cs:
            out.append(name)
    return out


def _content(text: str, flipped: set[str]) -> set[str]:
    """Content words of a clause: two characters or more, not generic, not auxiliary, and not a word of a
    flipped pair (the swapped terms themselves say nothing about whether the rest is the same claim)."""
    out = set()
    for w in _words(text):
        lw = w.lower()
        if len(w) < 2 or lw in _GENERIC or w in _AUX or w in _FILLER or set(sides(w)) & flipped:
            continue
        out.add(lw)
    return out


def same_claim(reference: str, candidate: str, flipped: set[str] = frozenset()) -> bool:
    """The candidate says the rest of the reference's claim: two of its content words (or all, when it has
    fewer) are the reference's. ``解码器以这个向量为初始状态`` is not ``编码器将输入序列编码为一个固定长度的向量``
    with a pair swapped: it shares one word of three."""
    cw, rw = _content(candidate, flipped), _content(reference, flipped)
    shared = sum(1 for w in cw if w in rw or any(w in r or r in w for r in rw if min(len(w), len(r)) >= 2))
    return shared >= min(2, len(cw))


_FILLER = stopwords.load("polarity_filler")


_BARE_SIZE = re.compile(r"[大小高低多少]|\b(?:large|small|big|high|low|more|less|fewer)\b", re.I)
# words with 大/小/高/低/多/少 that say no direction
_SIZE_NEUTRAL = ("多数", "少数", "大小", "大量", "多样", "多个", "多种", "多层", "多头", "多任务", "多模态", "多轮", "最大",
                 "最小", "大型", "小型", "大模型", "小模型", "大的模型", "小的模型", "高维", "低维", "高效", "大多", "至少",
                 "多少", "大规模", "大部分", "很多", "许多", "高精度", "低精度", "大数据", "小批量", "微小", "强大", "巨大",
                 "庞大", "高质量", "低质量", "多分类", "大写", "小写", "低秩", "高斯")


@lru_cache(maxsize=1)
def _direction_forms() -> re.Pattern:
    forms = sorted(set(_UP + _DOWN + _SIZE_NEUTRAL + tuple(f for _, a, b in PAIRS for f in a + b)), key=len, reverse=True)
    return re.compile("|".join(re.escape(f) for f in forms), re.I)


def _unknown_direction(reference: str, candidate: str) -> bool:
    """The two sides name different directions and one of them also says a bare ``大``/``小``/``多``…: which way
    it goes is unknown, so whether the flips cancel out (``感受野大…全局`` against ``感受野较小…局部``) is too."""
    r, c = sides(reference).get("方向", frozenset()), sides(candidate).get("方向", frozenset())
    if r == c:
        return False
    return any(_BARE_SIZE.search(_direction_forms().sub(" ", t)) for t in (reference, candidate))


def order_flip(reference: str, candidate: str) -> bool:
    """Roles swapped: in one side the big (teacher) model teaches the small (student) one, in the other the reverse."""
    def way(text: str) -> int | None:
        text = _LABEL.sub("", text)         # "教师-学生模型蒸馏：" names the roles, in no order
        down, up = bool(_DOWNHILL.search(text)), bool(_UPHILL.search(text))
        return None if down == up else (1 if down else -1)

    r, c = way(reference), way(candidate)
    return r is not None and c is not None and r != c


# ---------------------------------------------------------------- polarity
_NEGATOR = re.compile(r"没有|毫无|[不没无非未勿]")
_LEADING_AUX = re.compile(r"^(?:需要|可以|应该|一定|那么|直接|进行|任何|[要会能太需用是必可应再都也就很够了得在有做被对把])+")
# verbs whose denial denies their object: "不涉及教师模型" is "没有教师模型"
_EXISTENCE = re.compile(r"^(?:涉及|包含|包括|存在|具有|拥有|考虑|用到|使用到|出现)")
# "和步长、池化都没关系": what is denied comes before
_UNRELATED = re.compile(r"^(?:关系|关|相关|影响|关联)$")
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")
HEAD = 6                 # characters of a denied phrase compared: its head (just after the negator) and its tail


def _denied_phrases(clause: str) -> list[str] | None:
    """The phrases a clause denies: from each negator to the end of its clause, auxiliaries dropped (``不需要软标签``
    -> ``软标签``); a negator ending its clause (``要求不高``) denies what comes before it. ``None``: no denial.

    Lexicalised words (``不同``, ``无监督``, ``不像``) deny nothing, nor does an attributive negation (``看不出来的扰动``
    describes the perturbation).
    """
    text = clause
    lexical = [(m.start(), m.end()) for m in _LEXICALIZED.finditer(text)]
    out: list[str] = []
    for m in _NEGATOR.finditer(text):
        if any(a <= m.start() < b for a, b in lexical):
            continue
        end = _CLAUSE_END.search(text, m.end())
        rest = text[m.end():end.start() if end else len(text)]
        if (m.group(0) != "没有" and "的" in rest[:3]) or (m.group(0) == "没有" and rest.startswith("被")):
            continue            # attributive: "看不出来的小扰动", "没有被丢弃的神经元" describe, deny nothing
        rest = _EXISTENCE.sub("", _LEADING_AUX.sub("", rest.strip()))
        if len(re.sub(r"\W", "", rest)) <= 1 or _UNRELATED.match(rest):
            start = max(0, _last_break(text, m.start()))
            # "要求不高" denies 要求高, "通道数不变" 通道数变: the subject with the predicate, not the subject alone
            rest = text[start:m.start()] + ("" if _UNRELATED.match(rest) else rest)
        out.append(re.sub(r"[了的着过吗呢啊]+$", "", rest.strip("　 ")))
    for m in _EN_NEG.finditer(clause):
        tail = [w for w in re.findall(r"[a-z][a-z0-9\-]*", clause[m.end():].lower()) if w not in _EN_STOP][:3]
        out.append(" ".join(tail))
    return out or None


def _last_break(text: str, pos: int) -> int:
    k = max((m.end() for m in _CLAUSE_END.finditer(text, 0, pos)), default=0)
    return k


def negation_scope(clause: str) -> list[str] | None:
    """What a clause denies (see :func:`_denied_phrases`); ``None`` when it denies nothing."""
    return _denied_phrases(clause)


def negated(clause: str) -> bool:
    """Whether the clause denies something (lexicalised words like 不同/无监督 and ``不…的`` excluded)."""
    return _denied_phrases(clause) is not None


def _prevented_phrases(clause: str) -> list[str] | None:
    """What a clause prevents (``避免了梯度消失`` -> ``["梯度消失"]``); ``None`` when it prevents nothing."""
    low = clause.lower()
    for v in sorted(_PREVENT, key=len, reverse=True):
        k = low.find(v)
        if k >= 0:
            end = _CLAUSE_END.search(clause, k + len(v))
            rest = clause[k + len(v):end.start() if end else len(clause)]
            return [re.sub(r"^[了着止]+", "", rest).strip()]
    return None


# words too common to show that two clauses make the same claim
_GENERIC = stopwords.load("polarity_generic")


_GRAM_WORD = re.compile(r"[a-z][a-z0-9\-]+")
_GRAM_STOP = _EN_STOP | _GENERIC


def _grams(text: str) -> set[str]:
    return grams.units(text, _GRAM_WORD, _GRAM_STOP)


def _denies(phrases: list[tuple[str, bool]], other: str) -> bool:
    """What is denied is what the other side says: the first word of a denied phrase's head (its first ``HEAD``
    characters; for a prevented phrase, whose object ends it, also its tail) and half of its bigrams are the
    other side's. ``不参与反向传播的参数更新`` does not deny ``反向传播时只对…进行梯度更新``: 参与 is not said."""
    said = _grams(other)
    for ph, prevented in phrases:
        core = re.sub(r"任何|所有|一切|[的了着地得之与和或及]", "", ph)
        units = re.findall(rf"[A-Za-z][A-Za-z0-9\-]*|[{CJK}]", core)     # a latin word is one unit
        for part in (units[:HEAD], units[-HEAD:]) if prevented else (units[:HEAD],):
            piece = "".join(f" {u} " if u.isascii() else u for u in part)
            first = _grams(part[0] if part and part[0].isascii() else "".join(part[:2]))
            g = {x for x in _grams(piece) if x not in _GENERIC} or _grams(piece)   # "不做训练": 训练 it is
            if g and first and first <= said and len(g & said) / len(g) >= 0.5:
                return True
    return False


def _latin(text: str) -> bool:
    """Mostly latin letters: under 30 % Chinese characters (``FLOPs 和 FLOPS 其实是一回事`` is Chinese)."""
    return mostly_latin(text, 0.3)


def same_language(a: str, b: str) -> bool:
    """Both mostly Chinese, or both mostly latin letters."""
    return _latin(a) == _latin(b)


def denials(text: str) -> list[tuple[str, bool]]:
    """What a text denies or prevents: ``(phrase, prevented)`` pairs (``[]`` when it asserts only)."""
    if _HYPOTHETICAL.search(text):
        return []               # "但如果它们不重要": a condition, not a claim
    return [(x, False) for x in _denied_phrases(text) or []] + [(x, True) for x in _prevented_phrases(text) or []]


def _asserted(phrases: list[tuple[str, bool]], other: str, other_denied: list[tuple[str, bool]]) -> bool:
    """Whether the other side asserts what these phrases deny: says it outside what it denies itself.

    A prevention (``缓解梯度爆炸``) is only against a side that says the thing is caused (``更容易…``, ``导致…``):
    ``梯度爆炸的话可以做梯度裁剪`` merely names it.
    """
    rest = other
    for ph, _ in other_denied:
        if ph:
            rest = rest.replace(ph, " ")
    for ph, prevented in phrases:
        if prevented and not _CAUSE.search(other):
            continue
        if _denies([(ph, prevented)], rest):
            return True
    return False


def polarity(reference: str, candidate: str, context: str = "") -> tuple[bool, bool]:
    """(mismatch, verified): whether exactly one side denies (or prevents) something, and whether one side
    asserts what the other denies (:func:`_asserted`; the candidate's denial is checked against the whole point,
    ``context``). ``通过引入记忆单元来解决长序列依赖问题`` asserts 记忆单元, which ``没有记忆单元`` denies.
    Across languages nothing verifies.
    """
    rd, cd = denials(reference), denials(candidate)
    mismatch = bool(rd) != bool(cd)
    if not same_language(reference, candidate):
        return mismatch, False
    ctx = reference + "，" + context
    return mismatch, _asserted(cd, ctx, rd + denials(context)) or _asserted(rd, candidate, cd)


# ---------------------------------------------------------------- counts
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


def sibling_flip(reference: str, candidate: str, siblings: dict[str, re.Pattern]) -> str | None:
    """``"剪枝→量化"`` when the reference names one sibling thing of the item and the candidate another."""
    if not siblings:
        return None
    r = {t for t, p in siblings.items() if p.search(reference)}
    c = {t for t, p in siblings.items() if p.search(candidate)}
    if len(r) == 1 and len(c) == 1 and r != c:
        return f"{next(iter(r))}→{next(iter(c))}"
    return None


MIN_CLAIM_CHARS = 5      # a shorter clause ("训练阶段", "全部保留") is a name or a fragment, not a claim


def judge(reference: str, candidate: str, context: str = "",
          siblings: dict[str, re.Pattern] | None = None) -> tuple[str, str | None]:
    """``("contradicts", reason)``, ``("agrees", None)`` or ``("unrelated", None)``: what ``candidate`` does to the
    aligned ``reference`` clause.

    Args:
        reference: a clause of a key point (with the point's label, if it has one).
        candidate: the candidate's clause aligned with it (the embeddings decided they are about the same).
        context: the whole key point (its phase, 训练/测试, when the clause does not say it).
        siblings: the item's sibling things (``剪枝``/``量化``…) and a pattern for each one's spellings.

    A contradiction needs at least one strong flip (a term pair, a sibling, roles, or a denial of the other side's
    own words); a bare negation never makes one. Across languages a denial cannot be checked word by word: there
    it only counts for the parity (``at test time nothing is dropped`` agrees with ``训练时丢弃``). A flip in a
    clause that does not otherwise say the point's claim (:func:`same_claim`) makes it unrelated, not wrong.
    The reason names the flips (``反义：阶段``, ``否定``, ``顺序：教师/学生``, ``数量：3→2``, ``混淆：剪枝→量化``).
    """
    if is_hedge(candidate) or len(re.sub(r"[\W_]", "", candidate)) < MIN_CLAIM_CHARS:
        return "unrelated", None
    count = count_mismatch(reference, candidate)
    if count:
        return "contradicts", f"数量：{count[0]}→{count[1]}"
    if _unknown_direction(reference, candidate):
        return "unrelated", None
    flips = _pair_flips(reference, candidate, context)
    weak = False
    mismatch, verified = polarity(reference, candidate, context)
    denied = denials(candidate) + denials(reference)
    negated_pair = [n for n in flips if any(n in sides(ph) for ph, _ in denied)]
    if negated_pair:
        flips.remove(negated_pair[0])       # "不再丢弃" says "保留": a denied antonym is no flip
    elif verified:
        flips.append("否定")
    elif mismatch and not same_language(reference, candidate):
        weak = True                         # a denial that cannot be checked still counts for the parity
    strong = [f"反义：{n}" if n != "否定" else n for n in flips]
    sib = sibling_flip(reference, candidate, siblings or {}) if same_language(reference, candidate) else None
    if sib:
        strong.append(f"混淆：{sib}")
    if any(f != "否定" for f in strong):
        claims = [reference] + [c for c in re.split(r"[，,；;。]", context) if c.strip()]
        if not any(same_claim(r, candidate, set(flips)) for r in claims):
            return "unrelated", None        # a swapped term in another claim is no contradiction
    if order_flip(reference, candidate):
        strong.append("顺序：教师/学生")    # the roles are the claim: who teaches whom
    if strong and (len(strong) + weak) % 2 == 1:
        return "contradicts", "；".join(strong)
    return "agrees", None


def contradiction(reference: str, candidate: str, context: str = "",
                  siblings: dict[str, re.Pattern] | None = None) -> str | None:
    """Why ``candidate`` says the opposite of the aligned ``reference`` clause (see :func:`judge`), or ``None``."""
    verdict, reason = judge(reference, candidate, context, siblings)
    return reason if verdict == "contradicts" else None


def claims_something(text: str) -> bool:
    """Whether a short text (a bullet's label) states a direction or a denial, not just a name."""
    return bool(sides(text).get("方向")) or negated(text)
