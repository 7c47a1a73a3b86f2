"""Chinese/English keyword analysis (jieba + an ML glossary) and the BM25 index over it.

The glossary (``data/glossary.tsv``) maps every alias of a concept to one canonical
token, so ``BN``, ``Batch Normalization`` and ``批量归一化`` all meet. The banks'
own bilingual parentheses, such as ``感受野 (ReceptiveField)``, are harvested at
ingest and extend it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.settings import DATA_DIR

GLOSSARY = DATA_DIR / "glossary.tsv"
USERDICT = DATA_DIR / "jieba_userdict.txt"
LEXICON = DATA_DIR / "query_lexicon.tsv"
STOPWORDS = set(
    "的 了 是 在 和 与 及 或 等 中 对 把 被 从 以 为 之 其 这 那 有 也 就 都 而 吗 呢 吧 啊 呀 么 个 一 一个 一下 一些 "
    "什么 怎么 怎样 如何 为什么 为何 哪些 哪个 哪 多少 是否 能否 可以 可能 需要 应该 一般 通常 主要 简单 简要 简述 "
    "请 请问 解释 介绍 说明 描述 说说 讲讲 讲 聊聊 谈谈 举例 例子 区别 问题 方法 概念 原理 作用 我 你 他 它 我们 你们 "
    "a an the of to in on for and or is are was be what how why which does do can with about explain describe "
    "between vs versus it its this that please".split()
)
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
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]", re.U)
_QUESTION_PREFIX = re.compile(r"^(?:什么是|什么叫|请解释|请简述|请介绍|解释一下|解释|简要介绍一下|简要介绍|介绍一下|介绍|"
                              r"简述|描述|说明|如何理解|如何|怎么|为什么|关于|的)+")
_PAREN_PAIR = re.compile(r"([\u4e00-\u9fff]{2,12})\s*[（(]\s*([A-Za-z][A-Za-z0-9 _\-.]{1,40}?)\s*[,，)）]")


@dataclass
class Glossary:
    """alias (lowercase) -> canonical term."""

    canon: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = GLOSSARY) -> "Glossary":
        g = cls()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = [p.strip() for p in line.split("\t") if p.strip()]
                if len(parts) >= 2 and not parts[0].startswith("#"):
                    g.add(parts)
        return g

    def add(self, terms: list[str]) -> None:
        head = terms[0].lower()
        head = self.canon.get(head, head)
        for t in terms:
            self.canon.setdefault(t.lower(), head)

    def harvest(self, text: str) -> int:
        """Add the ``中文 (English)`` pairs of a bank; returns how many were new."""
        before = len(self.canon)
        for zh, en in _PAREN_PAIR.findall(text):
            zh = _QUESTION_PREFIX.sub("", zh)      # "什么是感受野 (ReceptiveField)" names 感受野
            if len(zh) < 2:
                continue
            camel = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", en.strip()).lower()   # ReceptiveField -> receptive field
            en = en.strip().lower()
            if len(en) >= 2 and en not in self.canon:
                self.add([zh, en, en.replace("_", " "), camel])
        return len(self.canon) - before

    def digest(self) -> str:
        return hashlib.sha256("\n".join(f"{k}\t{v}" for k, v in sorted(self.canon.items())).encode()).hexdigest()[:12]


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


class Analyzer:
    """Text -> search tokens: lowercase, glossary phrases joined, jieba search-mode cut, aliases canonicalised."""

    def __init__(self, glossary: Glossary | None = None, lexicon: Lexicon | None = None):
        import jieba

        self.glossary = glossary or Glossary.load()
        self.lexicon = lexicon if lexicon is not None else Lexicon.load()
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False
        phrases = sorted((a for a in self.glossary.canon if re.search(r"[a-z]", a) and (" " in a or "-" in a)),
                         key=len, reverse=True)
        self._phrase_re = re.compile("|".join(r"\b" + re.escape(p) + r"\b" for p in phrases)) if phrases else None

    def _init(self) -> None:
        with self._lock:
            if self._ready:
                return
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            snapshot = self._snapshot_path()
            if not _load_jieba(self._jieba, snapshot):
                if USERDICT.exists():
                    self._jieba.load_userdict(str(USERDICT))
                for alias, canon in self.glossary.canon.items():
                    if re.search(r"[\u4e00-\u9fff]", alias) and len(alias) <= 12:
                        self._jieba.add_word(alias, freq=2000)
                    if re.search(r"[\u4e00-\u9fff]", canon) and len(canon) <= 12:
                        self._jieba.add_word(canon, freq=2000)
                _save_jieba(self._jieba, snapshot)
            self._ready = True

    def _snapshot_path(self) -> Path:
        import tempfile

        import jieba

        user = USERDICT.read_bytes() if USERDICT.exists() else b""
        key = hashlib.sha256(user + self.glossary.digest().encode() + jieba.__version__.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"qbank-jieba-{key}.npz"

    @property
    def name(self) -> str:
        import jieba

        return f"jieba-{jieba.__version__}+glossary-{self.glossary.digest()}"

    def tokens(self, text: str) -> list[str]:
        if not self._ready:
            self._init()
        text = text.lower()
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: " " + self.glossary.canon[m.group(0)].replace(" ", "_") + " ", text)
        out: list[str] = []
        canon = self.glossary.canon
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip()
            if not tok or tok in STOPWORDS or not _TOKEN_OK.search(tok):
                continue
            c = canon.get(tok, tok)
            out.append(c.replace(" ", "_"))
            if c != tok:
                out.append(tok)
        return out

    def query_tokens(self, text: str) -> list[str]:
        """:meth:`tokens` minus the fillers of a spoken question (``QUERY_STOPWORDS``), plus the
        written terms the query lexicon gives for its words (``training`` -> ``训练``)."""
        out: list[str] = []
        for t in self.tokens(text):
            if t in QUERY_STOPWORDS:
                continue
            out.append(t)
            if t not in self.glossary.canon:
                out.extend(self.lexicon.terms.get(t, ()))
        return out

    def _words(self, text: str) -> list[tuple[str, str]]:
        """Accurate-mode words of ``text`` as (surface, canonical) pairs; glossary phrases stay whole.

        Stopwords, question fillers and punctuation are dropped.
        """
        if not self._ready:
            self._init()
        canon = self.glossary.canon
        pieces: list[tuple[str, bool]] = []
        pos = 0
        if self._phrase_re is not None:
            for m in self._phrase_re.finditer(text.lower()):
                pieces += [(text[pos:m.start()], False), (text[m.start():m.end()], True)]
                pos = m.end()
        pieces.append((text[pos:], False))
        out: list[tuple[str, str]] = []
        for piece, is_phrase in pieces:
            for w in ([piece] if is_phrase else self._jieba.lcut(piece)):
                w = w.strip()
                low = w.lower()
                if w and _TOKEN_OK.search(w) and low not in STOPWORDS and low not in QUERY_STOPWORDS:
                    c = canon.get(low)
                    if c is None:   # an English word the lexicon knows stands for its Chinese term
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
        for w, c in self._words(text):
            if (_CJK_CHAR.fullmatch(w) and w == c) or c in out:
                continue
            if known is not None and c == w.lower() and _PLAIN_WORD.fullmatch(c) and not known(c):
                continue
            out.append(c)
        return out

    def concepts(self, text: str) -> list[tuple[str, str]]:
        """The (surface, canonical) pairs of ``text`` that name a concept: a glossary term, or a
        name-like Latin token (``LoRA``, ``KV``, ``FP16``, ``FlashAttention``)."""
        values = self._canon_values()
        return [(w, c) for w, c in self._words(text)
                if c in values or w.lower() in self.glossary.canon or _NAME_LIKE.match(w)]

    def _canon_values(self) -> set[str]:
        values = self.__dict__.get("_values")
        if values is None:
            values = self.__dict__["_values"] = {c.replace(" ", "_") for c in self.glossary.canon.values()}
        return values

    def dense_text(self, text: str) -> str:
        """The query as the embedder should see it: fillers dropped, Chinese words joined without spaces.

        Spoken questions ("我训的网络……该咋整") embed far closer to the bank's written questions once the
        fillers are gone, and an English term gains its Chinese glossary name (measured on the eval
        set, see README). An all-filler query is kept as it is.
        """
        out = ""
        for w, c in self._words(text):
            if _LATIN_EDGE.match(w) and _CJK_CHAR.search(c) and not _LATIN_EDGE.search(c):
                w = f"{w}{c}"   # "BN" -> "BN批量归一化": the banks are Chinese
            if out and _LATIN_EDGE.match(w[0]) and _LATIN_EDGE.match(out[-1]):
                out += " "
            out += w
        return out or text.strip()


def _load_jieba(tokenizer, path: Path) -> bool:
    """Restore a jieba dictionary saved by :func:`_save_jieba`; False when there is none (or it is unreadable).

    jieba's own start-up (unmarshalling its 500k-entry dictionary, then adding the user
    dictionary and glossary word by word) costs ~1.5 s of CPU; this snapshot loads in ~0.3 s,
    which is a third of a cold ``qbank search`` (bench/).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            words = z["words"].tobytes().decode("utf-8").split("\n")
            freqs = z["freqs"].tolist()
            total = int(z["total"])
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return False
    if len(words) != len(freqs):
        return False
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(zip(words, freqs)), total, True
    return True


def _save_jieba(tokenizer, path: Path) -> None:
    """Save an initialised jieba dictionary (words, counts, total) atomically; a failure only costs speed."""
    freq = tokenizer.FREQ
    if any("\n" in w for w in freq):
        return
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, words=np.frombuffer("\n".join(freq).encode("utf-8"), dtype=np.uint8),
                 freqs=np.fromiter(freq.values(), dtype=np.int64, count=len(freq)), total=np.array(tokenizer.total))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_NAME_LIKE = re.compile(r"^(?=.*[A-Za-z])(?:[A-Z0-9]{2,}|.*[a-z][A-Z].*|.*[A-Za-z]\d.*|.*\d[A-Za-z].*)$")
_PLAIN_WORD = re.compile(r"[a-z]+")
_PIECES = re.compile(r"[a-z0-9.+#]+|[\u4e00-\u9fff]+")
_LATIN_EDGE = re.compile(r"[A-Za-z0-9]")


class KeywordIndex:
    """Two BM25 fields over items (question, answer), scored as ``wq * q + a`` with no Python loop per item."""

    def __init__(self, question_bm25, answer_bm25):
        self.q = question_bm25
        self.a = answer_bm25

    @classmethod
    def build(cls, questions: list[list[str]], answers: list[list[str]]) -> "KeywordIndex":
        import bm25s

        q = bm25s.BM25()
        q.index([t or [""] for t in questions], show_progress=False)
        a = bm25s.BM25()
        a.index([t or [""] for t in answers], show_progress=False)
        return cls(q, a)

    def save(self, folder: Path) -> None:
        self.q.save(str(folder / "bm25_question"), show_progress=False)
        self.a.save(str(folder / "bm25_answer"), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder / "bm25_question"), show_progress=False, mmap=False),
                   bm25s.BM25.load(str(folder / "bm25_answer"), show_progress=False, mmap=False))

    def scores(self, tokens: list[str], weight_question: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-item (question, answer) BM25 scores; callers combine them."""
        q_tokens = [t for t in tokens if t in self.q.vocab_dict]
        a_tokens = [t for t in tokens if t in self.a.vocab_dict]
        n = self.q.scores["num_docs"]
        qs = self.q.get_scores(q_tokens) if q_tokens else np.zeros(n, dtype=np.float32)
        as_ = self.a.get_scores(a_tokens) if a_tokens else np.zeros(n, dtype=np.float32)
        return qs * weight_question, as_

    def coverage(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per item, the IDF-weighted share of ``terms`` found in (its question, its question or answer).

        A term no item contains still counts in the denominator, so "LoRA 的原理" covers
        nothing even though an item may talk about 原理. Work is per term, never per item.
        """
        n = self.q.scores["num_docs"]
        in_q = np.zeros(n, dtype=np.float32)
        in_any = np.zeros(n, dtype=np.float32)
        total = 0.0
        for t in dict.fromkeys(terms):
            q_docs = _postings(self.q, t)
            docs = np.union1d(q_docs, _postings(self.a, t))
            idf = float(np.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5)))
            total += idf
            in_q[q_docs] += idf
            in_any[docs] += idf
        return (in_q / total, in_any / total) if total > 0 else (in_q, in_any)

    def knows(self, term: str) -> bool:
        """Whether any item contains ``term`` (a canonical token), or, for a term the tokenizer splits
        (``编码器-解码器``, ``wordpiece分词``), every one of its pieces."""
        term = term.lower()
        if term in self.q.vocab_dict or term in self.a.vocab_dict:
            return True
        pieces = _PIECES.findall(term)
        if len(pieces) < 2:
            return False
        return all(p in self.q.vocab_dict or p in self.a.vocab_dict for p in pieces)


def _postings(bm, token: str) -> np.ndarray:
    tid = bm.vocab_dict.get(token)
    if tid is None:
        return np.zeros(0, dtype=np.int64)
    ptr = bm.scores["indptr"]
    return bm.scores["indices"][ptr[tid]:ptr[tid + 1]].astype(np.int64)
