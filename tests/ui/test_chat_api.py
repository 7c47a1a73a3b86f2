"""The OpenAI-compatible chat endpoint of a real ``qbank serve``, driven by the ``openai`` client.

Answers and citations are checked against the in-process answerer (the same conversation, the same
items cited) and the bundled files; errors against OpenAI's error shape; the login against its password.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

from tests.support import copy_home, free_port, start_serve, stop_serve

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


@pytest.fixture(scope="module")
def api_url(corpus_home, tmp_path_factory):
    home = copy_home(corpus_home, tmp_path_factory.mktemp("chat_api") / "home")
    port = free_port()
    proc = start_serve(home, port)
    yield f"http://127.0.0.1:{port}"
    stop_serve(proc)


@pytest.fixture()
def client(api_url):
    return openai.OpenAI(base_url=f"{api_url}/v1", api_key="not-needed-without-a-login", max_retries=0, timeout=120)


def _post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _points_at_its_question(c: dict) -> None:
    lines = (CORPUS / c["file"]).read_text(encoding="utf-8").splitlines()
    first, last = c["lines"]
    assert 1 <= first <= last <= len(lines) and c["question"][:6] in lines[first - 1], c


@pytest.mark.integration
def test_parse_request_pairs_earlier_turns_and_names_bad_fields(tmp_path):
    from ingest.settings import Settings
    from ui.chat_api import ApiError, parse_request

    settings = Settings.load(home=tmp_path)

    model, earlier, question, stream, lang = parse_request({"messages": [
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "什么是BN？"}, {"role": "assistant", "content": "BN 是…"},
        {"role": "user", "content": "什么是 dropout？"},                      # no answer came back
        {"role": "user", "content": [{"type": "text", "text": "那它有什么缺点？"}, {"type": "image_url"}]}]},
        settings)
    assert (model, question, stream, lang) == ("qbank", "那它有什么缺点？", False, "zh")
    assert earlier == [("什么是BN？", "BN 是…"), ("什么是 dropout？", "")]

    def refused(body) -> ApiError:
        with pytest.raises(ApiError) as info:
            parse_request(body, settings)
        return info.value

    err = refused({"model": "qbank", "messages": [{"role": "user", "content": "What is BN?"}], "stream": 1})
    assert (err.status, err.param, err.message) == (400, "stream", "stream must be true or false, got 1")
    err = refused({"messages": [{"role": "user", "content": "x" * 2001}]})
    assert err.status == 400 and "2001" in err.message and "2000" in err.message
    assert refused({"messages": "hi"}).param == "messages"
    assert refused({"messages": [{"content": "no role"}]}).param == "messages[0]"
    assert refused({"model": "gpt-4o", "messages": [{"role": "user", "content": "What is BN?"}]}).code == "model_not_found"
    assert refused([1, 2]).status == 400


def test_models(client):
    assert [m.id for m in client.models.list()] == ["qbank", "qbank-extractive"]


@pytest.mark.integration
def test_an_answer_with_citations_in_text_and_data(client, corpus_settings):
    from rag.answer import Answerer
    from ui.answer_text import answer_body

    r = client.chat.completions.create(model="qbank", messages=[
        {"role": "system", "content": "You are a pirate."},              # ignored: qbank's prompt is fixed
        {"role": "user", "content": "什么是感受野？"}])
    expected = Answerer(corpus_settings).ask("什么是感受野？")
    msg = r.choices[0].message
    assert r.object == "chat.completion" and r.choices[0].finish_reason == "stop" and msg.role == "assistant"
    assert msg.content.startswith(answer_body(expected).rstrip())
    c = expected.citations[0]
    assert f"[1] {c.question} — {c.doc}, {c.file}:{c.lines[0]}-{c.lines[1]}" in msg.content
    assert "【题库作答 · 置信度" in msg.content
    assert msg.citations == [x.public() for x in expected.citations] == r.citations     # message field, top level
    assert r.qbank["level"] == "answered" and msg.citations[0]["id"] == "dl_basics_qa-9"
    _points_at_its_question(msg.citations[0])


@pytest.mark.integration
def test_streaming_gives_the_same_answer_and_citations(client):
    question = [{"role": "user", "content": "What is the receptive field of a CNN?"}]
    whole = client.chat.completions.create(model="qbank", messages=question)
    chunks = list(client.chat.completions.create(model="qbank", messages=question, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content and "Sources:" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert last.citations == whole.citations and last.citations[0]["id"] == "dl_basics_qa-9"
    assert last.choices[0].delta.citations == whole.citations


@pytest.mark.integration
def test_a_follow_up_is_answered_in_the_conversation(client, corpus_settings):
    from rag.answer import Answerer
    from rag.conversation import Conversation
    from ui.answer_text import answer_body

    chat = Conversation(Answerer(corpus_settings))
    first, second = chat.ask("什么是混合精度训练？"), chat.ask("那它有什么缺点？")
    r1 = client.chat.completions.create(model="qbank", messages=[{"role": "user", "content": "什么是混合精度训练？"}])
    r2 = client.chat.completions.create(model="qbank", messages=[
        {"role": "user", "content": "什么是混合精度训练？"},
        {"role": "assistant", "content": r1.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "那它有什么缺点？"}]}])     # content parts work too
    assert [c["id"] for c in r1.citations] == [c.id for c in first.citations]
    assert [c["id"] for c in r2.citations] == [c.id for c in second.citations] == [first.citations[0].id]
    assert r2.qbank["resolved_question"] == second.resolved_question != "那它有什么缺点？"
    assert r2.choices[0].message.content.startswith(answer_body(second).rstrip())
    alone = client.chat.completions.create(model="qbank", messages=[{"role": "user", "content": "那它有什么缺点？"}])
    assert alone.qbank["resolved_question"] == "那它有什么缺点？"        # no history: nothing to carry


@pytest.mark.integration
def test_bad_requests_get_openai_errors_naming_the_value(client, api_url):
    def refused(exc_type, **kwargs) -> str:
        kwargs.setdefault("model", "qbank")
        with pytest.raises(exc_type) as info:
            client.chat.completions.create(**kwargs)
        body = info.value.body
        assert set(body) == {"message", "type", "param", "code"}, body
        return body["message"]

    assert "question 为空" in refused(openai.BadRequestError, messages=[{"role": "user", "content": " \x1b[31m "}])
    long_en = "Explain dropout in detail please. " * 80
    msg = refused(openai.BadRequestError, messages=[{"role": "user", "content": long_en}])
    assert f"question is {len(long_en.strip())} characters long, over the limit of 2000" in msg
    assert "'gpt-4o'" in refused(openai.NotFoundError, model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "role='assistant'" in refused(openai.BadRequestError, messages=[
        {"role": "user", "content": "什么是BN？"}, {"role": "assistant", "content": "……"}])
    assert "'wizard'" in refused(openai.BadRequestError, messages=[{"role": "wizard", "content": "什么是BN？"}])
    assert "messages" in refused(openai.BadRequestError, messages=[])

    status, body = _post(f"{api_url}/v1/chat/completions", b"{not json")
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    status, body = _post(f"{api_url}/v1/chat/completions", json.dumps(
        {"messages": [{"role": "user", "content": "什么是BN？"}], "stream": "yes"}).encode())
    assert status == 400 and body["error"]["param"] == "stream" and "'yes'" in body["error"]["message"]
    status, body = _post(f"{api_url}/v1/completions", b"{}")
    assert status == 404 and "/v1/completions" in body["error"]["message"]
    status, body = _post(f"{api_url}/v1/chat/completions", b'{"messages": [' + b" " * 5_000_000 + b"]}")
    assert status == 413 and body["error"]["code"] == "request_too_large" and "4 MB" in body["error"]["message"]


@pytest.mark.integration
def test_the_login_applies_to_the_api_and_an_llm_answer_streams(corpus_home, tmp_path):
    """A server with a login and the deterministic ``fake`` LLM backend (model ``qbank`` writes, streamed by token)."""
    home = copy_home(corpus_home, tmp_path / "home")
    port = free_port()
    proc = start_serve(home, port, env={"QBANK_AUTH_USER": "me", "QBANK_PASSWORD": "s3cret", "QBANK_LLM_BACKEND": "fake"})
    try:
        base = f"http://127.0.0.1:{port}/v1"
        ask = {"model": "qbank", "messages": [{"role": "user", "content": "什么是感受野？"}]}
        status, body = _post(f"{base}/chat/completions", json.dumps(ask).encode())
        assert status == 401 and body["error"]["code"] == "missing_api_key" and "QBANK_PASSWORD" in body["error"]["message"]
        wrong = openai.OpenAI(base_url=base, api_key="guess", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as info:
            wrong.chat.completions.create(**ask)
        assert info.value.body["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url=base, api_key="s3cret", max_retries=0, timeout=120)
        r = right.chat.completions.create(**ask)
        assert r.citations[0]["id"] == "dl_basics_qa-9" and r.qbank["mode"] == "llm" and "[1]" in r.choices[0].message.content
        pieces = [c.choices[0].delta.content for c in right.chat.completions.create(**ask, stream=True)]
        assert len([p for p in pieces if p]) > 5                      # the LLM's tokens as they come
        assert "".join(p or "" for p in pieces) == r.choices[0].message.content
        banks_only = right.chat.completions.create(**(ask | {"model": "qbank-extractive"}))
        assert banks_only.qbank["mode"] == "extractive" and banks_only.citations[0]["id"] == "dl_basics_qa-9"
        for _ in range(5):       # wrong keys count as failed logins: then even the right one waits
            with pytest.raises((openai.AuthenticationError, openai.RateLimitError)):
                wrong.models.list()
        with pytest.raises(openai.RateLimitError) as info:
            right.models.list()
        assert "try again in" in info.value.body["message"] and info.value.response.headers["retry-after"]
    finally:
        stop_serve(proc)
