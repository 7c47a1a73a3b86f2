"""Hybrid retrieval over Q&A items: BM25 on jieba tokens (question field weighted) fused with dense search.

Every item gets four numbers per query (:class:`Scores`), all computed with array
operations, never a Python loop over items:

* ``question`` / ``answer``: BM25 of the query's tokens against each field;
* ``coverage``: the IDF-weighted share of the query's content terms the item contains;
* ``dense``: the best cosine of the (filler-stripped) query with any of the item's vectors,
  its question or one of its passages, so an item counts once however many passages match.

:mod:`rag.lexical` computes the keyword side, :mod:`rag.dense` the dense one, and :mod:`rag.ranking`
(with the formulas of :mod:`rag.fusion`) turns them into one ranking score and an abstention
confidence, both on absolute scales so that a threshold calibrated on the eval set means the same
thing for every query. Items whose question is the same word for word collapse into one hit that
lists where else it appears. :class:`Searcher` only loads the index and composes these parts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ingest import store
from ingest.embed import canonical_name, load_embedder
from ingest.index_store import IndexStore, open_store
from ingest.items import QAItem
from ingest.keyword import Analyzer, Glossary
from ingest.settings import Settings
from ingest.text.normalize import nfkc
from rag import fusion, lexical, ranking
from rag.dense import CANDIDATES, DenseSearch  # noqa: F401  (CANDIDATES: public here)
from rag.query import QueryAnalyzer
from rag.ranking import MODES  # noqa: F401  (public here)
from rag.results import Hit, Scores, SearchResult
from rag.validate import check_query

# what a reload forgets (cached properties of the loaded index)
_LOADED = ("analyzer", "query_analyzer", "names", "_doc_masks")


@dataclass
class Searcher:
    """Loads the index lazily, then answers :meth:`search` calls (thread-safe, read-only).

    It composes the parts: :mod:`rag.lexical` (keyword scores, coverage, unknown concepts),
    :class:`rag.dense.DenseSearch` (dense scores, flat or approximate as the manifest says) and
    :mod:`rag.ranking` (fusion, de-duplication, abstention).
    """

    settings: Settings
    _index: store.Index | None = None
    _store: IndexStore | None = None     # where the index was loaded from (open_store)
    _dense: DenseSearch | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> store.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._store = open_store(self.settings)
                    index = self._store.load(canonical_name(self.settings.embedding.model))
                    dense = DenseSearch(index)
                    _ = dense.vectors        # an exact index is read once, here, not by the first query
                    self._dense, self._index = dense, index
        return self._index

    @property
    def dense(self) -> DenseSearch:
        """Dense search over the loaded index (the one :attr:`index` gives, even while another thread reloads)."""
        index = self.index
        dense = self._dense
        return dense if dense is not None and dense.index is index else DenseSearch(index)

    @cached_property
    def analyzer(self) -> Analyzer:
        """The index's analyzer: ``data/glossary.tsv`` plus the pairs the build harvested from the banks."""
        g = Glossary.load()
        for alias, canon in self.index.manifest.glossary.items():
            g.canon.setdefault(alias, canon)
        return Analyzer(g)

    @cached_property
    def query_analyzer(self) -> QueryAnalyzer:
        return QueryAnalyzer(self.analyzer)

    @cached_property
    def names(self) -> lexical.NameCheck:
        return lexical.NameCheck(self.analyzer.glossary.canon)

    @cached_property
    def _doc_masks(self) -> dict[str, np.ndarray]:
        return {}

    def reload(self) -> None:
        """Pick up a newly built index (after an upload or re-ingest)."""
        with self._lock:
            self._index = self._dense = None
            for name in _LOADED:
                vars(self).pop(name, None)    # a cached_property is forgotten by deleting its value

    def refresh(self) -> None:
        """Load the live version if another process (a replica's upload) made a new one live since this
        searcher loaded its index (database store: a cheap poll, at most once a second; files: never).

        Called where a query starts, never in the middle of one, so a query sees one version throughout.
        """
        if self._index is not None and self._store is not None and self._store.changed(self._index):
            self.reload()

    def warm_up(self) -> None:
        self.index
        self.query_analyzer.tokens("预热")
        load_embedder(self.settings.embedding.model, self.settings).embed_query("warm up")

    # -- scoring ---------------------------------------------------------------
    def scores(self, query: str, keyword: bool = True, dense: bool = True) -> Scores:
        """The raw per-item scores of ``query`` (a component not asked for is all zeros).

        The query is NFKC-normalised first (``ＢＥＲＴ`` is ``BERT``), as the keyword index's texts are.
        """
        self.refresh()
        dense_search, analyzer = self.dense, self.query_analyzer
        index = dense_search.index
        query = nfkc(query)
        n = len(index.items)
        kw = (lexical.keyword_scores(index.keyword, analyzer, query) if keyword
              else lexical.KeywordScores.zeros(n))
        qv = None
        if dense:
            embedder = load_embedder(self.settings.embedding.model, self.settings)
            qv = embedder.embed_query(analyzer.dense_text(query)).astype(np.float32)
        d = dense_search.best_per_item(qv, kw.question + kw.answer) if dense else np.zeros(n, dtype=np.float32)
        concepts = tuple(analyzer.concepts(query))
        names = tuple(analyzer.names(query))
        in_domain = analyzer.in_domain(query)
        terms = lexical.unknown_terms(index.keyword, index.items, analyzer, analyzer.subject_terms(query)) if keyword else 0.0
        return Scores(kw.question, kw.answer, kw.coverage, d, kw.question_coverage,
                      lexical.unknown_share(index.keyword, concepts), qv, names, concepts, in_domain,
                      not in_domain and analyzer.small_talk(query), lexical.unknown_share(index.keyword, names), terms)

    def unknown_share(self, query: str, concepts=None) -> float:
        """Share of the concepts named in ``query`` that no item mentions (0 when it names none)."""
        found = self.query_analyzer.concepts(query) if concepts is None else concepts
        return lexical.unknown_share(self.index.keyword, found)

    def question_cosine(self, position: int, qv: np.ndarray | None) -> float:
        """Cosine of the query with the item's question alone (its first embedded text)."""
        return self.dense.question_cosine(position, qv)

    def names_missing(self, item: QAItem, names) -> bool:
        """Whether some name the query asks about appears nowhere in ``item`` (under any of its glossary names)."""
        return self.missing_share(item, names) > 0

    def missing_share(self, item: QAItem, names) -> float:
        """The share of ``names`` ((surface, canonical) pairs) that appear nowhere in ``item``, under any
        of their glossary names."""
        return self.names.missing_share(item, names)

    # -- ranking -----------------------------------------------------------------
    def search(self, query: str, k: int | None = None, keyword_only: bool = False, dense_only: bool = False,
               doc: str | None = None) -> SearchResult:
        """Search the banks.

        Args:
            query: the question, Chinese or English.
            k: number of hits (default ``settings.search.top_k``); they are listed even when abstaining.
            keyword_only / dense_only: ablations for evaluation.
            doc: restrict to one document title or file name.

        Raises:
            QueryError: empty or too long query.
        """
        if keyword_only and dense_only:
            raise ValueError("keyword_only and dense_only exclude each other; pick at most one.")
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k!r}.")
        query = check_query(query, self.settings.search.max_query_chars)
        mode = "keyword" if keyword_only else "dense" if dense_only else "hybrid"
        raw = self.scores(query, keyword=not dense_only, dense=not keyword_only)
        return self.rank(query, raw, mode, k or self.settings.search.top_k, doc)

    def _doc_mask(self, doc: str) -> np.ndarray:
        masks = self._doc_masks
        if doc not in masks:
            masks[doc] = np.array([doc in (it.doc, it.file) for it in self.index.items], dtype=bool)
        return masks[doc]

    def rank(self, query: str, raw: Scores, mode: str = "hybrid", k: int = 5, doc: str | None = None,
             params: fusion.Params | None = None) -> SearchResult:
        """Fuse raw scores into ranked, de-duplicated hits and decide whether to abstain."""
        p = params or fusion.Params.from_settings(self.settings)
        f = ranking.fuse_scores(raw, mode, p)
        hits = ranking.top_hits(self.index.items, raw, f, mode, k, self._doc_mask(doc) if doc else None)
        ev = self.evidence(hits, raw, f.question_coverage, mode, p) if hits else None
        return ranking.decide(query, hits, ev, mode, p)

    def evidence(self, hits: list[Hit], raw: Scores, qcov: np.ndarray, mode: str, p: fusion.Params) -> fusion.Evidence:
        """The evidence about the top hit that :func:`rag.fusion.calibrated` weighs."""
        if mode != "hybrid":
            return ranking.evidence(hits, raw, mode, p)
        top = hits[0].item
        pos = self.index.position(top.id)
        return ranking.evidence(hits, raw, mode, p, question_coverage=float(qcov[pos]),
                                question_cosine=self.question_cosine(pos, raw.query_vector),
                                names_missing=self.names_missing(top, raw.names),
                                concepts_missing=self.missing_share(top, raw.concepts))
