"""Settings and chat name the field to fill, in the UI's language, never an environment variable."""

from __future__ import annotations

import pytest

from ui.services import SessionLLM
from ui.settings_tab import llm_problem


@pytest.mark.parametrize("lang,word", [("zh", "「模型」"), ("en", "Model field")])
@pytest.mark.parametrize("backend", ["openai", "ollama", "local"])
def test_an_empty_model_names_the_model_field(backend, lang, word):
    text = llm_problem(SessionLLM.chosen(backend, "", "http://127.0.0.1:9/v1"), lang)
    assert word in text and "QBANK_" not in text


def test_openai_without_a_key_or_base_url_asks_for_one_of_them():
    assert "API Key" in llm_problem(SessionLLM.chosen("openai", "gpt", ""), "zh")
    assert llm_problem(SessionLLM.chosen("openai", "gpt", ""), "en", server_key=True) == ""     # the server's own key
    assert llm_problem(SessionLLM.chosen("openai", "gpt", "", api_key="sk-x"), "en") == ""


def test_complete_settings_have_no_problem():
    assert llm_problem(SessionLLM.chosen("ollama", "qwen2.5:7b", "http://127.0.0.1:11434"), "zh") == ""
