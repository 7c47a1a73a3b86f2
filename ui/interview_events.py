"""The mock interview tab's events: start, submit, next (asking first about an unsubmitted answer), skip,
finish, practise the weak ones again, start again, and resuming the browser profile's interview on load.

The endpoints ``/interview_start`` (docs, topics, count, order, profile), ``/interview_submit``
(answer), ``/interview_next`` (answer), ``/interview_skip`` and ``/interview_finish`` are
callable through ``gradio_client`` (undocumented).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from ui.i18n import t
from ui.interview_tab import (
    InterviewParts,
    screen,
    screen_outputs,
    session_from,
    submit_answer,
    unsubmitted,
)
from ui.interview_view import (
    browser_profile,
    current_markdown,
    draft_for,
    draft_of,
    progress_markdown,
)

HIDE = {"api_visibility": "private", "show_progress": "hidden"}


def start_session(services, config, previous: dict | None):
    """Start an interview; one still in progress in this browser is finished first (its report is kept)."""
    from rag.interview.session import InterviewSession

    if previous and not previous.get("finished"):
        try:
            InterviewSession.from_state(previous, services.grader, services.store, services.log).finish()
        except (KeyError, ValueError):
            pass        # its questions are gone from the index: nothing left to record
    return InterviewSession.start(services.grader, services.store, config, log=services.log)


def report_outputs(services, state: dict, lang: str) -> tuple:
    """``(per-topic plot, report markdown, export file, practise-again button)`` for a finished session."""
    from ui.interview_view import report_of, topic_plot_update

    report = report_of(state, services.store, lang)
    markdown = report.to_markdown()
    folder = Path(tempfile.mkdtemp(prefix="qbank-report-"))
    path = folder / f"qbank-interview-{report.session_id}.md"
    path.write_text(markdown, encoding="utf-8")
    weak = len(report.to_review())
    return (topic_plot_update(report, lang), markdown, gr.update(value=str(path), visible=True),
            gr.update(visible=weak > 0))


def wire(p: InterviewParts, ctx) -> None:
    services = ctx.services
    outs = screen_outputs(p)

    def start(docs, topics, count, order, profile, lang, previous=None):
        from rag.interview.session import SessionConfig

        try:
            config = SessionConfig(tuple(docs or ()), tuple(topics or ()), int(count), order or "random",
                                   (profile or "").strip() or services.settings.interview.profile, lang=lang)
            session = start_session(services, config, previous)
        except ValueError as exc:
            raise gr.Error(f"{t('iv_no_questions', lang)} ({exc})") from None
        return screen(services, session.to_state(), lang)

    started = p.start.click(start, [p.docs, p.topics, p.count, p.order, p.profile, ctx.lang, p.state], outs,
                            api_name="interview_start", api_visibility="undocumented")
    started.success(lambda prof: (prof or "").strip() or gr.update(), p.profile, ctx.profile, **HIDE)
    p.profile.blur(lambda prof: (prof or "").strip() or gr.update(), p.profile, ctx.profile, **HIDE)

    def submit(answer, state, llm, lang):
        return submit_answer(services, answer, state, llm, lang)

    submitted = p.submit.click(submit, [p.answer, p.state, ctx.llm, ctx.lang], [p.state, p.progress, p.grade],
                               api_name="interview_submit", api_visibility="undocumented", show_progress="minimal")
    submitted.success(lambda: gr.update(visible=False), None, p.confirm, **HIDE)
    submitted.success(None, None, None, js="() => { const c = document.querySelector('#qb-grade-card');"
                                           " if (c && c.getBoundingClientRect().top > window.innerHeight)"
                                           " c.scrollIntoView({behavior: 'smooth', block: 'start'}); }")

    move_outs = [p.state, p.progress, p.question, p.answer, p.grade, p.confirm, p.confirm_text, p.confirm_submit]

    def moved(session, lang):
        state = session.to_state()
        return (state, progress_markdown(state, lang), current_markdown(services, state, lang), "", "",
                gr.update(visible=False), "", gr.update())

    def advance(answer, state, lang):
        """下一题: leave the question, unless the box holds an answer not submitted (or nothing was answered)."""
        session = session_from(services, state, lang)
        if session.finished:
            raise gr.Error(t("iv_done", lang))
        if not session.done and (unsubmitted(answer, state) or session.current is None):
            typed = unsubmitted(answer, state)
            key = ("iv_confirm_changed" if session.current is not None else "iv_confirm_unsent") if typed \
                else "iv_confirm_blank"
            keep = gr.update()
            return (state, progress_markdown(state, lang), keep, keep, keep, gr.update(visible=True),
                    f"**{t(key, lang)}**", gr.update(visible=typed))
        session.advance()
        return moved(session, lang)

    def skip(state, lang):
        session = session_from(services, state, lang)
        if session.finished:
            raise gr.Error(t("iv_done", lang))
        session.skip()
        return moved(session, lang)

    p.next.click(advance, [p.answer, p.state, ctx.lang], move_outs, **HIDE)
    # the scripted 下一题 (gradio_client): the same step with an empty box, so only a question without a grade asks
    api_next = gr.Button(visible=False, elem_id="qb-iv-api-next")
    api_next.click(lambda state, lang: advance("", state, lang), [p.state, ctx.lang], move_outs,
                   api_name="interview_next", api_visibility="undocumented")
    p.skip.click(skip, [p.state, ctx.lang], move_outs, api_name="interview_skip", api_visibility="undocumented")
    p.confirm_discard.click(skip, [p.state, ctx.lang], move_outs, **HIDE)
    p.confirm_edit.click(None, None, None, js="() => { const b = document.querySelector('#qb-iv-answer textarea');"
                                              " if (b) b.focus(); }") \
        .then(lambda: gr.update(visible=False), None, p.confirm, **HIDE)

    def submit_then_next(answer, state, llm, lang):
        state, _, _ = submit_answer(services, answer, state, llm, lang)
        session = session_from(services, state, lang)
        session.advance()
        return moved(session, lang)

    p.confirm_submit.click(submit_then_next, [p.answer, p.state, ctx.llm, ctx.lang], move_outs, **HIDE)

    finish_outs = [p.state, p.progress, p.chart, p.report, p.export, p.again, p.work, p.after, p.question, p.grade,
                   p.setup]

    def finish(state, lang):
        session = session_from(services, state, lang)
        session.finish()
        state = session.to_state()
        chart, markdown, export, again = report_outputs(services, state, lang)
        return (state, progress_markdown(state, lang), chart, markdown, export, again, gr.update(visible=False),
                gr.update(visible=True), "", "", gr.update(open=False))

    p.finish.click(finish, [p.state, ctx.lang], finish_outs, api_name="interview_finish",
                   api_visibility="undocumented")

    def again(state, profile, lang):
        from rag.interview.session import SessionConfig

        if not state:
            raise gr.Error(t("iv_not_started", lang))
        weak = session_from(services, state, lang).weak_ids()
        if not weak:
            raise gr.Error(t("iv_no_weak", lang))
        config = SessionConfig(count=len(weak), profile=state["config"]["profile"], lang=lang, items=tuple(weak))
        return screen(services, start_session(services, config, None).to_state(), lang)

    p.again.click(again, [p.state, p.profile, ctx.lang], outs, api_name="interview_again",
                  api_visibility="undocumented")
    p.restart.click(lambda lang: screen(services, None, lang), [ctx.lang], outs, **HIDE)

    # what is typed is kept in this browser (not on the server: no write per keystroke), for a reload to put back.
    # change, not input: Gradio's input event follows key presses only, and misses a paste or an IME's last word.
    def keep_draft(state, text):
        draft = draft_of(state, text)
        return gr.skip() if draft is None else draft     # a page still loading (no interview yet) keeps the old one

    p.answer.change(keep_draft, [p.state, p.answer], p.draft, trigger_mode="always_last", concurrency_limit=None,
                    **HIDE)

    def restore(stored, lang, shown=None, draft=None):
        """On load: this browser's profile (its own one the first time) and its interview still in progress, with
        the answer that was being typed (else the graded one) back in the box.

        An interview started while the page was still loading stays as it is.
        """
        if shown:
            profile = shown["config"]["profile"]
            return (profile, profile, *([gr.update()] * len(outs)))
        profile = browser_profile(stored, services.settings.interview.profile, services.settings.interview.max_profile_chars)
        try:
            state = services.log.active(profile)
        except OSError:
            state = None
        answer = draft_for(state, draft)
        if answer is None:
            answer = (state.get("current") or {}).get("answer", "") if state else ""
        return (profile, profile, *screen(services, state, lang, answer))

    ctx.on_load.append((restore, [ctx.profile, ctx.lang, p.state, p.draft], [ctx.profile, p.profile, *outs]))
