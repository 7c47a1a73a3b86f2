"""Hybrid retrieval over Q&A items: BM25 on jieba tokens (question field weighted up) fused with dense search.

Scores are put on absolute scales before fusion, so the fused score of the best
hit can be compared with a calibrated threshold to abstain:

* keyword: ``s / (s + KW_HALF)`` of the weighted BM25 sum (saturating, 0..1);
* dense: the best cosine of the query with any of the item's vectors (its question
  or one of its passages), mapped linearly from ``[DENSE_FLOOR, DENSE_CEIL]`` to 0..1.

An item counts once however many of its passages match; items whose question is
the same word for word collapse into one hit that lists where else it appears.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ingest import store
from ingest.embed import canonical_name, load_embedder
from ingest.items import QAItem
from ingest.keyword import Analyzer, Glossary
from ingest.settings import Settings

KW_HALF = 12.0
DENSE_FLOOR, DENSE_CEIL = 0.25, 0.75
CANDIDATES = 64


class QueryError(ValueError):
    """A query that cannot be searched (empty, or too long); the message says what to do."""


@dataclass(frozen=True)
class Hit:
    item: QAItem
    score: float
    keyword: float
    dense: float
    also_in: tuple[str, ...] = ()

    def public(self) -> dict:
        d = self.item.public()
        d["score"] = round(float(self.score), 4)
        if self.also_in:
            d["also_in"] = list(self.also_in)
        return d


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    notice: str = ""

    def public(self) -> dict:
        return {"query": self.query, "abstained": self.abstained, "confidence": round(self.confidence, 4),
                "results": [h.public() for h in self.hits]}


def check_query(query: str, max_chars: int) -> str:
    """Strip a query and reject empty or absurdly long ones with a clear message."""
    if query is None:
        raise QueryError("the question is empty: type a question, e.g. 什么是感受野？")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in str(query)).strip()
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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> store.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = store.load(self.settings.index_root, canonical_name(self.settings.embedding_model))
                    self._row_start = np.searchsorted(self._index.dense_rows, np.arange(len(self._index.items) + 1))
        return self._index

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            g = Glossary.load()
            for alias, canon in self.index.manifest.get("glossary", {}).items():
                g.canon.setdefault(alias, canon)
            self._analyzer = Analyzer(g)
        return self._analyzer

    def reload(self) -> None:
        """Pick up a newly built index (after an upload or re-ingest)."""
        with self._lock:
            self._index = None
            self._analyzer = None

    def warm_up(self) -> None:
        self.index
        self.analyzer.tokens("预热")
        load_embedder(self.settings.embedding_model).embed_query("warm up")

    # -- scoring ---------------------------------------------------------------
    def keyword_scores(self, query: str) -> np.ndarray:
        q, a = self.index.keyword.scores(self.analyzer.tokens(query), self.settings.weight_question)
        s = q + a
        return s / (s + KW_HALF)

    def dense_scores(self, query: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best cosine per candidate item, and extra candidate items found by the dense index itself."""
        index = self.index
        qv = load_embedder(self.settings.embedding_model).embed_query(query).astype(np.float32)[None, :]
        n_rows = index.dense.ntotal
        sims, ids = index.dense.search(qv, min(n_rows, CANDIDATES * 4))
        found = {}
        for s, r in zip(sims[0], ids[0]):
            if r < 0:
                continue
            item = int(index.dense_rows[r])
            if item not in found:
                found[item] = float(s)
        extra = np.array([i for i in found if i not in set(candidates.tolist())], dtype=np.int64)[:CANDIDATES]
        allc = np.concatenate([candidates.astype(np.int64), extra])
        out = np.empty(len(allc), dtype=np.float32)
        for k, item in enumerate(allc):
            if item in found:
                out[k] = found[item]
            else:
                lo, hi = self._row_start[item], self._row_start[item + 1]
                vecs = index.dense.reconstruct_n(int(lo), int(hi - lo))
                out[k] = float((vecs @ qv[0]).max())
        return allc, out

    def search(self, query: str, k: int | None = None, keyword_only: bool = False, dense_only: bool = False,
               doc: str | None = None) -> SearchResult:
        """Search the banks.

        Args:
            query: the question, Chinese or English.
            k: number of hits (default ``settings.top_k``).
            keyword_only / dense_only: ablations for evaluation.
            doc: restrict to one document title or file name.

        Raises:
            QueryError: empty or too long query.
        """
        query = check_query(query, self.settings.max_query_chars)
        k = k or self.settings.top_k
        index = self.index
        n = len(index.items)
        kw = self.keyword_scores(query) if not dense_only else np.zeros(n, dtype=np.float32)
        top = min(n, CANDIDATES)
        cand = np.argpartition(-kw, top - 1)[:top] if n > top else np.arange(n)
        cand = cand[kw[cand] > 0] if not dense_only else np.array([], dtype=np.int64)
        if keyword_only:
            allc, dense = cand.astype(np.int64), np.zeros(len(cand), dtype=np.float32)
        else:
            allc, dense = self.dense_scores(query, cand)
        kw_c = kw[allc]
        dense_n = np.clip((dense - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0)
        w = self.settings.weight_dense
        if keyword_only:
            fused = kw_c
        elif dense_only:
            fused = dense_n
        else:
            fused = (1 - w) * kw_c + w * dense_n
        order = np.argsort(-fused, kind="stable")
        hits: list[Hit] = []
        seen: set[str] = set()
        for j in order:
            item = index.items[int(allc[j])]
            if item.id in seen or (doc and doc not in (item.doc, item.file)):
                continue
            seen.add(item.id)
            seen.update(item.duplicates)
            hits.append(Hit(item, float(fused[j]), float(kw_c[j]), float(dense[j]), item.duplicates))
            if len(hits) >= k:
                break
        confidence = hits[0].score if hits else 0.0
        abstained = confidence < self.settings.abstain_threshold
        return SearchResult(query, tuple(hits), abstained, confidence)
