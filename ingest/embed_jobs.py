"""Embed each distinct text once per ingest, in the background, reusing the vectors of files cached before.

Question banks repeat themselves: the same question (and often the same answer) appears
in several banks, and a re-ingest after adding a bank sees every old bank again. A file
whose bytes are unchanged keeps its cached vectors; among the other files, a text that
equals one already seen, cached or new, is not embedded again.

Embedding runs while the caller builds the keyword index (:func:`start_embedding` returns
at once): in worker processes for a big ingest, else in a thread (numpy releases the GIL
in its matrix products), so both cores stay busy.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import numpy as np

log = logging.getLogger("qbank.ingest")

PARALLEL_MIN = 1_000    # fewer new texts than this are embedded in a thread (a worker takes ~1.5 s to start)
CHUNK = 256             # texts per task sent to a worker


class Cancelled(Exception):
    """Embedding was stopped by :meth:`PendingVectors.cancel`."""


def default_workers() -> int:
    """Embedding processes for a big ingest: one per core, at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


class PendingVectors:
    """Vectors being computed; :meth:`result` waits for them."""

    def __init__(self, texts_per_file, cached, known, missing, dim):
        self._texts, self._cached, self._known, self._missing = texts_per_file, cached, known, missing
        self.new = np.empty((len(missing), dim), dtype=np.float32)
        self.matrix: np.ndarray | None = None
        self._done = threading.Event()
        self._cancel = threading.Event()
        self._pool = None
        self._stop = None         # a multiprocessing Event the workers check between batches
        self._error: BaseException | None = None
        self._lock = threading.Lock()     # result() from two threads (the dense build and the pipeline)

    def cancel(self) -> None:
        """Stop embedding now (the caller failed or was interrupted); :meth:`result` then raises."""
        self._cancel.set()
        if self._stop is not None:      # the workers' running tasks end at their next batch
            self._stop.set()
        pool = self._pool
        if pool is not None:     # and no queued task starts, or interpreter exit would wait for the queue
            pool.shutdown(wait=False, cancel_futures=True)

    def _finish(self, error: BaseException | None = None) -> None:
        self._error = error
        self._done.set()

    def result(self) -> tuple[list[np.ndarray], int]:
        """One float32 array per file (rows in text order), and how many texts were embedded.

        The arrays are consecutive views into :attr:`matrix`, which holds every file's rows in
        order, so the caller gets all vectors without another copy.
        """
        self._done.wait()
        if self._error is not None:
            raise self._error
        with self._lock:
            return self._result()

    def _result(self) -> tuple[list[np.ndarray], int]:
        if self.matrix is None:
            dim = self.new.shape[1]
            self.matrix = np.empty((sum(len(t) for t in self._texts), dim), dtype=np.float32)
            views, at = [], 0
            for texts, vecs in zip(self._texts, self._cached):
                rows = self.matrix[at:at + len(texts)]
                at += len(texts)
                if vecs is not None:
                    rows[:] = vecs
                else:
                    for k, text in enumerate(texts):
                        block, row = self._known[text]
                        rows[k] = self.new[row] if block < 0 else self._cached[block][row]
                views.append(rows)
            self._views = views
            self.new, self._known, self._cached = None, None, None   # free the intermediates
        return list(self._views), len(self._missing)


class DenseBuild:
    """The dense index, built on a thread of its own as soon as the vectors are in (``build``: the store's
    ``build_dense`` of the distinct rows ``take``), while the caller builds the keyword index; a database
    store builds its HNSW graph in the server meanwhile.

    :meth:`result` waits and raises what the build raised. :meth:`cancel` (the caller failed or was
    interrupted) aborts a build that comes back later, if it can be aborted (``abort()``).
    """

    def __init__(self, pending: PendingVectors, take: np.ndarray, build: Callable[[np.ndarray], object]):
        self._pending, self._take, self._build = pending, take, build
        self._value: object = None
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qbank-dense-build", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._pending.result()
            vectors = self._pending.matrix[self._take]
            self._pending = None
            if self._cancelled.is_set():
                return
            value = self._build(vectors)
            del vectors
            if self._cancelled.is_set():
                getattr(value, "abort", lambda: None)()
                return
            self._value = value
        except BaseException as exc:   # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        self._cancelled.set()
        if not self._thread.is_alive() and self._value is not None:
            getattr(self._value, "abort", lambda: None)()
            self._value = None


def start_embedding(embedder, texts_per_file: list[list[str]], cached: list[np.ndarray | None], batch_size: int = 64,
                    progress: Callable[[int], None] | None = None, workers: int = 1) -> PendingVectors:
    """Start embedding the distinct texts that no cached file holds; returns at once.

    Args:
        embedder: anything with ``embed(list[str]) -> (n, dim) float32``, ``name`` and ``dim``.
        texts_per_file: the texts of each file, in order.
        cached: for each file, its cached vectors (one row per text) or None to compute them.
        batch_size: texts per ``embed`` call in-process.
        progress: called (from another thread) with the number of texts covered by each step.
        workers: processes to embed with when there are at least ``PARALLEL_MIN`` new texts
            and the model is the bundled one (numpy, one thread each); 1 embeds in a thread.
    """
    if len(texts_per_file) != len(cached):
        raise ValueError(f"got {len(cached)} cache entries for {len(texts_per_file)} files")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}.")
    known: dict[str, tuple[int, int]] = {}      # text -> (file, row) of a cached file, or (-1, row) of a new text
    step = progress or (lambda n: None)
    for f, (texts, vecs) in enumerate(zip(texts_per_file, cached)):
        if vecs is not None:
            if len(vecs) != len(texts):
                raise ValueError(f"cached vectors of file {f} have {len(vecs)} rows for {len(texts)} texts")
            for row, text in enumerate(texts):
                known.setdefault(text, (f, row))
            step(len(texts))
    missing: list[str] = []
    repeats = 0
    for texts, vecs in zip(texts_per_file, cached):
        if vecs is None:
            for text in texts:
                if text in known:
                    repeats += 1
                else:
                    known[text] = (-1, len(missing))
                    missing.append(text)
    if repeats:
        step(repeats)
    job = PendingVectors(texts_per_file, cached, known, missing, embedder.dim)
    if workers > 1 and len(missing) >= PARALLEL_MIN and embedder.name == "use-multilingual":
        run = lambda: _in_workers(embedder, job, workers, batch_size, step)   # noqa: E731
    else:
        run = lambda: _in_process(embedder, job, batch_size, step)           # noqa: E731

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # handed to result(), which raises it in the caller's thread
            job._finish(exc)
        else:
            job._finish()

    threading.Thread(target=target, name="qbank-embed", daemon=True).start()
    return job


def embed_distinct(embedder, texts_per_file: list[list[str]], cached: list[np.ndarray | None], batch_size: int = 64,
                   progress: Callable[[int], None] | None = None, workers: int = 1) -> tuple[list[np.ndarray], int]:
    """:func:`start_embedding`, then wait: vectors per file and the number of texts embedded."""
    return start_embedding(embedder, texts_per_file, cached, batch_size, progress, workers).result()


def _in_process(embedder, job: PendingVectors, batch_size: int, step) -> None:
    missing = job._missing
    for lo in range(0, len(missing), batch_size):
        if job._cancel.is_set():
            raise Cancelled("embedding cancelled")
        part = missing[lo:lo + batch_size]
        job.new[lo:lo + len(part)] = embedder.embed(part)
        step(len(part))


def _in_workers(embedder, job: PendingVectors, workers: int, batch_size: int, step) -> None:
    """Embed in ``workers`` fresh processes; if the pool breaks, the rest is embedded in-process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    missing = job._missing
    done = np.zeros(len(missing), dtype=bool)
    context = multiprocessing.get_context("spawn")
    job._stop = context.Event()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                 initargs=(embedder.name, os.getpid(), job._stop)) as pool:
            job._pool = pool
            if job._cancel.is_set():
                raise Cancelled("embedding cancelled")
            futures = {pool.submit(_worker_embed, missing[lo:lo + CHUNK]): lo for lo in range(0, len(missing), CHUNK)}
            for fut in as_completed(futures):
                if job._cancel.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise Cancelled("embedding cancelled")
                vecs, lo = fut.result(), futures[fut]
                job.new[lo:lo + len(vecs)] = vecs
                done[lo:lo + len(vecs)] = True
                step(len(vecs))
    except (BrokenProcessPool, OSError) as exc:
        if job._cancel.is_set():
            raise Cancelled("embedding cancelled") from None
        log.warning("embedding workers failed (%s); embedding the rest in this process", exc)
        rest = np.flatnonzero(~done)
        for lo in range(0, len(rest), batch_size):
            if job._cancel.is_set():
                raise Cancelled("embedding cancelled")
            idx = rest[lo:lo + batch_size]
            job.new[idx] = embedder.embed([missing[i] for i in idx])
            step(len(idx))


_WORKER_EMBEDDER = None
_WORKER_STOP = None
WORKER_BATCH = 64       # texts a worker embeds between two looks at the stop event


def _worker_init(name: str, parent: int | None = None, stop=None) -> None:
    global _WORKER_EMBEDDER, _WORKER_STOP
    import signal

    from ingest.embed import load_embedder

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle: it stops the pool
    if parent is not None:
        die_with_parent(parent)
    _WORKER_EMBEDDER = load_embedder(name)
    _WORKER_STOP = stop


WATCHDOG_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, however it dies (``kill -9`` included).

    Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) does it at once; a daemon thread that
    checks every ``WATCHDOG_SECONDS`` whether this process was handed to another parent covers the rest
    (other systems, a parent thread that exits first). Without it, a killed ``qbank ingest`` (or ``serve``
    mid-upload) left its embedding workers, ~140 MB each, and the resource tracker running forever.
    """
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)     # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:       # it died before the signal was armed
        os._exit(1)

    def watch() -> None:
        import time

        while True:
            time.sleep(WATCHDOG_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="qbank-parent-watchdog", daemon=True).start()


def _worker_embed(texts: list[str]) -> np.ndarray:
    """Embed one task's texts, a batch at a time; stop (raising :class:`Cancelled`) once the job is cancelled."""
    parts = []
    for lo in range(0, len(texts), WORKER_BATCH):
        if _WORKER_STOP is not None and _WORKER_STOP.is_set():
            raise Cancelled("embedding cancelled")
        parts.append(_WORKER_EMBEDDER.embed(texts[lo:lo + WORKER_BATCH]))
    return np.concatenate(parts) if parts else _WORKER_EMBEDDER.embed(texts)
