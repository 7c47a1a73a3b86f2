"""Dashboard tab: for this browser's profile, questions due today, the practice streak, scores over time and the
weakest topics, read from the interview history when the tab is opened.

The two charts are plain HTML bars (:func:`bars_html`), not chart-library plots: they need no script to load, draw
the same inside a hidden tab, and an empty profile is just an empty chart.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from ui.i18n import t

WEAKEST = 8
DAYS = 14          # the score chart shows the last DAYS days practised


@dataclass
class DashboardParts:
    stats: gr.Markdown
    scores: gr.HTML
    topics: gr.HTML


def bars_html(title: str, rows: list[tuple[str, float, str]], elem_class: str) -> str:
    """A horizontal bar chart: one row per ``(label, score 0..100, note)``, the score as the bar's width.

    >>> "width:40.0%" in bars_html("t", [("x<y", 40, "2")], "c") and "x&lt;y" in bars_html("t", [("x<y", 40, "2")], "c")
    True
    """
    out = [f'<div class="qb-chart {elem_class}"><div class="qb-chart-title">{html.escape(title)}</div>']
    for label, score, note in rows:
        width = max(0.0, min(100.0, float(score)))
        out.append(f'<div class="qb-bar-row"><span class="qb-bar-label" title="{html.escape(label)}">{html.escape(label)}'
                   f'</span><span class="qb-bar-track"><span class="qb-bar" style="width:{width:.1f}%"></span></span>'
                   f'<span class="qb-bar-value">{width:.0f}</span><span class="qb-bar-note">{html.escape(note)}</span></div>')
    out.append("</div>")
    return "".join(out)


def build(ctx) -> DashboardParts:
    lang = ctx.default_lang
    stats = gr.Markdown(t("db_empty", lang), elem_id="qb-db-stats")
    with gr.Row(equal_height=False):
        scores = gr.HTML("", elem_id="qb-db-scores")
        topics = gr.HTML("", elem_id="qb-db-topics")
    return DashboardParts(stats, scores, topics)


def figures(services, profile: str) -> dict:
    """Due today, streak, answers, and the rows of the two charts (per-day mean score; weakest topics) of ``profile``."""
    from rag.interview.progress import daily_scores, streak

    store = services.store
    attempts = store.attempts(profile)
    stats = store.topic_stats(profile)[:WEAKEST]
    return {"due": len(store.due(profile)), "streak": streak({a["day"] for a in attempts}, store.today()),
            "answers": len(attempts), "questions": len({a["item_id"] for a in attempts}),
            "days": daily_scores(attempts)[-DAYS:],
            "topics": [(s.topic, round(s.mean_score, 1), s.due) for s in stats]}


def charts(f: dict, lang: str) -> tuple[str, str]:
    """The two charts of :func:`figures`' output, in ``lang``."""
    days = bars_html(t("db_scores", lang), [(d, m, t("db_answers_n", lang, n=n)) for d, m, n in f["days"]], "qb-chart-days")
    topics = bars_html(t("db_weakest", lang), [(topic, m, t("db_due_n", lang, n=due) if due else "")
                                               for topic, m, due in f["topics"]], "qb-chart-topics")
    return days, topics


def wire(p: DashboardParts, page: gr.Tab, ctx) -> None:
    services = ctx.services

    def refresh(profile, lang):
        if not profile:
            return t("db_empty", lang), "", ""
        try:
            f = figures(services, profile)
        except OSError as exc:
            return f"⚠️ {exc}", "", ""
        if not f["answers"]:
            return t("db_empty", lang), "", ""
        text = t("db_stats", lang, profile=profile, due=f["due"], streak=f["streak"], answers=f["answers"],
                 questions=f["questions"])
        return (text, *charts(f, lang))

    outs = [p.stats, p.scores, p.topics]
    page.select(refresh, [ctx.profile, ctx.lang], outs, api_visibility="private", show_progress="hidden")
