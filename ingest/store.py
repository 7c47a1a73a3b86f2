"""The on-disk index: versioned folders under ``$QBANK_HOME/index`` switched atomically.

Layout::

    index/CURRENT            name of the live version (replaced with os.replace)
    index/v-<stamp>/         manifest.json, items.jsonl, passages.jsonl,
                             dense.faiss, dense_rows.npy, dense_refs.npy, bm25_question/, bm25_answer/

Every text embedded for an item (question, passages, lead sentences) is an *entry*:
``dense_rows[e]`` is the item of entry ``e`` (entries are in item order) and
``dense_refs[e]`` its row in ``dense.faiss``. A text that several items share (banks
repeat questions and answers) is one row, however many entries point at it.

A build writes a fresh ``tmp-*`` folder, fsyncs it, renames it to ``v-*`` and only
then points ``CURRENT`` at it, so a process killed at any moment leaves the previous
index readable. The manifest records how the index was built; loading with other
settings fails with a message that says how to rebuild. The manifest also holds a
CRC-32 of every file of the version, checked on load, so a file damaged in place
(a flipped byte that still parses) is refused instead of silently giving wrong scores.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
import zlib
from dataclasses import dataclass, replace
from enum import Enum
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.items import Passage, QAItem
from ingest.keyword import KeywordIndex
from ingest.manifest import FORMAT_VERSION, REBUILD_HINT, Manifest  # noqa: F401  (FORMAT_VERSION, REBUILD_HINT: public here)



class IndexUnavailable(Exception):
    """The index is missing, corrupt, or was built with other settings."""


class IndexWriteError(OSError):
    """A new index version could not be written (disk full, read-only, ...); the previous one is unchanged."""


def _write_failure(root: Path, exc: BaseException) -> IndexWriteError:
    """One line saying what failed, that nothing was lost, and what to do."""
    import errno as codes

    number = getattr(exc, "errno", None)
    text = " ".join(str(exc).split())
    if isinstance(exc, RuntimeError):    # faiss: "... write error in <path>: 999955 != 1619968 (File too large)"
        tail = text.rsplit("(", 1)[-1].rstrip(")") if text.endswith(")") else text[-120:]
        number = {"No space left on device": codes.ENOSPC, "File too large": codes.EFBIG,
                  "Disk quota exceeded": codes.EDQUOT, "Read-only file system": codes.EROFS,
                  "Permission denied": codes.EACCES}.get(tail, number)
        text = tail
    elif isinstance(exc, OSError):
        text = exc.strerror or text
    if number in (codes.ENOSPC, codes.EFBIG, codes.EDQUOT):
        what = f"the disk is full ({text})"
        todo = "free some space"
    elif number in (codes.EROFS, codes.EACCES, codes.EPERM):
        what = f"it is not writable ({text})"
        todo = f"make {root} writable (or set QBANK_HOME elsewhere)"
    else:
        what = f"{type(exc).__name__}: {text}"
        todo = "fix that"
    error = IndexWriteError(f"could not write the new index under {root}: {what}; the previous index is "
                            f"unchanged and still answers; {todo} and run the ingest again")
    error.errno = number
    return error




class DenseKind(str, Enum):
    """What kind of dense index a version holds (``Manifest.index_type``), and so how to search it.

    ``flat``: exact FAISS inner product (every vector scored); ``ivf``: approximate FAISS inverted
    file; ``hnsw``: pgvector's HNSW in PostgreSQL (:class:`ingest.pg_dense.PgDense`, which computes
    inner products in the database).
    """

    FLAT = "flat"
    IVF = "ivf"
    HNSW = "hnsw"


@dataclass
class Index:
    """A loaded index: items, passages, the dense FAISS index and the keyword index.

    Every text embedded for an item is an *entry* (see the module docstring); the entry layout
    (:attr:`entry_start`, :attr:`ref_order`, :attr:`ref_start`) maps positions, entries and dense rows.
    """

    folder: Path
    manifest: Manifest
    items: list[QAItem]
    passages: list[Passage]
    dense: object               # faiss.Index
    dense_rows: np.ndarray      # item position of each entry (an embedded text of an item), in item order
    dense_refs: np.ndarray      # row in ``dense`` of each entry
    keyword: KeywordIndex

    @cached_property
    def dense_kind(self) -> DenseKind:
        """The dense index's kind, as the manifest records it (read from the index for a manifest without it)."""
        return DenseKind(self.manifest.index_type or index_type(self.dense))

    @cached_property
    def entry_start(self) -> np.ndarray:
        """The entries of item ``i`` are ``entry_start[i]:entry_start[i + 1]`` (length ``len(items) + 1``)."""
        return np.searchsorted(self.dense_rows, np.arange(len(self.items) + 1))

    @cached_property
    def ref_order(self) -> np.ndarray:
        """Entries sorted by dense row (stable): the entries of row ``r`` are
        ``ref_order[ref_start[r]:ref_start[r + 1]]``."""
        return np.argsort(self.dense_refs, kind="stable")

    @cached_property
    def ref_start(self) -> np.ndarray:
        """Where the entries of each dense row start in :attr:`ref_order` (length ``dense.ntotal + 1``)."""
        return np.searchsorted(self.dense_refs[self.ref_order], np.arange(self.dense.ntotal + 1))

    def row_entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of dense ``rows`` (concatenated, in row order) and how many each row has."""
        lo, hi = self.ref_start[rows], self.ref_start[rows + 1]
        return self.ref_order[_ranges(lo, hi)], hi - lo

    def item_entries(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of the items at ``positions`` (concatenated, in that order) and how many each has."""
        lo, hi = self.entry_start[positions], self.entry_start[positions + 1]
        return _ranges(lo, hi), hi - lo

    @cached_property
    def by_id(self) -> dict[str, QAItem]:
        return {it.id: it for it in self.items}

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {it.id: i for i, it in enumerate(self.items)}

    def position(self, item_id: str) -> int:
        """Where the item ``item_id`` is in :attr:`items`."""
        return self._positions[item_id]


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``lo[0]..hi[0]-1, lo[1]..hi[1]-1, ...`` as one array."""
    return np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if len(lo) else np.zeros(0, dtype=np.int64)


IVF_NPROBE = 48          # at least this many lists searched per query ...
IVF_NPROBE_SHARE = 4     # ... and at least 1/4 of them: recall@10 0.986 on the bench's 100k set (123k distinct
                         # texts, 512 lists; 1/8 of them gave 0.960), 4 ms per search of the top 256
IVF_TRAIN_PER_LIST = 40  # k-means sample per list (faiss warns below 39)


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors: about 2·sqrt(n), a power of two within [64, 4096]."""
    target = 2 * np.sqrt(max(n, 1))
    return int(min(4096, max(64, 2 ** round(np.log2(target)))))


def build_dense(vectors: np.ndarray, flat_max: int):
    """The dense index for ``vectors`` (unit rows): exact flat inner product up to ``flat_max`` vectors, IVF above.

    Exact search reads every vector per query, which stays fast up to tens of thousands of
    vectors. Above that an inverted file (k-means lists, a quarter of them searched per query)
    keeps a query to a few thousand vectors, stored as float16 (half the memory, same recall).
    IVF rather than HNSW: it builds in seconds instead of minutes on two cores, and identical
    vectors (banks repeat answers) do not hurt it, while they clog an HNSW graph. ``bench/``
    reports its recall@10 against exact search; ``tests/bench/test_ann_recall.py`` keeps it >= 0.98.
    """
    import faiss

    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= flat_max:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return index
    nlist = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 12
    index.cp.spherical = True
    index.cp.seed = 1234
    take = min(n, IVF_TRAIN_PER_LIST * nlist)
    sample = vectors if take == n else vectors[np.random.default_rng(0).choice(n, take, replace=False)]
    index.train(sample)
    index.add(vectors)
    index.make_direct_map()      # the searcher reconstructs an item's vectors by row
    index.nprobe = min(nlist, max(IVF_NPROBE, nlist // IVF_NPROBE_SHARE))
    return index


def index_type(index) -> str:
    """``flat``, ``ivf`` or ``hnsw``: what the manifest records about a dense index."""
    name = type(index).__name__
    if "IVF" in name:
        return "ivf"
    return "hnsw" if "HNSW" in name else "flat"


def write(root: Path, manifest: Manifest, items: list[QAItem], passages: list[Passage], dense, dense_rows: np.ndarray,
          dense_refs: np.ndarray, keyword: KeywordIndex) -> Path:
    """Write a new index version and switch ``CURRENT`` to it atomically; returns the new folder.

    ``dense_rows``/``dense_refs``: item and dense row of each entry.
    """
    import faiss

    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
    except OSError as exc:
        raise _write_failure(root, exc) from None
    try:
        with open(tmp / "items.jsonl", "w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps(it.to_dict(), ensure_ascii=False) + "\n")
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps({"item_id": p.item_id, "index": p.index, "text": p.text}, ensure_ascii=False) + "\n")
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        np.save(tmp / "dense_rows.npy", dense_rows.astype(np.int32))
        np.save(tmp / "dense_refs.npy", np.asarray(dense_refs, dtype=np.int32))
        keyword.save(tmp)
        manifest = replace(manifest, checksums=checksums(tmp))
        (tmp / "manifest.json").write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2),
                                           encoding="utf-8")
        _fsync_tree(tmp)
        final = root / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        os.rename(tmp, final)
        pointer = root / f"CURRENT.tmp-{os.getpid()}"
        with open(pointer, "w", encoding="utf-8") as f:
            f.write(final.name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer, root / "CURRENT")
        _fsync_dir(root)
    except (OSError, RuntimeError) as exc:   # faiss reports a failed write as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        raise _write_failure(root, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep={final.name})
    return final


def current(root: Path) -> Path | None:
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = root / name
    return folder if folder.is_dir() else None


def read_manifest(root: Path) -> Manifest | None:
    """The live version's manifest, or None when there is none (or it is unreadable)."""
    folder = current(root)
    if folder is None:
        return None
    try:
        return Manifest.from_dict(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def load(root: Path, embedding_model: str | None = None) -> Index:
    """Load the live index.

    Raises:
        IndexUnavailable: no index, a corrupt one, or one built with another embedding model.
    """
    import faiss

    folder = current(root)
    if folder is None:
        raise IndexUnavailable(f"no index at {root}; run `qbank ingest` to build it")
    part = "manifest.json"
    try:
        manifest = Manifest.from_dict(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
        reason = manifest.load_reason(embedding_model, f"index at {folder}")
        if reason:
            raise IndexUnavailable(reason)
        damaged = verify(folder, manifest.checksums)
        if damaged:
            part, which = ("keyword index", f"{damaged}: ") if damaged.startswith("bm25_") else (damaged, "")
            raise IndexUnavailable(f"index at {folder} is corrupt or unreadable: {part} is damaged ({which}missing, "
                                   f"or changed since the index was written); {REBUILD_HINT}")
        part = "items.jsonl"
        with open(folder / part, encoding="utf-8") as f:
            items = [QAItem.from_dict(json.loads(line)) for line in f]
        part = "passages.jsonl"
        with open(folder / part, encoding="utf-8") as f:
            passages = [Passage(**json.loads(line)) for line in f]
        part = "dense.faiss"
        dense = faiss.read_index(str(folder / part))
        part = "dense_rows.npy"
        rows = np.load(folder / part)
        part = "dense_refs.npy"
        refs = np.load(folder / part)
        part = "keyword index"
        keyword = KeywordIndex.load(folder)
    except IndexUnavailable:
        raise
    except Exception as exc:  # any damage to any file of the index
        detail = " ".join(str(exc).split())[:200]
        raise IndexUnavailable(f"index at {folder} is corrupt or unreadable: {part} is damaged "
                               f"({type(exc).__name__}: {detail}); {REBUILD_HINT}") from None
    if (len(items) != manifest.items or dense.ntotal != manifest.vectors or len(refs) != len(rows)
            or dense.d != manifest.dim or (len(refs) and not 0 <= int(refs.min()) <= int(refs.max()) < dense.ntotal)):
        raise IndexUnavailable(f"index at {folder} is inconsistent (counts differ from its manifest); {REBUILD_HINT}")
    return Index(folder, manifest, items, passages, dense, rows, refs, keyword)


def _crc32(path: Path) -> str:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return f"crc32:{crc:08x}"


def checksums(folder: Path) -> dict[str, str]:
    """CRC-32 of every file under ``folder`` (except the manifest), keyed by its relative path."""
    return {p.relative_to(folder).as_posix(): _crc32(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def verify(folder: Path, expected: dict[str, str] | None) -> str | None:
    """The first file of ``folder`` that is missing or whose checksum differs from ``expected``, or None.

    Indexes written before checksums were recorded (``expected`` is None) are not checked.
    """
    for name, crc in sorted((expected or {}).items()):
        path = folder / name
        try:
            if _crc32(path) != crc:
                return name
        except OSError:
            return name
    return None


def _prune(root: Path, keep: set[str]) -> None:
    """Remove old versions and stale temp folders, keeping the live one and the one before it."""
    versions = sorted(p for p in root.glob("v-*") if p.is_dir())
    live = current(root)
    keep = set(keep) | ({live.name} if live else set())
    older = [p for p in versions if p.name not in keep]
    for p in older[:-1]:
        # rename first (atomic), so a kill mid-delete never leaves a half-deleted ``v-*`` folder
        trash = root / f"old-{p.name}-{uuid.uuid4().hex[:6]}"
        try:
            os.rename(p, trash)
        except OSError:
            continue
    for p in root.glob("old-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in root.glob("tmp-*"):
        pid = p.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob("CURRENT.tmp-*"):
        p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    for path in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
