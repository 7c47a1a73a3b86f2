"""Bad input to every entry point: empty, whitespace-only, 200,000-character and control-character text.

Each entry point (Python API, the app's handlers, the CLI) must answer with a clear message
naming the problem, never a traceback, and keep working: the next valid query succeeds.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support import assert_clean_error, no_terminal_escapes, run_cli

HUGE = "长" * 200_000
EMPTY_LIKE = {"empty": "", "whitespace": " \t\n\u3000 ", "nul": "\x00\x00", "bidi": "\u202e\u200b"}
VALID = "什么是感受野？"
VALID_ID = "dl_basics_qa-9"
GOOD_ANSWER = "感受野是输出特征图上一个元素对应到输入图像上的区域大小，由卷积核大小、步长和池化层共同决定。"


# -- Python API -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(EMPTY_LIKE))
def test_searcher_refuses_empty_like_queries_then_answers(searcher, kind):
    from rag.validate import QueryError

    with pytest.raises(QueryError, match="the question is empty: type a question"):
        searcher.search(EMPTY_LIKE[kind])
    assert searcher.search(VALID).hits[0].item.id == VALID_ID


def test_searcher_refuses_a_200k_query_quickly_then_answers(searcher):
    from rag.validate import QueryError

    t0 = time.perf_counter()
    with pytest.raises(QueryError, match=r"the question is 200000 characters long; the limit is 2000"):
        searcher.search(HUGE)
    assert time.perf_counter() - t0 < 1.0            # refused before any tokenising or embedding
    assert searcher.search(VALID).hits[0].item.id == VALID_ID


def test_control_characters_inside_a_query_are_ignored(searcher):
    from rag.validate import QueryError

    result = searcher.search("什么是\x00感受野\x1b[0m\u202e？")
    assert not result.abstained and result.hits[0].item.id == VALID_ID
    assert result.query == "什么是 感受野  ？"                  # whole escape sequences go, not just the ESC
    with pytest.raises(QueryError, match="the question is empty"):
        searcher.search("\x1b[31m\x1b]0;title\x07\x1b[0m")


@pytest.mark.parametrize("question", [*EMPTY_LIKE.values(), HUGE], ids=[*EMPTY_LIKE, "200k"])
def test_answerer_refuses_bad_questions_then_answers(corpus_settings, searcher, question):
    from rag.answer import Answerer
    from rag.validate import QueryError

    answerer = Answerer(corpus_settings, searcher)
    with pytest.raises(QueryError, match="the question is empty|characters long; the limit is"):
        answerer.ask(question)
    ans = answerer.ask(VALID)
    assert ans.citations[0].id == VALID_ID


@pytest.fixture(scope="module")
def grader(corpus_settings, searcher):
    from rag.interview.grade import Grader

    g = Grader(corpus_settings, searcher)
    g.warm_up()
    return g


@pytest.mark.parametrize("kind", sorted(EMPTY_LIKE) + ["none"])
def test_grader_gives_zero_and_says_the_answer_is_empty(grader, kind):
    item = grader.item(VALID_ID)
    result = grader.grade(item, EMPTY_LIKE.get(kind))
    assert result.score == 0 and all(p.status == "missing" for p in result.points)
    assert any("回答为空" in n for n in result.notices)
    assert grader.grade(item, GOOD_ANSWER).score >= 50         # the next answer is graded normally


def test_grader_grades_the_start_of_a_200k_answer_with_a_notice(grader, corpus_settings):
    item = grader.item(VALID_ID)
    t0 = time.perf_counter()
    result = grader.grade(item, GOOD_ANSWER + HUGE)
    elapsed = time.perf_counter() - t0
    limit = corpus_settings.interview.max_answer_chars
    assert any(f"回答超过 {limit} 字" in n for n in result.notices)
    assert len(result.answer) <= limit and elapsed < 15, elapsed
    assert result.points[0].status in ("covered", "partial")     # the good start still counts


def test_control_characters_do_not_change_a_grade(grader):
    item = grader.item(VALID_ID)
    clean = grader.grade(item, GOOD_ANSWER)
    dirty = grader.grade(item, "\x1b[31m" + GOOD_ANSWER.replace("，", "，\x00\u202e", 1) + "\x1b[0m\x07")
    assert abs(clean.score - dirty.score) <= 5, (clean.score, dirty.score)
    assert no_terminal_escapes(dirty.answer)


# -- the app's handlers, called directly --------------------------------------------------------------
@pytest.fixture(scope="module")
def app(corpus_settings):
    """The Gradio Blocks app built in-process, its services, and a lookup of handlers by trigger element."""
    from ui.app import build_app
    from ui.services import Services

    services = Services(corpus_settings)
    demo = build_app(corpus_settings, services)

    def handler(elem_id: str, event: str = "click"):
        for fn in demo.fns.values():
            for block_id, ev in fn.targets:
                block = demo.blocks.get(block_id)
                if ev == event and getattr(block, "elem_id", None) == elem_id:
                    return fn.fn
        raise LookupError(f"no {event} handler on #{elem_id}")

    return services, handler


def _gr_error(call) -> str:
    import gradio as gr

    with pytest.raises(gr.Error) as info:
        call()
    return str(info.value.message)


@pytest.mark.parametrize("question", [*EMPTY_LIKE.values(), HUGE], ids=[*EMPTY_LIKE, "200k"])
def test_chat_handler_shows_a_clear_error_then_answers(app, question):
    from ui.chat_tab import answer_updates
    from ui.services import ChatState, SessionLLM

    services, _ = app
    state, llm = ChatState(), SessionLLM()
    message = _gr_error(lambda: list(answer_updates(services, question, [], state, llm, "zh")))
    assert "the question is empty" in message or "characters long; the limit is 2000" in message
    assert state.turns == []                                   # the failed question left no turn behind
    *_, last = answer_updates(services, VALID, [], state, llm, "zh")
    history = last[0]
    assert [m["role"] for m in history] == ["user", "assistant"] and VALID_ID in history[-1]["content"]


def test_interview_handlers_refuse_empty_answers_and_grade_huge_ones(app, corpus_settings):
    from ui.interview_tab import submit_answer
    from ui.services import SessionLLM

    services, handler = app
    llm = SessionLLM()

    def submit(answer, state):
        return submit_answer(services, answer, state, llm, "zh")

    state, *_ = handler("qb-iv-start")([], [], 3, "random", "bad-input", "zh")
    first = state["item_ids"][0]
    for bad in EMPTY_LIKE.values():          # blank, or only control / invisible characters
        message = _gr_error(lambda: submit(bad, state))
        assert "回答为空" in message
    assert services.store.attempts("bad-input") == []                # nothing graded, nothing recorded
    state2, progress, card = submit(GOOD_ANSWER + HUGE, state)       # graded on its start, with a notice
    assert state2["current"]["id"] == first and f"回答超过 {corpus_settings.interview.max_answer_chars} 字" in card
    state3, _, card = submit("\x1b[31m\x00" + GOOD_ANSWER, state2)   # control characters: just graded (again:
    assert state3["position"] == 0 and 'id="qb-score-value"' in card and "\x1b" not in card   # the same question)
    state4, *_ = handler("qb-iv-finish")(state3, "zh")                # leaving it records its latest grade, once
    attempts = services.store.attempts("bad-input")
    assert [a["item_id"] for a in attempts] == [first] and "\x1b" not in attempts[0]["answer"]
    assert all(len(a["answer"]) <= corpus_settings.interview.max_answer_chars for a in attempts)
    message = _gr_error(lambda: submit("anything", None))             # no interview started
    assert "请先开始一场面试" in message


# -- the CLI ----------------------------------------------------------------------------------------------
@pytest.mark.integration
@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("kind", ["empty", "whitespace", "bidi"])
def test_cli_refuses_empty_like_arguments(corpus_home, command, kind):
    r = run_cli(corpus_home, command, EMPTY_LIKE[kind])
    assert_clean_error(r, "the question is empty")


@pytest.mark.integration
@pytest.mark.parametrize("command", ["search", "ask"])
def test_cli_stdin_reports_each_bad_line_and_goes_on(corpus_home, command):
    """200k characters cannot be an argument (the kernel caps one at 128 KiB): it comes through stdin."""
    lines = [HUGE, "\x00\x1b[31m\u202e", VALID]
    r = run_cli(corpus_home, command, "-", input="\n".join(lines) + "\n")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == 3
    assert "characters long; the limit is 2000" in out[0]["error"]
    echoed = out[0]["query" if command == "search" else "question"]
    assert len(echoed) < 300 and echoed.endswith("(200000 characters)")   # its start, not 200k echoed back
    assert "the question is empty" in out[1]["error"]
    assert no_terminal_escapes(r.stdout)
    last = out[2]
    first_id = last["results"][0]["id"] if command == "search" else last["citations"][0]["id"]
    assert first_id == VALID_ID


@pytest.mark.integration
def test_cli_grade_bad_answers(corpus_home):
    r = run_cli(corpus_home, "grade", "--id", VALID_ID, "--answer", "", "--json")
    assert r.returncode == 0, r.stderr                 # an empty answer is a grade: 0 with a message (issue 4)
    d = json.loads(r.stdout)
    assert d["score"] == 0 and any("回答为空" in n for n in d["notices"])
    r = run_cli(corpus_home, "grade", "--id", VALID_ID, "--answer", "-", "--json", input=GOOD_ANSWER + HUGE)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    d = json.loads(r.stdout)
    assert any("只评了前" in n for n in d["notices"]) and d["points"][0]["status"] in ("covered", "partial")
    assert_clean_error(run_cli(corpus_home, "grade", "--id", "no-such-id", "--answer", "x"),
                       "no item with id 'no-such-id'", "qbank list")


@pytest.mark.integration
def test_cli_interview_through_a_pipe_with_bad_answers(rel_home):
    """Blank lines are skipped, an invisible-only answer is asked again, control characters and 200k characters
    are graded; the report still comes."""
    answers = ["", "   ", "\u202e\u200b", "", "\x00\x1b[31m感受野", "", GOOD_ANSWER + HUGE, "", GOOD_ANSWER, ""]
    r = run_cli(rel_home, "interview", "--count", "3", "--seed", "7", "--profile", "pipe",
                input="\n".join(answers) + "\n")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stdout.count("回答为空：请先作答") == 1                  # invisible-only: asked again, not recorded
    assert r.stdout.count("得分:") == 3 and "只评了前" in r.stdout and "# 模拟面试报告" in r.stdout
    assert no_terminal_escapes(r.stdout)
    from rag.interview.store import HistoryStore

    store = HistoryStore(rel_home / "interview.sqlite3")
    assert len(store.attempts("pipe")) == 3 and store.check() == "ok"


@pytest.mark.integration
@pytest.mark.parametrize("args,message", [
    (["--count", "0"], "count must be at least 1, got 0"),
    (["--topic", "红烧肉"], "no questions match"),
    (["--profile", "  "], "profile must not be empty"),
])
def test_cli_interview_bad_options(corpus_home, tmp_path, args, message):
    assert_clean_error(run_cli(corpus_home, "interview", *args, input=""), message)


@pytest.mark.integration
def test_cli_ingest_reports_each_bad_file_and_indexes_the_rest(rel_home, tmp_path):
    banks = tmp_path / "banks"
    banks.mkdir()
    with open(banks / "huge.md", "wb") as f:      # sparse: instant, no disk used; 1 byte over 50 MiB
        f.truncate(50 * 1024 * 1024 + 1)
    text = "1. 什么是过拟合？\n过拟合是模型记住了训练集的噪声。\n"
    (banks / "unknown.txt").write_bytes(text.encode("utf-8").translate(bytes(range(255, -1, -1))))  # no encoding
    (banks / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (banks / "empty.md").write_bytes(b"")
    (banks / "escapes.md").write_text("## 1. 什么是梯度裁剪（可靠性审计）？\n把梯度范数\x1b]0;PWNED\x07限制在阈值内\x1b[2J，"
                                      "防止梯度爆炸。\n", encoding="utf-8")
    t0 = time.monotonic()
    r = run_cli(rel_home, "ingest", str(banks))
    assert time.monotonic() - t0 < 240
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]   # 1: items indexed, some files skipped
    skipped = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line for line in r.stderr.splitlines()
               if line.startswith("qbank: skipped ")}
    assert "over the 50 MB limit" in skipped["huge.md"] and "file is 50.0 MB" in skipped["huge.md"]
    assert "unknown encoding" in skipped["unknown.txt"] and "save it as UTF-8" in skipped["unknown.txt"]
    assert "binary" in skipped["binary.txt"] and "empty" in skipped["empty.md"]
    assert set(skipped) == {"huge.md", "unknown.txt", "binary.txt", "empty.md"}
    found = run_cli(rel_home, "search", "梯度裁剪 可靠性审计")
    assert found.returncode == 0 and "escapes-1" in found.stdout
    assert no_terminal_escapes(found.stdout)              # the bank's ESC sequences never reach the terminal
    shown = run_cli(rel_home, "ask", "什么是梯度裁剪（可靠性审计）？")
    assert "限制在阈值内" in shown.stdout and no_terminal_escapes(shown.stdout)
