"""History tab: this browser profile's past interviews (date, questions, mean score, topics); a row opens its report.

Read from :class:`rag.interview.sessions.SessionLog` whenever the tab is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import render
from ui.i18n import t
from ui.interview_view import PLOT_LABELS, report_of, topic_plot, topic_plot_update

COLUMNS = ("hi_col_date", "hi_col_questions", "hi_col_mean", "hi_col_topics", "hi_col_status")


@dataclass
class HistoryParts:
    intro: gr.Markdown
    table: gr.Dataframe
    chart: gr.BarPlot
    report: gr.Markdown
    ids: gr.State


def headers(lang: str) -> list[str]:
    return [t(c, lang) for c in COLUMNS]


def build(ctx) -> HistoryParts:
    lang, L = ctx.default_lang, ctx.labels
    intro = gr.Markdown(t("hi_empty", lang), elem_id="qb-hi-intro")
    table = L.add(gr.Dataframe(headers=headers(lang), value=[], interactive=False, wrap=True, elem_id="qb-hi-table",
                               label=t("hi_table", lang), max_height=420),
                  label="hi_table")
    chart = L.add(topic_plot(lang, "qb-hi-chart"), **PLOT_LABELS)
    report = gr.Markdown("", elem_id="qb-hi-report", latex_delimiters=render.LATEX)
    return HistoryParts(intro, table, chart, report, gr.State([]))


def rows_of(history, lang: str) -> list[list]:
    """One table row per session: date, answered/planned, mean score, weakest topics, status."""
    out = []
    for s in history:
        m = s.summary
        topics = "、".join(tp for tp, _, _ in m.topics[:3]) if lang == "zh" else ", ".join(tp for tp, _, _ in m.topics[:3])
        out.append([s.started_at.replace("T", " ")[:16], f"{m.answered}/{m.planned}",
                    "—" if m.mean_score is None else f"{m.mean_score:.0f}", topics,
                    t("hi_finished" if s.finished else "hi_in_progress", lang)])
    return out


def wire(p: HistoryParts, page: gr.Tab, interview, ctx) -> None:
    services = ctx.services

    def refresh(profile, lang):
        try:
            history = services.log.history(profile) if profile else []
        except OSError as exc:
            return gr.update(value=f"⚠️ {exc}"), gr.update(), [], gr.update(visible=False), ""
        intro = t("hi_intro", lang, profile=profile, n=len(history)) if history else t("hi_empty", lang)
        return (intro, gr.update(value=rows_of(history, lang), headers=headers(lang)), [s.id for s in history],
                gr.update(visible=False), "")

    outs = [p.intro, p.table, p.ids, p.chart, p.report]
    page.select(refresh, [ctx.profile, ctx.lang], outs, api_visibility="private", show_progress="hidden")
    ctx.after_lang.append((refresh, [ctx.profile, ctx.lang], outs))

    def open_report(ids, profile, lang, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or not 0 <= row < len(ids):
            return gr.update(), gr.update()
        state = services.log.load(ids[row], profile)
        if state is None:
            return gr.update(visible=False), f"*{t('hi_missing', lang)}*"
        report = report_of(state, services.store, lang)
        return topic_plot_update(report, lang), report.to_markdown()

    p.table.select(open_report, [p.ids, ctx.profile, ctx.lang], [p.chart, p.report], api_visibility="private")
