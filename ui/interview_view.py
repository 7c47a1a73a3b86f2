"""What the interview tab shows for a session state: progress, question, grade card, report; and the browser profile.

Pure functions of an :meth:`rag.interview.session.InterviewSession.to_state` dict (plus the
services to look items up), so every event, a reload and the History view draw the same thing.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ui import render
from ui.i18n import t

PROFILE_KEY = "qbank-profile"      # localStorage key of the browser's profile (gr.BrowserState)
DRAFT_KEY = "qbank-draft"          # localStorage key of the answer being typed, not yet submitted

# Ctrl+Enter (⌘+Enter) in the answer box submits it; the box's value is already synced by its input event.
HEAD = """
<script>
document.addEventListener("keydown", function (ev) {
  if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey)) return;
  if (!(ev.target.closest && ev.target.closest("#qb-iv-answer"))) return;
  ev.preventDefault();
  const btn = document.querySelector("#qb-iv-submit");
  if (btn) setTimeout(function () { btn.click(); }, 0);
}, true);
</script>
"""


def browser_secret(home: Path) -> str:
    """The key the browser's stored profile is encrypted with: made once per ``$QBANK_HOME``, so it survives restarts."""
    path = Path(home) / "browser_state.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        pass
    key = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key, encoding="ascii")
        path.chmod(0o600)
    except OSError:
        pass                # a read-only home: the profile is remembered until the server restarts
    return key


def browser_profile(stored, default: str, limit: int) -> str:
    """The profile of this browser: the one it remembers, else a new one of its own (``default-3f9a2c``).

    A new browser does not share the server's default profile with every other browser: each gets
    its own history until its user picks a name.
    """
    if isinstance(stored, str) and stored.strip() and len(stored.strip()) <= limit:
        return stored.strip()
    suffix = secrets.token_hex(3)
    return f"{default[:max(1, limit - len(suffix) - 1)]}-{suffix}"


def draft_of(state: dict | None, text: str) -> dict | None:
    """What the browser keeps of the answer box: its text, for the question on screen of this interview.

    >>> draft_of({"id": "s1", "position": 2, "finished": False}, "梯度消失")
    {'session': 's1', 'position': 2, 'text': '梯度消失'}
    >>> draft_of(None, "x") is None
    True
    """
    if not state or state.get("finished"):
        return None
    return {"session": state["id"], "position": state["position"], "text": text or ""}


def draft_for(state: dict | None, draft) -> str | None:
    """The kept text of the answer box for the question on screen of ``state``, or None (another question or none).

    >>> draft_for({"id": "s1", "position": 2}, {"session": "s1", "position": 2, "text": "梯度消失"})
    '梯度消失'
    >>> draft_for({"id": "s1", "position": 3}, {"session": "s1", "position": 2, "text": "梯度消失"}) is None
    True
    """
    if not state or not isinstance(draft, dict) or not isinstance(draft.get("text"), str):
        return None
    if draft.get("session") != state.get("id") or draft.get("position") != state.get("position"):
        return None
    return draft["text"] or None


def question_markdown(q, lang: str, section: str = "") -> str:
    """The current question: its text, the fuller wording if any, and where it comes from (its section, if any)."""
    detail = f"\n\n> {q.detail}" if q.detail and q.detail != q.question else ""
    where = " · ".join(x for x in (q.doc, section, q.topic) if x)
    return f"### {q.question}{detail}\n\n<sub>{where}</sub>"


def progress_markdown(state: dict | None, lang: str) -> str:
    """``进度: ▰▱▱ 1/3 · 平均分 72``: questions left behind or graded, of all; the mean of the grades so far."""
    if not state:
        return t("iv_idle", lang)
    current = state.get("current")
    done, total = state["position"] + (1 if current else 0), len(state["item_ids"])
    scores = [r["score"] for r in state["results"]] + ([current["score"]] if current else [])
    mean = f" · {t('iv_mean', lang)} {sum(scores) / len(scores):.0f}" if scores else ""
    bar = "▰" * done + "▱" * (total - done)
    return f"**{t('iv_progress', lang)}:** {bar} {done}/{total}{mean}"


def current_markdown(services, state: dict | None, lang: str) -> str:
    """The question on screen for ``state`` (or why there is none)."""
    if not state:
        return ""
    if state.get("finished"):
        return f"*{t('iv_over', lang)}*"
    if state["position"] >= len(state["item_ids"]):
        return f"*{t('iv_done', lang)}*"
    item_id = state["item_ids"][state["position"]]
    item = services.item(item_id)
    if item is None:
        return f"*{t('iv_gone', lang, id=item_id)}*"
    from rag.interview.session import Question

    q = Question(state["position"] + 1, len(state["item_ids"]), item.id, item.question, item.detail, item.doc,
                 item.topic)
    return question_markdown(q, lang, render.section_of(item))


def current_card(services, state: dict | None, lang: str) -> str:
    """The grade card of the current question if it has been graded (drawn again from the stored grade)."""
    from rag.interview.report import QuestionResult

    current = (state or {}).get("current")
    if not current:
        return ""
    r = QuestionResult(**current)
    return render.grade_card_html(r.grade_result(), services.item(r.id), lang)


def report_of(state: dict, store, lang: str):
    """The :class:`rag.interview.report.SessionReport` of a stored state (the profile's topic history included)."""
    from rag.interview.report import QuestionResult, SessionReport

    results = [QuestionResult(**r) for r in state.get("results", [])]
    if state.get("current"):
        results.append(QuestionResult(**state["current"]))
    profile = state["config"]["profile"]
    stats = store.topic_stats(profile) if store is not None else []
    skipped = list(state.get("skipped", []))
    return SessionReport(state["id"], profile, tuple(results), tuple(skipped), len(state["item_ids"]), tuple(stats),
                         lang, tuple(state.get("skipped_questions") or skipped))


def topic_frame(rows):
    """A per-topic DataFrame for ``gr.BarPlot`` from ``(topic, questions, mean score)`` rows (columns topic, score, n)."""
    import pandas as pd

    return pd.DataFrame([{"topic": tp, "score": round(float(m), 1), "n": int(n)} for tp, n, m in rows],
                        columns=["topic", "score", "n"])


def topic_plot(lang: str, elem_id: str):
    """The per-topic bar chart of one session (the end report, a past report in History): hidden until drawn."""
    import gradio as gr

    return gr.BarPlot(None, x="topic", y="score", y_lim=[0, 100], label=t("iv_chart", lang), elem_id=elem_id,
                      sort="y", visible=False, x_title=t("col_topic", lang), y_title=t("iv_score", lang), height=280)


PLOT_LABELS = {"label": "iv_chart", "x_title": "col_topic", "y_title": "iv_score"}   # relabelled on a language switch


def topic_plot_update(report, lang: str) -> dict:
    """Draw ``report``'s per-topic scores (a :class:`rag.interview.report.SessionReport`) into a :func:`topic_plot`."""
    import gradio as gr

    rows = report.by_topic()
    return gr.update(value=topic_frame(rows), visible=bool(rows), y_lim=[0, 100], x_title=t("col_topic", lang),
                     y_title=t("iv_score", lang))
