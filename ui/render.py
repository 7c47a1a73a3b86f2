"""Pure formatting for the app: items, citation links, grade cards and report charts as Markdown / HTML.

No Gradio and no retrieval here; every function takes plain data and returns text,
so the formatting is tested on literal values.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, unquote

from ui.i18n import TEXT, t, topic_label

CITE_PREFIX = "#qb-cite="
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
_MARKER = re.compile(r"\[(\d{1,3})\]")
_FENCE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)


def where(item, lang: str = "zh") -> str:
    """``file · 第 3 题 · 行 5–25`` (or the page for PDF), the location shown beside a citation."""
    parts = [item.file]
    if getattr(item, "number", None) is not None:
        parts.append(f"第 {item.number} 题" if lang != "en" else f"No. {item.number}")
    if item.lines:
        parts.append(f"{t('lines', lang)} {item.lines[0]}–{item.lines[1]}")
    elif getattr(item, "page", None):
        parts.append(f"{t('page', lang)} {item.page}")
    excerpt = getattr(item, "excerpt_lines", None)
    if excerpt:
        parts.append(f"{t('excerpt', lang)} {excerpt[0]}–{excerpt[1]}")
    return " · ".join(parts)


def section_of(item) -> str:
    """The item's section path as shown: without the document's own title (``文档 › 3.1 基本概念`` -> ``3.1 基本概念``)."""
    section, doc = getattr(item, "section", "") or "", getattr(item, "doc", "") or ""
    if section == doc:
        return ""
    return section[len(doc) + 3:] if doc and section.startswith(f"{doc} › ") else section


def bank(text: str) -> str:
    """Inline text taken from a bank (a question, a document title), marked so that it is never
    mistaken for UI text (``class="qb-bank"``: the language tests skip it)."""
    return f'<span class="qb-bank">{html.escape(text, quote=False)}</span>' if text else ""


def bank_block(markdown: str) -> str:
    """A block of bank Markdown (an answer) inside a ``qb-bank`` div; blank lines keep it Markdown."""
    return f'<div class="qb-bank">\n\n{markdown}\n\n</div>' if markdown else ""


def item_markdown(item, lang: str = "zh", copies=()) -> str:
    """The whole Q&A item for the side panel / library: question, where it is, the full answer.

    Args:
        item: a ``QAItem``.
        lang: ``zh`` or ``en``.
        copies: the items whose question is word for word the same (``item.duplicates`` opened):
            listed with their document and location; without them the duplicate ids are listed.
    """
    rows = [
        f"### {bank(item.question)}",
        "",
        f"**{t('doc', lang)}:** {bank(item.doc)}  ",
        f"**{t('file', lang)}:** `{item.file}`  ",
    ]
    if item.number is not None:
        rows.append(f"**{t('number', lang)}:** {item.number}  ")
    if item.lines:
        rows.append(f"**{t('lines', lang)}:** {item.lines[0]}–{item.lines[1]}  ")
    if getattr(item, "page", None):
        rows.append(f"**{t('page', lang)}:** {item.page}  ")
    if section_of(item):
        rows.append(f"**{t('section', lang)}:** {bank(section_of(item))}  ")
    if getattr(item, "topic", ""):
        rows.append(f"**{t('topic', lang)}:** {topic_label(item.topic, lang)}  ")
    if copies:
        rows += ["", f"**{t('also_in', lang)}:**", ""]
        rows += [f"- {bank(c.doc)} · {where(c, lang)}" for c in copies]
        rows.append("")
    elif getattr(item, "duplicates", ()):
        rows.append(f"**{t('also_in', lang)}:** {', '.join(item.duplicates)}  ")
    if getattr(item, "detail", "") and item.detail != item.question:
        rows += ["", f"> {bank(item.detail)}"]
    rows += ["", f"#### {t('answer', lang)}", "", bank_block(item.answer)]
    return "\n".join(rows)


def cite_href(item_id: str) -> str:
    return CITE_PREFIX + quote(item_id, safe="")


def parse_cite_href(href: str) -> str | None:
    """The item id in a citation link (``…#qb-cite=<id>``), or None."""
    if not href or CITE_PREFIX not in href:
        return None
    return unquote(href.split(CITE_PREFIX, 1)[1]) or None


def link_citations(text: str, ids: dict[int, str]) -> str:
    """Turn ``[n]`` markers into links that open item ``ids[n]``; code and unknown numbers are left alone.

    Example:
        >>> link_citations("BN [1]，`x[1]`", {1: "dl-9"})
        'BN [\\\\[1\\\\]](#qb-cite=dl-9)，`x[1]`'
    """
    out, pos = [], 0
    for m in _FENCE.finditer(text):
        out.append(_link(text[pos:m.start()], ids))
        out.append(m.group(0))
        pos = m.end()
    out.append(_link(text[pos:], ids))
    return "".join(out)


def _link(chunk: str, ids: dict[int, str]) -> str:
    def sub(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]]({cite_href(ids[n])})" if n in ids else m.group(0)

    return _MARKER.sub(sub, chunk)


def answer_markdown(answer, lang: str = "zh") -> str:
    """An answer as a chat message: text with linked ``[n]`` markers, then its linked sources and mode."""
    from ui.answer_text import answer_body

    ids = {c.n: c.id for c in answer.citations}
    parts = [bank_block(link_citations(answer_body(answer), ids))]
    resolved = getattr(answer, "resolved_question", "")
    if resolved and resolved.strip() != answer.question.strip():
        parts.insert(0, f"<sub>🔗 {t('resolved_as', lang)}{bank(resolved)}</sub>")
    if answer.citations:
        parts.append(sources_markdown([(c.n, c) for c in answer.citations], lang))
    label = t(level_key(answer.mode, answer.abstained, getattr(answer, "level", "")), lang)
    parts.append(f'<sub class="qb-mode-tag">{label}</sub>')
    return "\n\n".join(parts)


def citation_row(n: int, item, lang: str = "zh") -> str:
    """One line of the citation list under the chat: ``[1] 问题 — 文档 · file · 第 3 题 · 行 5–25``."""
    return f"[{n}] {item.question} — {item.doc} · {where(item, lang)}"


def sources_markdown(ids_items: list, lang: str = "zh") -> str:
    """A compact 'sources' footer for an answer message: one linked line per citation."""
    lines = [f"- [\\[{n}\\]]({cite_href(it.id)}) {bank(it.question)} — *{where(it, lang)}*" for n, it in ids_items]
    return "\n".join(lines)


LEVEL_COLOR = {"mode_extractive": "#047857", "mode_llm": "#6d28d9", "mode_closest": "#b45309",
               "mode_llm_closest": "#b45309", "mode_abstained": "#6b7280"}


def level_key(mode: str, abstained: bool, level: str = "") -> str:
    """The text key of an answer's badge: who answered, and how sure the banks are."""
    if abstained or level == "not_covered":
        return "mode_abstained"
    if level == "closest":
        return "mode_llm_closest" if mode == "llm" else "mode_closest"
    return "mode_llm" if mode == "llm" else "mode_extractive"


def badge_html(mode: str, abstained: bool, lang: str = "zh", level: str = "", confidence: float | None = None) -> str:
    """The badge over the chat: answered from the banks (green), the LLM (purple), only the closest
    questions (amber, "please check"), or not covered (grey); with the confidence when known."""
    key = level_key(mode, abstained, level)
    level = level or ("not_covered" if abstained else "answered")
    conf = (f' <span class="qb-confidence">· {html.escape(t("confidence", lang))} {max(0.0, confidence):.2f}</span>'
            if confidence is not None else "")
    return (f'<span class="qb-badge" data-mode="{html.escape(mode)}" data-abstained="{str(abstained).lower()}" '
            f'data-level="{html.escape(level)}" style="background:{LEVEL_COLOR[key]}">{html.escape(t(key, lang))}{conf}</span>')


STATUS_ICON = {"covered": "✓", "partial": "~", "missing": "✗", "contradicted": "✗"}
STATUS_COLOR = {"covered": "#047857", "partial": "#b45309", "missing": "#b91c1c", "contradicted": "#7f1d1d"}


def grade_card_html(grade, item=None, lang: str = "zh", notices: tuple[str, ...] = ()) -> str:
    """The grade card: score, one ✓ / ~ / ✗ row per key point with its evidence, feedback, follow-up, reference.

    With an LLM rubric grade (``grade.llm``) its score and per-point status sit beside the
    offline ones, and ``grade.uncertain`` (the two disagree) is flagged.

    Args:
        grade: a ``rag.interview.grade.GradeResult`` (score, points, feedback, follow_up, reference, notices,
            llm, uncertain).
        item: the graded ``QAItem`` (its whole answer is shown folded under the citation).
        lang: ``zh`` or ``en``.
        notices: more notices to show above the points (e.g. why the session's LLM could not grade).
    """
    e = html.escape
    llm = getattr(grade, "llm", None)
    rows = []
    for k, p in enumerate(grade.points):
        ev = f'<div class="qb-evidence">{e(t("iv_evidence", lang))}: “{e(p.evidence)}”</div>' if p.evidence else ""
        rows.append(
            f'<li class="qb-point" data-status="{e(p.status)}"><span class="qb-icon" style="color:'
            f'{STATUS_COLOR.get(p.status, "#555")}">{STATUS_ICON.get(p.status, "?")}</span> '
            f'<span class="qb-point-text">{e(p.text)}</span> <span class="qb-status">({e(_status(p.status, lang))})</span>'
            f'{_llm_point(llm, k, lang)}{ev}</li>')
    ref = item if item is not None else grade.reference
    follow = f'<p class="qb-follow-up"><b>{e(t("iv_follow_up", lang))}:</b> {e(grade.follow_up)}</p>' if grade.follow_up else ""
    shown = tuple(getattr(grade, "notices", ()) or ()) + tuple(notices)
    notes = "".join(f'<p class="qb-notice">⚠️ {e(n)}</p>' for n in shown)
    return (
        f'<div class="qb-grade" id="qb-grade-card" data-uncertain="{str(bool(getattr(grade, "uncertain", False))).lower()}">'
        f'<div class="qb-score"><span>{e(t("iv_score", lang))}</span> <b id="qb-score-value">{grade.score:.0f}</b>/100'
        f'{_llm_score(grade, llm, lang)}</div>'
        f'{notes}<ul class="qb-points">{"".join(rows)}</ul>'
        f'<p class="qb-feedback"><b>{e(t("iv_feedback", lang))}:</b> {e(grade.feedback)}</p>{_llm_feedback(llm, lang)}'
        f'{follow}'
        f'<details class="qb-reference"><summary><b>{e(t("iv_reference", lang))}</b>: {e(ref.question)} — '
        f'{e(ref.doc)} · <span class="qb-ref-where">{e(where(ref, lang))}</span></summary>'
        f'<div class="qb-ref">{e(getattr(item, "answer", ""))}</div></details></div>')


def _llm_score(grade, llm, lang: str) -> str:
    """`` · 离线 | LLM 评分 55/100 ⚠️ …`` after the offline score, when an LLM graded too."""
    if llm is None:
        return ""
    e = html.escape
    flag = (f' <span class="qb-uncertain" id="qb-uncertain">{e(t("iv_uncertain", lang))}</span>'
            if getattr(grade, "uncertain", False) else "")
    model = f' <span class="qb-llm-model">({e(llm.model)})</span>' if getattr(llm, "model", "") else ""
    return (f' <span class="qb-score-kind">{e(t("iv_offline", lang))}</span>'
            f'<span class="qb-llm-score"> · {e(t("iv_llm_score", lang))} <b id="qb-llm-score-value">{llm.score:.0f}</b>'
            f'/100{model}</span>{flag}')


def _llm_point(llm, k: int, lang: str) -> str:
    if llm is None or k >= len(llm.statuses):
        return ""
    s = llm.statuses[k]
    evidence = llm.evidence[k] if k < len(llm.evidence) else ""
    title = f' title="{html.escape(evidence)}"' if evidence else ""
    return (f' <span class="qb-llm-status" data-llm-status="{html.escape(s)}"{title}>· LLM '
            f'<span style="color:{STATUS_COLOR.get(s, "#555")}">{html.escape(_status(s, lang))}</span></span>')


def _llm_feedback(llm, lang: str) -> str:
    if llm is None or not getattr(llm, "feedback", ""):
        return ""
    return f'<p class="qb-llm-feedback"><b>{html.escape(t("iv_llm_feedback", lang))}:</b> {html.escape(llm.feedback)}</p>'


def _status(status: str, lang: str) -> str:
    return t(f"status_{status}", lang) if f"status_{status}" in TEXT else status


CSS = """
.qb-chart {border: 1px solid #e5e7eb; border-radius: 10px; padding: 10px 14px; min-width: 320px;}
.qb-chart-title {font-weight: 600; margin-bottom: 8px;}
.qb-bar-row {display: flex; align-items: center; gap: 8px; margin: 4px 0; font-size: 0.9em;}
.qb-bar-label {flex: 0 0 9em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;}
.qb-bar-track {flex: 1 1 auto; background: #f3f4f6; border-radius: 4px; height: 14px; overflow: hidden;}
.qb-bar {display: block; height: 100%; background: #6366f1; border-radius: 4px;}
.qb-bar-value {flex: 0 0 2.5em; text-align: right; font-variant-numeric: tabular-nums;}
.qb-bar-note {flex: 0 0 6em; color: #6b7280;}
.qb-badge {color: #fff; padding: 2px 10px; border-radius: 12px; font-size: 0.85em; font-weight: 600;}
#qb-item-panel {max-height: 640px; overflow-y: auto;}
.qb-grade {border: 1px solid #d1d5db; border-radius: 10px; padding: 12px 16px;}
.qb-score {font-size: 1.3em; margin-bottom: 6px;}
.qb-points {list-style: none; padding-left: 0;}
.qb-point {margin: 6px 0;}
.qb-icon {font-weight: 700; font-size: 1.1em;}
.qb-llm-status, .qb-score-kind, .qb-llm-model {color: #4b5563; font-size: 0.85em;}
.qb-llm-score {font-size: 0.8em;}
.qb-uncertain {background: #fef3c7; color: #92400e; border-radius: 8px; padding: 1px 8px; font-size: 0.7em;}
.qb-evidence {color: #4b5563; font-size: 0.9em; margin-left: 1.4em;}
.qb-ref {white-space: pre-wrap; font-size: 0.92em; margin-top: 6px;}
#qb-send, #qb-clear, #qb-lib-practise, #qb-lib-ask {white-space: nowrap;}
#qb-notice:empty, #qb-lib-notice:empty {display: none;}
/* the library and history tables: a clicked row is highlighted as a whole, never shown as a cell being edited */
:is(#qb-lib-table, #qb-hi-table) [role=gridcell] {cursor: pointer;}
:is(#qb-lib-table, #qb-hi-table) .cell-selected {outline: none !important; box-shadow: none !important;}
:is(#qb-lib-table, #qb-hi-table) .cell-selected, :is(#qb-lib-table, #qb-hi-table) .cell-selected * {border-color: transparent !important;}
:is(#qb-lib-table, #qb-hi-table) .selection-button, :is(#qb-lib-table, #qb-hi-table) .cell-menu-button {display: none !important;}
:is(#qb-lib-table, #qb-hi-table) [role=gridcell]:focus, :is(#qb-lib-table, #qb-hi-table) [role=gridcell] *:focus, :is(#qb-lib-table, #qb-hi-table) [role=gridcell] input,
:is(#qb-lib-table, #qb-hi-table) [role=gridcell] textarea {outline: none !important; box-shadow: none !important;
  border-color: transparent !important;}
:is(#qb-lib-table, #qb-hi-table) [role=gridcell], :is(#qb-lib-table, #qb-hi-table) [role=gridcell] .cell-wrap, :is(#qb-lib-table, #qb-hi-table) [data-expanded]
  {outline: none !important; box-shadow: none !important; border-color: transparent !important;}
:is(#qb-lib-table, #qb-hi-table) [role=gridcell]::before, :is(#qb-lib-table, #qb-hi-table) [role=gridcell]::after {display: none !important;}
:is(#qb-lib-table, #qb-hi-table) [role=row]:has(.cell-selected) [role=gridcell] {background: var(--color-accent-soft) !important;
  font-weight: 600;}
"""

# Clicking a [n] citation link inside the chat opens the item in the side panel: the link's
# target is put in a hidden textbox and a hidden button is clicked (its event runs in Python).
HEAD = """
<script>
// Bring a just-filled element into view when it is off screen (a phone: the side panel and the grade card
// sit below the chat / the answer box). Called from the events' js= hooks (ui/chat_tab.py, ui/interview_tab.py).
window.qbReveal = function (selector) {
  setTimeout(function () {
    const el = document.querySelector(selector);
    if (!el) return;
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight - 60) el.scrollIntoView({behavior: "smooth", block: "start"});
  }, 120);
};
// Gradio's own texts (the upload area, "Clear", loading) follow the app's language, not the browser's:
// its locale store is switched through the frontend module that holds it.
window.qbSetLocale = async function (lang) {
  const want = lang === "en" ? "en" : "zh-CN";
  document.documentElement.setAttribute("lang", want);
  const url = performance.getEntriesByType("resource").map(function (e) { return e.name; })
    .find(function (n) { return n.indexOf("/assets/core-") >= 0 && n.slice(-3) === ".js"; });
  if (!url) return;
  try { const m = await import(url); if (m.changeLocale) m.changeLocale(want); } catch (e) { console.warn(e); }
};
document.addEventListener("click", function (ev) {
  const a = ev.target.closest && ev.target.closest('a[href*="#qb-cite="]');
  if (!a) return;
  ev.preventDefault(); ev.stopPropagation();
  const id = decodeURIComponent(a.getAttribute("href").split("#qb-cite=")[1] || "");
  const box = document.querySelector("#qb-cite-id textarea, #qb-cite-id input");
  const btn = document.querySelector("#qb-cite-open");
  if (!box || !btn) return;
  box.value = id;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(function () { btn.click(); }, 50);
}, true);
</script>
"""
