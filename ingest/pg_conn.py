"""Connections to the PostgreSQL store: one clear error when the database is down, a small pool for searches.

Every message names the database by its URL with the password masked
(``postgresql://qbank:***@db:5432/qbank``), never the password itself.
"""

from __future__ import annotations

import queue
import re
import threading
from contextlib import contextmanager

from ingest.store import IndexUnavailable

CONNECT_TIMEOUT_S = 5
POOL_SIZE = 10
EF_SEARCH = 100     # HNSW candidate list per search, and so the most rows one HNSW scan returns (bench: 100k p50; eval hit@1 unchanged)


class DatabaseUnavailable(IndexUnavailable):
    """The database named by ``database_url`` cannot be reached or refused us; the message says which and why."""


def redact(url: str) -> str:
    """``url`` with its password masked: ``postgresql://u:***@h/db`` (also ``?password=…``)."""
    url = re.sub(r"^(\w+://[^:/@?#]*):[^@/?#]*@", r"\1:***@", url)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def _reason(exc: BaseException, url: str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    secret = re.match(r"^\w+://[^:/@?#]*:([^@/?#]+)@", url)
    if secret:
        text = text.replace(secret.group(1), "***")
    return text[:300]


def _psycopg():
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:   # the optional extra
        raise ImportError(f"database_url needs psycopg 3 and pgvector ({exc}); install them with "
                          f"`.venv/bin/pip install -e '.[postgres]'`, or unset QBANK_DATABASE_URL") from None
    return psycopg, register_vector


def connect(url: str, vectors: bool = True):
    """An autocommit connection to ``url`` (with pgvector's types registered when ``vectors``).

    Raises:
        DatabaseUnavailable: the server is down, refuses the login, or the database does not exist.
    """
    psycopg, register_vector = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="qbank")
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"cannot connect to the database at {redact(url)}: {_reason(exc, url)}; start "
                                  f"PostgreSQL or fix database_url (QBANK_DATABASE_URL)") from None
    if vectors:
        try:
            register_vector(conn)
        except psycopg.ProgrammingError:   # no pgvector yet: the schema step creates it and connects again
            conn.close()
            raise
    return conn


def create_schema(url: str, lock: int, ddl: str, version_table: str, version: int, mismatch, doing: str) -> None:
    """Run ``ddl`` (``CREATE … IF NOT EXISTS``) and check the schema version in ``version_table``, in one
    transaction under the advisory lock ``lock`` (two processes starting at once create the tables once).

    Raises:
        DatabaseUnavailable: the server is down, or failed while ``doing`` (no rights, no pgvector, …); or the
            tables are of another version (``mismatch(found)`` is the message; nothing is changed).
    """
    psycopg, _ = _psycopg()
    with connect(url, vectors=False) as conn:
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
                conn.execute(ddl)
                found = conn.execute(f"SELECT version FROM {version_table}").fetchone()
                if found is None:
                    conn.execute(f"INSERT INTO {version_table} VALUES (%s)", (version,))
                elif found[0] != version:
                    raise DatabaseUnavailable(mismatch(found[0]))
        except psycopg.Error as exc:
            raise failure(exc, url, doing) from None


class SchemaOnce:
    """Tables created (and their version checked, :func:`create_schema`) once per process, however many
    threads ask first; a failure is not remembered, so the next call tries again."""

    def __init__(self, url: str, lock: int, ddl: str, version_table: str, version: int, mismatch, doing: str):
        self.url, self.doing = url, doing
        self._args = (lock, ddl, version_table, version, mismatch, doing)
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                create_schema(self.url, *self._args)
                self._ready = True


def failure(exc: BaseException, url: str, doing: str) -> DatabaseUnavailable:
    """A driver error while ``doing`` something, as one line naming the database."""
    return DatabaseUnavailable(f"the database at {redact(url)} failed while {doing}: {_reason(exc, url)}")


class PerUrl:
    """One instance per database URL in this process (and so one connection pool): ``Cls.shared(url)``."""

    _shared: dict
    _shared_lock: threading.Lock

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._shared, cls._shared_lock = {}, threading.Lock()

    @classmethod
    def shared(cls, url: str):
        with cls._shared_lock:
            if url not in cls._shared:
                cls._shared[url] = cls(url)
            return cls._shared[url]


class Pool:
    """At most ``size`` connections, reused LIFO; a connection that broke is dropped, not returned.

    ``vectors``: connections for the index (pgvector's types, the HNSW search depth); the interview
    history needs neither (its tables may be created before the extension is).
    """

    def __init__(self, url: str, size: int = POOL_SIZE, vectors: bool = True):
        self.url = url
        self.vectors = vectors
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def connection(self, doing: str = "searching"):
        psycopg, _ = _psycopg()
        self._slots.acquire()
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = connect(self.url, vectors=self.vectors)
                if self.vectors:
                    conn.execute(f"SET hnsw.ef_search = {int(EF_SEARCH)}")
            try:
                yield conn
            except psycopg.OperationalError as exc:
                conn.close()
                conn = None
                raise failure(exc, self.url, doing) from None
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE or conn.closed:
                conn.close()
                conn = None
        finally:
            if conn is not None:
                self._idle.put(conn)
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
