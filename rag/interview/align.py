"""What the grader knows about one item, computed once: its key points, their clauses and their embeddings.

Grading is by meaning: a key point is matched with a piece of the candidate's answer by the
cosine of their sentence embeddings (the default multilingual USE model), so a paraphrase or an
English answer meets a Chinese reference. Words are used for two narrow things only: the
on-topic share of the answer's terms (IDF-weighted jieba terms, see :class:`Vocabulary`) and the
term pairs and sibling things by which :mod:`rag.interview.polarity` sees a swapped claim.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from ingest.items import QAItem
from ingest.keypoints import key_points, split_label, statements
from ingest.text import stopwords
from ingest.text.idf import bm25_idf
from ingest.text.script import CJK, CJK_CHAR, has_cjk
from rag.interview import polarity
from rag.interview.text import clauses

THING_SHARE = 0.5        # a term in more than this share of the statements is the topic, not a sibling thing

# discourse and function words: frequent in candidates' speech, rare enough in the banks to get a high
# IDF, and never what an answer is about
FUNCTION_WORDS = stopwords.load("function")
_CJK_THEN = re.compile(rf"[{CJK}]+则")     # 否则, 原则: a connective, not a term


class Vocabulary:
    """Terms of a text with IDF weights from the index's answer field (BM25 IDF)."""

    def __init__(self, analyzer, doc_freq: dict[str, int], n_docs: int):
        self.analyzer = analyzer
        self.doc_freq = doc_freq
        self.n_docs = max(n_docs, 1)

    @classmethod
    def from_index(cls, analyzer, keyword_index) -> "Vocabulary":
        return cls(analyzer, keyword_index.answer_doc_freqs(), keyword_index.n_docs)

    def aliases(self, term: str) -> set[str]:
        """Other spellings of a canonical term (glossary aliases), lowercase."""
        return self._inverse.get(term, set())

    @functools.cached_property
    def _inverse(self) -> dict[str, set[str]]:
        inv: dict[str, set[str]] = {}
        for alias, canon in self.analyzer.glossary.canon.items():
            inv.setdefault(canon.replace(" ", "_"), set()).add(alias)
        return inv

    def idf(self, term: str) -> float:
        return bm25_idf(self.n_docs, self.doc_freq.get(term, 0))

    def terms(self, text: str) -> dict[str, float]:
        """Distinct terms with IDF weights; a term inside a longer term of the same text is dropped."""
        toks = set(self.analyzer.tokens(text))
        canon = self.analyzer.glossary.canon
        # an alias next to its canonical term ("resampling" beside "重采样") is the same term once
        toks = {t for t in toks if canon.get(t.replace("_", " "), t).replace(" ", "_") == t
                or canon[t.replace("_", " ")].replace(" ", "_") not in toks}
        keep = {t for t in toks if not any(t != o and t in o and len(o) > len(t) for o in toks)}
        keep = {t for t in keep if t not in FUNCTION_WORDS and not CJK_CHAR.fullmatch(t) and not _CJK_THEN.fullmatch(t)}
        return {t: self.idf(t) for t in keep}


PART_CREDIT = 0.6


def match(term: str, have: dict[str, float] | set[str]) -> float:
    """1 if ``have`` holds the term or a longer term containing it; 0.6 if only a part of it (``溢出`` for ``数据溢出``)."""
    if term in have:
        return 1.0
    best = 0.0
    for h in have:
        if term in h:
            return 1.0
        if len(h) >= 2 and h in term and (len(h) >= 3 or has_cjk(h)):
            best = PART_CREDIT
    return best


def recall(target: dict[str, float], have: dict[str, float] | set[str]) -> float:
    """Weighted share of ``target``'s terms present in ``have`` (parts of a term count partly)."""
    total = sum(target.values())
    return sum(w * match(t, have) for t, w in target.items()) / total if total else 0.0


@dataclass
class PreparedItem:
    """Everything about one item the grader needs, computed once."""

    item: QAItem
    points: tuple[str, ...]
    point_vecs: np.ndarray                      # one row per point
    core_vecs: np.ndarray                       # one row per point: its core (label and asides dropped)
    point_clauses: list[list[str]]              # each point's clauses, each with the point's label
    clause_vecs: list[np.ndarray]               # their embeddings, one matrix per point
    siblings: dict[str, re.Pattern]             # sibling things (剪枝/量化…) and their spellings
    point_terms: list[dict[str, float]]         # each point's terms, a term pair's side as the pair (see claim_terms)
    clause_terms: list[list[dict[str, float]]]  # the same for each clause of each point
    topic_terms: dict[str, float]
    topic_vec: np.ndarray


_GLOSS = re.compile(r"\s*[（(]\s*([A-Za-z][^（()）]*)[)）]")


def strip_glosses(text: str) -> str:
    """Drop English glosses in parentheses (``重采样（Resampling）`` -> ``重采样``) but keep acronyms (``（LSTM）``)."""
    return _GLOSS.sub(lambda m: m.group(0) if re.fullmatch(r"[A-Z][A-Z0-9\-]{1,7}", m.group(1).strip()) else "", text)


_ASIDE = re.compile(r"\s*[（(][^（()）]*[)）]")


def point_core(point: str) -> str:
    """A point without its label and its asides in parentheses: ``测试阶段执行过程：在测试阶段（或者说模型评估阶段），
    通常不会进行dropout操作`` -> ``在测试阶段，通常不会进行dropout操作`` (what a candidate says, in fewer words)."""
    _, rest = split_label(point)
    return _ASIDE.sub("", rest or point).strip() or point


def point_clauses(point: str) -> list[str]:
    """The clauses of a key point, each carrying the point's label (its context: ``测试阶段执行过程：…``)."""
    label, rest = split_label(point)
    parts = [c.text for c in clauses(rest or point)] or [point]
    return [f"{label}：{c}" if label else c for c in parts]


def _term_like(t: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9_\-+.]*", t)) or len(t) >= 3


def things_of(vocab: Vocabulary, stmts: list[str], question: str = "") -> frozenset[str]:
    """Sibling things of an answer: terms of statement labels (``模型剪枝``, ``召回率``) that only some statements
    name and the question does not (``损失函数`` is the topic of "请解释深度学习中的损失函数", not a sibling)."""
    cands: set[str] = set()
    for s in stmts:
        label, _ = split_label(s)
        if label:
            cands.update(t for t in vocab.terms(label) if _term_like(t))
    if not stmts:
        return frozenset()
    lowered = [s.lower() for s in stmts]
    out = set()
    for t in cands:
        share = sum(t in s for s in lowered) / len(lowered)
        if 0 < share <= THING_SHARE and vocab.idf(t) > 1.0 and len(t) >= 2 and not polarity.sides(t) \
                and t not in question.lower():
            out.add(t)      # a term of a pair (L1, 过采样) is judged as a pair already
    return frozenset(out)


def thing_keys(vocab: Vocabulary, things: frozenset[str]) -> dict[str, re.Pattern]:
    """A pattern per sibling thing matching its spellings: ``模型剪枝`` is also ``剪枝`` and ``pruning``."""
    out = {}
    for t in things:
        keys = {t.replace("_", " ")} | vocab.aliases(t)
        m = re.match(rf"^([a-z][a-z0-9\-+.]*|[a-z]*\d[a-z0-9]*)(?=[{CJK}])", t)
        if m:
            keys.add(m.group(1))
        if re.fullmatch(rf"模型[{CJK}]{{2,}}", t):
            keys.add(t[2:])                      # 模型剪枝 -> 剪枝
        alts = sorted((re.escape(k) for k in keys if k), key=len, reverse=True)
        out[t] = re.compile(r"(?<![a-z0-9])(?:" + "|".join(alts) + r")(?![a-z0-9])", re.I)
    return out


def claim_terms(vocab: Vocabulary, text: str) -> dict[str, float]:
    """A text's terms for telling what claim it makes, with either side of a term pair as the pair itself
    (``少数类`` and ``多数类`` are both ``§多数类/少数类``), so a swapped claim still meets its point."""
    out: dict[str, float] = {}
    for t, w in vocab.terms(text).items():
        named = polarity.sides(t.replace("_", " "))
        key = "§" + "|".join(sorted(named)) if named else t
        out[key] = max(out.get(key, 0.0), w)
    return out


def overlap(clause: dict[str, float], point: dict[str, float], min_shared: int = 2) -> float:
    """Weighted share of a clause's terms that the point says too; 0 unless at least ``min_shared`` are shared
    (or all of them, for a clause with fewer terms: ``也没有任何正则化效果``)."""
    total = sum(clause.values())
    credit = {t: match(t, point) for t in clause}
    if total == 0 or sum(1 for c in credit.values() if c >= 1.0) < min(min_shared, len(clause)):
        return 0.0
    return sum(clause[t] * c for t, c in credit.items()) / total


def prepare(item: QAItem, vocab: Vocabulary, embedder) -> PreparedItem:
    """Key points (stored at ingest, else derived now), their clauses and embeddings, the item's sibling things."""
    points = tuple(item.key_points) or key_points(item.answer)
    if not points:
        points = (item.question,)
    bare = [strip_glosses(p) for p in points]        # "重采样（Resampling）" is embedded as "重采样"
    stmts = statements(item.answer) or list(points)
    per_point = [point_clauses(p) for p in bare]
    flat = [c for cs in per_point for c in cs]
    topic = item.question + " " + " ".join(bare)
    n = len(points)
    vecs = embedder.embed(bare + flat + [topic] + [point_core(p) for p in bare])
    core_vecs = vecs[-n:]
    vecs = vecs[:-n]
    clause_vecs, k = [], n
    for cs in per_point:
        clause_vecs.append(vecs[k:k + len(cs)])
        k += len(cs)
    return PreparedItem(
        item=item, points=points, point_vecs=vecs[:n], core_vecs=core_vecs, point_clauses=per_point,
        clause_vecs=clause_vecs,
        siblings=thing_keys(vocab, things_of(vocab, stmts, item.question)),
        point_terms=[claim_terms(vocab, p) for p in bare],
        clause_terms=[[claim_terms(vocab, c) for c in cs] for cs in per_point],
        topic_terms=vocab.terms(item.question + " " + item.detail + " " + " ".join(stmts)), topic_vec=vecs[-1])
