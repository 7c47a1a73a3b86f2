"""Recall of an approximate FAISS index against exact search over the same vectors."""

from __future__ import annotations

import numpy as np


def vectors_of(index) -> np.ndarray:
    """Every vector stored in a FAISS index (flat, HNSW, or IVF with a direct map), as float32 rows."""
    return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def recall_at_k(approx, vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-``k`` that the approximate index finds, counting ties as found.

    A result counts when its exact inner product is at least the exact ``k``-th best
    score (minus float noise), so an index that returns one of several identical
    vectors is not penalised for picking another copy than exact search did.

    Args:
        approx: the FAISS index under test.
        vectors: the vectors it holds, in its row order.
        queries: query vectors, one per row.
        k: how many neighbours to compare.
    """
    import faiss

    if len(vectors) != approx.ntotal:
        raise ValueError(f"got {len(vectors)} vectors for an index of {approx.ntotal}")
    k = min(k, len(vectors))
    if k == 0 or len(queries) == 0:
        raise ValueError("recall needs at least one vector and one query")
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(vectors, dtype=np.float32))
    q = np.ascontiguousarray(queries, dtype=np.float32)
    truth, _ = exact.search(q, k)
    _, found = approx.search(q, k)
    kth = truth[:, -1:] - 1e-5
    scores = np.einsum("qkd,qd->qk", vectors[np.clip(found, 0, None)], q)
    good = (scores >= kth) & (found >= 0)
    # a row returned twice counts once
    hits = [len({int(r) for r, ok in zip(row, okrow) if ok}) for row, okrow in zip(found, good)]
    return float(np.mean(hits) / k)
