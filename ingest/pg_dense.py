"""The dense vectors of one index version in pgvector, behind the part of FAISS's API the searcher uses.

:class:`rag.dense.DenseSearch` treats it like any approximate FAISS index (``DenseKind.HNSW``): ``search`` gives
the HNSW top rows, ``reconstruct_batch`` the exact vectors of the keyword candidates'
texts, so the hybrid scoring and fusion run unchanged on the candidates the database returns.
"""

from __future__ import annotations

import numpy as np

from ingest import pg_conn
from ingest.pg_conn import Pool


def _int_array(values: np.ndarray) -> str:
    """``{1,2,3}``: an int4[] literal (psycopg would adapt a list of ints one element at a time, ~7 ms per 300)."""
    return "{" + ",".join(map(str, np.asarray(values, dtype=np.int64).tolist())) + "}"


def hnsw_expression(dim: int) -> str:
    """What the HNSW index is built over: the vectors at half precision (half the graph's size and page reads;
    the table keeps float32, so the scores returned and the candidates' inner products stay exact)."""
    return f"(embedding::halfvec({int(dim)}))"


def table_name(version: int) -> str:
    """The vector table of version ``version`` (one table per version: a build never touches the live one)."""
    return f"qbank_dense_{int(version)}"


class PgDense:
    """Vectors of version ``version``: ``ntotal`` rows of dimension ``d``, HNSW over inner product."""

    def __init__(self, pool: Pool, version: int, ntotal: int, d: int, half: bool = True):
        self.pool = pool
        self.version = int(version)
        self.ntotal = int(ntotal)
        self.d = int(d)
        self.table = table_name(version)
        # the index's expression (``half``: built by this qbank; else a version indexed over the float32 column)
        self._order = f"{hnsw_expression(self.d)} <#> %(q)s::halfvec({self.d})" if half else "embedding <#> %(q)s"

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest each query by inner product (HNSW), as FAISS returns them: (sims, rows).

        Missing places (fewer than ``k`` rows) are row -1, like FAISS. One result row per query
        (two arrays), so the driver parses no per-row objects. An HNSW scan yields at most
        ``hnsw.ef_search`` rows (:data:`ingest.pg_conn.EF_SEARCH`): the places past it stay -1. The
        order is the index's (half precision); the scores are exact.
        """
        sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        with self.pool.connection() as conn:
            for i, q in enumerate(np.asarray(queries, dtype=np.float32)):
                found, dist = conn.execute(
                    f"SELECT array_agg(row ORDER BY d), array_agg(d ORDER BY d) FROM (SELECT row, embedding <#> %(q)s "
                    f"AS d FROM {self.table} ORDER BY {self._order} LIMIT %(k)s) nearest",
                    {"q": q, "k": min(int(k), pg_conn.EF_SEARCH)}, binary=True).fetchone()
                if found:
                    rows[i, :len(found)] = found
                    sims[i, :len(found)] = -np.asarray(dist, dtype=np.float32)   # <#> is the negative inner product
        return sims, rows

    def search_and_score(self, q: np.ndarray, k: int, rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`search` of one query and :meth:`inner_products` of ``rows`` with it, in one round trip.

        Returns ``(sims, top_rows, dots)``: the HNSW top rows with their scores (no -1 places) and
        ``q``'s inner product with each of ``rows`` (in that order, repeats allowed).
        """
        rows = np.asarray(rows, dtype=np.int64)
        wanted = np.unique(rows)
        q = np.asarray(q, dtype=np.float32)
        with self.pool.connection() as conn:
            found, dist, keys, dots = conn.execute(
                f"SELECT n.found, n.dist, c.keys, c.dots FROM (SELECT array_agg(row ORDER BY d) AS found, "
                f"array_agg(d ORDER BY d) AS dist FROM (SELECT row, embedding <#> %(q)s AS d FROM {self.table} "
                f"ORDER BY {self._order} LIMIT %(k)s) nearest) n, (SELECT array_agg(row ORDER BY row) AS keys, "
                f"array_agg(embedding <#> %(q)s ORDER BY row) AS dots FROM {self.table} "
                f"WHERE row = ANY(%(rows)s::int4[])) c",
                {"q": q, "k": min(int(k), pg_conn.EF_SEARCH), "rows": _int_array(wanted)}, binary=True).fetchone()
        if len(wanted) and (keys is None or len(keys) != len(wanted)):
            raise KeyError(f"{len(wanted) - len(keys or ())} of the requested rows are not in {self.table}")
        top = np.asarray(found or [], dtype=np.int64)
        sims = -np.asarray(dist or [], dtype=np.float32)           # <#> is the negative inner product
        scored = (-np.asarray(dots, dtype=np.float32)[np.searchsorted(np.asarray(keys, dtype=np.int64), rows)]
                  if len(rows) else np.zeros(0, dtype=np.float32))
        return sims, top, scored

    def reconstruct_batch(self, rows) -> np.ndarray:
        """The vectors of ``rows`` (in that order, repeats allowed), fetched as one packed buffer."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.d), dtype=np.float32)
        wanted = np.unique(rows)
        with self.pool.connection() as conn:
            keys, packed = conn.execute(
                f"SELECT array_agg(row ORDER BY row), string_agg(vector_send(embedding), ''::bytea ORDER BY row) "
                f"FROM {self.table} WHERE row = ANY(%s::int4[])", (_int_array(wanted),), binary=True).fetchone()
        if keys is None or len(keys) != len(wanted):
            raise KeyError(f"{len(wanted) - len(keys or ())} of the requested rows are not in {self.table}")
        # vector_send: int16 dim, int16 unused, then dim big-endian float32, per vector
        vecs = np.frombuffer(packed, dtype=">f4").reshape(len(keys), self.d + 1)[:, 1:].astype(np.float32)
        return vecs[np.searchsorted(np.asarray(keys, dtype=np.int64), rows)]

    def inner_products(self, rows, q: np.ndarray) -> np.ndarray:
        """``reconstruct_batch(rows) @ q``, computed by the database (a float per row comes back, not a vector)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        wanted = np.unique(rows)
        with self.pool.connection() as conn:
            keys, dist = conn.execute(
                f"SELECT array_agg(row ORDER BY row), array_agg(embedding <#> %s ORDER BY row) FROM {self.table} "
                f"WHERE row = ANY(%s::int4[])", (np.asarray(q, dtype=np.float32), _int_array(wanted)),
                binary=True).fetchone()
        if keys is None or len(keys) != len(wanted):
            raise KeyError(f"{len(wanted) - len(keys or ())} of the requested rows are not in {self.table}")
        return -np.asarray(dist, dtype=np.float32)[np.searchsorted(np.asarray(keys, dtype=np.int64), rows)]

    def reconstruct(self, row: int) -> np.ndarray:
        return self.reconstruct_batch([int(row)])[0]
