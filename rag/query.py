"""Query analysis: what a question asks about, in the forms the keyword index, the coverage
measure and the embedder need.

A spoken question ("我训的卷积网络……该咋整", "What is the receptive field of a CNN?") is not
written like a bank's question. :class:`QueryAnalyzer` drops its fillers, adds the banks'
written words for its English and spoken ones (``data/query_lexicon.tsv``), finds the
concepts it names (to notice "LoRA" when no bank mentions it), and gives the embedder a
filler-free text. Only queries go through it, so editing the fillers or the lexicon needs
no re-ingest. Documents are analysed by :class:`ingest.keyword.Analyzer` alone.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ingest.keyword import STOPWORDS, Analyzer
from ingest.settings import DATA_DIR
from ingest.text import stopwords
from ingest.text.normalize import nfkc
from ingest.text.script import CJK_CHAR

LEXICON = DATA_DIR / "query_lexicon.tsv"
DOMAIN_TERMS = DATA_DIR / "domain_terms.txt"
# Words that carry no topic in a *question* (colloquial fillers, question frames). Only queries
# drop them: documents keep them, so changing this list (data/stopwords/query.txt) needs no re-ingest.
QUERY_STOPWORDS = stopwords.load("query")
# English determiners, quantifiers, numerals and pronouns: before a head they name no term ("one network")
_ENGLISH_FUNCTION = stopwords.load("english_function")

_CJK_CHAR = CJK_CHAR
_LATIN_EDGE = re.compile(r"[A-Za-z0-9]")
_PLAIN_WORD = re.compile(r"[a-z]+")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3}")
# small talk addressed to the assistant itself (greetings, thanks, goodbyes, who or what it is): removed
# before the out-of-domain test, so "你是ChatGPT吗" is small talk while "谢谢，那 BN 呢" still asks about BN
_SMALL_TALK = re.compile(
    r"你好|您好|嗨|哈喽|早上好|中午好|下午好|晚上好|早安|晚安|谢谢|多谢|感谢|拜拜|再见|好的|明白了|知道了|懂了|收到|"
    r"你(?:是谁|叫什么|几岁|多大|是不是|是)(?:真人|人类|机器人|人工智能|AI|ChatGPT|GPT|谁)?|"
    r"\b(?:hi|hello|hey|thanks|thank you|bye|good (?:morning|night|evening)|who are you|what(?:'s| is) your name|"
    r"are you (?:a |an )?(?:human|real|bot|robot|ai|chatgpt)|how are you)\b",
    re.I)
# issue 13, third session: the subject of a question written as a plain word. A technical term is mostly a
# modifier and a category head (胶囊 + 网络, 谱 + 聚类, 推测 + 解码, capsule + networks): the head is common in
# every bank, the whole term may be in none. Generic heads of ML/computing terms, written from general
# knowledge, not from the banks (data-independent like data/domain_terms.txt).
TERM_HEADS_ZH = frozenset(("网络", "模型", "算法", "聚类", "解码", "编码", "排序", "架构", "学习", "机制", "函数", "损失",
                           "分类", "回归", "检测", "分割", "树", "层", "池化", "卷积", "注意力", "归一化", "正则化", "嵌入",
                           "编码器", "解码器", "平滑", "采样", "搜索", "遍历", "蒸馏", "剪枝", "量化", "推理", "匹配",
                           "估计", "优化器", "优化", "变换", "分解", "降维", "核", "表示", "框架"))
TERM_HEADS_EN = frozenset(("network", "networks", "net", "nets", "model", "models", "decoding",
                           "encoding", "learning", "clustering", "algorithm", "algorithms",
                           "optimization", "regression", "classification", "detection",
                           "segmentation", "tree", "trees", "layer", "layers", "pooling",
                           "convolution", "convolutions", "attention", "normalization",
                           "regularization", "embedding", "embeddings", "encoder", "encoders",
                           "decoder", "decoders", "smoothing", "sampling", "search",
                           "distillation", "pruning", "quantization", "inference", "matching",
                           "estimation", "transform", "decomposition", "machine", "machines"))
# what may stand left of a Chinese term's modifier: the start, punctuation, or the words that introduce a
# subject (的, 里, 和…); a verb or adverb there ("怎么提升模型", "想让深度模型") makes it a verb phrase, not a term
_TERM_LEFT = frozenset(("的", "里", "中", "之", "和", "与", "跟", "及", "或", "、", "是", "叫", "说"))
# what may follow a subject: its end, 的 / 是 / 和…, or a question word ("机器遗忘怎么做", "教师强制是什么")
_SUBJECT_RIGHT = frozenset(("是", "怎么", "咋", "为啥", "为什么", "到底", "是什么", "是啥", "指", "指的是", "呢", "吗"))
# a noun after these is what is asked for ("有什么办法缓解"), and the verb after it a clause of its own
_QUESTION_OBJECT = frozenset(("什么", "啥", "哪些", "哪种", "怎样", "多少"))
# a verb with a result or direction complement or an aspect mark is a predicate (训过, 冻住, 加进去, 起来)
_VERB_COMPLEMENT = frozenset("过住去来了着到完好掉起上下开出不没")   # and an A-not-A question (行不行)
_NOT_MODIFIER = frozenset(("除了", "比", "相比", "通过", "像", "如", "对", "对于", "关于", "经过"))   # prepositions, never part of a term
_DEMONSTRATIVE = re.compile(r"^[这那哪每各该本此某][类种个些样款项]?$|^[一二两三四五六七八九十几多]+[个种类项]?$")
# word classes of jieba's dictionary that are grammar, never part of a term's modifier: numerals, measure words,
# pronouns, prepositions, conjunctions, particles, localisers ("一遍", "一套", "这些", "里"); a one-character word
# is a modifier only as a noun, and a word jieba does not know only when it does not open with an adverb or a
# pronoun ("却算", "这算"). Two-character adverbs stay: 快速排序, 自动驾驶 are terms.
_FUNCTION_TAGS = frozenset(("m", "mq", "q", "r", "rr", "rz", "p", "c", "u", "uj", "ul", "uz", "uv", "ud", "ug", "f",
                            "y", "e", "o"))
_OPENING_TAGS = frozenset(("d", "r"))
_NOUN_TAGS = frozenset(("n", "ng", "vn", "an"))


@functools.cache
def _dictionary() -> tuple[dict[str, str], dict[str, str]]:
    """From jieba's dictionary (read once, 0.2 s: the dictionary file, not jieba's tagger): the part of speech of
    its function words and its one-character words, and that of its words of two or more characters that are
    no nouns (verbs, adjectives, adverbs, distinguishers, idioms: ``放进``, ``同一个``, ``遗忘``)."""
    import jieba
    out: dict[str, str] = {}
    other: dict[str, str] = {}
    with jieba.get_dict_file() as f:
        for raw in f:
            parts = raw.decode("utf-8").split()
            if len(parts) != 3:
                continue
            if parts[2] in _FUNCTION_TAGS or len(parts[0]) == 1:     # 25k of 349k words
                out[parts[0]] = parts[2]
            elif parts[2][0] in "vadblizm":                          # 63k more
                other[parts[0]] = sys.intern(parts[2])
    return out, other


def _word_classes() -> dict[str, str]:
    return _dictionary()[0]


def noun_word(word: str) -> bool:
    """Whether jieba's dictionary takes ``word`` for a noun, or does not know it (a coined term like ``数据隐私``):
    a one-character word only when tagged a noun (``图``, not ``训``), a longer one when not tagged as a verb,
    adjective, adverb or function word (``脉冲``, ``序列``; not ``同一个``, ``放进``).

    Example:
        >>> noun_word("脉冲"), noun_word("训"), noun_word("同一个")
        (True, False, False)
    """
    classes, other = _dictionary()
    if len(word) == 1:
        return classes.get(word) in ("n", "ng")
    return word not in other and word not in classes


def verb_word(word: str) -> bool:
    """A verb of two or more characters in jieba's dictionary (``遗忘``, ``扩充``, ``强制``; not ``脉冲``)."""
    return len(word) >= 2 and _dictionary()[1].get(word, "").startswith("v")


def grammar_word(word: str) -> bool:
    """Whether a word of two or more characters cannot be part of a term's modifier: a function word
    (``一遍``, ``一套``, ``这些``), or a two-character word jieba does not know that opens with an adverb or a
    pronoun (``却算``, ``这算``). One-character words are judged by :func:`lone_modifier`.

    Example:
        >>> grammar_word("一遍"), grammar_word("却算"), grammar_word("胶囊"), grammar_word("快速")
        (True, True, False, False)
    """
    if len(word) < 2:
        return False
    classes = _word_classes()
    tag = classes.get(word)
    if tag is not None:
        return tag in _FUNCTION_TAGS
    return len(word) == 2 and classes.get(word[0]) in _OPENING_TAGS


def lone_modifier(word: str) -> bool:
    """Whether one character may be a term's whole modifier: only a noun (``图网络``); a verb, adjective or
    adverb before a head is a phrase (``换模型``, ``大模型里``, ``先采样``). Inside a longer modifier one
    character is fine (``数据集蒸馏``, ``径向基函数``)."""
    return _word_classes().get(word) in _NOUN_TAGS


RARE_ZIPF = 3.0     # an English word rarer than this in general English (wordfreq's Zipf scale) is a term


@functools.cache
def _zipf():
    """wordfreq's English word frequencies (bundled with the package, no download), or None without it."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:         # an install without wordfreq: no rare-word terms, the other tests still hold
        return None
    return functools.partial(zipf_frequency, lang="en")


_INFLECTION = re.compile(r"(?:ations|ation|ings|ing|ies|ied|es|ed|s)$")


def inflections(word: str) -> tuple[str, ...]:
    """``word`` and its stems once an English inflection is taken off (``replayed`` -> ``replay``,
    ``concatenating`` -> ``concatenat``, ``concatenate``; ``multiplications`` -> ``multiplication``, ``multiplicate``).

    Example:
        >>> inflections("replayed"), inflections("studies")
        (('replayed', 'replay', 'replaye'), ('studies', 'studie', 'study'))
    """
    low = word.lower()
    out = [low]
    if low.endswith("s") and len(low) > 4:
        out.append(low[:-1])
    m = _INFLECTION.search(low)
    if m and len(low) - len(m.group(0)) >= 4:
        stem = low[:m.start()]
        out += [stem + "y"] if m.group(0) in ("ies", "ied") else [stem, stem + "e"]
    return tuple(dict.fromkeys(out))


def rare_word(word: str) -> bool:
    """A word of general English rare enough to be a term of a field (``conformal``, ``hypernetwork``,
    ``counterfactual``; not ``server``, ``behave``, ``differently``).

    Example:
        >>> rare_word("hypernetwork"), rare_word("differently")
        (True, False)
    """
    zipf = _zipf()
    return zipf is not None and zipf(word.lower()) < RARE_ZIPF


_LATIN_WORD = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# English proper nouns: a capitalised word inside a sentence ("the Gumbel-softmax trick", "Spanish or French"), the
# way English marks a name; the first word of a sentence does not count. English grammar, not any bank's words.
_PROPER_NOUN = re.compile(r"(?<=[a-z0-9,;:'\")] )([A-Z][a-z]{2,})(?![A-Za-z])")
# a question about the assistant itself (its home, its age, its likes): a sentence whose subject is 你 / you
_ABOUT_YOU = re.compile(r"^\W*(?:那|请问|问一下)?\s*你(?!们?(?:觉得|认为|说|看|知道|能|会|可以|帮))|\b(?:do|are|can|will|did|have) you\b", re.I)
NAME_LIKE = _NAME_LIKE = re.compile(r"^(?=.*[A-Za-z])(?!\d+(?:[xX×*]\d+)+$)"   # a shape or size (2x2, 224x224) is no name
                                    r"(?:[A-Z0-9]{2,}|.*[a-z][A-Z].*|.*[A-Za-z]\d.*|.*\d[A-Za-z].*)$")


@dataclass
class Lexicon:
    """Query-side vocabulary: how people ask (``images``, ``图片``) -> how the banks are written (``图像``).

    Read from ``data/query_lexicon.tsv`` (written term first, then its aliases). It only expands
    queries, so editing it needs no re-ingest.
    """

    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = LEXICON) -> "Lexicon":
        lex = cls()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = [p.strip() for p in line.split("\t") if p.strip()]
                if len(parts) >= 2 and not parts[0].startswith("#"):
                    for alias in parts[1:]:
                        old = lex.terms.get(alias.lower(), ())
                        if parts[0] not in old:
                            lex.terms[alias.lower()] = old + (parts[0],)
        return lex


@dataclass
class DomainTerms:
    """The out-of-domain test: does a question name anything from AI / ML at all?

    Read from ``data/domain_terms.txt``: general ML vocabulary written independently of any bank, so
    the test holds for banks qbank has never seen. Chinese terms match as substrings, Latin ones as
    whole words (``regulari*`` matches any ending), case-insensitively.
    """

    chinese: tuple[str, ...] = ()
    latin: re.Pattern | None = None

    @classmethod
    def load(cls, path: Path = DOMAIN_TERMS) -> "DomainTerms":
        if not path.exists():
            return cls()
        terms = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.strip() and not ln.lstrip().startswith("#")]
        zh = tuple(t for t in terms if _CJK_CHAR.search(t))
        lat = sorted((t for t in terms if not _CJK_CHAR.search(t)), key=len, reverse=True)
        alts = [re.escape(t[:-1]) + r"[A-Za-z-]*" if t.endswith("*") else re.escape(t) for t in lat]
        pattern = re.compile(r"(?<![A-Za-z])(?:" + "|".join(alts) + r")(?![A-Za-z])", re.I) if alts else None
        return cls(zh, pattern)

    def __call__(self, text: str) -> bool:
        if not self.chinese and self.latin is None:
            return True     # no list: every question counts as in the domain
        return any(t in text for t in self.chinese) or bool(self.latin and self.latin.search(text))


class QueryAnalyzer:
    """The query-side views of a question, built on the document :class:`Analyzer` of the index."""

    def __init__(self, analyzer: Analyzer, lexicon: Lexicon | None = None):
        self.analyzer = analyzer
        self.glossary = analyzer.glossary
        self.lexicon = lexicon if lexicon is not None else Lexicon.load()
        self._values = {c.replace(" ", "_") for c in self.glossary.canon.values()}
        self.domain = DomainTerms.load()

    def in_domain(self, text: str) -> bool:
        """Whether the question names anything from AI / ML (``你好``, ``股票怎么选``, ``TCP 三次握手`` do not);
        small talk addressed to the assistant (``你是ChatGPT吗``, ``谢谢``) is never in the domain."""
        text = _SMALL_TALK.sub(" ", text)
        if self.domain(text):
            return True
        # an English phrase of the ML glossary ("prioritized experience replay", "word embeddings") is the domain too
        return any(" " in w or "-" in w for w, _ in self.concepts(text) if not _CJK_CHAR.search(w))

    def small_talk(self, text: str) -> bool:
        """Small talk addressed to the assistant (``你好``, ``你是ChatGPT吗``, ``thanks!``) that asks about
        nothing from AI / ML besides."""
        return bool(_SMALL_TALK.search(text) or _ABOUT_YOU.search(text)) and not self.in_domain(text)

    def names(self, text: str) -> list[tuple[str, str]]:
        """The names a question asks about: Latin acronyms and product-like tokens (``LoRA``, ``CTC``,
        ``TCP``, ``FP16``), as (surface, canonical) pairs."""
        found = [(w, c) for w, c in self.concepts(text) if _NAME_LIKE.match(w)]
        if not _CJK_CHAR.search(text):
            seen = {c for _, c in found}
            found += [(w, w.lower()) for w in dict.fromkeys(_PROPER_NOUN.findall(nfkc(text)))
                      if w.lower() not in seen and w.lower() not in STOPWORDS]
        return found

    def subject_terms(self, text: str) -> list[tuple[str, str, str, str]]:
        """The technical terms a question names as plain words, as ``(kind, modifier, head, last)``
        (``last``: the modifier's word next to the head).

        * ``zh``: a Chinese modifier and a category head (``胶囊网络``, ``谱聚类``, ``扩散模型``), the modifier
          being the content words left of the head up to a word that introduces a subject or the start;
        * ``en``: an English word before an English head (``capsule networks``, ``speculative decoding``);
        * ``latin``: a plain Latin word in a Chinese question (``Mamba 这种模型``), the head left empty.

        Whether the corpus knows the term is for :func:`rag.lexical.unknown_terms` to say.
        """
        an = self.analyzer
        toks = an.words(_SMALL_TALK.sub(" ", nfkc(text)))
        out: list[tuple[str, str, str, str]] = []
        raw = nfkc(text)
        has_cjk = bool(_CJK_CHAR.search(raw))

        def content(t: str) -> bool:
            low = t.lower()
            return (low not in STOPWORDS and low not in QUERY_STOPWORDS and low not in _TERM_LEFT
                    and low not in _NOT_MODIFIER and not _DEMONSTRATIVE.match(t) and bool(_CJK_CHAR.search(t))
                    and not grammar_word(t))

        for i, t in enumerate(toks):
            if not _CJK_CHAR.search(t):
                continue
            if t in TERM_HEADS_ZH:
                head, j, mod = t, i - 1, ""
            else:
                head = next((h for h in TERM_HEADS_ZH if len(h) >= 2 and len(t) > len(h) and t.endswith(h)), "")
                if not head:
                    continue
                j, mod = i - 1, t[:-len(head)]
            last = mod
            # a head inside a word jieba knows (神经网络) with a noun before it (脉冲): that word is the head and
            # the noun its modifier (脉冲 + 神经网络, not 神经 + 网络); after a verb or grammar word ("训大模型",
            # "同一个大模型") the word itself is the term (大 + 模型)
            if mod and j >= 0 and content(toks[j]) and noun_word(toks[j]) and toks[j] + t in raw:
                head, mod, last = t, "", ""
            while j >= 0 and content(toks[j]) and toks[j] + mod + head in raw:
                mod, j = toks[j] + mod, j - 1
                last = last or mod
            left = toks[j] if j >= 0 else ""
            if len(mod) == 1 and not lone_modifier(mod):
                continue
            # a verb or adverb right before it ("怎么提升模型", "想让深度模型") makes it a verb phrase, not a term
            if mod and (not left or left in _TERM_LEFT or not _CJK_CHAR.search(left) or left + mod + head not in raw):
                out.append(("zh", mod, head, last))
        # a noun and a verb naming a task or method as a noun (机器 + 遗忘, 词表 + 扩充, 教师 + 强制): the pair is the
        # subject or object, so the end, punctuation or a question's word follows it ("机器遗忘怎么做", "用教师强制，");
        # before anything else ("结果解释不清") it is a clause
        for i in range(1, len(toks)):
            noun, verb = toks[i - 1], toks[i]
            if not (verb_word(verb) and not _VERB_COMPLEMENT.intersection(verb[1:]) and len(noun) >= 2 and content(noun)
                    and noun_word(noun) and an.knows(noun) and noun + verb in raw and noun not in TERM_HEADS_ZH):
                continue
            left = toks[i - 2] if i >= 2 else ""
            right = toks[i + 1] if i + 1 < len(toks) else ""
            adverbial = left + noun in raw and (_word_classes().get(left, "").startswith("r")
                                                or _dictionary()[1].get(left) == "d")   # 彼此高度相关: 高度 is no noun
            if not adverbial and (left not in _QUESTION_OBJECT or left + noun not in raw) and (
                    not right or right in _SUBJECT_RIGHT or verb + right not in raw):
                out.append(("zhv", noun, verb, noun))
        latin = [w for w in toks if _LATIN_WORD.match(w.lower())]
        for a, b in itertools.pairwise(latin):
            la, lb = a.lower(), b.lower()
            if (lb in TERM_HEADS_EN and la not in TERM_HEADS_EN and la not in STOPWORDS and la not in QUERY_STOPWORDS
                    and la not in _ENGLISH_FUNCTION
                    and f"{a} {b}".lower() in " ".join(raw.lower().split())):
                out.append(("en", a, b, a))
        if not has_cjk:
            # an English question: its rare words are terms of their own ("conformal prediction", "hypernetwork")
            paired = {w.lower() for t in out for w in t[1:3]}
            for w in dict.fromkeys(latin):
                low = w.lower()
                if (w.islower() and len(low) >= 4 and low not in paired and low not in STOPWORDS   # CNNs, Gaussian: names
                        and low not in QUERY_STOPWORDS and rare_word(low)):
                    out.append(("latin", w, "", w))
        if has_cjk:
            for w in latin:
                low = w.lower()
                if (len(low) >= 3 and not _NAME_LIKE.match(w) and low not in STOPWORDS and low not in QUERY_STOPWORDS
                        and low not in TERM_HEADS_EN):
                    out.append(("latin", w, "", w))
        return out

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens: the document analysis minus the fillers of a spoken question, plus the
        written terms the lexicon gives for its words (``training`` -> ``训练``)."""
        out: list[str] = []
        for t in self.analyzer.tokens(text):
            if t in QUERY_STOPWORDS:
                continue
            out.append(t)
            if t not in self.glossary.canon:
                out.extend(self.lexicon.terms.get(t, ()))
        return out

    def words(self, text: str) -> list[tuple[str, str]]:
        """Content words as (surface, canonical) pairs: fillers, stopwords and punctuation dropped.

        The canonical form is the glossary's term, or for an English word the lexicon knows,
        its Chinese term (``images`` -> ``图像``), else the lowercased word.
        """
        canon = self.glossary.canon
        out: list[tuple[str, str]] = []
        for w in self.analyzer.words(text):
            low = w.lower()
            if low in STOPWORDS or low in QUERY_STOPWORDS:
                continue
            c = canon.get(low)
            if c is None:
                c = self.lexicon.terms[low][0] if low in self.lexicon.terms and _LATIN_EDGE.match(low) else low
            out.append((w, c.replace(" ", "_")))
        return out

    def terms(self, text: str, known=None) -> list[str]:
        """The content terms of a query, canonical and unique, for measuring how much of it an item covers.

        Args:
            known: optional ``term -> bool``; a plain English word (not a name like ``LoRA``, not in the
                glossary or lexicon) for which it is False is left out: against Chinese banks a word
                like "figure" or "keep" says nothing about coverage.
        """
        out: list[str] = []
        for w, c in self.words(text):
            if (_CJK_CHAR.fullmatch(w) and w == c) or c in out:
                continue
            if known is not None and c == w.lower() and _PLAIN_WORD.fullmatch(c) and not known(c):
                continue
            out.append(c)
        return out

    def concepts(self, text: str) -> list[tuple[str, str]]:
        """The (surface, canonical) pairs of ``text`` that name a concept: a glossary term, or a
        name-like Latin token (``LoRA``, ``KV``, ``FP16``, ``FlashAttention``)."""
        return [(w, c) for w, c in self.words(text)
                if c in self._values or w.lower() in self.glossary.canon or _NAME_LIKE.match(w)]

    def dense_text(self, text: str) -> str:
        """The query as the embedder should see it.

        A question with Chinese in it loses its fillers, its Chinese words joined without spaces, and
        an English term in it gains its Chinese glossary name: spoken questions ("我训的网络……该咋整")
        embed far closer to the banks' written questions that way. A question with no Chinese at all
        is embedded as written: the multilingual encoder maps a whole English sentence onto Chinese
        text well, and "chatbot figure out user wants" without its function words is no sentence
        (both measured on the eval set, see README). A bare abbreviation ("BN") still gains its
        Chinese name. An all-filler query is kept as it is.
        """
        if not _CJK_CHAR.search(text) and _ENGLISH_WORD.search(text):
            return " ".join(text.split())
        out = ""
        for w, c in self.words(text):
            if _LATIN_EDGE.match(w) and _CJK_CHAR.search(c) and not _LATIN_EDGE.search(c):
                w = f"{w}{c}"   # "BN" -> "BN批量归一化": the banks are Chinese
            if out and _LATIN_EDGE.match(w[0]) and _LATIN_EDGE.match(out[-1]):
                out += " "
            out += w
        return out or text.strip()
