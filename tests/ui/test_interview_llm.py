"""The interview tab's submit handler with a session LLM: the rubric grade beside the offline one.

The session's LLM is a real ``ChatOpenAI`` talking to a local server that speaks the OpenAI
protocol and answers like a rubric grader (``tests/ui/rubric_stub.py``); the ``fake``
backend (which cannot produce a rubric) and incomplete settings stand for a failing LLM.
"""

from __future__ import annotations

import re
import shutil

import gradio as gr
import pytest

from ingest.settings import Settings
from tests.openai_stub import serve_stub
from tests.ui import rubric_stub
from ui.interview_tab import submit_answer
from ui.services import Services, SessionLLM

ITEM = "dl_basics_qa-9"          # 什么是感受野？
GOOD = "感受野是输出特征图上一个元素对应到输入图像上的区域大小，由卷积核大小、步长和池化层共同决定，层数越深感受野越大。"


@pytest.fixture(scope="module")
def stub():
    with serve_stub(rubric_stub.RubricHandler) as srv:
        yield srv


@pytest.fixture(scope="module")
def services(corpus_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("iv_llm") / "home"
    shutil.copytree(corpus_home, home, ignore=shutil.ignore_patterns("*.lock", "*.sqlite3"))
    return Services(Settings.load(home=home, llm_timeout=10.0))


@pytest.fixture(scope="module")
def offline(services):
    """The offline grade of GOOD (what every card must still show)."""
    grader = services.grader
    return grader.grade(grader.item(ITEM), GOOD, "zh")


def fresh_state(services) -> dict:
    from rag.interview.session import InterviewSession, SessionConfig

    return InterviewSession(services.grader, services.store, SessionConfig(profile="ui-llm"), [ITEM]).to_state()


def stub_llm(stub, model: str) -> SessionLLM:
    return SessionLLM.chosen("openai", model, f"http://127.0.0.1:{stub.server_address[1]}/v1", api_key="sk-ui-llm-test-key")


def score(card: str, element: str = "qb-score-value") -> int:
    return int(re.search(rf'id="{element}">(\d+)<', card).group(1))


def test_disagreeing_llm_grade_is_shown_beside_the_offline_one_and_flagged(services, offline, stub):
    assert offline.score >= 60                       # a good answer offline...
    state, progress, card = submit_answer(services, GOOD, fresh_state(services), stub_llm(stub, "missing-5"), "zh")
    assert score(card) == offline.score              # ...keeps its offline score on the card
    assert score(card, "qb-llm-score-value") == 5    # ...and the LLM's, beside it
    assert card.count('data-llm-status="missing"') == len(offline.points) == card.count('class="qb-point"')
    assert 'data-uncertain="true"' in card and "两种评分不一致，仅供参考" in card
    assert rubric_stub.FEEDBACK in card and rubric_stub.FOLLOW_UP in card
    # the grade on screen is the current one; it is recorded in results when the question is left
    assert "1/1" in progress and state["current"]["uncertain"] is True
    assert "sk-ui-llm-test-key" not in card


def test_agreeing_llm_grade_is_not_flagged(services, offline, stub):
    _, _, card = submit_answer(services, GOOD, fresh_state(services), stub_llm(stub, f"partial-{offline.score}"), "en")
    assert score(card, "qb-llm-score-value") == offline.score
    assert 'data-llm-status="partial"' in card and 'data-uncertain="false"' in card
    assert "disagree" not in card and "LLM grade" in card


@pytest.mark.parametrize("llm, why", [
    (SessionLLM.chosen("fake"), "LLM 评分不可用"),                          # replies prose, not the rubric JSON
    (SessionLLM.chosen("ollama", "", ""), "llm_model is empty"),             # incomplete settings
])
def test_a_failing_llm_leaves_the_offline_grade_with_a_notice(services, offline, llm, why):
    _, _, card = submit_answer(services, GOOD, fresh_state(services), llm, "zh")
    assert score(card) == offline.score and "qb-llm-score-value" not in card
    assert why in card and "以下为离线评分" in card and 'data-uncertain="false"' in card


def test_failing_endpoint_and_garbage_reply(services, offline, stub):
    for model in ("err500", "garbage"):
        _, _, card = submit_answer(services, GOOD, fresh_state(services), stub_llm(stub, model), "zh")
        assert score(card) == offline.score and "qb-llm-score-value" not in card and "LLM 评分不可用" in card


def test_without_an_llm_the_card_is_offline_only(services, offline):
    _, _, card = submit_answer(services, GOOD, fresh_state(services), SessionLLM(), "zh")
    assert score(card) == offline.score
    assert "qb-llm" not in card and "LLM" not in card


def test_empty_answer_and_unstarted_session_are_clear_errors(services, stub):
    with pytest.raises(gr.Error, match="回答为空"):
        submit_answer(services, "  ", fresh_state(services), stub_llm(stub, "missing-5"), "zh")
    with pytest.raises(gr.Error, match="请先开始"):
        submit_answer(services, GOOD, None, SessionLLM(), "zh")
