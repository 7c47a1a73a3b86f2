"""Mock interview tab: set-up, one question at a time, a grade card per answer, an end report with a chart.

Each browser session keeps its own interview as ``InterviewSession.to_state()`` (plain JSON)
in ``gr.State``; every event rebuilds the session from it with the shared grader and store.
Grading, question selection and spaced repetition all live in ``rag.interview``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ui import render
from ui.i18n import t

ORDERS = ("random", "due", "weakest")


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
    answer: gr.Textbox
    submit: gr.Button
    skip: gr.Button
    next: gr.Button
    finish: gr.Button
    grade: gr.HTML
    chart: gr.HTML
    report: gr.Markdown
    export: gr.File
    state: gr.State


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
            profile = L.add(gr.Textbox(services.settings.profile, label=t("iv_profile", lang), elem_id="qb-iv-profile",
                                       max_lines=1), label="iv_profile")
        start = L.add(gr.Button(t("iv_start", lang), variant="primary", elem_id="qb-iv-start"), value="iv_start")
    ctx.doc_pickers.append(docs)
    ctx.topic_pickers.append(topics)
    progress = gr.Markdown(t("iv_idle", lang), elem_id="qb-iv-progress")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            question = gr.Markdown("", elem_id="qb-iv-question", latex_delimiters=render.LATEX)
            answer = L.add(gr.Textbox(label=t("iv_answer", lang), placeholder=t("iv_answer_ph", lang), lines=7,
                                      elem_id="qb-iv-answer"), label="iv_answer", placeholder="iv_answer_ph")
            with gr.Row():
                submit = L.add(gr.Button(t("iv_submit", lang), variant="primary", elem_id="qb-iv-submit"),
                               value="iv_submit")
                skip = L.add(gr.Button(t("iv_skip", lang), elem_id="qb-iv-skip"), value="iv_skip")
                nxt = L.add(gr.Button(t("iv_next", lang), elem_id="qb-iv-next"), value="iv_next")
                finish = L.add(gr.Button(t("iv_finish", lang), variant="stop", elem_id="qb-iv-finish"),
                               value="iv_finish")
        with gr.Column(scale=1):
            grade = gr.HTML("", elem_id="qb-iv-grade")
    chart = gr.HTML("", elem_id="qb-iv-chart")
    report = gr.Markdown("", elem_id="qb-iv-report")
    export = L.add(gr.File(label=t("iv_export", lang), elem_id="qb-iv-export", interactive=False, visible=False),
                   label="iv_export")
    return InterviewParts(setup, docs, topics, count, order, profile, start, progress, question, answer, submit, skip, nxt,
                          finish, grade, chart, report, export, gr.State(None))


def choice_updates(services) -> tuple[dict, dict]:
    """Fresh document and topic choices for the set-up (after an upload); the selection is kept."""
    return gr.update(choices=services.docs()), gr.update(choices=services.topic_choices())


def question_markdown(q, lang: str, section: str = "") -> str:
    """The current question: its text, the fuller wording if any, and where it comes from (its section, if any)."""
    detail = f"\n\n> {q.detail}" if q.detail and q.detail != q.question else ""
    where = " · ".join(x for x in (q.doc, section, q.topic) if x)
    return f"### {q.question}{detail}\n\n<sub>{where}</sub>"


def progress_markdown(state: dict, lang: str) -> str:
    done, total = state["position"], len(state["item_ids"])
    scores = [r["score"] for r in state["results"]]
    mean = f" · {t('iv_mean', lang)} {sum(scores) / len(scores):.0f}" if scores else ""
    bar = "▰" * done + "▱" * (total - done)
    return f"**{t('iv_progress', lang)}:** {bar} {done}/{total}{mean}"


def session_from(services, state: dict | None, lang: str):
    """This browser session's interview, rebuilt from its ``gr.State`` with the shared offline grader."""
    from rag.interview.session import InterviewSession

    if not state:
        raise gr.Error(t("iv_not_started", lang))
    return InterviewSession.from_state(state, services.grader, services.store)


def submit_answer(services, answer: str, state: dict | None, llm, lang: str) -> tuple[dict, str, str]:
    """Grade the answer to the current question: ``(new state, progress, grade card)``.

    With an LLM in this session's settings (``llm``: :class:`ui.services.SessionLLM`) the card
    shows its rubric grade beside the offline one; if that LLM cannot be used the offline
    grade shows with a short notice.
    """
    session = session_from(services, state, lang)
    if session.done:
        raise gr.Error(t("iv_done", lang))
    from rag.interview.text import sanitize

    if not sanitize(answer):        # blank, or only control / invisible characters: nothing to grade or record
        raise gr.Error(t("iv_empty", lang))
    session.grader, reason = services.grader_for(llm)
    item = session.current_item()
    result = session.submit(answer)
    state = session.to_state()
    hint = f"\n\n{t('iv_done', lang)}" if session.done else ""
    notices = (t("iv_llm_unavailable", lang, why=reason),) if reason else ()
    return state, progress_markdown(state, lang) + hint, render.grade_card_html(result, item, lang, notices)


def wire(p: InterviewParts, ctx) -> None:
    services = ctx.services

    def session_of(state, lang):
        return session_from(services, state, lang)

    def section_of(q) -> str:
        item = services.item(q.id) if q is not None else None
        return render.section_of(item) if item is not None else ""

    def start(docs, topics, count, order, profile, lang):
        from rag.interview.session import InterviewSession, SessionConfig

        try:
            config = SessionConfig(tuple(docs or ()), tuple(topics or ()), int(count), order or "random",
                                   (profile or "").strip() or services.settings.profile, lang=lang)
            session = InterviewSession.start(services.grader, services.store, config)
        except ValueError as exc:
            raise gr.Error(f"{t('iv_no_questions', lang)} ({exc})") from None
        state = session.to_state()
        q = session.next_question()
        return (state, progress_markdown(state, lang), question_markdown(q, lang, section_of(q)), "", "", "", "",
                gr.update(value=None, visible=False), gr.update(open=False))

    p.start.click(start, [p.docs, p.topics, p.count, p.order, p.profile, ctx.lang],
                  [p.state, p.progress, p.question, p.answer, p.grade, p.chart, p.report, p.export, p.setup],
                  api_name="interview_start", api_visibility="undocumented")

    def submit(answer, state, llm, lang):
        return submit_answer(services, answer, state, llm, lang)

    p.submit.click(submit, [p.answer, p.state, ctx.llm, ctx.lang], [p.state, p.progress, p.grade],
                   api_name="interview_submit",
                   api_visibility="undocumented", show_progress="minimal")

    def advance(state, lang, skip=False):
        session = session_of(state, lang)
        if skip:
            session.skip()
        q = session.next_question()
        state = session.to_state()
        text = question_markdown(q, lang, section_of(q)) if q is not None else f"*{t('iv_done', lang)}*"
        return state, progress_markdown(state, lang), text, "", ""

    outs = [p.state, p.progress, p.question, p.answer, p.grade]
    p.next.click(lambda s, lang: advance(s, lang), [p.state, ctx.lang], outs, api_name="interview_next",
                 api_visibility="undocumented")
    p.skip.click(lambda s, lang: advance(s, lang, skip=True), [p.state, ctx.lang], outs, api_name="interview_skip",
                 api_visibility="undocumented")

    def finish(state, lang):
        session = session_of(state, lang)
        report = session.finish()
        markdown = report.to_markdown()
        rows = [(topic, mean, n) for topic, n, mean in report.by_topic()]
        folder = Path(tempfile.mkdtemp(prefix="qbank-report-"))
        path = folder / f"qbank-interview-{report.session_id}.md"
        path.write_text(markdown, encoding="utf-8")
        state = session.to_state()
        return (state, progress_markdown(state, lang), render.bar_chart_html(rows, lang), markdown,
                gr.update(value=str(path), visible=True))

    p.finish.click(finish, [p.state, ctx.lang], [p.state, p.progress, p.chart, p.report, p.export],
                   api_name="interview_finish", api_visibility="undocumented")
