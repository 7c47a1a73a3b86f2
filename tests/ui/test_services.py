"""The app's service layer: answerers per session settings, session API keys, connection tests, uploads."""

from __future__ import annotations

import shutil
import socket

import pytest

from ingest.settings import Settings
from ui.answer_text import llm_error_text
from ui.services import ChatState, Services, SessionLLM, test_connection as check_connection


@pytest.fixture(scope="module")
def services(corpus_settings):
    return Services(corpus_settings)


def test_sessions_with_the_same_settings_share_an_answerer(services):
    default = SessionLLM.default(services.settings)
    assert services.answerer(default) is services.answerer(SessionLLM.default(services.settings))
    assert services.answerer(SessionLLM.chosen("fake")) is not services.answerer(default)


def test_a_session_key_reaches_only_its_own_model_and_is_not_in_the_cache_keys(services):
    a = services.answerer(SessionLLM.chosen("openai", "m", "http://127.0.0.1:9/v1", api_key="sk-session-a"))
    b = services.answerer(SessionLLM.chosen("openai", "m", "http://127.0.0.1:9/v1", api_key="sk-session-b"))
    assert a is not b
    assert a.model.openai_api_key.get_secret_value() == "sk-session-a"
    assert b.model.openai_api_key.get_secret_value() == "sk-session-b"
    assert not any("sk-session" in str(k) for k in services._answerers)


def test_connection_to_a_dead_endpoint_fails_fast_with_a_reason(services):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ok, reason, ms = check_connection(services, SessionLLM.chosen("openai", "m", f"http://127.0.0.1:{port}/v1", "sk-dead-key"))
    assert not ok and "connect" in str(reason).lower() and "sk-dead-key" not in str(reason) and ms < 15_000
    assert llm_error_text(reason, "zh").startswith("无法连接 http://127.0.0.1:")      # worded in the app's language


def test_connection_names_a_missing_setting(services):
    ok, reason, _ = check_connection(services, SessionLLM.chosen("ollama", "", ""))
    assert not ok and "llm_model is empty" in reason


def test_connection_with_a_working_model(services):
    ok, reply, _ = check_connection(services, SessionLLM.chosen("fake"))
    assert ok and reply


def test_chat_state_is_plain_per_session_data():
    a, b = ChatState(), ChatState()
    a.turns.append("x")
    assert b.turns == [] and "x" not in repr(b)


@pytest.mark.integration
def test_upload_switches_every_session_to_the_new_index(corpus_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    services = Services(Settings.load(home=home))
    before = services.searcher
    assert before.search("什么是超图卷积？").hits[0].item.id != "hyper-1"          # loads the old index
    old_answerer = services.answerer(SessionLLM())
    report = services.upload([("../hyper.md", "# 超图\n\n### 1. 什么是超图卷积？\n\n超图卷积在超边上聚合节点特征。\n".encode())])
    assert report.ok and report.new_items == {"hyper.md": 1}
    assert services.searcher is not before and services.answerer(SessionLLM()) is not old_answerer
    assert services.item("hyper-1").file == "hyper.md"
    assert "hyper-1" in {it.id for it in services.items()}
    assert before.search("什么是超图卷积？").hits[0].item.id != "hyper-1"     # searches in flight keep the old one
