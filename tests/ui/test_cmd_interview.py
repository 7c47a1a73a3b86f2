"""``qbank grade`` JSON contract and a scripted ``qbank interview`` through a pipe (the real console script)."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

pytestmark = pytest.mark.integration

ANSWER = "LSTM 是 RNN 的改进，用输入门、遗忘门、输出门三个门和记忆单元控制信息流动，缓解长序列的梯度消失。"


@pytest.fixture()
def own_home(corpus_home, tmp_path):
    """A private copy of the corpus index: interviews write their history into $QBANK_HOME."""
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home, ignore=shutil.ignore_patterns("*.lock", "*.sqlite3*", "serve.log"))
    return home


def test_grade_json_contract(qbank_cli):
    r = qbank_cli("grade", "--id", "llm_principles_qa-13", "--answer", ANSWER, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["id"] == "llm_principles_qa-13" and isinstance(d["score"], int) and 0 <= d["score"] <= 100
    assert d["points"] and all(set(p) >= {"text", "status", "evidence"} for p in d["points"])
    assert {p["status"] for p in d["points"]} <= {"covered", "partial", "missing", "contradicted"}
    assert d["feedback"] and d["follow_up"]
    assert set(d["reference"]) >= {"id", "doc", "question", "lines"}
    assert d["reference"]["question"] == "什么是长短时记忆网络（LSTM）？" and len(d["reference"]["lines"]) == 2


def test_grade_reads_the_answer_from_stdin_and_prints_text(qbank_cli):
    r = qbank_cli("grade", "--id", "llm_principles_qa-13", "--answer", "-", input=ANSWER + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("得分: ") and "参考答案：什么是长短时记忆网络（LSTM）？" in r.stdout


def test_grade_errors_are_one_line(qbank_cli):
    r = qbank_cli("grade", "--id", "no-such-1", "--answer", "x")
    assert r.returncode == 2 and r.stderr.startswith("qbank: error: no item with id 'no-such-1'")
    assert "Traceback" not in r.stderr
    r = qbank_cli("grade", "--id", "llm_principles_qa-13", "--answer", "   ", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["score"] == 0


def test_scripted_interview_through_a_pipe(qbank_cli, own_home, tmp_path):
    script = (
        "\n\n" + ANSWER + "\n第二行也是回答的一部分。\n\n"      # leading blank lines are ignored; answer 1 ends at the blank line
        ":skip\n"                                             # question 2 skipped
        "我不太清楚这个问题。\n"                                  # answer 3 ends at the end of input
    )
    report = tmp_path / "report.md"
    r = qbank_cli("interview", "--count", "3", "--seed", "5", "--profile", "pipe", "--report", str(report),
                  input=script, home=own_home)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "[1/3]" in out and "[2/3]" in out and "[3/3]" in out
    assert out.count("得分: ") == 2 and "# 模拟面试报告" in out and "跳过" in out
    assert report.read_text(encoding="utf-8").startswith("# 模拟面试报告")
    with sqlite3.connect(own_home / "interview.sqlite3") as conn:
        rows = conn.execute("SELECT answer FROM attempts WHERE profile='pipe' ORDER BY id").fetchall()
    assert len(rows) == 2 and rows[0][0].endswith("第二行也是回答的一部分。")
    stats = qbank_cli("interview", "--stats", "--profile", "pipe", home=own_home)
    assert stats.returncode == 0 and "今天到期 0 题" in stats.stdout and "薄弱主题" in stats.stdout


def test_quit_ends_early_with_a_report(qbank_cli, own_home):
    r = qbank_cli("interview", "--count", "4", "--topic", "NLP", "--seed", "1", input=":quit\n", home=own_home)
    assert r.returncode == 0, r.stderr
    assert "[1/4]" in r.stdout and "[2/4]" not in r.stdout and "已答 0/0 题" in r.stdout


def test_unknown_topic_is_a_clear_error(qbank_cli, own_home):
    r = qbank_cli("interview", "--topic", "烹饪", input="", home=own_home)
    assert r.returncode == 2 and "no questions match" in r.stderr and "Traceback" not in r.stderr
