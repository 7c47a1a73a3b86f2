"""Hybrid retrieval over Q&A items: BM25 on jieba tokens (question field weighted) fused with dense search.

Every item gets four numbers per query (:class:`Scores`), all computed with array
operations, never a Python loop over items:

* ``question`` / ``answer``: BM25 of the query's tokens against each field;
* ``coverage``: the IDF-weighted share of the query's content terms the item contains;
* ``dense``: the best cosine of the (filler-stripped) query with any of the item's vectors,
  its question or one of its passages, so an item counts once however many passages match.

:mod:`rag.fusion` turns them into one ranking score and an abstention confidence, both
on absolute scales so that a threshold calibrated on the eval set means the same thing
for every query. Items whose question is the same word for word collapse into one hit
that lists where else it appears.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from ingest import store
from ingest.embed import canonical_name, load_embedder
from ingest.items import QAItem
from ingest.keyword import Analyzer, Glossary
from ingest.settings import Settings
from rag import fusion
from rag.query import NAME_LIKE, QueryAnalyzer

CANDIDATES = 64   # dense rows looked at per query when the index is approximate (HNSW)
MODES = ("hybrid", "keyword", "dense")
_SPACING = re.compile(r"[\s_\-]+")
# terminal escape sequences (CSI colours, OSC titles, two-byte escapes) pasted along with a question
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


class QueryError(ValueError):
    """A query that cannot be searched (empty, or too long); the message says what to do."""


@dataclass(frozen=True)
class Hit:
    """One retrieved item. ``keyword``/``dense`` are its normalised component scores (0..1)."""

    item: QAItem
    score: float
    keyword: float
    dense: float
    also_in: tuple[str, ...] = ()
    coverage: float = 0.0

    @property
    def ids(self) -> tuple[str, ...]:
        """The item's id and the ids of its word-for-word duplicates."""
        return (self.item.id, *self.also_in)

    def public(self) -> dict:
        d = self.item.public()
        d["score"] = round(float(self.score), 4)
        if self.also_in:
            d["also_in"] = list(self.also_in)
        return d


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits and how sure the search is.

    ``level`` is ``answered`` (the top item answers the query), ``closest`` (the nearest questions,
    for the user to check) or ``not_covered`` (the banks do not cover it; then ``abstained``).
    """

    query: str
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    notice: str = ""
    level: str = ""

    def __post_init__(self) -> None:
        if not self.level:   # results built by hand (tests, callers) get the level their abstention implies
            object.__setattr__(self, "level", "not_covered" if self.abstained else "answered")

    def public(self) -> dict:
        return {"query": self.query, "abstained": self.abstained, "level": self.level,
                "confidence": round(max(0.0, self.confidence), 4), "results": [h.public() for h in self.hits]}


@dataclass(frozen=True)
class Scores:
    """Raw per-item scores of one query (arrays of length ``len(index.items)``)."""

    question: np.ndarray
    answer: np.ndarray
    coverage: np.ndarray
    dense: np.ndarray
    question_coverage: np.ndarray | None = None   # the same share, counted in the question field only
    unknown: float = 0.0    # share of the query's concepts that no item mentions ("LoRA", "红烧肉" has none)
    query_vector: np.ndarray | None = None         # the embedded query (for the cosine with a question)
    names: tuple[tuple[str, str], ...] = ()        # the names it asks about: (surface, canonical) "LoRA", "CTC"
    concepts: tuple[tuple[str, str], ...] = ()     # every concept it names (glossary terms and names)
    in_domain: bool = True                         # it names something from AI/ML (data/domain_terms.txt)
    small_talk: bool = False                       # greetings, thanks, "who are you", and nothing else


def check_query(query: str, max_chars: int) -> str:
    """Strip a query and reject empty or absurdly long ones with a clear message."""
    if query is None:
        raise QueryError("the question is empty: type a question, e.g. 什么是感受野？")
    cleaned = _ANSI.sub(" ", str(query))
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in cleaned).strip()
    if not cleaned:
        raise QueryError("the question is empty: type a question, e.g. 什么是感受野？")
    if len(cleaned) > max_chars:
        raise QueryError(f"the question is {len(cleaned)} characters long; the limit is {max_chars}. "
                         f"Ask about one topic at a time.")
    return cleaned


@dataclass
class Searcher:
    """Loads the index lazily, then answers :meth:`search` calls (thread-safe, read-only)."""

    settings: Settings
    _index: store.Index | None = None
    _analyzer: Analyzer | None = None
    _query: QueryAnalyzer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> store.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    index = store.load(self.settings.index_root, canonical_name(self.settings.embedding_model))
                    # the entries (embedded texts) of item i are _row_start[i]:_row_start[i + 1]
                    self._row_start = np.searchsorted(index.dense_rows, np.arange(len(index.items) + 1))
                    # and the entries of dense row r, for an approximate search that returns rows
                    self._ref_order = np.argsort(index.dense_refs, kind="stable")
                    self._ref_start = np.searchsorted(index.dense_refs[self._ref_order], np.arange(index.dense.ntotal + 1))
                    # an exact index is small enough to score every vector with one matrix product
                    flat = type(index.dense).__name__ == "IndexFlatIP"
                    self._vectors = index.dense.reconstruct_n(0, index.dense.ntotal) if flat else None
                    self._index = index
        return self._index

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            g = Glossary.load()
            for alias, canon in self.index.manifest.get("glossary", {}).items():
                g.canon.setdefault(alias, canon)
            self._analyzer = Analyzer(g)
        return self._analyzer

    @property
    def query_analyzer(self) -> QueryAnalyzer:
        if self._query is None:
            self._query = QueryAnalyzer(self.analyzer)
        return self._query

    def reload(self) -> None:
        """Pick up a newly built index (after an upload or re-ingest)."""
        with self._lock:
            self._index = None
            self._analyzer = None
            self._query = None
            self.__dict__.pop("_doc_masks", None)

    def warm_up(self) -> None:
        self.index
        self.query_analyzer.tokens("预热")
        load_embedder(self.settings.embedding_model).embed_query("warm up")

    # -- scoring ---------------------------------------------------------------
    def scores(self, query: str, keyword: bool = True, dense: bool = True) -> Scores:
        """The raw per-item scores of ``query`` (a component not asked for is all zeros)."""
        index, analyzer = self.index, self.query_analyzer
        n = len(index.items)
        zeros = np.zeros(n, dtype=np.float32)
        q = a = cov = qcov = zeros
        if keyword:
            q, a = index.keyword.scores(analyzer.tokens(query), 1.0)
            qcov, cov = index.keyword.coverage(analyzer.terms(query, known=index.keyword.knows))
        qv = None
        if dense:
            qv = load_embedder(self.settings.embedding_model).embed_query(analyzer.dense_text(query)).astype(np.float32)
        d = self._dense(qv, q + a) if dense else zeros
        concepts = tuple(analyzer.concepts(query))
        names = tuple((w, c) for w, c in concepts if NAME_LIKE.match(w))
        in_domain = analyzer.in_domain(query)
        return Scores(q, a, cov, d, qcov, self.unknown_share(query, concepts), qv, names, concepts, in_domain,
                      not in_domain and analyzer.small_talk(query))

    def unknown_share(self, query: str, concepts=None) -> float:
        """Share of the concepts named in ``query`` that no item mentions (0 when it names none)."""
        known: dict[str, bool] = {}
        for surface, canon in (self.query_analyzer.concepts(query) if concepts is None else concepts):
            kw = self.index.keyword
            known[canon] = known.get(canon, False) or kw.knows(canon) or kw.knows(surface)
        return sum(not k for k in known.values()) / len(known) if known else 0.0

    def question_cosine(self, position: int, qv: np.ndarray | None) -> float:
        """Cosine of the query with the item's question alone (its first embedded text)."""
        if qv is None:
            return 0.0
        row = int(self.index.dense_refs[self._row_start[position]])
        vec = self._vectors[row] if self._vectors is not None else self.index.dense.reconstruct(row)
        return float(np.asarray(vec, dtype=np.float32) @ qv)

    def names_missing(self, item: QAItem, names) -> bool:
        """Whether some name the query asks about appears nowhere in ``item`` (under any of its glossary names)."""
        return self.missing_share(item, names) > 0

    def missing_share(self, item: QAItem, names) -> float:
        """The share of ``names`` ((surface, canonical) pairs) that appear nowhere in ``item``, under any
        of their glossary names."""
        if not names:
            return 0.0
        aliases = self.__dict__.get("_aliases")
        if aliases is None:
            aliases = {}
            for alias, canon in self.analyzer.glossary.canon.items():
                aliases.setdefault(canon.replace(" ", "_").lower(), set()).add(alias.lower())
            self.__dict__["_aliases"] = aliases
        text = _SPACING.sub("", f"{item.question}\n{item.detail}\n{item.answer}".lower())
        missing = 0
        for surface, canon in dict.fromkeys(names):
            forms = {surface.lower(), canon.lower(), *aliases.get(canon.lower(), ())}
            missing += not any(f and _SPACING.sub("", f) in text for f in forms)   # "LayerNorm" = "Layer Norm"
        return missing / len(dict.fromkeys(names))

    def _dense(self, qv: np.ndarray, keyword: np.ndarray) -> np.ndarray:
        """Best cosine per item over its entries (question, passages, lead sentences)."""
        index = self.index
        starts = self._row_start[:-1]
        if self._vectors is not None:
            sims = self._vectors @ qv     # one cosine per distinct text
            return np.maximum.reduceat(sims[index.dense_refs], starts).astype(np.float32)
        # approximate index: the dense top rows (each given to every item that has its text),
        # plus exact cosines for the best keyword candidates
        out = np.full(len(index.items), -1.0, dtype=np.float32)
        sims, rows = index.dense.search(qv[None, :], min(index.dense.ntotal, CANDIDATES * 4))
        ok = rows[0] >= 0
        rows, sims = rows[0][ok], sims[0][ok]
        lo, hi = self._ref_start[rows], self._ref_start[rows + 1]
        entries = self._ref_order[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])]
        np.maximum.at(out, index.dense_rows[entries], np.repeat(sims, hi - lo))
        # one batched lookup (IVF's reconstruct_n scans every list per call: ~0.4 ms each at 100k items)
        n = len(keyword)
        cand = np.argpartition(-keyword, CANDIDATES)[:CANDIDATES] if n > CANDIDATES else np.arange(n)
        lo, hi = self._row_start[cand], self._row_start[cand + 1]
        entries = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        rows = index.dense_refs[entries].astype(np.int64)
        best = np.maximum.reduceat(index.dense.reconstruct_batch(rows) @ qv, np.cumsum(hi - lo) - (hi - lo))
        out[cand] = np.maximum(out[cand], best)
        return out

    def search(self, query: str, k: int | None = None, keyword_only: bool = False, dense_only: bool = False,
               doc: str | None = None) -> SearchResult:
        """Search the banks.

        Args:
            query: the question, Chinese or English.
            k: number of hits (default ``settings.top_k``); they are listed even when abstaining.
            keyword_only / dense_only: ablations for evaluation.
            doc: restrict to one document title or file name.

        Raises:
            QueryError: empty or too long query.
        """
        if keyword_only and dense_only:
            raise ValueError("keyword_only and dense_only exclude each other; pick at most one.")
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k!r}.")
        query = check_query(query, self.settings.max_query_chars)
        mode = "keyword" if keyword_only else "dense" if dense_only else "hybrid"
        raw = self.scores(query, keyword=not dense_only, dense=not keyword_only)
        return self.rank(query, raw, mode, k or self.settings.top_k, doc)

    def _doc_mask(self, doc: str) -> np.ndarray:
        masks = self.__dict__.setdefault("_doc_masks", {})
        if doc not in masks:
            masks[doc] = np.array([doc in (it.doc, it.file) for it in self.index.items], dtype=bool)
        return masks[doc]

    def rank(self, query: str, raw: Scores, mode: str = "hybrid", k: int = 5, doc: str | None = None,
             params: fusion.Params | None = None) -> SearchResult:
        """Fuse raw scores into ranked, de-duplicated hits and decide whether to abstain."""
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {MODES}.")
        p = params or fusion.Params.from_settings(self.settings)
        items = self.index.items
        kw = fusion.keyword_score(raw.question, raw.answer, p.weight_question, p.keyword_half)
        dn = fusion.dense_score(raw.dense, p.dense_floor, p.dense_ceil)
        qcov = raw.coverage if raw.question_coverage is None else raw.question_coverage
        if mode == "hybrid":
            fused = fusion.fuse(kw, dn, raw.coverage, qcov, p.weight_dense, p.weight_coverage, p.weight_question_coverage)
        elif mode == "keyword":
            fused = fusion.fuse(kw, dn, raw.coverage, qcov, 0.0, p.keyword_coverage, p.keyword_question_coverage)
        else:
            fused = dn
        if doc:
            fused = np.where(self._doc_mask(doc), fused, -np.inf)
        depth = max(4 * k, k + 16)
        pool = np.arange(len(fused))
        if len(fused) > 4 * depth:   # sort only the best (and everything tied with them), not all 100k items
            cut = np.partition(fused, len(fused) - depth)[len(fused) - depth]
            pool = np.flatnonzero(fused >= cut)
        # ties (e.g. all zero when nothing matches) go to the nearest by cosine
        order = pool[np.lexsort((-raw.dense[pool], -fused[pool]))]
        hits: list[Hit] = []
        seen: set[str] = set()
        for j in order[:depth]:
            item = items[int(j)]
            if item.id in seen or not np.isfinite(fused[j]) or (mode == "keyword" and kw[j] <= 0):
                continue
            seen.update((item.id, *item.duplicates))
            hits.append(Hit(item, float(fused[j]), float(kw[j]), float(dn[j]), item.duplicates, float(raw.coverage[j])))
            if len(hits) >= k:
                break
        if not hits:
            return SearchResult(query, (), True, 0.0, level="not_covered")
        ev = self.evidence(hits, raw, qcov, mode, p)
        confidence = fusion.calibrated(mode, ev, p)
        lvl = fusion.level(mode, confidence, ev.margin, p, ev)
        return SearchResult(query, tuple(hits), lvl == "not_covered", confidence, level=lvl)

    def evidence(self, hits: list[Hit], raw: Scores, qcov: np.ndarray, mode: str, p: fusion.Params) -> fusion.Evidence:
        """The evidence about the top hit that :func:`rag.fusion.calibrated` weighs."""
        top = hits[0]
        if mode != "hybrid":
            return fusion.Evidence(top.score, top.coverage, top.dense, raw.unknown)
        pos = self.index.position(top.item.id)
        qdense = fusion.dense_score(np.float32(self.question_cosine(pos, raw.query_vector)), p.dense_floor, p.dense_ceil)
        margin = top.score - hits[1].score if len(hits) > 1 else 1.0
        return fusion.Evidence(top.score, top.coverage, top.dense, raw.unknown, float(qcov[pos]), float(qdense),
                               float(margin), self.names_missing(top.item, raw.names), raw.in_domain, raw.small_talk,
                               self.missing_share(top.item, raw.concepts))
