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


def test_two_interview_sessions_do_not_share_state(server_url, corpus_settings):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from rag.library import Library

    by_question = {it.question: it for it in Library(corpus_settings).items()}
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

        same_b = b.predict(api_name="/interview_next")        # not answered: still B's first question
        assert progress(same_b[0]) == (0, 3) and heading(same_b[1]) == first_b
        skipped_b = b.predict(api_name="/interview_skip")
        assert progress(skipped_b[0]) == (1, 3)

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
