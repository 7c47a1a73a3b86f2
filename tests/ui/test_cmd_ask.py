"""``qbank ask`` through the real console script: JSON contract, text output, conversations, bad input."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def test_ask_json_contract(qbank_cli):
    r = qbank_cli("ask", "--json", "什么是感受野？")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"question", "answer", "mode", "abstained", "citations"} <= set(d)
    assert d["mode"] == "extractive" and d["abstained"] is False and d["answer"].endswith("[1]")
    c = d["citations"][0]
    assert set(c) == {"n", "id", "doc", "file", "number", "question", "lines"}
    assert (c["n"], c["id"], c["file"], c["number"]) == (1, "dl_basics_qa-9", "dl_basics_qa.txt", 9)


def test_ask_text_output_and_fake_llm_stream(qbank_cli):
    r = qbank_cli("ask", "红烧肉怎么做")
    assert r.returncode == 0 and r.stdout.startswith("题库中没有覆盖这个问题") and "出处" not in r.stdout
    r = qbank_cli("ask", "--llm", "fake", "什么是感受野？")
    assert r.returncode == 0, r.stderr
    first, _, rest = r.stdout.partition("\n")
    assert first.endswith("[1]") and "出处：\n[1] 什么是感受野" in rest and "dl_basics_qa.txt:" in rest


def test_ask_stdin_is_one_conversation(qbank_cli):
    r = qbank_cli("ask", "-", input="什么是批量归一化？\n\n那它有什么缺点？\n" + "x" * 5000 + "\n")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[1]["resolved_question"] == "什么是批量归一化？ 那它有什么缺点？"
    # the BN item says nothing about drawbacks: the follow-up says so and offers the item, at its level
    assert rows[1]["aspect"] == "cons" and rows[1]["level"] == "not_covered"
    assert rows[1]["related"][0]["id"] == rows[0]["citations"][0]["id"] and rows[0]["level"] == "answered"
    assert "limit" in rows[2]["error"]


@pytest.mark.parametrize("args,message", [
    (["ask", ""], "the question is empty"),
    (["ask", "   "], "the question is empty"),
    (["ask", "长" * 20_000], "characters long; the limit is"),
    (["ask", "--llm", "openai", "什么是感受野？"], "llm_model is empty"),
])
def test_bad_input_is_one_clear_line(qbank_cli, args, message):
    r = qbank_cli(*args)
    assert r.returncode == 2
    assert r.stderr.startswith("qbank: error: ") and message in r.stderr and "Traceback" not in r.stderr


def test_search_text_output_says_its_level(qbank_cli):
    r = qbank_cli("search", "-k", "2", "什么是感受野？")
    assert r.returncode == 0, r.stderr
    first, *hits = r.stdout.splitlines()
    assert first.startswith("【题库作答 · 置信度") and len(hits) == 2 and "dl_basics_qa-9" in hits[0]
    r = qbank_cli("search", "-k", "2", "how do I cook braised pork")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("[not_covered ") and lines[1].startswith("The banks do not cover this question")
