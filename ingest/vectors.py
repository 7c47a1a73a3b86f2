"""Embed each distinct text once per ingest, reusing the vectors of files cached by an earlier ingest.

Question banks repeat themselves: the same question (and often the same answer) appears
in several banks, and a re-ingest after adding a bank sees every old bank again. A file
whose bytes are unchanged keeps its cached vectors; among the other files, a text that
equals one already seen, cached or new, is not embedded again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np

log = logging.getLogger("qbank.ingest")

PARALLEL_MIN = 1_000    # fewer texts than this are embedded in-process (a worker takes ~1.5 s to start)
CHUNK = 256             # texts per task sent to a worker


def default_workers() -> int:
    """Embedding processes for a big ingest: one per core, at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def embed_distinct(embedder, texts_per_file: list[list[str]], cached: list[np.ndarray | None], batch_size: int = 64,
                   progress: Callable[[int], None] | None = None, workers: int = 1) -> tuple[list[np.ndarray], int]:
    """Vectors for every file's texts, embedding only the distinct texts that no cached file holds.

    Args:
        embedder: anything with ``embed(list[str]) -> (n, dim) float32`` and ``dim``.
        texts_per_file: the texts of each file, in order.
        cached: for each file, its cached vectors (one row per text) or None to compute them.
        batch_size: texts per ``embed`` call (``progress`` is told after each call).
        progress: called with the number of texts covered so far by each step.
        workers: processes to embed with when there are at least ``PARALLEL_MIN`` new texts
            and the model is the bundled one (numpy, one thread each); 1 embeds in-process.

    Returns:
        One float32 array per file (rows in text order), and how many texts were embedded.
    """
    if len(texts_per_file) != len(cached):
        raise ValueError(f"got {len(cached)} cache entries for {len(texts_per_file)} files")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}.")
    known: dict[str, tuple[int, int]] = {}      # text -> (block, row); block -1 is the newly embedded one
    for f, (texts, vecs) in enumerate(zip(texts_per_file, cached)):
        if vecs is not None:
            if len(vecs) != len(texts):
                raise ValueError(f"cached vectors of file {f} have {len(vecs)} rows for {len(texts)} texts")
            for row, text in enumerate(texts):
                known.setdefault(text, (f, row))
            if progress:
                progress(len(texts))
    missing: list[str] = []
    for texts, vecs in zip(texts_per_file, cached):
        if vecs is None:
            for text in texts:
                if text not in known:
                    known[text] = (-1, len(missing))
                    missing.append(text)
    new = None
    if workers > 1 and len(missing) >= PARALLEL_MIN and embedder.name == "use-multilingual":
        new = _embed_in_workers(embedder.name, embedder.dim, missing, workers, progress)
    if new is None:
        new = np.empty((len(missing), embedder.dim), dtype=np.float32)
        for lo in range(0, len(missing), batch_size):
            part = missing[lo:lo + batch_size]
            new[lo:lo + len(part)] = embedder.embed(part)
            if progress:
                progress(len(part))
    out: list[np.ndarray] = []
    for texts, vecs in zip(texts_per_file, cached):
        if vecs is not None:
            out.append(np.asarray(vecs, dtype=np.float32))
            continue
        rows = np.empty((len(texts), embedder.dim), dtype=np.float32)
        for k, text in enumerate(texts):
            block, row = known[text]
            rows[k] = new[row] if block < 0 else cached[block][row]
        out.append(rows)
    if progress:
        dupes = sum(len(t) for t, v in zip(texts_per_file, cached) if v is None) - len(missing)
        if dupes:
            progress(dupes)
    return out, len(missing)


def _embed_in_workers(name: str, dim: int, texts: list[str], workers: int,
                      progress: Callable[[int], None] | None) -> np.ndarray | None:
    """Embed ``texts`` in ``workers`` fresh processes; None (caller embeds in-process) if the pool fails."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    out = np.empty((len(texts), dim), dtype=np.float32)
    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_init, initargs=(name,)) as pool:
            futures = {pool.submit(_worker_embed, texts[lo:lo + CHUNK]): lo for lo in range(0, len(texts), CHUNK)}
            for fut in as_completed(futures):
                vecs = fut.result()
                lo = futures[fut]
                out[lo:lo + len(vecs)] = vecs
                done += len(vecs)
                if progress:
                    progress(len(vecs))
    except (BrokenProcessPool, OSError) as exc:
        log.warning("embedding workers failed (%s); embedding in this process instead", exc)
        if progress and done:
            progress(-done)
        return None
    return out


_WORKER_EMBEDDER = None


def _worker_init(name: str) -> None:
    global _WORKER_EMBEDDER
    from ingest.embed import load_embedder

    _WORKER_EMBEDDER = load_embedder(name)


def _worker_embed(texts: list[str]) -> np.ndarray:
    return _WORKER_EMBEDDER.embed(texts)
