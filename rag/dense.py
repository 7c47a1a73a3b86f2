"""Dense search: the best cosine of a query with each item's embedded texts.

How depends on the index's :class:`~ingest.store.DenseKind` (from the manifest):

* ``flat``: exact; every vector is scored with one matrix product (the vectors are read once, at load);
* ``ivf`` (FAISS) and ``hnsw`` (pgvector): approximate; the dense top rows (each given to every item
  that has its text), plus exact cosines for the best keyword candidates, fetched in one batch
  (pgvector computes the products in the database: 300 floats back instead of 300 vectors, in the
  same round trip as the top rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ingest.store import DenseKind, Index

CANDIDATES = 64   # dense rows looked at per query when the index is approximate (and keyword candidates scored exactly)


@dataclass(frozen=True)
class DenseSearch:
    """Dense scores over one loaded index; ``kind`` defaults to what the index declares."""

    index: Index
    kind: DenseKind | None = None

    def __post_init__(self) -> None:
        if self.kind is None:
            object.__setattr__(self, "kind", self.index.dense_kind)
        elif not isinstance(self.kind, DenseKind):
            raise ValueError(f"kind {self.kind!r} is not one of {[k.value for k in DenseKind]}.")

    @cached_property
    def vectors(self) -> np.ndarray | None:
        """Every distinct vector (exact search only; ``None`` for an approximate index)."""
        if self.kind is not DenseKind.FLAT:
            return None
        return self.index.dense.reconstruct_n(0, self.index.dense.ntotal)

    def best_per_item(self, qv: np.ndarray, keyword: np.ndarray) -> np.ndarray:
        """Best cosine per item over its entries (question, passages, lead sentences).

        Args:
            qv: the embedded query (unit vector).
            keyword: a keyword score per item; an approximate index scores its best ``CANDIDATES`` exactly.
        """
        index = self.index
        starts = index.entry_start[:-1]
        if self.vectors is not None:
            sims = self.vectors @ qv     # one cosine per distinct text
            return np.maximum.reduceat(sims[index.dense_refs], starts).astype(np.float32)
        out = np.full(len(index.items), -1.0, dtype=np.float32)
        n = len(keyword)
        cand = np.argpartition(-keyword, CANDIDATES)[:CANDIDATES] if n > CANDIDATES else np.arange(n)
        cand_entries, cand_counts = index.item_entries(cand)
        cand_rows = index.dense_refs[cand_entries].astype(np.int64)
        k = min(index.dense.ntotal, CANDIDATES * 4)
        if hasattr(index.dense, "search_and_score"):     # pgvector: the top rows and the candidates in one round trip
            sims, rows, dots = index.dense.search_and_score(qv, k, cand_rows)
        else:
            sims, rows = index.dense.search(qv[None, :], k)
            ok = rows[0] >= 0
            rows, sims = rows[0][ok], sims[0][ok]
            # one batched lookup (IVF's reconstruct_n scans every list per call: ~0.4 ms each at 100k items)
            dots = self.inner_products(cand_rows, qv)
        entries, counts = index.row_entries(rows)
        np.maximum.at(out, index.dense_rows[entries], np.repeat(sims, counts))
        best = np.maximum.reduceat(dots, np.cumsum(cand_counts) - cand_counts)
        out[cand] = np.maximum(out[cand], best)
        return out

    def inner_products(self, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
        """``qv`` times the vectors of dense ``rows`` (repeats allowed)."""
        if self.vectors is not None:
            return self.vectors[rows] @ qv
        if self.kind is DenseKind.HNSW:
            return self.index.dense.inner_products(rows, qv)
        return self.index.dense.reconstruct_batch(rows) @ qv

    def question_cosine(self, position: int, qv: np.ndarray | None) -> float:
        """Cosine of the query with the item's question alone (its first embedded text)."""
        if qv is None:
            return 0.0
        row = int(self.index.dense_refs[self.index.entry_start[position]])
        vec = self.vectors[row] if self.vectors is not None else self.index.dense.reconstruct(row)
        return float(np.asarray(vec, dtype=np.float32) @ qv)
