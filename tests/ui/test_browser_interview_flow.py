"""Browser tests of the interview flow (issue 14): a revised answer regrades the question on screen, 下一题 asks
about an unsubmitted answer, a reload resumes the interview and the chat, History and Progress show past sessions,
and the report's actions. Playwright drives Chromium against a real ``qbank serve`` (see conftest.py).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture()
def by_question(served_items):
    return {it.question: it for it in served_items}


def start(page, count: int) -> None:
    page.click("#qb-tab-interview-button")
    page.fill("#qb-iv-count input[type=number]", str(count))
    page.press("#qb-iv-count input[type=number]", "Enter")
    page.click("#qb-iv-start")
    page.locator("#qb-iv-progress").get_by_text(f"0/{count}").wait_for()


def heading(page) -> str:
    return page.locator("#qb-iv-question h3").inner_text().strip()


def good_answer(by_question, page) -> str:
    return "；".join(by_question[heading(page)].key_points[:3])


def submit(page, answer: str, keys: bool = False) -> int:
    """Type ``answer`` and submit it (button, or Ctrl+Enter); returns the score once its new card shows."""
    page.evaluate("document.querySelectorAll('#qb-grade-card').forEach(c => c.dataset.seen = '1')")
    page.fill("#qb-iv-answer textarea", answer)
    if keys:
        page.press("#qb-iv-answer textarea", "Control+Enter")
    else:
        page.click("#qb-iv-submit")
    # a new card is a new element, without the mark the old one got above
    page.wait_for_function("(() => { const c = document.querySelector('#qb-grade-card');"
                           " return c !== null && !c.dataset.seen; })()")
    return int(page.inner_text("#qb-score-value"))


def plot_bars(page, selector: str) -> list[str]:
    """The bars a Gradio plot drew (Vega's SVG marks), each as its accessible label (``topic: …; score: …``)."""
    page.wait_for_function("(sel) => document.querySelectorAll(sel + ' g.mark-rect path').length > 0", arg=selector)
    return page.eval_on_selector_all(f"{selector} g.mark-rect path", "els => els.map(e => e.getAttribute('aria-label'))")


def topic_bars(scores: dict[str, int], by_question) -> list[str]:
    """The labels a per-topic plot of ``{question: score}`` should draw: one bar per topic at its mean score."""
    groups: dict[str, list[int]] = {}
    for q, score in scores.items():
        groups.setdefault(by_question[q].topic or "其他", []).append(score)
    return sorted(f"主题: {tp}; 得分: {round(sum(v) / len(v), 1):g}" for tp, v in groups.items())


def test_submitting_again_regrades_the_question_on_screen(page, by_question):
    start(page, 2)
    first = heading(page)
    weak = submit(page, "我不太清楚。")
    page.locator("#qb-iv-progress").get_by_text("1/2").wait_for()
    strong = submit(page, good_answer(by_question, page), keys=True)        # revised, submitted with Ctrl+Enter
    assert strong > weak
    assert heading(page) == first                                           # still question 1, not question 2
    assert "1/2" in page.inner_text("#qb-iv-progress") and "2/2" not in page.inner_text("#qb-iv-progress")
    assert page.locator("#qb-grade-card .qb-ref-where").inner_text().startswith(by_question[first].file)
    page.click("#qb-iv-next")
    page.wait_for_function(f"!document.querySelector('#qb-iv-question').innerText.includes({first!r})")
    second = heading(page)
    other = submit(page, good_answer(by_question, page))
    page.locator("#qb-iv-progress").get_by_text("2/2").wait_for()
    page.click("#qb-iv-finish")
    page.locator("#qb-iv-report").get_by_text("已答 2/2").wait_for()
    report = page.inner_text("#qb-iv-report")
    assert second in report
    assert f"{first} — {strong} 分" in report and f"{first} — {weak} 分" not in report   # the latest grade counts
    expected = topic_bars({first: strong, second: other}, by_question)
    assert sorted(plot_bars(page, "#qb-iv-chart")) == expected     # the report's chart is a Gradio plot, a bar per topic
    # the same session opened from History: its report and the same plot, one bar per topic
    page.click("#qb-tab-history-button")
    page.locator("#qb-hi-table").get_by_text("已完成").filter(visible=True).first.click()
    page.locator("#qb-hi-report").get_by_text(second).first.wait_for()
    assert sorted(plot_bars(page, "#qb-hi-chart")) == expected


def test_next_with_an_unsubmitted_answer_asks_first(page, by_question):
    start(page, 2)
    first = heading(page)
    typed = good_answer(by_question, page)
    page.fill("#qb-iv-answer textarea", typed)
    page.click("#qb-iv-next")
    confirm = page.locator("#qb-iv-confirm").first
    confirm.wait_for(state="visible")
    assert "还没有提交" in confirm.inner_text()
    page.click("#qb-iv-confirm-edit")                                       # keep editing: nothing lost
    confirm.wait_for(state="hidden")
    assert heading(page) == first and page.input_value("#qb-iv-answer textarea") == typed
    page.click("#qb-iv-next")
    confirm.wait_for(state="visible")
    page.click("#qb-iv-confirm-submit")                                     # submit, then the next question
    page.wait_for_function(f"!document.querySelector('#qb-iv-question').innerText.includes({first!r})")
    page.locator("#qb-iv-progress").get_by_text("1/2").wait_for()
    assert page.input_value("#qb-iv-answer textarea") == ""
    second = heading(page)
    page.fill("#qb-iv-answer textarea", "草稿，还没想好")
    page.click("#qb-iv-next")
    confirm.wait_for(state="visible")
    page.click("#qb-iv-confirm-discard")                                    # go on without it: skipped
    page.locator("#qb-iv-question").get_by_text("已答完全部题目").wait_for()
    page.click("#qb-iv-finish")
    page.locator("#qb-iv-report").get_by_text("跳过").wait_for()
    report = page.inner_text("#qb-iv-report")
    assert "已答 1/2" in report and first in report
    skipped = report.split("跳过", 1)[1]
    assert second in skipped and by_question[second].id not in skipped.split("按主题")[0]   # by its text, not its id
    # after the report: no dead answer box; start again opens the set-up
    assert not page.locator("#qb-iv-answer").is_visible()
    page.click("#qb-iv-restart")
    page.locator("#qb-iv-start").wait_for(state="visible")
    assert page.inner_text("#qb-iv-report").strip() == ""


def test_reload_resumes_the_interview_and_the_chat_and_history_lists_it(page, by_question):
    page.fill("#qb-question textarea", "什么是感受野？")
    page.click("#qb-send")
    page.locator("#qb-chat [data-testid='bot']").first.wait_for()
    page.wait_for_function("document.querySelectorAll('#qb-chat .qb-mode-tag').length > 0")
    start(page, 3)
    profile = page.input_value("#qb-iv-profile :is(input, textarea)")
    first = heading(page)
    answer = good_answer(by_question, page)
    score = submit(page, answer)
    page.wait_for_timeout(500)                                              # the profile reaches the browser's storage
    page.reload()
    page.wait_for_selector("#qb-question textarea")
    page.locator("#qb-chat").get_by_text("什么是感受野？").first.wait_for()     # the conversation is back
    page.click("#qb-tab-interview-button")
    page.locator("#qb-iv-progress").get_by_text("1/3").wait_for()           # the interview is back where it was
    assert heading(page) == first and page.input_value("#qb-iv-answer textarea") == answer
    assert int(page.inner_text("#qb-score-value")) == score
    page.click("#qb-iv-next")                                               # and goes on from there
    page.wait_for_function(f"!document.querySelector('#qb-iv-question').innerText.includes({first!r})")
    page.locator("#qb-iv-progress").get_by_text("1/3").wait_for()
    page.click("#qb-tab-history-button")
    table = page.locator("#qb-hi-table")
    table.get_by_text("进行中").filter(visible=True).first.click()
    page.locator("#qb-hi-report").get_by_text(first).first.wait_for()
    assert "你的回答" in page.inner_text("#qb-hi-report")
    page.click("#qb-tab-dashboard-button")
    page.locator("#qb-db-stats").get_by_text("共作答").wait_for()
    stats = page.inner_text("#qb-db-stats")
    assert f"档案 {profile}" in stats and "共作答 1 次" in stats             # the same profile as before the reload
    assert page.locator("#qb-db-scores .qb-bar").count() == 1                # one day practised: one bar
    assert "1 次作答" in page.inner_text("#qb-db-scores") and page.locator("#qb-db-topics .qb-bar").count() >= 1


def test_a_typed_answer_survives_a_reload_and_is_graded_against_its_question(page, by_question):
    start(page, 2)
    first = heading(page)
    typed = good_answer(by_question, page)
    before = page.evaluate("localStorage.getItem('qbank-draft')")
    page.fill("#qb-iv-answer textarea", typed)                              # typed, not submitted
    page.wait_for_function("(b) => localStorage.getItem('qbank-draft') !== b", arg=before)
    page.wait_for_timeout(300)
    page.reload()
    page.wait_for_selector("#qb-question textarea")
    page.click("#qb-tab-interview-button")
    page.locator("#qb-iv-progress").get_by_text("0/2").wait_for()           # nothing was graded
    assert heading(page) == first
    page.wait_for_function("(t) => document.querySelector('#qb-iv-answer textarea').value === t", arg=typed)
    score = submit(page, page.input_value("#qb-iv-answer textarea"))
    page.locator("#qb-iv-progress").get_by_text("1/2").wait_for()
    assert heading(page) == first and score > 0
    assert first in page.inner_text("#qb-grade-card .qb-reference summary")  # graded against the question typed for


def test_practise_the_weak_ones_again(page):
    start(page, 2)
    first = heading(page)
    submit(page, "不知道")
    page.click("#qb-iv-finish")
    page.locator("#qb-iv-again").wait_for(state="visible")
    page.click("#qb-iv-again")
    page.locator("#qb-iv-progress").get_by_text("0/1").wait_for()
    assert heading(page) == first and page.locator("#qb-iv-answer").is_visible()
