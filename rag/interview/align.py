"""Aligning a candidate's clauses with the key points and statements of a reference answer.

Three signals, each on a 0..1 scale:

* **terms**: IDF-weighted recall of the key point's jieba terms (glossary-canonicalised,
  so ``BN`` meets ``批量归一化``); terms of the point's label (``量化：…``) count double;
* **bigrams**: recall of the point's Chinese character bigrams and latin words (catches
  what jieba cut differently: ``批量的归一化``);
* **dense**: cosine of the USE embeddings, mapped from ``[DENSE_FLOOR, DENSE_CEIL]``.

:func:`prepare` does the per-item work once (terms, bigrams, embeddings of the points,
the reference statements cut into clauses, the sibling "things" a swap can confuse).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ingest.items import QAItem
from ingest.keypoints import key_points, split_label, statements
from rag.interview import polarity
from rag.interview.text import bigrams, clauses

DENSE_FLOOR, DENSE_CEIL = 0.30, 0.80
LABEL_BOOST = 2.0
THING_SHARE = 0.5        # a term in more than this share of the statements is the topic, not a sibling thing


# discourse and function words: frequent enough in candidates' speech, rare enough in the banks to get a high
# IDF, and never what a key point is about
FUNCTION_WORDS = set("""
换句话说 反之 也就是说 总之 此外 另外 然后 首先 其次 最后 同时 能够 可能 一些 一种 一个 通过 进行 使用 使得 以及 并且 从而
因此 所以 因为 如果 而且 其中 这种 这些 那些 具有 包括 等等 例如 比如 特别 尤其 相对 相应 对于 关于 基于 用于 由于 之间
之后 之前 其他 所有 每个 各种 主要 具体 通常 一般 往往 常用 常见 需要 可以 就是 还是 或者 以便 以及 并 但是 然而 不过
即 则 该 此 其 它们 我们 他们 大家 这样 那样 如何 怎样 一定 比较 更加 非常 很多 许多 大量 较 更 最 都 也 还 又 再 已经
""".split())


class Vocabulary:
    """Terms of a text with IDF weights from the index's answer field (BM25 IDF)."""

    def __init__(self, analyzer, doc_freq: dict[str, int], n_docs: int):
        self.analyzer = analyzer
        self.doc_freq = doc_freq
        self.n_docs = max(n_docs, 1)

    @classmethod
    def from_index(cls, analyzer, keyword_index) -> "Vocabulary":
        bm = keyword_index.a
        df = np.diff(np.asarray(bm.scores["indptr"]))
        freq = {tok: int(df[i]) for tok, i in bm.vocab_dict.items() if i < len(df)}
        return cls(analyzer, freq, int(bm.scores["num_docs"]))

    def aliases(self, term: str) -> set[str]:
        """Other spellings of a canonical term (glossary aliases), lowercase."""
        inv = self.__dict__.get("_inverse")
        if inv is None:
            inv = {}
            for alias, canon in self.analyzer.glossary.canon.items():
                inv.setdefault(canon.replace(" ", "_"), set()).add(alias)
            self.__dict__["_inverse"] = inv
        return inv.get(term, set())

    def idf(self, term: str) -> float:
        df = self.doc_freq.get(term, 0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def terms(self, text: str) -> dict[str, float]:
        """Distinct terms with IDF weights; a term inside a longer term of the same text is dropped."""
        toks = set(self.analyzer.tokens(text))
        canon = self.analyzer.glossary.canon
        # an alias next to its canonical term ("resampling" beside "重采样") is the same term once
        toks = {t for t in toks if canon.get(t.replace("_", " "), t).replace(" ", "_") == t
                or canon[t.replace("_", " ")].replace(" ", "_") not in toks}
        keep = {t for t in toks if not any(t != o and t in o and len(o) > len(t) for o in toks)}
        keep = {t for t in keep if t not in FUNCTION_WORDS and not re.fullmatch(r"[\u4e00-\u9fff]", t)
                and not re.fullmatch(r"[\u4e00-\u9fff]+则", t)}
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
        if len(h) >= 2 and h in term and (len(h) >= 3 or re.search(r"[\u4e00-\u9fff]", h)):
            best = PART_CREDIT
    return best


def recall(target: dict[str, float], have: dict[str, float] | set[str]) -> float:
    """Weighted share of ``target``'s terms present in ``have`` (parts of a term count partly)."""
    total = sum(target.values())
    return sum(w * match(t, have) for t, w in target.items()) / total if total else 0.0


def dice(a: dict[str, float], b: dict[str, float]) -> float:
    total = sum(a.values()) + sum(b.values())
    return 2 * sum(w for t, w in a.items() if t in b) / total if total else 0.0


def set_recall(target: set[str], have: set[str]) -> float:
    return len(target & have) / len(target) if target else 0.0


def set_dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def dense_scale(cos: np.ndarray | float) -> np.ndarray | float:
    return np.clip((np.asarray(cos) - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0)


@dataclass(frozen=True)
class RefClause:
    """A clause of a reference statement, with the sibling things it speaks of."""

    text: str
    statement: int
    terms: dict[str, float]
    grams: frozenset[str]
    things: frozenset[str]
    context: str = ""           # the whole statement


@dataclass
class PreparedItem:
    """Everything about one item the grader needs, computed once."""

    item: QAItem
    points: tuple[str, ...]
    point_terms: list[dict[str, float]]
    point_labels: list[dict[str, float]]      # terms of each point's label ({} without one)
    point_grams: list[set[str]]
    point_vecs: np.ndarray
    point_clauses: list[list[RefClause]]
    ref_clauses: list[RefClause]
    things: frozenset[str]
    thing_keys: dict
    topic_terms: dict[str, float]
    topic_vec: np.ndarray
    point_of_statement: dict[int, int] = field(default_factory=dict)


_GLOSS = re.compile(r"\s*[（(]\s*([A-Za-z][^（()）]*)[)）]")


def strip_glosses(text: str) -> str:
    """Drop English glosses in parentheses (``重采样（Resampling）`` -> ``重采样``) but keep acronyms (``（LSTM）``)."""
    return _GLOSS.sub(lambda m: m.group(0) if re.fullmatch(r"[A-Z][A-Z0-9\-]{1,7}", m.group(1).strip()) else "", text)


def _point_terms(vocab: Vocabulary, point: str) -> dict[str, float]:
    point = strip_glosses(point)
    label, _ = split_label(point)
    terms = vocab.terms(point)
    if label:
        for t in vocab.terms(label):
            if t in terms:
                terms[t] *= LABEL_BOOST
    return terms


def _term_like(t: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9_\-+.]*", t)) or len(t) >= 3


def things_of(vocab: Vocabulary, stmts: list[str]) -> frozenset[str]:
    """Sibling things of an answer: terms of statement labels (``L1正则化``, ``召回率``) that only some statements name."""
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
        if 0 < share <= THING_SHARE and vocab.idf(t) > 1.0 and len(t) >= 2:
            out.add(t)
    return frozenset(out)


def prepare(item: QAItem, vocab: Vocabulary, embedder) -> PreparedItem:
    """Key points (stored at ingest, else derived now), their terms/bigrams/vectors, reference clauses."""
    points = tuple(item.key_points) or key_points(item.answer)
    if not points:
        points = (item.question,)
    stmts = statements(item.answer) or list(points)
    things = things_of(vocab, stmts)
    keys = thing_keys(vocab, things)
    refs = [r for k, s in enumerate(stmts) for r in ref_clauses(vocab, s, k, keys)]
    point_of = {}
    for k, s in enumerate(stmts):
        grams = bigrams(s)
        best = max(range(len(points)), key=lambda j: set_recall(bigrams(points[j]), grams))
        if set_recall(bigrams(points[best]), grams) >= 0.6:
            point_of[k] = best
    topic_text = item.question + " " + item.detail + " " + " ".join(stmts)
    vecs = embedder.embed(list(points) + [item.question + " " + " ".join(points)])
    return PreparedItem(
        item=item, points=points, point_terms=[_point_terms(vocab, p) for p in points],
        point_labels=[vocab.terms(split_label(strip_glosses(p))[0]) if split_label(p)[0] else {} for p in points],
        point_grams=[bigrams(strip_glosses(p)) for p in points],
        point_clauses=[ref_clauses(vocab, p, -1, keys) for p in points], thing_keys=keys, point_vecs=vecs[:-1], ref_clauses=refs, things=things,
        topic_terms=vocab.terms(topic_text), topic_vec=vecs[-1], point_of_statement=point_of)


def thing_keys(vocab: Vocabulary, things: frozenset[str]) -> dict[str, re.Pattern]:
    """A pattern per sibling thing matching its spellings: ``l1正则化`` is also ``L1`` and ``L1 正则``."""
    out = {}
    for t in things:
        keys = {t.replace("_", " ")} | vocab.aliases(t)
        m = re.match(r"^([a-z][a-z0-9\-+.]*|[a-z]*\d[a-z0-9]*)(?=[\u4e00-\u9fff])", t)
        if m:
            keys.add(m.group(1))
        alts = sorted((re.escape(k) for k in keys if k), key=len, reverse=True)
        out[t] = re.compile(r"(?<![a-z0-9])(?:" + "|".join(alts) + r")(?![a-z0-9])", re.I)
    return out


def mentions(text: str, keys: dict[str, re.Pattern]) -> frozenset[str]:
    """The sibling things a text names, in any of their spellings."""
    return frozenset(t for t, pat in keys.items() if pat.search(text))


def ref_clauses(vocab: Vocabulary, statement: str, k: int, keys: dict[str, re.Pattern]) -> list[RefClause]:
    """The clauses of a reference statement; a label's things carry over to the clauses after it."""
    statement = strip_glosses(statement)
    label, _ = split_label(statement)
    label_things = mentions(label, keys) if label else frozenset()
    out = []
    for c in clauses(statement):
        if c.text == label and not polarity.claims_something(label):
            continue            # a bare name ("模型剪枝"); a label that claims ("减少标注成本") stays
        out.append(RefClause(c.text, k, vocab.terms(c.text), frozenset(bigrams(c.text)), mentions(c.text, keys) | label_things,
                             statement))
    return out


def without_things(grams: set[str] | frozenset[str], things: frozenset[str]) -> set[str]:
    """Bigrams with those of the sibling things removed (so alignment looks at what is said, not of what)."""
    drop = set(things)
    for t in things:
        if re.search(r"[\u4e00-\u9fff]", t):
            drop.update(t[i:i + 2] for i in range(len(t) - 1))
    return set(grams) - drop
