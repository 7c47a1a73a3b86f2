"""ingest/embed_jobs.py: each distinct text is embedded once; cached files are reused; workers give the same embed_jobs."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import embed_jobs
from ingest.embed import load_embedder


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("use-multilingual")


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.seen = inner, inner.name, inner.dim, []

    def embed(self, texts):
        self.seen.extend(texts)
        return self.inner.embed(texts)


def test_repeated_texts_are_embedded_once(embedder):
    counting = Counting(embedder)
    files = [["什么是过拟合？", "过拟合是模型记住了训练集。"], ["什么是过拟合？", "dropout 随机丢弃神经元。", "过拟合是模型记住了训练集。"]]
    out, embedded = embed_jobs.embed_distinct(counting, files, [None, None], batch_size=2)
    assert embedded == 3
    assert sorted(counting.seen) == sorted({t for f in files for t in f})
    assert [v.shape for v in out] == [(2, 512), (3, 512)]
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[1][2], embedder.embed(["过拟合是模型记住了训练集。"])[0], atol=1e-5)


def test_cached_files_are_reused_for_equal_texts(embedder):
    counting = Counting(embedder)
    cached = embedder.embed(["梯度消失", "学习率"])
    out, embedded = embed_jobs.embed_distinct(counting, [["梯度消失", "学习率"], ["学习率", "权重衰减"]], [cached, None])
    assert embedded == 1 and counting.seen == ["权重衰减"]
    np.testing.assert_array_equal(out[1][0], cached[1])
    np.testing.assert_array_equal(out[0], cached)


def test_progress_covers_every_text(embedder):
    steps = []
    embed_jobs.embed_distinct(embedder, [["a", "b", "a"], ["b"]], [None, None], batch_size=1, progress=steps.append)
    assert sum(steps) == 4


def test_bad_arguments_name_the_problem(embedder):
    with pytest.raises(ValueError, match="2 cache entries for 1 files"):
        embed_jobs.embed_distinct(embedder, [["a"]], [None, None])
    with pytest.raises(ValueError, match="batch_size"):
        embed_jobs.embed_distinct(embedder, [["a"]], [None], batch_size=0)
    with pytest.raises(ValueError, match="1 rows for 2 texts"):
        embed_jobs.embed_distinct(embedder, [["a", "b"]], [np.zeros((1, 512), np.float32)])


@pytest.mark.integration
def test_workers_give_the_same_vectors(embedder, monkeypatch):
    monkeypatch.setattr(embed_jobs, "PARALLEL_MIN", 10)
    monkeypatch.setattr(embed_jobs, "CHUNK", 8)
    texts = [f"第 {k} 题：什么是 batch normalization，它解决了什么问题？" for k in range(30)]
    steps = []
    out, embedded = embed_jobs.embed_distinct(embedder, [texts], [None], workers=2, progress=steps.append)
    assert embedded == 30 and sum(steps) == 30
    np.testing.assert_allclose(out[0], embedder.embed(texts), atol=1e-4)


def test_a_cancelled_job_stops_and_raises(embedder):
    texts = [f"问题 {k}：什么是注意力机制？" for k in range(400)]
    job = embed_jobs.start_embedding(embedder, [texts], [None], batch_size=8)
    job.cancel()
    with pytest.raises(embed_jobs.Cancelled):
        job.result()


@pytest.mark.integration
def test_cancel_stops_the_workers(embedder, monkeypatch):
    import time

    import psutil

    monkeypatch.setattr(embed_jobs, "PARALLEL_MIN", 10)
    monkeypatch.setattr(embed_jobs, "CHUNK", 16)
    texts = [f"第 {k} 题：请解释梯度消失与梯度爆炸，以及残差连接为什么能缓解它们。" * 3 for k in range(2000)]
    job = embed_jobs.start_embedding(embedder, [texts], [None], workers=2)
    time.sleep(4)                               # the workers are started and busy
    t = time.perf_counter()
    job.cancel()
    with pytest.raises(embed_jobs.Cancelled):
        job.result()
    assert time.perf_counter() - t < 10
    deadline = time.time() + 10
    while psutil.Process().children() and time.time() < deadline:
        time.sleep(0.2)
    assert not [p for p in psutil.Process().children() if "spawn" in " ".join(p.cmdline())]
