"""Backend settings, model construction, the streaming deadline and failure reasons."""

from __future__ import annotations

import socket
import sys
import time

import pytest
from langchain_core.runnables import RunnableGenerator

from ingest.settings import Settings
from rag.answer import Answerer
from ui.answer_text import notices_text
from rag.llm import (EchoChatModel, LLMConfigError, LLMError, LLMErrorKind, LLMTimeout, check_llm_settings, describe_failure,
                     make_chat_model, stream_with_deadline)

SECRET = "sk-backend-test-secret-42"


@pytest.fixture()
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return Settings.load(home=tmp_path)


def test_incomplete_settings_fail_fast_with_the_setting_to_fix(settings):
    with pytest.raises(LLMConfigError, match="QBANK_LLM_MODEL"):
        check_llm_settings(settings.replace(llm_backend="openai"))
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        check_llm_settings(settings.replace(llm_backend="openai", llm_model="deepseek-chat"))
    with pytest.raises(LLMConfigError, match="llm_timeout"):
        check_llm_settings(settings.replace(llm_backend="ollama", llm_model="qwen2.5", llm_timeout=0))
    with pytest.raises(LLMConfigError, match="folder"):
        Answerer(settings.replace(llm_backend="local"))          # at construction, before any search
    with pytest.raises(ValueError, match="llm_backend 'gpt' is not supported"):
        settings.replace(llm_backend="gpt")
    check_llm_settings(settings.replace(llm_backend="openai", llm_model="m", llm_base_url="http://127.0.0.1:1/v1"))
    check_llm_settings(settings)


def test_openai_backend_reads_the_key_from_the_env_only(settings, monkeypatch):
    monkeypatch.setenv("MY_KEY", SECRET)
    model = make_chat_model(settings.replace(llm_backend="openai", llm_model="qwen-plus", llm_api_key_env="MY_KEY",
                                             llm_base_url="https://example.invalid/v1", llm_timeout=7))
    assert type(model).__name__ == "ChatOpenAI"
    assert model.openai_api_key.get_secret_value() == SECRET
    assert model.openai_api_base == "https://example.invalid/v1" and model.request_timeout == 7
    assert model.max_retries == 0 and model.max_tokens == 512
    assert SECRET not in repr(model) and SECRET not in str(model.model_dump())


def test_ollama_backend(settings):
    model = make_chat_model(settings.replace(llm_backend="ollama", llm_model="qwen2.5:7b",
                                             llm_base_url="http://127.0.0.1:11434", llm_timeout=3))
    assert type(model).__name__ == "ChatOllama"
    assert model.base_url == "http://127.0.0.1:11434" and model.num_predict == 512
    assert model.client_kwargs == {"timeout": 3}


def test_missing_package_says_what_to_install(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_ollama", None)
    with pytest.raises(ImportError, match="pip install langchain-ollama"):
        make_chat_model(settings.replace(llm_backend="ollama", llm_model="qwen2.5"))


def test_local_backend_refuses_a_missing_model(settings, tmp_path):
    with pytest.raises(LLMConfigError, match="cannot load the local model .*never downloaded"):
        make_chat_model(settings.replace(llm_backend="local", llm_model=str(tmp_path / "no-such-model")))


def test_fake_backend_is_the_echo_model(settings):
    assert isinstance(make_chat_model(settings.replace(llm_backend="fake")), EchoChatModel)
    with pytest.raises(LLMConfigError, match="none"):
        make_chat_model(settings)


def _gen(delays):
    def run(_inputs):
        for d in delays:
            time.sleep(d)
            yield "x"
    return RunnableGenerator(run)


def test_deadline_passes_a_steady_stream_and_stops_a_silent_one():
    assert list(stream_with_deadline(_gen([0.05] * 6), {}, timeout=0.5)) == ["x"] * 6   # 0.3 s total, steady
    t0 = time.monotonic()
    it = stream_with_deadline(_gen([0.0, 5.0]), {}, timeout=0.3)
    assert next(it) == "x"
    with pytest.raises(LLMTimeout, match="0.3s"):
        next(it)
    assert time.monotonic() - t0 < 1.0


def test_deadline_reraises_model_errors():
    def boom(_inputs):
        yield "a"
        raise RuntimeError("model exploded")
    with pytest.raises(RuntimeError, match="exploded"):
        list(stream_with_deadline(RunnableGenerator(boom), {}, timeout=1))


def test_failure_reasons_are_short_and_key_free(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    s = settings.replace(llm_backend="openai", llm_model="m", llm_base_url="http://h:1/v1", llm_timeout=2)

    class APIStatusError(Exception):
        status_code = 503

    class APIConnectionError(Exception):
        pass

    assert describe_failure(LLMTimeout("x"), s) == LLMError(LLMErrorKind.TIMEOUT, "2", "http://h:1/v1")
    assert str(describe_failure(LLMTimeout("x"), s)) == "timed out after 2s"
    assert str(describe_failure(APIStatusError(), s)) == "HTTP 503 from http://h:1/v1"
    assert str(describe_failure(APIConnectionError(), s)) == "cannot connect to http://h:1/v1"
    assert str(describe_failure(ValueError(), s)) == "malformed reply (ValueError)"
    leaky = type(f"Err{SECRET}", (Exception,), {})
    assert SECRET not in str(describe_failure(leaky(), s))
    # the user reads it in the app's language (ui.answer_text words it)
    from ui.answer_text import llm_error_text

    assert llm_error_text(describe_failure(LLMTimeout("x"), s), "zh") == "2 秒内没有回复"
    assert llm_error_text(describe_failure(APIConnectionError(), s), "zh") == "无法连接 http://h:1/v1"
    assert llm_error_text(describe_failure(APIStatusError(), s), "en") == "HTTP 503 from http://h:1/v1"


def test_dead_ollama_falls_back(corpus_settings, searcher):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = corpus_settings.replace(llm_backend="ollama", llm_model="qwen2.5", llm_base_url=f"http://127.0.0.1:{port}",
                                llm_timeout=2)
    t0 = time.monotonic()
    ans = Answerer(s, searcher=searcher).ask("什么是批量归一化？")
    assert time.monotonic() - t0 < 2.5
    assert ans.mode == "extractive" and "无法连接 http://127.0.0.1:" in notices_text(ans) and ans.citations
