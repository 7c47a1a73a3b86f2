"""The interview events through ``gradio_client`` against a real ``qbank serve``: each client is its own session.

The endpoints are undocumented (not in the API page) but callable: ``/interview_start``,
``/interview_submit``, ``/interview_next``, ``/interview_skip``, ``/interview_finish``.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration


def heading(question_markdown: str) -> str:
    return question_markdown.split("\n", 1)[0].removeprefix("### ").strip()


def progress(markdown: str) -> tuple[int, int]:
    done, total = re.search(r"(\d+)/(\d+)", markdown).groups()
    return int(done), int(total)


def test_two_interview_sessions_do_not_share_state(server_url, served_items):
    from gradio_client import Client
    from gradio_client.exceptions import AppError


    by_question = {it.question: it for it in served_items}
    a, b = Client(server_url, verbose=False), Client(server_url, verbose=False)
    try:
        started_a = a.predict([], [], 2, "random", "api-a", api_name="/interview_start")
        started_b = b.predict([], [], 3, "random", "api-b", api_name="/interview_start")
        assert progress(started_a[0]) == (0, 2) and progress(started_b[0]) == (0, 3)
        item_a, first_b = by_question[heading(started_a[1])], heading(started_b[1])

        # A answers its own question with three of its key points; B's interview does not move
        graded = a.predict("；".join(item_a.key_points[:3]), api_name="/interview_submit")
        assert progress(graded[0]) == (1, 2)
        assert 'data-status="covered"' in graded[1] and item_a.file in graded[1]
        moved_a = a.predict(api_name="/interview_next")
        assert progress(moved_a[0]) == (1, 2) and heading(moved_a[1]) != item_a.question

        same_b = b.predict(api_name="/interview_next")        # not answered: it asks; still B's first question
        assert progress(same_b[0]) == (0, 3) and not isinstance(same_b[1], str)
        skipped_b = b.predict(api_name="/interview_skip")
        assert progress(skipped_b[0]) == (1, 3) and heading(skipped_b[1]) != first_b

        report_a = a.predict(api_name="/interview_finish")
        assert "1/1" in report_a[2] and "api-a" in report_a[2]

        # a third client never started one: its state is its own, empty
        c = Client(server_url, verbose=False)
        with pytest.raises(AppError, match="请先开始一场面试"):
            c.predict("随便写点", api_name="/interview_submit")
        c.close()
    finally:
        a.close()
        b.close()


def test_submitting_twice_regrades_the_same_question(server_url, served_home, served_items):
    """Issue 14: a second /interview_submit grades the question on screen again; it does not advance."""
    from gradio_client import Client

    from rag.interview.store import HistoryStore

    by_question = {it.question: it for it in served_items}
    c = Client(server_url, verbose=False)
    try:
        started = c.predict([], [], 2, "random", "api-twice", api_name="/interview_start")
        item = by_question[heading(started[1])]
        weak = c.predict("我不太清楚。", api_name="/interview_submit")
        strong = c.predict("；".join(item.key_points[:3]), api_name="/interview_submit")
        assert progress(weak[0]) == progress(strong[0]) == (1, 2)           # still question 1 of 2
        assert item.file in weak[1] and item.file in strong[1]              # both cards grade question 1
        score = int(re.search(r'id="qb-score-value">(\d+)', strong[1]).group(1))
        assert score > int(re.search(r'id="qb-score-value">(\d+)', weak[1]).group(1))
        moved = c.predict(api_name="/interview_next")
        assert progress(moved[0]) == (1, 2) and heading(moved[1]) != item.question
        asked = c.predict(api_name="/interview_next")                        # nothing answered: it asks, stays
        assert progress(asked[0]) == (1, 2) and not isinstance(asked[1], str)
        assert any(isinstance(x, str) and "还没有作答" in x for x in asked)
        report = c.predict(api_name="/interview_finish")[2]
        assert "已答 1/1" in report and f"{item.question} — {score} 分" in report
    finally:
        c.close()
    from ingest.settings import Settings

    attempts = HistoryStore(Settings.load(home=served_home).db_path).attempts("api-twice")
    assert [(a["item_id"], a["score"]) for a in attempts] == [(item.id, score)]     # one record, the latest grade
