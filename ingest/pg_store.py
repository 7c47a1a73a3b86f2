"""The index in PostgreSQL + pgvector: versioned builds switched in one transaction.

Tables (``SCHEMA_VERSION``)::

    qbank_versions(id, name, manifest)       one row per committed build
    qbank_live(one, version)                 the live version (a single row)
    qbank_items(version, pos, id, doc, file, data)   every QAItem as JSON, in index order
    qbank_passages(version, seq, item_id, idx, text)
    qbank_blobs(version, name, data)         entry maps (dense_rows/dense_refs .npy) and the keyword index:
                                             bm25s's vocabulary (jieba terms) and score matrix per field
    qbank_dense_<version>(row, embedding)    one distinct embedded text per row, HNSW (vector_ip_ops)

A build runs in one transaction on its own connection, opened as soon as the vectors are in
(:meth:`PgStore.build_dense`, which the pipeline calls beside the keyword index): it inserts its
version, copies the vectors by binary ``COPY`` into the version's own table, then builds that
table's HNSW index (over the vectors cast to ``halfvec``: half the graph's memory and reads; the
table keeps float32 for exact scores) after the bulk load, with ``maintenance_work_mem`` raised
and parallel workers, while the client tokenises the keyword index. :meth:`PgStore.write` then
copies the rows, the keyword index and the manifest in the same transaction, points
``qbank_live`` at the version and sends ``NOTIFY qbank_index``. Until the commit nobody sees any
of it; a build that is killed is rolled back by the server (``client_connection_check_interval``
stops a long index build soon after its client dies), so the live version never changes half-way.
Searches hold their version's id, so those in flight keep answering from it; versions older than
the live one and the one before it are dropped after the switch. Other replicas notice the new
live version with a cheap poll (:meth:`PgStore.changed`).
"""

from __future__ import annotations

import contextlib
import io
import json
import struct
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from ingest import store
from ingest.items import Passage, QAItem
from ingest.keyword import KeywordIndex
from ingest.manifest import Manifest
from ingest.pg_conn import PerUrl, Pool, SchemaOnce, connect, failure, redact
from ingest.pg_dense import PgDense, hnsw_expression, table_name

SCHEMA_VERSION = 1
POLL_S = 1.0          # how often a searcher asks which version is live (one indexed single-row SELECT)
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
BUILD_MEMORY = "1GB"  # maintenance_work_mem of a build: the whole HNSW graph in memory (~1.3 kB a vector, halfvec)
BUILD_WORKERS = 2     # max_parallel_maintenance_workers of a build (the leader works too)
_LOCK = 7263511       # advisory lock: schema changes and the switch of the live version, one at a time

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS qbank_schema (version int NOT NULL);
CREATE TABLE IF NOT EXISTS qbank_versions (
    id bigserial PRIMARY KEY, name text NOT NULL, manifest jsonb NOT NULL,
    created timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS qbank_live (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL REFERENCES qbank_versions (id));
CREATE TABLE IF NOT EXISTS qbank_items (
    version bigint NOT NULL REFERENCES qbank_versions (id) ON DELETE CASCADE, pos int NOT NULL,
    id text NOT NULL, doc text NOT NULL, file text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (version, pos));
CREATE TABLE IF NOT EXISTS qbank_passages (
    version bigint NOT NULL REFERENCES qbank_versions (id) ON DELETE CASCADE, seq int NOT NULL,
    item_id text NOT NULL, idx int NOT NULL, text text NOT NULL, PRIMARY KEY (version, seq));
CREATE TABLE IF NOT EXISTS qbank_blobs (
    version bigint NOT NULL REFERENCES qbank_versions (id) ON DELETE CASCADE, name text NOT NULL,
    data bytea NOT NULL, PRIMARY KEY (version, name));
"""


class PgStore(PerUrl):
    """The index in the database at ``url`` (see the module docstring for the tables); ``PgStore.shared(url)``:
    one store (and one connection pool) per URL in this process."""


    def __init__(self, url: str, poll_s: float = POLL_S):
        self.url = url
        self.location = f"the database at {redact(url)}"
        self.poll_s = poll_s
        self._tables = SchemaOnce(url, _LOCK, _SCHEMA, "qbank_schema", SCHEMA_VERSION, lambda found: (
            f"{self.location} holds qbank tables of schema {found}, this qbank uses {SCHEMA_VERSION}; drop "
            f"the qbank_* tables (or use another database) and run `qbank ingest`"),
            doing="creating the qbank tables (needs the pgvector extension)")
        self._pool: Pool | None = None
        self._live: tuple[float, int | None] = (0.0, None)

    # -- connections and schema --------------------------------------------------
    def _schema(self) -> None:
        try:
            self._tables.ensure()
        except store.IndexUnavailable:
            raise
        except Exception as exc:   # psycopg.Error: no pgvector on the server, no rights, ...
            raise failure(exc, self.url, self._tables.doing) from None

    @property
    def pool(self) -> Pool:
        self._schema()
        if self._pool is None:
            self._pool = Pool(self.url)
        return self._pool

    def _query(self, sql: str, params=(), doing: str = "reading the index"):
        try:
            with self.pool.connection() as conn:
                return conn.execute(sql, params).fetchall()
        except store.IndexUnavailable:
            raise
        except Exception as exc:
            raise failure(exc, self.url, doing) from None

    # -- the IndexStore interface ------------------------------------------------
    def check(self) -> None:
        """Connect and create the tables before an ingest does its work (a dead database fails in seconds)."""
        try:
            self._schema()
        except store.IndexUnavailable as exc:
            raise store.IndexWriteError(f"{exc}; the previous index is unchanged") from None

    def build_dense(self, vectors: np.ndarray) -> "PgBuild":
        """Start the build: a version of its own, its vectors copied and HNSW-indexed, in one open transaction.

        The pipeline calls this as soon as the vectors are in, on a thread of its own, so the server builds
        the graph while the client builds the keyword index; :meth:`write` finishes the same transaction.

        Raises:
            ingest.store.IndexWriteError: the database failed; the live version is unchanged.
        """
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        conn = None
        try:
            self._schema()
            conn = connect(self.url)
            conn.execute("SET client_connection_check_interval = '1s'")   # a killed build stops server-side too
            conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")    # the HNSW graph built in memory
            conn.execute(f"SET max_parallel_maintenance_workers = {BUILD_WORKERS}")
            conn.autocommit = False                                         # one transaction, until write()
            version = conn.execute("INSERT INTO qbank_versions (name, manifest) VALUES (%s, '{}') RETURNING id",
                                   (name,)).fetchone()[0]
            build = PgBuild(conn, int(version), name, len(vectors), int(vectors.shape[1]))
            _copy_vectors(conn, version, vectors)
            return build
        except Exception as exc:  # noqa: BLE001 - reworded: the live version is unchanged
            if conn is not None:
                conn.close()      # rolls the transaction back
            raise self._write_error(exc) from None

    def index_type(self, dense) -> str:
        return "hnsw"

    def _write_error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return exc
        if isinstance(exc, store.IndexWriteError):
            return exc
        if isinstance(exc, store.IndexUnavailable):
            return store.IndexWriteError(f"{exc}; the previous index is unchanged and still answers")
        return store.IndexWriteError(f"could not write the new index to {self.location}: "
                                     f"{failure(exc, self.url, 'writing')}; the previous index is unchanged "
                                     f"and still answers")

    def write(self, manifest: Manifest, items: list[QAItem], passages: list[Passage], dense,
              dense_rows: np.ndarray, dense_refs: np.ndarray, keyword: KeywordIndex) -> str:
        """Finish the build :meth:`build_dense` started (or start one, given the vectors) and make it live in
        its one transaction; then drop old versions.

        Raises:
            ingest.store.IndexWriteError: the database failed; the live version is unchanged.
        """
        build = dense if isinstance(dense, PgBuild) else self.build_dense(dense)
        conn = build.conn
        try:
            blobs = _blobs(dense_rows, dense_refs, keyword)
            conn.execute("UPDATE qbank_versions SET manifest = %s WHERE id = %s",
                         (json.dumps(manifest.to_dict(), ensure_ascii=False), build.version))
            _copy_rows(conn, build.version, items, passages)
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO qbank_blobs VALUES (%s, %s, %s)",
                                [(build.version, key, data) for key, data in blobs.items()])
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            conn.execute("INSERT INTO qbank_live (one, version) VALUES (true, %s) "
                         "ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version", (build.version,))
            conn.execute("SELECT pg_notify('qbank_index', %s)", (str(build.version),))
            conn.commit()
            conn.autocommit = True
            self._prune(conn)
        except Exception as exc:  # noqa: BLE001 - reworded: the live version is unchanged
            raise self._write_error(exc) from None
        finally:
            conn.close()
        self._live = (time.monotonic(), build.version)
        return build.name

    def _prune(self, conn) -> None:
        """Drop versions older than the live one and the newest before it (best effort: a busy table waits)."""
        try:
            conn.execute("SET lock_timeout = '5s'")
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                old = [r[0] for r in conn.execute(
                    "SELECT id FROM qbank_versions WHERE id <> (SELECT version FROM qbank_live) ORDER BY id DESC "
                    "OFFSET 1").fetchall()]
                for version in old:
                    conn.execute(f"DROP TABLE IF EXISTS {table_name(version)}")
                if old:
                    conn.execute("DELETE FROM qbank_versions WHERE id = ANY(%s)", (old,))
        except Exception:   # noqa: BLE001 - a replica still searching an old version: the next build drops it
            pass

    def live_version(self) -> int | None:
        found = self._query("SELECT version FROM qbank_live")
        return int(found[0][0]) if found else None

    def read_manifest(self) -> Manifest | None:
        found = self._query("SELECT v.manifest FROM qbank_live l JOIN qbank_versions v ON v.id = l.version")
        try:
            return Manifest.from_dict(found[0][0]) if found else None
        except ValueError:
            return None

    def changed(self, index: store.Index) -> bool:
        at, live = self._live
        if time.monotonic() - at >= self.poll_s:
            try:
                live = self.live_version()
            except store.IndexUnavailable:   # the database is away for a moment: keep answering from memory
                return False
            self._live = (time.monotonic(), live)
        return live is not None and live != getattr(index.dense, "version", live)

    def load(self, embedding_model: str | None = None) -> store.Index:
        """The live version: items, passages and the keyword index in memory, the vectors left in the database.

        Raises:
            ingest.store.IndexUnavailable: no version yet, one built differently, or the database is down.
        """
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")   # one snapshot of one version
                found = conn.execute("SELECT v.id, v.name, v.manifest FROM qbank_live l "
                                     "JOIN qbank_versions v ON v.id = l.version").fetchone()
                if found is None:
                    raise store.IndexUnavailable(f"no index in {self.location}; run `qbank ingest` to build it")
                version, name, raw = found
                manifest = Manifest.from_dict(dict(raw, version=name))
                reason = manifest.load_reason(embedding_model, f"the index in {self.location}")
                if reason:
                    raise store.IndexUnavailable(reason)
                items = [QAItem.from_dict(d) for (d,) in conn.execute(
                    "SELECT data FROM qbank_items WHERE version = %s ORDER BY pos", (version,))]
                passages = [Passage(item_id, idx, text) for item_id, idx, text in conn.execute(
                    "SELECT item_id, idx, text FROM qbank_passages WHERE version = %s ORDER BY seq",
                    (version,))]
                blobs = {k: bytes(v) for k, v in conn.execute(
                    "SELECT name, data FROM qbank_blobs WHERE version = %s", (version,))}
                indexdef = conn.execute("SELECT string_agg(indexdef, ' ') FROM pg_indexes WHERE tablename = %s",
                                        (table_name(version),)).fetchone()[0] or ""
        except store.IndexUnavailable:
            raise
        except Exception as exc:
            raise failure(exc, self.url, "loading the index") from None
        rows = np.load(io.BytesIO(blobs.pop("dense_rows.npy")))
        refs = np.load(io.BytesIO(blobs.pop("dense_refs.npy")))
        with tempfile.TemporaryDirectory(prefix="qbank-bm25-") as tmp:
            for key, data in blobs.items():
                path = Path(tmp) / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            keyword = KeywordIndex.load(Path(tmp))
        dense = PgDense(self.pool, version, manifest.vectors, manifest.dim, half="halfvec" in indexdef)
        if len(items) != manifest.items or len(refs) != len(rows):
            raise store.IndexUnavailable(f"index version {name} in {self.location} is inconsistent (counts differ "
                                         f"from its manifest); {store.REBUILD_HINT}")
        self._live = (time.monotonic(), version)
        return store.Index(Path("postgresql") / name, manifest, items, passages, dense,
                           rows, refs, keyword)


class PgBuild:
    """A build in progress: its connection, inside the transaction that :meth:`PgStore.write` commits."""

    def __init__(self, conn, version: int, name: str, ntotal: int, d: int):
        self.conn, self.version, self.name, self.ntotal, self.d = conn, version, name, ntotal, d

    def abort(self) -> None:
        """Stop the build from another thread (the ingest failed or was interrupted); nothing is kept."""
        with contextlib.suppress(Exception):   # already finished or closed: closing below is enough
            self.conn.cancel_safe(timeout=5)
        self.conn.close()


def _blobs(dense_rows: np.ndarray, dense_refs: np.ndarray, keyword: KeywordIndex) -> dict[str, bytes]:
    """The entry maps and the keyword index's files (bm25s: vocabulary of jieba terms, CSC score matrix)."""
    out = {}
    for key, arr in (("dense_rows.npy", dense_rows), ("dense_refs.npy", dense_refs)):
        buf = io.BytesIO()
        np.save(buf, np.asarray(arr, dtype=np.int32))
        out[key] = buf.getvalue()
    with tempfile.TemporaryDirectory(prefix="qbank-bm25-") as tmp:
        keyword.save(Path(tmp))
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file():
                out[path.relative_to(tmp).as_posix()] = path.read_bytes()
    return out


def _copy_rows(conn, version: int, items: list[QAItem], passages: list[Passage]) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY qbank_items (version, pos, id, doc, file, data) FROM STDIN") as copy:
            for pos, it in enumerate(items):
                copy.write_row((version, pos, it.id, it.doc, it.file, json.dumps(it.to_dict(), ensure_ascii=False)))
        with cur.copy("COPY qbank_passages (version, seq, item_id, idx, text) FROM STDIN") as copy:
            for seq, p in enumerate(passages):
                copy.write_row((version, seq, p.item_id, p.index, p.text))


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def vector_copy_data(vectors: np.ndarray, first_row: int = 0) -> bytes:
    """``(row int4, embedding vector)`` rows in PostgreSQL's binary COPY format, packed by numpy in one go.

    Per row: 2 fields; int4 (length 4, big-endian value); vector (length 4 + 4·dim: int16 dim,
    int16 unused, dim big-endian float32), as pgvector's ``vector_recv`` reads it.
    """
    n, dim = vectors.shape
    rec = np.dtype([("fields", ">i2"), ("len_row", ">i4"), ("row", ">i4"), ("len_vec", ">i4"),
                    ("dim", ">i2"), ("unused", ">i2"), ("vec", ">f4", (dim,))])
    out = np.empty(n, dtype=rec)
    out["fields"], out["len_row"], out["len_vec"], out["dim"], out["unused"] = 2, 4, 4 + 4 * dim, dim, 0
    out["row"] = np.arange(first_row, first_row + n, dtype=np.int64)
    out["vec"] = vectors
    return out.tobytes()


def _copy_vectors(conn, version: int, vectors: np.ndarray) -> None:
    """The version's own vector table, filled by binary COPY, then its primary key and HNSW index (after the load)."""
    table = table_name(version)
    dim = int(vectors.shape[1])
    conn.execute(f"CREATE TABLE {table} (row int4 NOT NULL, embedding vector({dim}) NOT NULL)")
    # a 512-d vector (2 kB) would be TOASTed out of line: keep it in the row, read with it in one page
    conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding SET STORAGE PLAIN")
    with conn.cursor() as cur, cur.copy(f"COPY {table} (row, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER)
        step = 8192
        for at in range(0, len(vectors), step):
            copy.write(vector_copy_data(vectors[at:at + step], at))
        copy.write(struct.pack(">h", -1))
    conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (row)")
    conn.execute(f"CREATE INDEX {table}_hnsw ON {table} USING hnsw ({hnsw_expression(dim)} halfvec_ip_ops) "
                 f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})")
