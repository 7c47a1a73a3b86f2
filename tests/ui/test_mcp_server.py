"""``qbank mcp``: the real server spawned over stdio (and once over streamable HTTP), driven by the SDK's own client.

Every tool is called; what it returns is checked against the in-process services (``qbank ask --json`` is the
same data) and against the bundled files themselves: a citation's first line is its question's line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client, MCPError, StdioServerParameters

from tests.support import QBANK, copy_home, free_port, stop_serve

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
TOOLS = {"search", "ask", "get_item", "grade_answer", "next_question"}


@pytest.fixture(scope="module")
def mcp_home(corpus_home, tmp_path_factory) -> Path:
    return copy_home(corpus_home, tmp_path_factory.mktemp("mcp") / "home")


def _env(home: Path, **extra) -> dict:
    """The server's environment (the SDK passes only a few variables of ours on, so PYTHONPATH is carried over)."""
    env = {"QBANK_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": "utf-8", **extra}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _stdio(home: Path) -> StdioServerParameters:
    return StdioServerParameters(command=str(QBANK), args=["mcp"], env=_env(home), cwd=str(CORPUS.parents[1]))


def _in_own_loop(main) -> None:
    """``anyio.run(main)`` on a thread of its own: a sync Playwright fixture of an earlier test may still hold an
    event loop on the main thread, and a loop cannot start inside another."""
    errors: list[BaseException] = []

    def target():
        try:
            anyio.run(main)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            errors.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if errors:
        raise errors[0]


def _run(home: Path, scenario) -> None:
    async def main():
        async with Client(_stdio(home), read_timeout_seconds=120) as client:
            await scenario(client)

    _in_own_loop(main)


def _line(file: str, n: int) -> str:
    return (CORPUS / file).read_text(encoding="utf-8").splitlines()[n - 1]


def _points_at_its_question(ref: dict) -> None:
    """A citation / hit names its file and line span, and the first line of the span is its question's line."""
    first, last = ref["lines"]
    assert 1 <= first <= last <= len((CORPUS / ref["file"]).read_text(encoding="utf-8").splitlines())
    assert ref["question"][:6] in _line(ref["file"], first), (ref, _line(ref["file"], first))


def test_every_tool_over_stdio(mcp_home, corpus_settings):
    from rag.answer import Answerer
    from ui.answer_text import answer_json
    from rag.conversation import Conversation
    from rag.interview.grade import Grader

    answerer, grader = Answerer(corpus_settings), Grader(corpus_settings)

    async def scenario(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        assert all(t.description and t.output_schema for t in tools.values())
        assert tools["search"].input_schema["required"] == ["query"]

        # ask: the same answer as `qbank ask --json`, cited, with its level; the text quotes the source
        r = await client.call_tool("ask", {"question": "什么是感受野？"})
        assert not r.is_error
        expected = answer_json(answerer.ask("什么是感受野？"))
        assert r.structured_content == expected
        assert expected["level"] == "answered" and expected["citations"][0]["id"] == "dl_basics_qa-9"
        c = expected["citations"][0]
        _points_at_its_question(c)
        text = r.content[0].text
        assert "[1]" in text and f"{c['file']}:{c['lines'][0]}-{c['lines'][1]}" in text and "题库作答" in text

        # a follow-up with the conversation's earlier questions keeps its topic (as `qbank ask -` does)
        r = await client.call_tool("ask", {"question": "那它有什么缺点？", "history": ["什么是混合精度训练？"]})
        chat = Conversation(answerer)
        chat.ask("什么是混合精度训练？")
        assert r.structured_content == answer_json(chat.ask("那它有什么缺点？"))
        assert r.structured_content["citations"][0]["id"] == "dl_basics_qa-17"
        assert "（检索：什么是混合精度训练？ 那它有什么缺点？）" in r.content[0].text

        r = await client.call_tool("ask", {"question": "今天天气怎么样？"})
        assert r.structured_content["level"] == "not_covered" and r.structured_content["citations"] == []
        assert "题库未覆盖" in r.content[0].text

        # search: k hits with doc, number, lines and score
        r = await client.call_tool("search", {"query": "BN 有什么作用？", "k": 3})
        hits = r.structured_content["results"]
        assert len(hits) == 3 and hits[0]["id"] == "dl_basics_qa-31"
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        for h in hits:
            assert {"doc", "number", "lines", "score"} <= set(h)
            _points_at_its_question(h)

        # get_item: the whole item; its answer is the text under its question in the file
        r = await client.call_tool("get_item", {"id": "dl_basics_qa-31"})
        item = r.structured_content
        _points_at_its_question(item)
        span = "\n".join((CORPUS / item["file"]).read_text(encoding="utf-8").splitlines()[item["lines"][0] - 1:item["lines"][1]])
        assert item["answer"].splitlines()[0].strip() in span
        assert item["key_points"] and item["key_points"] == list(grader.prepared(grader.item("dl_basics_qa-31")).points)

        # grade_answer: the offline grader's grade; the reference answer itself scores high, "不知道" low
        good = await client.call_tool("grade_answer", {"item_id": "dl_basics_qa-31", "answer": item["answer"]})
        bad = await client.call_tool("grade_answer", {"item_id": "dl_basics_qa-31", "answer": "不知道"})
        assert good.structured_content["score"] == grader.grade(grader.item("dl_basics_qa-31"), item["answer"]).score
        assert good.structured_content["score"] >= 80 and bad.structured_content["score"] < 30
        assert {p["status"] for p in bad.structured_content["points"]} == {"missing"}
        assert good.structured_content["recorded"] is False and "得分" in good.content[0].text

        # next_question -> grade_answer(profile) -> the profile's schedule puts the failed question first
        r = await client.call_tool("next_question", {"profile": "alice"})
        first = r.structured_content
        assert first["reason"] == "new" and first["attempts"] == 0
        graded = await client.call_tool("grade_answer", {"item_id": first["id"], "answer": "不知道", "profile": "alice"})
        assert graded.structured_content["recorded"] is True
        weakest = (await client.call_tool("next_question", {"profile": "alice", "mode": "weakest"})).structured_content
        assert weakest["id"] == first["id"] and weakest["reason"] in ("due", "weakest")
        assert weakest["attempts"] == 1 and weakest["last_score"] == graded.structured_content["score"]
        due = (await client.call_tool("next_question", {"profile": "alice", "mode": "due"})).structured_content
        if due["due_today"]:       # the schedule brings the failed question back today: it comes first
            assert due["id"] == first["id"] and due["reason"] == "due"
        else:                      # due later: new questions come before it
            assert due["id"] != first["id"] and due["reason"] == "new"
        other = (await client.call_tool("next_question", {"profile": "bob", "mode": "weakest"})).structured_content
        assert other["reason"] == "new" and other["attempts"] == 0

    _run(mcp_home, scenario)


def test_bad_input_and_resources_over_stdio(mcp_home):
    async def scenario(client):
        async def error(tool, args) -> str:
            r = await client.call_tool(tool, args)
            assert r.is_error, (tool, args, r)
            return r.content[0].text

        assert "query 为空" in await error("search", {"query": "   "})
        assert "k 必须是 1 到 50 之间的整数，收到 0" in await error("search", {"query": "什么是 dropout", "k": 0})
        assert "k must be a whole number from 1 to 50, got 500" in await error("search", {"query": "dropout", "k": 500})
        long_en = "What is dropout? " * 150
        msg = await error("ask", {"question": long_en})
        assert f"question is {len(long_en.strip())} characters long, over the limit of 2000" in msg
        assert "'no-such-item'" in await error("get_item", {"id": "no-such-item"})
        assert "'no-such-item'" in await error("grade_answer", {"item_id": "no-such-item", "answer": "x"})
        assert "answer 为空" in await error("grade_answer", {"item_id": "dl_basics_qa-9", "answer": ""})
        assert "'sometimes'" in await error("next_question", {"mode": "sometimes"})
        assert "max_profile_chars" in await error("next_question", {"profile": "p" * 500})
        assert "docs=['nope.md']" in await error("next_question", {"docs": ["nope.md"]})

        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".md", ".txt"))
        assert set(listed) == {"qbank://banks"} | {f"qbank://banks/{f}" for f in files}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {"qbank://banks/{file}", "qbank://items/{item_id}"}

        banks = json.loads((await client.read_resource("qbank://banks")).contents[0].text)
        assert [b["file"] for b in banks] == files and sum(b["items"] for b in banks) == 173
        bank = json.loads((await client.read_resource("qbank://banks/dl_basics_qa.txt")).contents[0].text)
        assert len(bank["items"]) == next(b["items"] for b in banks if b["file"] == "dl_basics_qa.txt")
        for row in bank["items"]:
            _points_at_its_question(row | {"file": "dl_basics_qa.txt"})
        one = json.loads((await client.read_resource("qbank://items/dl_basics_qa-9")).contents[0].text)
        assert one["question"].startswith("什么是感受野") and "感受野" in one["answer"]
        with pytest.raises(MCPError, match="nope.md"):
            await client.read_resource("qbank://banks/nope.md")

    _run(mcp_home, scenario)


def _wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qbank mcp exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"qbank mcp did not listen within {timeout}s:\n{log.read_text()[-3000:]}")


def test_streamable_http_with_a_login(mcp_home):
    import httpx2

    port = free_port()
    log = mcp_home / "mcp-http.log"
    env = dict(os.environ, **_env(mcp_home, QBANK_AUTH_USER="me", QBANK_PASSWORD="s3cret"))
    with open(log, "w") as out:
        proc = subprocess.Popen([str(QBANK), "mcp", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_port(port, proc, log)
        url = f"http://127.0.0.1:{port}/mcp"
        refused = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "missing_api_key"
        wrong = httpx2.post(url, json={}, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401 and "QBANK_PASSWORD" in wrong.json()["error"]["message"]

        async def main():
            from mcp.client.streamable_http import streamable_http_client

            async with httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret"}, timeout=120) as http, \
                    Client(streamable_http_client(url, http_client=http)) as client:
                assert {t.name for t in (await client.list_tools()).tools} == TOOLS
                r = await client.call_tool("ask", {"question": "What is the receptive field of a CNN?"})
                assert not r.is_error and r.structured_content["citations"][0]["id"] == "dl_basics_qa-9"
                assert "Sources:" in r.content[0].text
                _points_at_its_question(r.structured_content["citations"][0])

        _in_own_loop(main)
    finally:
        stop_serve(proc)
