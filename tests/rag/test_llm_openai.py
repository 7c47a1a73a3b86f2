"""The real ChatOpenAI backend against a local server speaking the OpenAI chat.completions protocol.

The server (``tests/openai_stub.py``, http.server on 127.0.0.1) picks its behaviour from the requested
model name: ``ok`` streams a canned SSE answer, ``err500`` fails, ``malformed`` sends broken SSE,
``slow`` says nothing for longer than the timeout, ``stall`` stops after one chunk.
A closed port stands for a dead server. Every failure must give the extractive answer
with a notice, within the configured timeout, and never show the API key.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from rag.answer import Answerer
from rag.prompts import ANSWER_SYSTEM
from tests.openai_stub import serve_stub
from ui.answer_text import notices_text
from tests.support import free_port

KEY_ENV = "QBANK_TEST_LLM_KEY"
SECRET = "sk-test-0123456789abcdef-secret"


@pytest.fixture(scope="module")
def server():
    with serve_stub() as srv:
        yield srv


@pytest.fixture()
def answerer(corpus_settings, searcher, server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)

    def make(model, base_url=None, timeout=2.0):
        settings = corpus_settings.replace(
            llm_backend="openai", llm_model=model, llm_api_key_env=KEY_ENV, llm_timeout=timeout,
            llm_base_url=base_url or f"http://127.0.0.1:{server.server_address[1]}/v1")
        return Answerer(settings, searcher=searcher)
    return make


def test_streams_through_the_real_protocol(answerer, server):
    parts = list(answerer("ok").stream("什么是批量归一化？"))
    ans = parts[-1]
    assert ans.mode == "llm", notices_text(ans)
    assert "".join(parts[:-1]) == ans.answer == "批量归一化对每层输入做归一化 [1]，据说还能治感冒。"
    assert "[7]" in notices_text(ans) and [c.n for c in ans.citations] == [1]
    path, headers, body = server.requests[-1]
    assert path == "/v1/chat/completions" and body["stream"] is True and body["model"] == "ok"
    assert headers["authorization"] == f"Bearer {SECRET}"         # the key from the env var, sent only here
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user"] and "<context>" in body["messages"][1]["content"]
    assert body["messages"][0]["content"] == ANSWER_SYSTEM                 # no document text in the system role


@pytest.mark.parametrize("model,reason", [("err500", "HTTP 500"), ("malformed", "回复格式不对")])
def test_server_errors_fall_back(answerer, model, reason, caplog):
    caplog.set_level(logging.DEBUG)
    t0 = time.monotonic()
    ans = answerer(model).ask("什么是批量归一化？")
    assert time.monotonic() - t0 < 2.0
    assert ans.mode == "extractive" and not ans.abstained and ans.citations[0].id == "dl_basics_qa-31"
    assert notices_text(ans).startswith("大模型回答失败") and reason in notices_text(ans)
    assert SECRET not in notices_text(ans) and SECRET not in caplog.text


@pytest.mark.parametrize("model", ["slow", "stall"])
def test_silent_server_falls_back_within_the_timeout(answerer, model):
    t0 = time.monotonic()
    parts = list(answerer(model, timeout=1.0).stream("什么是批量归一化？"))
    elapsed = time.monotonic() - t0
    ans = parts[-1]
    assert elapsed < 1.0 + 1.0, elapsed                         # the timeout, plus search and slack
    assert ans.mode == "extractive" and "1 秒内没有回复" in notices_text(ans)
    assert "".join(parts[:-1]) == ("批量归一化" if model == "stall" else "")


def test_connection_refused_falls_back(answerer):
    port = free_port()
    t0 = time.monotonic()
    ans = answerer("ok", base_url=f"http://127.0.0.1:{port}/v1").ask("什么是批量归一化？")
    assert time.monotonic() - t0 < 2.0
    assert ans.mode == "extractive" and f"无法连接 http://127.0.0.1:{port}/v1" in notices_text(ans)


@pytest.mark.integration
def test_cli_ask_json_through_the_server(qbank_cli, server):
    env = {"QBANK_LLM_MODEL": "ok", "QBANK_LLM_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
           "QBANK_LLM_API_KEY_ENV": KEY_ENV, KEY_ENV: SECRET}
    r = qbank_cli("ask", "--json", "--llm", "openai", "什么是批量归一化？", env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["mode"] == "llm" and d["answer"].endswith("据说还能治感冒。") and [c["n"] for c in d["citations"]] == [1]
    assert SECRET not in r.stdout + r.stderr
    r = qbank_cli("ask", "--llm", "openai", "什么是批量归一化？", env=dict(env, QBANK_LLM_MODEL="err500"))
    assert r.returncode == 0 and "大模型回答失败（http://127.0.0.1:" in r.stdout and "返回 HTTP 500" in r.stdout and "出处：" in r.stdout
