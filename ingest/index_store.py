"""Where the index lives: files under ``$QBANK_HOME/index`` (the default) or a PostgreSQL database.

Both stores take the same build (manifest, items, passages, vectors, entry maps, keyword index)
and hand back the same :class:`ingest.store.Index`, so the pipeline writes through
:meth:`IndexStore.write` and the searcher reads through :meth:`IndexStore.load` without
knowing which one it has. Pick one with :func:`open_store` (setting ``database_url``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from ingest import store
from ingest.items import Passage, QAItem
from ingest.keyword import KeywordIndex
from ingest.manifest import Manifest
from ingest.settings import Settings


class IndexStore(Protocol):
    """What the pipeline and the searcher need from an index store."""

    location: str   # shown in messages ("no index at …"); never holds a password

    def check(self) -> None:
        """Fail now if the store cannot take a build (raises :class:`ingest.store.IndexWriteError`)."""

    def build_dense(self, vectors: np.ndarray):
        """The dense part to hand to :meth:`write` (a FAISS index, or the vectors for the database to index)."""

    def index_type(self, dense) -> str:
        """``flat``, ``ivf`` or ``hnsw``: what the manifest records."""

    def write(self, manifest: Manifest, items: list[QAItem], passages: list[Passage], dense,
              dense_rows: np.ndarray, dense_refs: np.ndarray, keyword: KeywordIndex) -> str:
        """Write a new version and make it live atomically; returns its name."""

    def load(self, embedding_model: str | None = None) -> store.Index:
        """The live index (raises :class:`ingest.store.IndexUnavailable`)."""

    def read_manifest(self) -> Manifest | None:
        """The live version's manifest, or None when there is none."""

    def changed(self, index: store.Index) -> bool:
        """Whether another version went live since ``index`` was loaded (cheap; other replicas' builds)."""


class FileStore:
    """The embedded store: versioned folders under ``root`` (see :mod:`ingest.store`)."""

    def __init__(self, root: Path, flat_max: int):
        self.root = Path(root)
        self.flat_max = flat_max
        self.location = str(self.root)

    def check(self) -> None:
        pass    # a full disk or a read-only folder is reported by write, which leaves the old version in place

    def build_dense(self, vectors: np.ndarray):
        return store.build_dense(vectors, self.flat_max)

    def index_type(self, dense) -> str:
        return store.index_type(dense)

    def write(self, manifest, items, passages, dense, dense_rows, dense_refs, keyword) -> str:
        return store.write(self.root, manifest, items, passages, dense, dense_rows, dense_refs, keyword).name

    def load(self, embedding_model: str | None = None) -> store.Index:
        return store.load(self.root, embedding_model)

    def read_manifest(self) -> Manifest | None:
        return store.read_manifest(self.root)

    def changed(self, index: store.Index) -> bool:
        return False    # one process owns the files; an upload swaps in a fresh searcher itself


def open_store(settings: Settings) -> IndexStore:
    """The index store the settings name: PostgreSQL when ``database_url`` is set, else the files.

    Raises:
        ImportError: ``database_url`` is set but psycopg / pgvector are not installed.
    """
    if settings.store.database_url:
        from ingest.pg_store import PgStore

        return PgStore.shared(settings.store.database_url)
    return FileStore(settings.index_root, settings.search.flat_index_max)
