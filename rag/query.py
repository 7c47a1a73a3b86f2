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

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.keyword import STOPWORDS, Analyzer
from ingest.settings import DATA_DIR

LEXICON = DATA_DIR / "query_lexicon.tsv"
DOMAIN_TERMS = DATA_DIR / "domain_terms.txt"
# Words that carry no topic in a *question* (colloquial fillers, question frames). Only queries
# drop them: documents keep them, so changing this list needs no re-ingest.
QUERY_STOPWORDS = set(
    "啥 咋 咋整 咋办 咋样 到底 究竟 具体 具体来说 大概 大致 一般来说 通常来说 是不是 有没有 能不能 可不可以 会不会 "
    "要不要 怎么办 怎么样 怎么回事 回事 要 该 会 能 还 又 再 才 只 拿 用 搞 弄 整 干 做 去 来 给 让 把 被 跟 同 "
    "那种 这种 那个 这个 这些 那些 这样 那样 这么 那么 哪几种 几种 哪几 哪种 几个 哪一个 各自 分别 里 里面 上 下 时候 "
    "之后 以后 之前 以前 东西 情况 玩意 玩意儿 一点 有点 一般 平时 常说 所谓 咱们 自己 别人 人家 想 想要 知道 懂 "
    "帮 帮我 告诉 告诉我 请教 谢谢 好 好的 呗 嘛 哦 哈 嗯 诶 一 起 起来 出来 下去 好不好 行不行 对不对 是啥 干嘛 "
    "i me my you your we our they their he she should would could will shall may might must "
    "when where who whom whose there here then than so if as at by from into onto over under "
    "use used using work works working get got make made kind sort thing things way ways "
    "tell give show some any each every all more most much many very really just also keep instead go goes going".split()
)

_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
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
NAME_LIKE = _NAME_LIKE = re.compile(r"^(?=.*[A-Za-z])(?:[A-Z0-9]{2,}|.*[a-z][A-Z].*|.*[A-Za-z]\d.*|.*\d[A-Za-z].*)$")


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
        return self.domain(_SMALL_TALK.sub(" ", text))

    def small_talk(self, text: str) -> bool:
        """Small talk addressed to the assistant (``你好``, ``你是ChatGPT吗``, ``thanks!``) that asks about
        nothing from AI / ML besides."""
        return bool(_SMALL_TALK.search(text)) and not self.in_domain(text)

    def names(self, text: str) -> list[tuple[str, str]]:
        """The names a question asks about: Latin acronyms and product-like tokens (``LoRA``, ``CTC``,
        ``TCP``, ``FP16``), as (surface, canonical) pairs."""
        return [(w, c) for w, c in self.concepts(text) if _NAME_LIKE.match(w)]

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
