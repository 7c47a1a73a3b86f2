"""The approximate dense index keeps recall@10 >= 0.98 against exact search (bench/ann.py, ingest/store.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.ann import recall_at_k, vectors_of
from ingest import store


def clustered(n: int, dim: int = 512, clusters: int = 60, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few dozen topics, like sentence embeddings of a question bank."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + 0.9 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    vecs = clustered(6000)
    queries = clustered(200, seed=1)
    return vecs, queries


def test_small_sets_are_exact(data):
    vecs, queries = data
    index = store.build_dense(vecs, flat_max=10_000)
    assert store.index_type(index) == "flat"
    assert recall_at_k(index, vecs, queries) == 1.0


def test_approximate_index_recall_at_10(data):
    vecs, queries = data
    index = store.build_dense(vecs, flat_max=1_000)     # force the approximate index
    assert store.index_type(index) != "flat"
    assert recall_at_k(index, vectors_of(index), queries) >= 0.98


def test_approximate_index_with_many_duplicates(data):
    """Banks repeat answers word for word: identical vectors must not trap the search."""
    vecs, queries = data
    dup = np.vstack([vecs[:1500]] + [vecs[:300]] * 15)    # 300 vectors present 16 times each
    index = store.build_dense(dup, flat_max=1_000)
    assert recall_at_k(index, vectors_of(index), queries) >= 0.98


def test_recall_counts_ties_as_found():
    import faiss

    v = np.eye(4, dtype=np.float32)
    vecs = np.vstack([v, v])                 # every vector twice
    exact = faiss.IndexFlatIP(4)
    exact.add(vecs)
    assert recall_at_k(exact, vecs, v[:2], k=2) == 1.0


def test_recall_rejects_mismatched_vectors(data):
    vecs, queries = data
    index = store.build_dense(vecs[:100], flat_max=1_000)
    with pytest.raises(ValueError, match="100"):
        recall_at_k(index, vecs[:50], queries)


@pytest.mark.integration
def test_search_on_the_approximate_index_matches_exact_search(corpus_home, searcher, tmp_path):
    """The bundled corpus indexed with IVF (forced by a low threshold) ranks like the exact index."""
    import json
    import shutil

    from bench.latency import eval_queries
    from ingest.pipeline import ingest
    from ingest.settings import Settings
    from rag.searcher import Searcher

    shutil.copytree(corpus_home / "cache", tmp_path / "cache")      # same vectors, no re-embedding
    settings = Settings.load(home=tmp_path, flat_index_max=100)
    report = ingest(settings, progress=False)
    assert report.items == 173 and report.embedded == 0
    manifest = json.loads((store.current(settings.index_root) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["index_type"] == "ivf"
    approx = Searcher(settings)
    approx.warm_up()
    queries = eval_queries()[:80]
    def first(s, q):
        hits = s.search(q, k=3).hits
        return hits[0].item.id if hits else None

    same = sum(first(approx, q) == first(searcher, q) for q in queries)
    assert same >= 0.95 * len(queries), same
