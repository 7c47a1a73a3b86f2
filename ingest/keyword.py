"""Chinese/English keyword analysis (jieba + an ML glossary) and the BM25 index over it.

The glossary (``data/glossary.tsv``) maps every alias of a concept to one canonical
token, so ``BN``, ``Batch Normalization`` and ``批量归一化`` all meet. The banks'
own bilingual parentheses, such as ``感受野 (ReceptiveField)``, are harvested at
ingest and extend it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest import internals
from ingest.settings import DATA_DIR
from ingest.text import stopwords
from ingest.text.idf import bm25_idf
from ingest.text.normalize import fold, nfkc
from ingest.text.script import CJK, has_cjk

GLOSSARY = DATA_DIR / "glossary.tsv"
USERDICT = DATA_DIR / "jieba_userdict.txt"
STOPWORDS = stopwords.load("keyword")   # data/stopwords/keyword.txt: changing it needs a re-ingest
_TOKEN_OK = re.compile(rf"[\w{CJK}]", re.U)
_QUESTION_PREFIX = re.compile(r"^(?:什么是|什么叫|请解释|请简述|请介绍|解释一下|解释|简要介绍一下|简要介绍|介绍一下|介绍|"
                              r"简述|描述|说明|如何理解|如何|怎么|为什么|关于|的)+")
_PAREN_PAIR = re.compile(rf"([{CJK}]{{2,12}})\s*[（(]\s*([A-Za-z][A-Za-z0-9 _\-.]{{1,40}}?)\s*[,，)）]")


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


class Analyzer:
    """Text -> search tokens: NFKC and lowercase (``ＢＥＲＴ`` is ``bert``), glossary phrases joined, jieba
    search-mode cut, aliases canonicalised."""

    def __init__(self, glossary: Glossary | None = None):
        import jieba

        self.glossary = glossary or Glossary.load()
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

            jieba.setLogLevel(logging.CRITICAL)   # its own dictionary cache failing to save (a full disk) is no error of ours
            snapshot = self._snapshot_path()
            if not internals.jieba_restore(self._jieba, snapshot):
                if USERDICT.exists():
                    self._jieba.load_userdict(str(USERDICT))
                for alias, canon in self.glossary.canon.items():
                    if has_cjk(alias) and len(alias) <= 12:
                        self._jieba.add_word(alias, freq=2000)
                    if has_cjk(canon) and len(canon) <= 12:
                        self._jieba.add_word(canon, freq=2000)
                internals.jieba_save(self._jieba, snapshot)
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

    def knows(self, word: str) -> bool:
        """Whether ``word`` is in the segmenter's dictionary (jieba's own, the user dictionary, the glossary):
        ``机器``, ``教师`` are; a piece jieba's HMM cut out of a phrase (``上预`` of ``海量语料上预训过``) is not."""
        if not self._ready:
            self._init()
        return self._jieba.FREQ.get(fold(word), 0) > 0

    def tokens(self, text: str) -> list[str]:
        if not self._ready:
            self._init()
        text = fold(text)
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

    def words(self, text: str) -> list[str]:
        """Accurate-mode jieba words of ``text`` (case kept), a glossary phrase such as ``batch
        normalization`` as one word, whitespace and punctuation dropped; for query analysis. The text is
        NFKC-normalised first, so a full-width ``ＬｏＲＡ`` is the word ``LoRA``."""
        if not self._ready:
            self._init()
        text = nfkc(text)
        pieces: list[tuple[str, bool]] = []
        pos = 0
        if self._phrase_re is not None:
            for m in self._phrase_re.finditer(text.lower()):
                pieces += [(text[pos:m.start()], False), (text[m.start():m.end()], True)]
                pos = m.end()
        pieces.append((text[pos:], False))
        out = []
        for piece, is_phrase in pieces:
            for w in ([piece] if is_phrase else self._jieba.lcut(piece)):
                w = w.strip()
                if w and _TOKEN_OK.search(w):
                    out.append(w)
        return out


_PIECES = re.compile(rf"[a-z0-9.+#]+|[{CJK}]+")


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

    @property
    def n_docs(self) -> int:
        return internals.bm25_num_docs(self.q)

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """The items whose (question, answer) contains ``token``: ascending int64 ids."""
        return internals.bm25_postings(self.q, token), internals.bm25_postings(self.a, token)

    def answer_doc_freqs(self) -> dict[str, int]:
        """``{token: items whose answer contains it}``."""
        return internals.bm25_doc_freqs(self.a)

    def scores(self, tokens: list[str], weight_question: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-item (question, answer) BM25 scores; callers combine them."""
        q_tokens = [t for t in tokens if t in self.q.vocab_dict]
        a_tokens = [t for t in tokens if t in self.a.vocab_dict]
        n = self.n_docs
        qs = self.q.get_scores(q_tokens) if q_tokens else np.zeros(n, dtype=np.float32)
        as_ = self.a.get_scores(a_tokens) if a_tokens else np.zeros(n, dtype=np.float32)
        return qs * weight_question, as_

    def coverage(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per item, the IDF-weighted share of ``terms`` found in (its question, its question or answer).

        A term no item contains still counts in the denominator, so "LoRA 的原理" covers
        nothing even though an item may talk about 原理. Work is per term, never per item.
        """
        n = self.n_docs
        in_q = np.zeros(n, dtype=np.float32)
        in_any = np.zeros(n, dtype=np.float32)
        has = np.zeros(n, dtype=bool)      # a mask, not np.union1d: sorting 100k postings cost ~10 ms a term
        total = 0.0
        for t in dict.fromkeys(terms):
            q_docs, a_docs = self.postings(t)
            has[:] = False
            has[q_docs] = True
            has[a_docs] = True
            df = int(np.count_nonzero(has))
            idf = bm25_idf(n, df)
            total += idf
            in_q[q_docs] += idf
            in_any[has] += idf
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
