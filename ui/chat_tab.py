"""Chat tab: streamed, cited answers; citations open the whole item in a side panel; related questions; follow-ups.

``build`` lays the tab out; ``wire`` connects its events. Answers come from
``rag.answer.Answerer`` through ``rag.conversation.Conversation`` over this session's turns.
In the page a mistake (an empty or too long question, unusable LLM settings) is a short notice
under the chat in the UI's language; the scriptable ``/ask`` endpoint raises it as an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import notices, render
from ui.answer_text import notices_text
from ui.i18n import t
from ui.services import ChatState

REVEAL_PANEL = "() => window.qbReveal && window.qbReveal('#qb-item-panel')"


@dataclass
class ChatParts:
    chatbot: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    clear: gr.Button
    badge: gr.HTML
    notice: gr.Markdown
    cites: gr.Dataset
    related: gr.Dataset
    panel: gr.Markdown
    cite_id: gr.Textbox
    cite_open: gr.Button
    ask_api: gr.Button
    state: gr.State
    view: gr.State       # what the badge, notice and panel show, to redraw them in the other language


def build(ctx) -> ChatParts:
    lang, L = ctx.default_lang, ctx.labels
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            badge = gr.HTML("", elem_id="qb-mode")
            chatbot = L.add(gr.Chatbot(label=t("chat", lang), elem_id="qb-chat", height=480, buttons=["copy"],
                                       feedback_options=None, layout="bubble", latex_delimiters=render.LATEX), label="chat")
            notice = gr.Markdown("", elem_id="qb-notice")
            with gr.Row():
                question = L.add(gr.Textbox(label=t("question", lang), placeholder=t("question_ph", lang), lines=1,
                                            scale=6, elem_id="qb-question", autofocus=True),
                                 label="question", placeholder="question_ph")
                send = L.add(gr.Button(t("send", lang), variant="primary", scale=1, min_width=90,
                                     elem_id="qb-send"), value="send")
                clear = L.add(gr.Button(t("new_chat", lang), scale=1, min_width=120, elem_id="qb-clear"),
                              value="new_chat")
            # the rows quote the banks (question, document): marked as bank text (qb-bank-list)
            cites = L.add(gr.Dataset(label=t("citations", lang), components=["textbox"], samples=[], type="index",
                                     elem_id="qb-cites", samples_per_page=8, elem_classes=["qb-bank-list"]),
                          label="citations")
            related = L.add(gr.Dataset(label=t("related", lang), components=["textbox"], samples=[], type="index",
                                       elem_id="qb-related", samples_per_page=6, elem_classes=["qb-bank-list"]),
                            label="related")
        with gr.Column(scale=2):
            L.add(gr.Markdown(t("panel_title", lang)), value="panel_title")
            panel = gr.Markdown(t("panel_empty", lang), elem_id="qb-item-panel", latex_delimiters=render.LATEX)
    cite_id = gr.Textbox(visible="hidden", elem_id="qb-cite-id")
    cite_open = gr.Button(visible="hidden", elem_id="qb-cite-open")
    ask_api = gr.Button(visible="hidden", elem_id="qb-ask-api")
    return ChatParts(chatbot, question, send, clear, badge, notice, cites, related, panel, cite_id, cite_open, ask_api,
                     gr.State(lambda: ChatState()), gr.State(dict))


class Mistake(Exception):
    """A question or settings the user can fix: ``api`` for scripts (English), ``ui`` in the page's language."""

    def __init__(self, api: str, ui: str):
        super().__init__(api)
        self.api, self.ui = api, ui


def checked(services, question: str, llm, lang: str):
    """``(cleaned question, answerer)`` for this session, or raise :class:`Mistake`."""
    from rag.validate import QueryError, check_query
    from ui.settings_tab import llm_problem

    limit = services.settings.search.max_query_chars
    try:
        question = check_query(question, limit)
    except QueryError as exc:
        text = "" if question is None else str(question).strip()
        ui = t("err_too_long", lang, n=len(text), limit=limit) if len(text) > limit else t("err_empty_question", lang)
        raise Mistake(str(exc), ui) from None
    try:
        return question, services.answerer(llm)
    except (ValueError, ImportError) as exc:    # incomplete LLM settings, a missing package
        raise Mistake(str(exc), t("err_llm_setup", lang, why=llm_problem(llm, lang, exc))) from None


def answer_updates(services, question: str, history: list, state: ChatState, llm, lang: str, view: dict | None = None):
    """Stream one answer into the chat: yields (chatbot, question box, badge, notice, cites, related, state).

    With an LLM the question shows at once with a "searching" placeholder and chunks replace it
    as they arrive; the final ``Answer`` replaces the text with its linked, cited form.

    Args:
        view: the page's view state (the browser): a mistake becomes a notice under the chat instead of
            an error, and the badge / notice are recorded in it for a language switch. None (the API):
            a mistake raises ``gr.Error`` with the plain message.
    """
    from rag.conversation import Conversation

    keep = gr.update()
    try:
        question, answerer = checked(services, question, llm, lang)
    except Mistake as m:
        if view is None:
            notices.mistake("api.ask", m.api)
            raise gr.Error(m.api, print_exception=False) from None
        view["notice"] = m.ui
        yield keep, keep, keep, notices.mistake("chat.ask", m.ui), keep, keep, state
        return
    history = list(history or []) + [{"role": "user", "content": question},
                                     {"role": "assistant", "content": f"*{t('thinking', lang)}*"}]
    if answerer.uses_llm:       # an LLM may take a while: show the question now (banks-only answers take ms)
        yield history, "", keep, "", keep, keep, state
    text = ""
    try:
        for part in Conversation(answerer, state.turns).stream(question):
            if isinstance(part, str):
                text += part
                history[-1] = {"role": "assistant", "content": text}
                yield history, "", keep, keep, keep, keep, state
                continue
            answer = part
            history[-1] = {"role": "assistant", "content": render.answer_markdown(answer, lang)}
            state.cited = [(c.n, c.id) for c in answer.citations]
            state.related = [c.question for c in answer.related]
            badge = [answer.mode, answer.abstained, answer.level, answer.confidence]
            key = "not_covered" if answer.abstained else (
                "closest_notice" if answer.level == "closest" and answer.mode != "llm" and not answer.sides else "")
            if view is not None:
                view.update(badge=badge, notice_key=key, notice_extra=notices_text(answer), notice="")
            yield (history, "", render.badge_html(*badge[:2], lang, *badge[2:]), notice_text(key, notices_text(answer), lang),
                   gr.Dataset(samples=cite_rows(services, state, lang)),
                   gr.Dataset(samples=[[q] for q in state.related]), state)
    except Exception as exc:  # noqa: BLE001 - e.g. IndexUnavailable: the UI edge shows one clear line
        from rag.validate import QueryError

        from ingest.server_embed import EmbeddingServerError

        message = str(exc) if isinstance(exc, (QueryError, ValueError, OSError)) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, EmbeddingServerError):
            message = exc.localized(lang)
        if view is None:
            raise gr.Error(message) from None
        notices.fault("chat.ask", exc)
        history[-1] = {"role": "assistant", "content": f"⚠️ {t('err_answer_failed', lang, why=message)}"}
        yield history, question, keep, notices.notice_markdown(t("err_answer_failed", lang, why=message)), keep, keep, state


def notice_text(key: str, extra: str, lang: str) -> str:
    """The notice under an answer: not covered / only the closest questions, then the answer's own note."""
    notice = t(key, lang) if key else ""
    if extra:
        notice = f"{notice}\n\n{extra}".strip()
    return f"> ⚠️ {notice}" if notice else ""


def cite_rows(services, state: ChatState, lang: str) -> list[list[str]]:
    """The citation list under the chat for the last answer, in ``lang``."""
    rows = []
    for n, item_id in state.cited:
        item = services.item(item_id)
        if item is not None:
            rows.append([render.citation_row(n, item, lang)])
    return rows


def wire(p: ChatParts, ctx) -> None:
    services = ctx.services
    outputs = [p.chatbot, p.question, p.badge, p.notice, p.cites, p.related, p.state]

    def ask(question, history, state, llm, lang, view):
        for update in answer_updates(services, question, history, state, llm, lang, view):
            yield (*update, view)

    def ask_api(question, history, state, llm, lang):
        yield from answer_updates(services, question, history, state, llm, lang)

    inputs = [p.question, p.chatbot, p.state, ctx.llm, ctx.lang]
    # private events still take an API name (the function's, by default): name them, so `/ask` stays the API's
    p.send.click(ask, [*inputs, p.view], [*outputs, p.view], api_name="chat_send", api_visibility="private",
                 show_progress="minimal")
    p.question.submit(ask, [*inputs, p.view], [*outputs, p.view], api_name="chat_submit", api_visibility="private",
                      show_progress="minimal")
    p.ask_api.click(ask_api, inputs, outputs, api_name="ask", show_progress="minimal")

    def ask_related(index, history, state, llm, lang, view):
        if index is None or not 0 <= index < len(state.related):
            return
        yield from ask(state.related[index], history, state, llm, lang, view)

    p.related.click(ask_related, [p.related, p.chatbot, p.state, ctx.llm, ctx.lang, p.view], [*outputs, p.view],
                    api_visibility="private", show_progress="minimal")

    def open_cited(index, state, lang, view):
        if index is None or not 0 <= index < len(state.cited):
            return gr.update(), view
        return open_item(state.cited[index][1], lang, view)

    def open_item(item_id, lang, view):
        view["item"] = (item_id or "").strip()
        return item_panel(services, view["item"], lang), view

    p.cites.click(open_cited, [p.cites, p.state, ctx.lang, p.view], [p.panel, p.view], api_visibility="private"
                  ).then(None, js=REVEAL_PANEL)
    p.cite_open.click(open_item, [p.cite_id, ctx.lang, p.view], [p.panel, p.view],
                      api_visibility="private").then(None, js=REVEAL_PANEL)
    p.cite_id.submit(lambda item_id, lang: item_panel(services, (item_id or "").strip(), lang), [p.cite_id, ctx.lang],
                     [p.panel], api_name="open_item", api_visibility="undocumented")

    def new_chat(lang):
        return ([], "", "", "", gr.Dataset(samples=[]), gr.Dataset(samples=[]), ChatState(), t("panel_empty", lang),
                {})

    p.clear.click(new_chat, [ctx.lang], outputs + [p.panel, p.view], api_visibility="private")
    p.chatbot.clear(lambda: (ChatState(), {}), None, [p.state, p.view], api_visibility="private")   # its own 🗑

    def redraw(messages, state, view, lang):
        """The chat's messages, badge, notice, citation list and side panel in the language just chosen."""
        from ui.relabel import relabel_messages

        view = view or {}
        badge = view.get("badge")
        shown = relabel_messages(messages, lang, services.item) if messages else gr.update()
        if not badge:       # nothing answered yet: leave the badge and any notice of a mistake as they are
            keep = gr.update()
            return (shown, keep, keep, keep,
                    item_panel(services, view["item"], lang) if view.get("item") else t("panel_empty", lang))
        notice = (notice_text(view.get("notice_key", ""), view.get("notice_extra", ""), lang)
                  if not view.get("notice") else gr.update())
        panel = item_panel(services, view["item"], lang) if view.get("item") else t("panel_empty", lang)
        return (shown, render.badge_html(*badge[:2], lang, *badge[2:]), notice,
                gr.Dataset(samples=cite_rows(services, state, lang)), panel)

    ctx.after_lang.append((redraw, [p.chatbot, p.state, p.view, ctx.lang],
                           [p.chatbot, p.badge, p.notice, p.cites, p.panel]))


def item_panel(services, item_id: str, lang: str) -> str:
    """The side panel for ``item_id``: the whole item with its word-for-word copies, or a notice."""
    item = services.item(item_id)
    if item is None:
        return notices.mistake("chat.open_item", t("err_item_gone", lang, id=item_id))
    copies = [c for c in (services.item(d) for d in item.duplicates) if c is not None]
    return render.item_markdown(item, lang, copies)
