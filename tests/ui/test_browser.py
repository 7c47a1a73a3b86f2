"""Browser tests: Playwright drives Debian's Chromium against a real ``qbank serve`` (see conftest.py).

Each test opens its own browser context, so each is its own Gradio session.
``QBANK_SCREENSHOTS=docs`` saves the README's screenshots while the tests run.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

BANK = """# 量子机器学习面试题

### 1. 什么是量子退火采样器？

量子退火采样器利用量子隧穿效应在能量景观中寻找低能态，常用于组合优化问题。

### 2. 变分量子本征求解器（VQE）的基本思想是什么？

VQE 用参数化量子线路制备试探态，由经典优化器调整参数，使测得的能量期望最小。
"""


def ask(page, question: str) -> None:
    """Type a question, send it, and wait until its answer has finished streaming (or an error shows)."""
    before = page.locator("#qb-chat .qb-mode-tag").count()
    page.fill("#qb-question textarea", question)
    page.click("#qb-send")
    page.wait_for_function(f"document.querySelectorAll('#qb-chat .qb-mode-tag').length > {before}"
                           " || document.querySelector(\"[data-testid='toast-body']\") !== null")
    errors = page.locator("[data-testid='toast-body']")
    assert errors.count() == 0, f"the app showed an error for {question!r}: {errors.first.inner_text()}"


def last_answer(page):
    return page.locator("#qb-chat [data-testid='bot']").last


def cited_ids(locator) -> list[str]:
    hrefs = locator.locator("a[href*='#qb-cite=']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h.split("#qb-cite=", 1)[1] for h in hrefs))


def shot(page, shots_dir, name: str) -> None:
    if shots_dir is not None:
        page.screenshot(path=str(shots_dir / name), full_page=True)


def test_ask_and_open_its_citation(page, corpus_settings, shots_dir):
    from rag.library import Library

    item = Library(corpus_settings).get("dl_basics_qa-9")          # 什么是感受野 (ReceptiveField) ？
    ask(page, "什么是感受野？")
    answer = last_answer(page)
    assert cited_ids(answer) == [item.id]
    assert "题库作答" in page.inner_text("#qb-mode")
    answer.locator(f"a[href*='#qb-cite={item.id}']").first.click()
    panel = page.locator("#qb-item-panel")
    panel.get_by_text(f"{item.lines[0]}–{item.lines[1]}").wait_for()
    text = panel.inner_text()
    assert item.question in text and item.doc in text and item.file in text
    assert re.search(rf"题号:\s*{item.number}\b", text)
    assert item.answer.splitlines()[-1].strip("* ")[:20] in text        # the whole answer, to its last line
    # the citation list under the chat opens the same item
    page.locator("#qb-cites button").first.click()
    page.wait_for_function("document.querySelector('#qb-item-panel').innerText.includes('dl_basics_qa.txt')")
    shot(page, shots_dir, "chat.png")


def test_follow_up_is_answered_in_context(page):
    ask(page, "混合精度训练是什么")
    first = cited_ids(last_answer(page))
    assert first == ["dl_basics_qa-17"]
    ask(page, "那它有什么缺点？")
    answer = last_answer(page)
    assert cited_ids(answer) == first                     # still about mixed precision...
    text = answer.inner_text()
    assert "混合精度训练是什么" in text                      # shown as understood in context
    assert "舍入误差" in text and "减少内存占用" not in text    # ...and only its drawbacks, not the whole answer again
    assert "题库作答" in page.inner_text("#qb-mode")


def test_follow_up_on_an_aspect_the_item_lacks_says_so(page):
    ask(page, "什么是批量归一化？")
    ask(page, "那它有什么缺点？")
    assert "没有讲到它的缺点" in last_answer(page).inner_text()
    assert "题库未覆盖" in page.inner_text("#qb-mode")


def test_half_covered_comparison_names_the_missing_side(page):
    ask(page, "BN和LN有什么区别？")
    answer = last_answer(page)
    assert cited_ids(answer) == ["dl_basics_qa-31"] and "题库没有覆盖 LN" in answer.inner_text()
    badge = page.locator("#qb-mode .qb-badge")
    assert badge.get_attribute("data-level") == "closest" and "请核对" in badge.inner_text()


def test_follow_up_without_context_is_not_about_the_last_topic(page):
    ask(page, "那它有什么缺点？")
    assert "dl_basics_qa-31" not in cited_ids(last_answer(page))


def test_uncovered_question_shows_a_note(page):
    ask(page, "红烧肉怎么做？")
    assert "题库未覆盖" in page.inner_text("#qb-mode")
    assert "没有直接覆盖" in page.inner_text("#qb-notice")
    assert cited_ids(last_answer(page)) == []


def test_related_question_is_asked_on_click(page):
    ask(page, "什么是感受野？")
    related = page.locator("#qb-related button").first
    question = related.inner_text().strip()
    related.click()
    page.wait_for_function("document.querySelectorAll('#qb-chat .qb-mode-tag').length >= 2")
    assert question in page.locator("#qb-chat [data-testid='user']").last.inner_text()


def test_upload_a_bank_then_find_its_question(page, tmp_path, shots_dir):
    bank = tmp_path / "quantum_ml.md"
    bank.write_text(BANK, encoding="utf-8")
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ\x90\x00")
    page.click("#qb-tab-library-button")
    page.set_input_files("#qb-upload-files input[type=file]", [str(bank)])
    page.click("#qb-upload-btn")
    result = page.locator("#qb-upload-result")
    result.get_by_text("quantum_ml.md").wait_for(timeout=180_000)
    assert "✅" in result.inner_text() and "2" in result.inner_text()
    page.fill("#qb-lib-text textarea, #qb-lib-text input", "量子退火")
    page.press("#qb-lib-text textarea, #qb-lib-text input", "Enter")
    page.locator("#qb-lib-table").get_by_text("quantum_ml-1").filter(visible=True).first.wait_for()
    page.locator("#qb-lib-table").get_by_text("什么是量子退火采样器？").filter(visible=True).first.click()
    page.locator("#qb-lib-item").get_by_text("quantum_ml.md").wait_for()
    shot(page, shots_dir, "library.png")
    page.click("#qb-tab-chat-button")
    ask(page, "量子退火采样器是做什么的？")
    assert cited_ids(last_answer(page)) == ["quantum_ml-1"]


FILTER_BANK = """# 状态估计面试题

### 1. 粒子滤波的重采样步骤解决了什么问题？

重采样丢弃权重很小的粒子、复制权重大的粒子，缓解粒子退化，使粒子集中在高概率区域。
"""


def test_a_bank_uploaded_in_another_session_is_offered_in_the_interview_setup(page, browser, server_url, tmp_path):
    bank = tmp_path / "state_estimation_qa.md"
    bank.write_text(FILTER_BANK, encoding="utf-8")
    other = browser.new_context().new_page()          # another user uploads while this page is open
    other.goto(server_url)
    other.click("#qb-tab-library-button")
    other.set_input_files("#qb-upload-files input[type=file]", [str(bank)])
    other.click("#qb-upload-btn")
    other.locator("#qb-upload-result").get_by_text("state_estimation_qa.md").wait_for(timeout=180_000)
    other.context.close()
    page.click("#qb-tab-interview-button")             # opening the tab re-reads the documents
    page.click("#qb-iv-docs input")
    page.get_by_role("option", name="状态估计面试题").click()
    page.keyboard.press("Escape")
    page.fill("#qb-iv-count input[type=number]", "1")
    page.press("#qb-iv-count input[type=number]", "Enter")
    page.click("#qb-iv-start")
    page.locator("#qb-iv-progress").get_by_text("0/1").wait_for()
    assert "粒子滤波的重采样" in page.inner_text("#qb-iv-question")


def test_upload_refuses_a_wrong_type_with_a_clear_error(page, tmp_path):
    bad = tmp_path / "tool.txt"
    bad.write_bytes(bytes(range(256)) * 64)                     # binary content named .txt
    page.click("#qb-tab-library-button")
    page.set_input_files("#qb-upload-files input[type=file]", [str(bad)])
    page.click("#qb-upload-btn")
    result = page.locator("#qb-upload-result")
    result.get_by_text("tool.txt").wait_for(timeout=180_000)
    assert "❌" in result.inner_text()


def test_english_ui_from_the_address(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(server_url + "?lang=en")
    page.get_by_text("Your question").wait_for()
    assert "Mock interview" in page.inner_text("#qb-tabs")
    page.click("#qb-lang label:has-text('中文')")
    page.get_by_text("你的问题").wait_for()
    context.close()


def test_settings_dead_endpoint_fails_clearly_and_hides_the_key(page, shots_dir):
    page.click("#qb-tab-settings-button")
    page.click("#qb-set-backend label:has-text('OpenAI')")
    page.fill("#qb-set-model textarea, #qb-set-model input", "gpt-test")
    page.fill("#qb-set-base-url textarea, #qb-set-base-url input", "http://127.0.0.1:9/v1")
    page.fill("#qb-set-api-key input", "sk-secret-123456")
    page.click("#qb-set-apply")
    status = page.locator("#qb-set-status")
    status.get_by_text("✅").wait_for()
    assert page.input_value("#qb-set-api-key input") == ""          # never shown back
    page.click("#qb-set-test")
    status.get_by_text("❌").wait_for(timeout=60_000)
    assert "sk-secret" not in status.inner_text()
    assert "连接失败：无法连接 http://127.0.0.1:9/v1" in status.inner_text()       # worded in the app's language
    assert "sk-secret" not in page.content()
    shot(page, shots_dir, "settings.png")


@pytest.fixture(scope="module")
def openai_stub():
    """A local server speaking the OpenAI chat.completions protocol (the one the answer tests use)."""
    from tests.openai_stub import serve_stub

    with serve_stub() as srv:
        yield srv


def test_session_llm_with_its_own_key_streams_an_llm_answer(page, browser, server_url, served_home, openai_stub,
                                                             shots_dir):
    key = "sk-browser-session-7f3a9c"
    page.click("#qb-tab-settings-button")
    page.click("#qb-set-backend label:has-text('OpenAI')")
    page.fill("#qb-set-model textarea, #qb-set-model input", "ok")
    page.fill("#qb-set-base-url textarea, #qb-set-base-url input", f"http://127.0.0.1:{openai_stub.server_address[1]}/v1")
    page.fill("#qb-set-api-key input", key)
    page.click("#qb-set-apply")
    page.locator("#qb-set-status").get_by_text("✅").wait_for()
    page.click("#qb-set-test")
    page.locator("#qb-set-status").get_by_text("ms").wait_for(timeout=60_000)
    assert "✅" in page.inner_text("#qb-set-status")
    page.click("#qb-tab-chat-button")
    ask(page, "什么是批量归一化？")
    assert "LLM" in page.inner_text("#qb-mode")
    answer = last_answer(page)
    assert "对每层输入做归一化" in answer.inner_text() and cited_ids(answer) == ["dl_basics_qa-31"]
    assert "[7]" in page.inner_text("#qb-notice")                   # the invalid citation was dropped, with a note
    _, headers, _ = openai_stub.requests[-1]
    assert headers["authorization"] == f"Bearer {key}"             # the session's key reached the LLM...
    assert key not in page.content()                                # ...and never came back to the page
    assert key not in (served_home / "serve.log").read_text()
    # another browser session keeps the server default: banks only
    other = browser.new_context().new_page()
    other.goto(server_url)
    other.wait_for_selector("#qb-question textarea")
    ask(other, "什么是批量归一化？")
    assert "题库作答" in other.inner_text("#qb-mode")
    other.context.close()


def test_two_question_mock_interview_to_its_report(page, browser, server_url, served_items, shots_dir):

    by_question = {it.question: it for it in served_items}
    page.click("#qb-tab-interview-button")
    page.fill("#qb-iv-count input[type=number]", "2")
    page.press("#qb-iv-count input[type=number]", "Enter")
    page.click("#qb-iv-start")
    page.locator("#qb-iv-progress").get_by_text("0/2").wait_for()
    scores = []
    for n in (1, 2):
        heading = page.locator("#qb-iv-question h3").inner_text().strip()
        item = by_question[heading]
        # a good answer: three of the reference's key points in the candidate's words
        page.fill("#qb-iv-answer textarea", "；".join(item.key_points[:3]))
        page.click("#qb-iv-submit")
        page.locator("#qb-iv-progress").get_by_text(f"{n}/2").wait_for()
        card = page.locator("#qb-grade-card")
        card.wait_for()
        statuses = card.locator(".qb-point").evaluate_all("els => els.map(e => e.dataset.status)")
        assert statuses and "covered" in statuses and set(statuses) <= {"covered", "partial", "missing", "contradicted"}
        assert card.locator(".qb-ref-where").inner_text().startswith(item.file)
        scores.append(int(page.inner_text("#qb-score-value")))
        if n == 1:
            shot(page, shots_dir, "interview.png")
            page.click("#qb-iv-next")
            page.wait_for_function(f"!document.querySelector('#qb-iv-question').innerText.includes({heading!r})")
    page.click("#qb-iv-finish")
    page.locator("#qb-iv-report").get_by_text("已答 2/2").wait_for()
    report = page.inner_text("#qb-iv-report")
    assert "已答 2/2" in report and f"平均分 {round(sum(scores) / 2)}" in report
    page.wait_for_function("document.querySelectorAll('#qb-iv-chart g.mark-rect path').length >= 1")  # a gr.BarPlot
    with page.expect_download() as download:
        page.locator("#qb-iv-export a").first.click()
    exported = download.value.path().read_text(encoding="utf-8")
    assert exported.startswith("# 模拟面试报告") and "已答 2/2" in exported
    shot(page, shots_dir, "report.png")
    # another browser session has its own (not started) interview
    other = browser.new_context().new_page()
    other.goto(server_url)
    other.click("#qb-tab-interview-button")
    other.locator("#qb-iv-progress").get_by_text("开始面试").wait_for()
    other.context.close()


@pytest.fixture(scope="module")
def rubric_llm():
    """A local OpenAI-protocol server that grades like a rubric model (see rubric_stub.py)."""
    from tests.openai_stub import serve_stub
    from tests.ui.rubric_stub import RubricHandler

    with serve_stub(RubricHandler) as srv:
        yield srv


def test_interview_with_a_session_llm_shows_both_grades_and_flags_disagreement(page, served_items, rubric_llm):
    from tests.ui.rubric_stub import FOLLOW_UP

    by_question = {it.question: it for it in served_items}
    page.click("#qb-tab-settings-button")
    page.click("#qb-set-backend label:has-text('OpenAI')")
    page.fill("#qb-set-model textarea, #qb-set-model input", "missing-3")      # the stub's LLM: every point missing
    page.fill("#qb-set-base-url textarea, #qb-set-base-url input", f"http://127.0.0.1:{rubric_llm.server_address[1]}/v1")
    page.click("#qb-set-apply")
    page.locator("#qb-set-status").get_by_text("✅").wait_for()
    page.click("#qb-tab-interview-button")
    page.fill("#qb-iv-count input[type=number]", "1")
    page.press("#qb-iv-count input[type=number]", "Enter")
    page.click("#qb-iv-start")
    page.locator("#qb-iv-progress").get_by_text("0/1").wait_for()
    item = by_question[page.locator("#qb-iv-question h3").inner_text().strip()]
    page.fill("#qb-iv-answer textarea", "；".join(item.key_points[:3]))
    page.click("#qb-iv-submit")
    card = page.locator("#qb-grade-card")
    card.wait_for(timeout=120_000)
    assert page.inner_text("#qb-llm-score-value") == "3" and page.inner_text("#qb-score-value").isdigit()
    assert card.locator(".qb-point[data-status='covered']").count() >= 1      # covered offline, missing for the LLM
    assert "两种评分不一致" in page.inner_text("#qb-uncertain")
    llm_statuses = card.locator(".qb-llm-status").evaluate_all("els => els.map(e => e.dataset.llmStatus)")
    assert llm_statuses and set(llm_statuses) == {"missing"} and len(llm_statuses) == card.locator(".qb-point").count()
    assert FOLLOW_UP in card.inner_text()


def test_empty_question_gets_a_clear_message_not_a_traceback(page):
    page.fill("#qb-question textarea", "   ")
    page.click("#qb-send")
    notice = page.locator("#qb-notice")
    notice.get_by_text("问题为空").wait_for()           # a short notice under the chat, not an error toast
    assert "Traceback" not in notice.inner_text() and page.locator("[data-testid='toast-body']").count() == 0
    assert page.locator("#qb-chat [data-testid='user']").count() == 0
