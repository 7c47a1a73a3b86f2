"""Dashboard tab: for this browser's profile, questions due today, the practice streak, scores over time and the
weakest topics (Gradio plots over pandas DataFrames), read from the interview history when the tab is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui.i18n import t

WEAKEST = 8


@dataclass
class DashboardParts:
    stats: gr.Markdown
    scores: gr.LinePlot
    topics: gr.BarPlot


def build(ctx) -> DashboardParts:
    lang, L = ctx.default_lang, ctx.labels
    stats = gr.Markdown(t("db_empty", lang), elem_id="qb-db-stats")
    with gr.Row(equal_height=False):
        scores = L.add(gr.LinePlot(None, x="day", y="score", y_lim=[0, 100], label=t("db_scores", lang),
                                   elem_id="qb-db-scores", x_title=" ", y_title=" ", height=300), label="db_scores")
        topics = L.add(gr.BarPlot(None, x="topic", y="score", y_lim=[0, 100], sort="y", label=t("db_weakest", lang),
                                  elem_id="qb-db-topics", x_title=" ", y_title=" ", height=300), label="db_weakest")
    return DashboardParts(stats, scores, topics)


def figures(services, profile: str) -> dict:
    """Due today, streak, answers, and the two frames (per-day mean score; weakest topics) of ``profile``."""
    import pandas as pd

    from rag.interview.progress import daily_scores, streak

    store = services.store
    attempts = store.attempts(profile)
    days = daily_scores(attempts)
    stats = store.topic_stats(profile)[:WEAKEST]
    return {"due": len(store.due(profile)), "streak": streak({a["day"] for a in attempts}, store.today()),
            "answers": len(attempts), "questions": len({a["item_id"] for a in attempts}),
            "days": pd.DataFrame([{"day": d, "score": m, "answers": n} for d, m, n in days],
                                 columns=["day", "score", "answers"]),
            "topics": pd.DataFrame([{"topic": s.topic, "score": round(s.mean_score, 1), "due": s.due} for s in stats],
                                   columns=["topic", "score", "due"])}


def wire(p: DashboardParts, page: gr.Tab, ctx) -> None:
    services = ctx.services

    def refresh(profile, lang):
        if not profile:
            return t("db_empty", lang), gr.update(), gr.update()
        try:
            f = figures(services, profile)
        except OSError as exc:
            return f"⚠️ {exc}", gr.update(), gr.update()
        if not f["answers"]:
            # nothing to draw: the plots keep their empty state (an empty frame sent to a plot that is still loading
            # its chart library could leave the whole event pending in the page)
            return t("db_empty", lang), gr.update(), gr.update()
        text = t("db_stats", lang, profile=profile, due=f["due"], streak=f["streak"], answers=f["answers"],
                 questions=f["questions"])
        return (text, gr.update(value=f["days"], y_lim=[0, 100], x_title=t("db_day", lang), y_title=t("iv_score", lang)),
                gr.update(value=f["topics"], y_lim=[0, 100], x_title=t("col_topic", lang), y_title=t("iv_score", lang)))

    outs = [p.stats, p.scores, p.topics]
    # drawn when the tab is opened only: a plot drawn inside a hidden tab gets no width and stays broken
    page.select(refresh, [ctx.profile, ctx.lang], outs, api_visibility="private", show_progress="hidden")
