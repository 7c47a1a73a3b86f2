"""Two real ``qbank serve`` replicas on one PostgreSQL database: a bank uploaded through one is answered by the
other within seconds, though the file only exists on the first (the other reads items from the database)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request

import pytest

from tests.pg_support import pg_server, pg_url  # noqa: F401 - fixtures
from tests.support import free_port, start_serve, stop_serve

pytestmark = pytest.mark.integration
NOTICE_S = 10     # the searcher polls the live version every second; a reload takes a moment more

BANK = """# 搜索与滤波算法面试题

### 1. 什么是蒙特卡洛树搜索的回溯步骤？

回溯步骤把模拟得到的结果沿着选择路径逐层传回根节点，更新每个节点的访问次数和累计价值。

### 2. 解释卡尔曼滤波的预测与更新两步。

预测步用状态转移模型推算下一时刻的状态和协方差，更新步用观测值和卡尔曼增益修正预测。
"""


def cited(port: int, question: str) -> list[str]:
    """The ids a replica cites for ``question``, through its OpenAI-compatible chat API."""
    body = json.dumps({"model": "qbank", "messages": [{"role": "user", "content": question}]}).encode("utf-8")
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return [c["id"] for c in json.loads(r.read())["citations"]]


def test_an_upload_on_one_replica_is_answered_by_the_other(pg_url, corpus_home, tmp_path):
    from gradio_client import Client, handle_file

    home_a, home_b = tmp_path / "a", tmp_path / "b"
    home_a.mkdir()
    home_b.mkdir()
    shutil.copytree(corpus_home / "cache", home_a / "cache")    # A builds the database's first version, from cache
    env = {"QBANK_DATABASE_URL": pg_url}
    port_a = free_port()
    a = start_serve(home_a, port_a, env=env, timeout=900)
    b = None
    try:
        port_b = free_port()
        b = start_serve(home_b, port_b, env=env, timeout=900)
        assert "indexed" not in (home_b / "serve.log").read_text()     # B found the index in the database
        client_a = Client(f"http://127.0.0.1:{port_a}/", verbose=False)
        question = "蒙特卡洛树搜索的回溯步骤是什么？"
        before = cited(port_b, question)
        assert "search_filter_qa-1" not in before
        path = tmp_path / "search_filter_qa.md"
        path.write_text(BANK, encoding="utf-8")
        result = client_a.predict([handle_file(str(path))], "", "", "", api_name="/upload")
        assert "✅" in result[0], result[0]
        uploaded = time.monotonic()
        seen = []
        while time.monotonic() - uploaded < NOTICE_S:
            seen = cited(port_b, question)
            if seen and seen[0] == "search_filter_qa-1":
                break
            time.sleep(0.3)
        waited = time.monotonic() - uploaded
        assert seen and seen[0] == "search_filter_qa-1", (seen, (home_b / "serve.log").read_text()[-2000:])
        print(f"replica B answered from the upload after {waited:.1f} s")
        assert not list(home_b.rglob("search_filter_qa.md"))           # the file is only on replica A
        client_a.close()
    finally:
        stop_serve(a)
        if b is not None:
            stop_serve(b)
