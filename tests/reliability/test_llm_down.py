"""A dead or slow LLM behind the interview's LLM grader: the offline grade, a notice, within the timeout.

The answer chain's fallbacks (connection refused, timeout, HTTP 500, malformed stream) are
covered by ``tests/rag/test_llm_openai.py`` and ``tests/rag/test_answer.py``; a model that
raises or replies garbage to the grader by ``tests/rag/interview/test_llm_grade.py``.
Here: a grader model that hangs (on the rubric, or only on the follow-up question after a
good rubric), the real ``ChatOpenAI`` grader against a local server speaking the OpenAI
protocol (HTTP 500, malformed stream, silence, a closed port), and the same through
``qbank grade`` and ``qbank interview``. The offline score is never changed and the API
key never appears.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from tests.openai_stub import serve_stub
from tests.support import copy_home, free_port, run_cli

ITEM = "dl_basics_qa-9"
ANSWER = "感受野是输出特征图上一个元素对应到输入图像上的区域大小，由卷积核大小、步长和池化层共同决定。"
KEY_ENV, SECRET = "QBANK_REL_LLM_KEY", "sk-reliability-5a7e0c41d9-secret"
TIMEOUT = 1.0
SLACK = 3.0        # offline grading and thread start-up on a busy 2-core machine
FIGURES: dict[str, float] = {}


class Stuck(BaseChatModel):
    """A chat model that answers the first ``answers`` calls, then says nothing until released."""

    answers: list[str] = []
    release: threading.Event
    calls: int = 0

    model_config = {"arbitrary_types_allowed": True}

    @property
    def _llm_type(self) -> str:
        return "stuck"

    def _reply(self) -> str:
        self.calls += 1
        if self.calls <= len(self.answers):
            return self.answers[self.calls - 1]
        self.release.wait(60)
        raise ConnectionError("released")

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply()))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        yield ChatGenerationChunk(message=AIMessageChunk(content=self._reply()))


@pytest.fixture()
def release():
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture(scope="module")
def offline(corpus_settings, searcher):
    from rag.interview.grade import Grader

    g = Grader(corpus_settings, searcher)
    g.warm_up()
    return g


def _grader(offline, llm, timeout=TIMEOUT):
    from rag.interview.grade import Grader

    return Grader(offline.settings.replace(llm_timeout=timeout, llm_api_key_env=KEY_ENV), offline.searcher, llm=llm)


def _rubric(n: int) -> str:
    return json.dumps({"points": [{"index": k, "status": "covered", "evidence": ""} for k in range(1, n + 1)],
                       "score": 85, "feedback": "不错"}, ensure_ascii=False)


def _timed(grader, item):
    t0 = time.perf_counter()
    result = grader.grade(item, ANSWER)
    return result, time.perf_counter() - t0


def test_silent_grader_model_gives_the_offline_grade_within_the_timeout(offline, release):
    item = offline.item(ITEM)
    result, elapsed = _timed(_grader(offline, Stuck(release=release)), item)
    FIGURES["grader: model silent (fake)"] = round(elapsed, 2)
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert result.llm is None and result.score == offline.grade(item, ANSWER).score
    assert any("LLM 评分不可用（timed out after 1s）" in n for n in result.notices), result.notices


def test_model_silent_on_the_follow_up_still_returns_within_the_timeout(offline, release):
    """The rubric comes back, then the follow-up question never does: the grade must not wait for it."""
    item = offline.item(ITEM)
    n = len(offline.prepared(item).points)
    result, elapsed = _timed(_grader(offline, Stuck(answers=[_rubric(n)], release=release)), item)
    FIGURES["grader: follow-up silent (fake)"] = round(elapsed, 2)
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert result.llm is not None and result.llm.score == 85          # the rubric grade is kept
    assert result.follow_up                                           # the offline follow-up stands in


# -- the real ChatOpenAI client against a local server speaking the protocol ----------------------------
@pytest.fixture(scope="module")
def server():
    with serve_stub() as srv:
        yield srv


CASES = {   # stub model name (or a closed port) -> what the notice must say
    "err500": "HTTP 500",
    "malformed": "malformed reply",
    "ok": "malformed reply",           # streams prose, not the rubric JSON
    "slow": "timed out after 1s",
    "refused": "cannot connect",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_openai_grader_failures_keep_the_offline_grade(offline, server, monkeypatch, case):
    from rag.llm import make_chat_model

    monkeypatch.setenv(KEY_ENV, SECRET)
    port = free_port() if case == "refused" else server.server_address[1]
    settings = offline.settings.replace(llm_backend="openai", llm_model=case, llm_base_url=f"http://127.0.0.1:{port}/v1",
                                        llm_api_key_env=KEY_ENV, llm_timeout=TIMEOUT)
    item = offline.item(ITEM)
    result, elapsed = _timed(_grader(offline, make_chat_model(settings)), item)
    FIGURES[f"grader: {case} (OpenAI protocol)"] = round(elapsed, 2)
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert result.llm is None and result.score == offline.grade(item, ANSWER).score
    assert any(n.startswith("LLM 评分不可用") and CASES[case] in n for n in result.notices), result.notices
    assert SECRET not in json.dumps(result.public(), ensure_ascii=False)


def test_answer_chain_fallback_times(corpus_settings, searcher, server, monkeypatch):
    """The figures for docs/reliability.md: question asked -> extractive answer with its notice, per failure.

    (The behaviour itself is asserted in tests/rag/test_llm_openai.py; this records how long it takes.)
    """
    from rag.answer import Answerer
    from ui.answer_text import notices_text

    monkeypatch.setenv(KEY_ENV, SECRET)
    for case, notice in (("err500", "HTTP 500"), ("malformed", "回复格式不对"), ("slow", "1 秒内没有回复"),
                         ("stall", "1 秒内没有回复"), ("refused", "无法连接")):
        port = free_port() if case == "refused" else server.server_address[1]
        settings = corpus_settings.replace(llm_backend="openai", llm_model=case, llm_api_key_env=KEY_ENV,
                                           llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout=TIMEOUT)
        t0 = time.perf_counter()
        answer = Answerer(settings, searcher).ask("什么是批量归一化？")
        elapsed = time.perf_counter() - t0
        FIGURES[f"answer: {case} (OpenAI protocol)"] = round(elapsed, 2)
        assert answer.mode == "extractive" and notice in notices_text(answer) and elapsed < TIMEOUT + SLACK, (case, elapsed)


@pytest.mark.integration
def test_cli_grade_and_interview_with_a_dead_and_a_silent_llm(corpus_home, server, tmp_path):
    env = {"QBANK_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "QBANK_LLM_MODEL": "any",
           "QBANK_LLM_API_KEY_ENV": KEY_ENV, KEY_ENV: SECRET, "QBANK_LLM_TIMEOUT": str(TIMEOUT)}
    t0 = time.monotonic()
    r = run_cli(corpus_home, "grade", "--id", ITEM, "--answer", ANSWER, "--json", "--llm", "openai", env=env)
    FIGURES["qbank grade, refused (whole command)"] = round(time.monotonic() - t0, 2)
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads(r.stdout)
    assert d["score"] > 0 and any("LLM 评分不可用（cannot connect" in n for n in d["notices"])
    assert SECRET not in r.stdout + r.stderr
    # a server that never answers: every question of the session is still graded, each within the timeout
    env.update(QBANK_LLM_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1", QBANK_LLM_MODEL="slow")
    t0 = time.monotonic()
    r = run_cli(copy_home(corpus_home, tmp_path / "home"), "interview", "--count", "2", "--seed", "3", "--llm", "openai",
                input=f"{ANSWER}\n\n{ANSWER}\n\n", env=env)
    FIGURES["qbank interview, 2 questions, silent LLM (whole command)"] = round(time.monotonic() - t0, 2)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stdout.count("LLM 评分不可用（timed out after 1s）") == 2 and r.stdout.count("得分:") == 2
    assert SECRET not in r.stdout + r.stderr


def teardown_module(module):
    out = os.environ.get("QBANK_RELIABILITY_OUT")
    if out and FIGURES:
        path = Path(out) / "llm_fallback.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(old | FIGURES, indent=1, ensure_ascii=False), encoding="utf-8")
