"""Mock interview tab: set-up, one question at a time, a grade card per answer, an end report with a per-topic plot.

Each browser session keeps its own interview as ``InterviewSession.to_state()`` (plain JSON)
in ``gr.State``; every event rebuilds the session from it with the shared grader and store,
and every change is also kept in the profile's session log, so a reload resumes it.
The flow: 提交回答 grades the question on screen (again on a revised answer: the latest grade
counts); 下一题 leaves it, and asks first when the box holds an answer that was not submitted.
Grading, question selection and spaced repetition all live in ``rag.interview``.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from rag.interview.session import MODES as SESSION_MODES
from ui import render
from ui.i18n import t
from ui.interview_view import (  # noqa: F401
    PLOT_LABELS,
    current_card,
    current_markdown,
    progress_markdown,
    question_markdown,
    report_of,
    topic_plot,
)

ORDERS = SESSION_MODES     # rag.interview.session.SessionMode, in the order the radio shows them


@dataclass
class InterviewParts:
    setup: gr.Accordion
    docs: gr.Dropdown
    topics: gr.Dropdown
    count: gr.Slider
    order: gr.Radio
    profile: gr.Textbox
    start: gr.Button
    progress: gr.Markdown
    question: gr.Markdown
    work: gr.Column
    answer: gr.Textbox
    submit: gr.Button
    skip: gr.Button
    next: gr.Button
    finish: gr.Button
    confirm: gr.Group
    confirm_text: gr.Markdown
    confirm_submit: gr.Button
    confirm_discard: gr.Button
    confirm_edit: gr.Button
    grade: gr.HTML
    chart: gr.BarPlot
    report: gr.Markdown
    export: gr.File
    after: gr.Row
    again: gr.Button
    restart: gr.Button
    state: gr.State
    draft: gr.BrowserState       # the answer being typed (not yet submitted), kept in this browser across reloads


def order_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"iv_order_{o}", lang), o) for o in ORDERS]


def build(ctx) -> InterviewParts:
    lang, L, services = ctx.default_lang, ctx.labels, ctx.services
    with gr.Accordion(t("iv_setup", lang), open=True, elem_id="qb-iv-setup") as setup:
        L.add(setup, label="iv_setup")
        with gr.Row():
            # choices are re-read on page load (and language switch): a bank uploaded since then is listed
            docs = L.add(gr.Dropdown(services.docs(), value=[], multiselect=True, label=t("iv_docs", lang),
                                     elem_id="qb-iv-docs", scale=3), label="iv_docs", choices=lambda lg: services.docs())
            # topics, then the banks' section paths (``§ 3.1 基本概念``): a question matches either
            topics = L.add(gr.Dropdown(services.topic_choices(), value=[], multiselect=True, label=t("iv_topics", lang),
                                       elem_id="qb-iv-topics", scale=2), label="iv_topics",
                           choices=lambda lg: services.topic_choices())
        with gr.Row():
            count = L.add(gr.Slider(1, 20, value=5, step=1, label=t("iv_count", lang), elem_id="qb-iv-count"),
                          label="iv_count")
            order = L.add(gr.Radio(order_choices(lang), value="random", label=t("iv_order", lang),
                                   elem_id="qb-iv-order"), label="iv_order", choices=order_choices)
            profile = L.add(gr.Textbox(services.settings.interview.profile, label=t("iv_profile", lang), elem_id="qb-iv-profile",
                                       max_lines=1), label="iv_profile")
        start = L.add(gr.Button(t("iv_start", lang), variant="primary", elem_id="qb-iv-start"), value="iv_start")
    ctx.doc_pickers.append(docs)
    ctx.topic_pickers.append(topics)
    progress = gr.Markdown(t("iv_idle", lang), elem_id="qb-iv-progress")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            question = gr.Markdown("", elem_id="qb-iv-question", latex_delimiters=render.LATEX)
            with gr.Column(visible=False, elem_id="qb-iv-work") as work:
                answer = L.add(gr.Textbox("", label=t("iv_answer", lang), placeholder=t("iv_answer_ph", lang), lines=7,
                                          elem_id="qb-iv-answer", info=t("iv_answer_info", lang)),
                               label="iv_answer", placeholder="iv_answer_ph", info="iv_answer_info")
                with gr.Row():
                    submit = L.add(gr.Button(t("iv_submit", lang), variant="primary", elem_id="qb-iv-submit"),
                                   value="iv_submit")
                    skip = L.add(gr.Button(t("iv_skip", lang), elem_id="qb-iv-skip"), value="iv_skip")
                    nxt = L.add(gr.Button(t("iv_next", lang), elem_id="qb-iv-next"), value="iv_next")
                    finish = L.add(gr.Button(t("iv_finish", lang), variant="stop", elem_id="qb-iv-finish"),
                                   value="iv_finish")
                with gr.Group(visible=False, elem_id="qb-iv-confirm") as confirm:
                    confirm_text = gr.Markdown("", elem_id="qb-iv-confirm-text")
                    with gr.Row():
                        confirm_submit = L.add(gr.Button(t("iv_confirm_submit", lang), variant="primary",
                                                         elem_id="qb-iv-confirm-submit"), value="iv_confirm_submit")
                        confirm_discard = L.add(gr.Button(t("iv_confirm_discard", lang),
                                                          elem_id="qb-iv-confirm-discard"), value="iv_confirm_discard")
                        confirm_edit = L.add(gr.Button(t("iv_confirm_edit", lang), elem_id="qb-iv-confirm-edit"),
                                             value="iv_confirm_edit")
        with gr.Column(scale=1):
            grade = gr.HTML("", elem_id="qb-iv-grade")
    chart = L.add(topic_plot(lang, "qb-iv-chart"), **PLOT_LABELS)
    report = gr.Markdown("", elem_id="qb-iv-report", latex_delimiters=render.LATEX)
    with gr.Row(visible=False, elem_id="qb-iv-after") as after:
        again = L.add(gr.Button(t("iv_again_weak", lang), variant="primary", elem_id="qb-iv-again"),
                      value="iv_again_weak")
        restart = L.add(gr.Button(t("iv_restart", lang), elem_id="qb-iv-restart"), value="iv_restart")
    export = L.add(gr.File(label=t("iv_export", lang), elem_id="qb-iv-export", interactive=False, visible=False),
                   label="iv_export")
    return InterviewParts(setup, docs, topics, count, order, profile, start, progress, question, work, answer, submit,
                          skip, nxt, finish, confirm, confirm_text, confirm_submit, confirm_discard, confirm_edit, grade,
                          chart, report, export, after, again, restart, gr.State(None), ctx.draft)


def choice_updates(services) -> tuple[dict, dict]:
    """Fresh document and topic choices for the set-up (after an upload); the selection is kept."""
    return gr.update(choices=services.docs()), gr.update(choices=services.topic_choices())


def session_from(services, state: dict | None, lang: str):
    """This browser session's interview, rebuilt from its ``gr.State`` with the shared offline grader."""
    from rag.interview.session import InterviewSession

    if not state:
        raise gr.Error(t("iv_not_started", lang))
    return InterviewSession.from_state(state, services.grader, services.store, services.log)


def submit_answer(services, answer: str, state: dict | None, llm, lang: str) -> tuple[dict, str, str]:
    """Grade the answer to the question on screen: ``(new state, progress, grade card)``; it stays on screen.

    A second answer to the same question is graded again and replaces the first grade. With an
    LLM in this session's settings (``llm``: :class:`ui.services.SessionLLM`) the card shows its
    rubric grade beside the offline one; if that LLM cannot be used the offline grade shows
    with a short notice.
    """
    session = session_from(services, state, lang)
    if session.done or session.finished:
        raise gr.Error(t("iv_done", lang))
    from rag.interview.text import sanitize

    if not sanitize(answer):        # blank, or only control / invisible characters: nothing to grade or record
        raise gr.Error(t("iv_empty", lang))
    session.grader, reason = services.grader_for(llm)
    item = session.current_item()
    result = session.answer(answer)
    state = session.to_state()
    hint = f"\n\n{t('iv_last', lang)}" if session.position == len(session.item_ids) - 1 else ""
    notices = (t("iv_llm_unavailable", lang, why=reason),) if reason else ()
    return state, progress_markdown(state, lang) + hint, render.grade_card_html(result, item, lang, notices)


def unsubmitted(answer: str, state: dict | None) -> bool:
    """The box holds text that is not the graded answer of the question on screen."""
    from rag.interview.text import sanitize

    text, current = sanitize(answer), (state or {}).get("current")
    if not text:
        return False
    return current is None or (text != current["answer"] and not text.startswith(current["answer"]))


def screen(services, state: dict | None, lang: str, answer: str = "") -> tuple:
    """Everything the tab shows for ``state``, in :func:`screen_outputs` order (start, resume, restart)."""
    live = bool(state) and not state.get("finished")
    setup_open = not live
    return (state, progress_markdown(state, lang), current_markdown(services, state, lang) if live else "",
            answer, current_card(services, state, lang) if live else "", gr.update(value=None, visible=False), "",
            gr.update(value=None, visible=False),
            gr.update(open=setup_open), gr.update(visible=live), gr.update(visible=False), gr.update(visible=False))


def screen_outputs(p: InterviewParts) -> list:
    return [p.state, p.progress, p.question, p.answer, p.grade, p.chart, p.report, p.export, p.setup, p.work, p.after,
            p.confirm]
