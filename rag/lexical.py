"""The keyword side of a query's scores: BM25 per field, coverage, and which named concepts are known.

* :func:`keyword_scores`: BM25 of the query's tokens against each field and the IDF-weighted share of
  its content terms each item contains (:class:`KeywordScores`, arrays over the items);
* :func:`unknown_share`: the share of the concepts a query names that no item mentions;
* :class:`NameCheck`: the share of them that one item does not mention, under any glossary name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ingest.items import QAItem
from ingest.keyword import STOPWORDS, KeywordIndex
from ingest.text.normalize import fold
from rag.query import TERM_HEADS_ZH, QueryAnalyzer, inflections

_SPACING = re.compile(r"[\s_\-]+")

Concepts = Iterable[tuple[str, str]]   # (surface, canonical) pairs: ("LoRA", "lora")


@dataclass(frozen=True)
class KeywordScores:
    """BM25 per field and coverage of one query, arrays of length ``len(index.items)``."""

    question: np.ndarray
    answer: np.ndarray
    coverage: np.ndarray            # the share of the query's content terms in the whole item
    question_coverage: np.ndarray   # the same share, counted in the question field only

    @classmethod
    def zeros(cls, n: int) -> KeywordScores:
        z = np.zeros(n, dtype=np.float32)
        return cls(z, z, z, z)


def keyword_scores(keyword: KeywordIndex, analyzer: QueryAnalyzer, query: str) -> KeywordScores:
    """The keyword scores of ``query`` (already NFKC-normalised) over ``keyword``'s items."""
    q, a = keyword.scores(analyzer.tokens(query), 1.0)
    qcov, cov = keyword.coverage(analyzer.terms(query, known=keyword.knows))
    return KeywordScores(q, a, cov, qcov)


def unknown_share(keyword: KeywordIndex, concepts: Concepts) -> float:
    """Share of ``concepts`` that no item mentions (0 when there are none); one vote per canonical form."""
    known: dict[str, bool] = {}
    for surface, canon in concepts:
        known[canon] = known.get(canon, False) or keyword.knows(canon) or keyword.knows(surface)
    return sum(not k for k in known.values()) / len(known) if known else 0.0


@dataclass(frozen=True)
class NameCheck:
    """Whether the names a query asks about appear in one item, under any of their glossary names.

    ``canon``: the glossary, alias -> canonical form (:attr:`ingest.keyword.Glossary.canon`).
    """

    canon: Mapping[str, str]

    @cached_property
    def aliases(self) -> dict[str, set[str]]:
        """Canonical form (spaces as ``_``, lowercase) -> its aliases, lowercase."""
        out: dict[str, set[str]] = {}
        for alias, canon in self.canon.items():
            out.setdefault(canon.replace(" ", "_").lower(), set()).add(alias.lower())
        return out

    def missing_share(self, item: QAItem, names: Concepts) -> float:
        """The share of ``names`` ((surface, canonical) pairs) that appear nowhere in ``item``."""
        names = tuple(dict.fromkeys(names))
        if not names:
            return 0.0
        text = _SPACING.sub("", f"{item.question}\n{item.detail}\n{item.answer}".lower())
        missing = 0
        for surface, canon in names:
            forms = {surface.lower(), canon.lower(), *self.aliases.get(canon.lower(), ())}
            missing += not any(f and _SPACING.sub("", f) in text for f in forms)   # "LayerNorm" = "Layer Norm"
        return missing / len(names)


_PHRASE_CANDIDATES = 64     # items checked word for word for a phrase (its tokens' postings intersected first)


def _holding(keyword: KeywordIndex, analyzer, text: str, n: int) -> np.ndarray:
    """Positions of the items that hold every token of ``text`` (from the keyword index's postings)."""
    tokens = [t for t in dict.fromkeys(analyzer.tokens(text)) if t]
    if not tokens:
        return np.zeros(0, dtype=np.int64)
    postings = [keyword.postings(t) for t in tokens]
    if any(not len(q) and not len(a) for q, a in postings):
        return np.zeros(0, dtype=np.int64)
    postings.sort(key=lambda qa: len(qa[0]) + len(qa[1]))    # the rarest token first
    has = np.zeros(n, dtype=bool)   # masks, not np.union1d: sorting 100k postings costs ~10 ms a token
    has[postings[0][0]] = True
    has[postings[0][1]] = True
    mask = np.zeros(n, dtype=bool)
    for q, a in postings[1:]:
        mask[:] = False
        mask[q] = True
        mask[a] = True
        has &= mask
    return np.flatnonzero(has)[:_PHRASE_CANDIDATES]


def _item_text(it: QAItem) -> str:
    return _SPACING.sub("", fold(f"{it.question}\n{it.detail}\n{it.answer}"))


def phrase_in_corpus(keyword: KeywordIndex, items, analyzer, phrase: str) -> bool:
    """Whether some item's text contains ``phrase`` word for word (case, width and spaces aside).

    The items that hold every token of the phrase are found from the keyword index's postings, and
    at most ``_PHRASE_CANDIDATES`` of them are read: no scan of the corpus, at 100k items either.
    """
    target = _SPACING.sub("", fold(phrase))
    if not target:
        return False
    return any(target in _item_text(items[int(j)]) for j in _holding(keyword, analyzer, phrase, len(items)))


PAIR_WINDOW = 8     # characters between the two words of a pair that still say one thing ("维度进行拼接", "拼接的维度")


def pair_in_corpus(keyword: KeywordIndex, items, analyzer, a: str, b: str, window: int = PAIR_WINDOW) -> bool:
    """Whether some item names ``a`` and ``b`` together: in either order, at most ``window`` characters apart
    inside one sentence (``多任务`` + ``训练`` in "训练多个任务"… no; in "多任务的训练" yes)."""
    fa, fb = _SPACING.sub("", fold(a)), _SPACING.sub("", fold(b))
    if not fa or not fb:
        return False
    gap = f"[^。！？!?；;\n]{{0,{window}}}"
    pattern = re.compile(f"{re.escape(fa)}{gap}{re.escape(fb)}|{re.escape(fb)}{gap}{re.escape(fa)}")
    return any(pattern.search(_item_text(items[int(j)])) for j in _holding(keyword, analyzer, f"{a} {b}", len(items)))
    n = len(items)
    postings = [keyword.postings(t) for t in tokens]
    if any(not len(q) and not len(a) for q, a in postings):
        return False
    postings.sort(key=lambda qa: len(qa[0]) + len(qa[1]))    # the rarest token first
    has = np.zeros(n, dtype=bool)   # masks, not np.union1d: sorting 100k postings costs ~10 ms a token
    has[postings[0][0]] = True
    has[postings[0][1]] = True
    mask = np.zeros(n, dtype=bool)
    for q, a in postings[1:]:
        mask[:] = False
        mask[q] = True
        mask[a] = True
        has &= mask
    for j in np.flatnonzero(has)[:_PHRASE_CANDIDATES]:
        if 0 <= j < n:
            it = items[int(j)]
            if target in _SPACING.sub("", fold(f"{it.question}\n{it.detail}\n{it.answer}")):
                return True
    return False


def unknown_terms(keyword: KeywordIndex, items, query_analyzer, terms) -> float:
    """The share of the plain-word terms a question names (:meth:`rag.query.QueryAnalyzer.subject_terms`)
    that the corpus never uses: ``胶囊网络`` where the banks have 网络 but never 胶囊网络, ``capsule networks``,
    ``Mamba``. A glossary term counts as known when the corpus names its concept under any of its names."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return 0.0
    canon = query_analyzer.glossary.canon
    lexicon = query_analyzer.lexicon.terms
    analyzer = query_analyzer.analyzer

    def concept_known(w: str) -> bool:   # a glossary term counts when the corpus names it under some name
        c = canon.get(w)
        return c is not None and (keyword.knows(c.replace(" ", "_")) or keyword.knows(w))

    def word_known(w: str) -> bool:
        # under any of its inflections (replayed -> replay, multiplications -> multiplication)
        return any(concept_known(v) or v in lexicon or keyword.knows(v) for v in inflections(w))

    unknown = 0
    for kind, mod, head, last in terms:
        if kind == "latin":
            unknown += not word_known(mod)
        elif kind == "en":
            phrase = f"{mod} {head}".lower()
            unknown += not (concept_known(phrase) or phrase in lexicon
                            or all(word_known(p) for p in mod.split("-") if p and p.lower() not in STOPWORDS))
        elif kind == "zhv":
            # a noun and a verb: known when some item says them together, in either order ("拼接的维度")
            # ... under any of the noun's written names (图片 -> 图像: the query lexicon)
            nouns = dict.fromkeys((mod, *lexicon.get(mod.lower(), ()), canon.get(mod.lower(), mod)))
            unknown += not (concept_known(f"{mod}{head}".lower())
                            or any(pair_in_corpus(keyword, items, analyzer, n, head) for n in nouns))
        else:
            # its head with the nearest modifier word alone ("写个对抗网络": 对抗网络), then the whole term; a
            # head that is a word of its own (脉冲 + 神经网络) also with its category alone (脉冲网络)
            pairs = [(last, f"{last}{head}"), (mod, f"{mod}{head}")]
            category = max((h for h in TERM_HEADS_ZH if len(head) > len(h) and head.endswith(h)), key=len, default="")
            if category:
                pairs.append((last, f"{last}{category}"))
            unknown += not any(concept_known(c) or concept_known(m) or phrase_in_corpus(keyword, items, analyzer, c)
                               for m, c in dict.fromkeys((m.lower(), c.lower()) for m, c in pairs))
    return unknown / len(terms)
