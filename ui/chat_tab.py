"""Chat tab: streamed, cited answers; citations open the whole item in a side panel; related questions; follow-ups.

``build`` lays the tab out; ``wire`` connects its events. Answers come from
``rag.answer.Answerer`` through ``rag.conversation.Conversation`` over this session's turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import render
from ui.i18n import t
from ui.services import ChatState


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
    state: gr.State


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
                clear = L.add(gr.Button(t("new_chat", lang), scale=1, min_width=90, elem_id="qb-clear"), value="new_chat")
            cites = L.add(gr.Dataset(label=t("citations", lang), components=["textbox"], samples=[], type="index",
                                     elem_id="qb-cites", samples_per_page=8), label="citations")
            related = L.add(gr.Dataset(label=t("related", lang), components=["textbox"], samples=[], type="index",
                                       elem_id="qb-related", samples_per_page=6), label="related")
        with gr.Column(scale=2):
            L.add(gr.Markdown(t("panel_title", lang)), value="panel_title")
            panel = gr.Markdown(t("panel_empty", lang), elem_id="qb-item-panel", latex_delimiters=render.LATEX)
    cite_id = gr.Textbox(visible="hidden", elem_id="qb-cite-id")
    cite_open = gr.Button(visible="hidden", elem_id="qb-cite-open")
    return ChatParts(chatbot, question, send, clear, badge, notice, cites, related, panel, cite_id, cite_open,
                     gr.State(lambda: ChatState()))


def answer_updates(services, question: str, history: list, state: ChatState, llm, lang: str):
    """Stream one answer into the chat: yields (chatbot, question box, badge, notice, cites, related, state).

    With an LLM the question shows at once with a "searching" placeholder and chunks replace it
    as they arrive; the final ``Answer`` replaces the text with its linked, cited form.
    """
    from rag.conversation import Conversation
    from rag.retrieve import QueryError, check_query

    try:
        question = check_query(question, services.settings.max_query_chars)
        answerer = services.answerer(llm)
    except (QueryError, ValueError, ImportError) as exc:   # empty/too long, LLM settings, missing package
        raise gr.Error(str(exc)) from None
    history = list(history or []) + [{"role": "user", "content": question},
                                     {"role": "assistant", "content": f"*{t('thinking', lang)}*"}]
    keep = gr.update()
    if answerer.uses_llm:       # an LLM may take a while: show the question now (banks-only answers take ms)
        yield history, "", keep, keep, keep, keep, state
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
            notice = t("not_covered", lang) if answer.abstained else (
                t("closest_notice", lang) if answer.level == "closest" and answer.mode != "llm" and not answer.sides else "")
            if answer.notice:
                notice = f"{notice}\n\n{answer.notice}".strip()
            cite_rows = [[render.citation_row(c.n, c, lang)] for c in answer.citations]
            yield (history, "", render.badge_html(answer.mode, answer.abstained, lang, answer.level, answer.confidence),
                   f"> ⚠️ {notice}" if notice else "", gr.Dataset(samples=cite_rows),
                   gr.Dataset(samples=[[q] for q in state.related]), state)
    except Exception as exc:  # noqa: BLE001 - e.g. IndexUnavailable: the UI edge shows one clear line
        message = str(exc) if isinstance(exc, (QueryError, ValueError, OSError)) else f"{type(exc).__name__}: {exc}"
        history[-1] = {"role": "assistant", "content": f"⚠️ {message}"}
        yield history, question, keep, keep, keep, keep, state
        raise gr.Error(message) from None


def wire(p: ChatParts, ctx) -> None:
    services = ctx.services
    outputs = [p.chatbot, p.question, p.badge, p.notice, p.cites, p.related, p.state]

    def ask(question, history, state, llm, lang):
        yield from answer_updates(services, question, history, state, llm, lang)

    inputs = [p.question, p.chatbot, p.state, ctx.llm, ctx.lang]
    p.send.click(ask, inputs, outputs, api_name="ask", show_progress="minimal")
    p.question.submit(ask, inputs, outputs, api_visibility="private", show_progress="minimal")

    def ask_related(index, history, state, llm, lang):
        if index is None or not 0 <= index < len(state.related):
            return
        yield from answer_updates(services, state.related[index], history, state, llm, lang)

    p.related.click(ask_related, [p.related, p.chatbot, p.state, ctx.llm, ctx.lang], outputs,
                    api_visibility="private", show_progress="minimal")

    def open_cited(index, state, lang):
        if index is None or not 0 <= index < len(state.cited):
            return gr.update()
        return _item_panel(services, state.cited[index][1], lang)

    p.cites.click(open_cited, [p.cites, p.state, ctx.lang], [p.panel], api_visibility="private")
    p.cite_open.click(lambda item_id, lang: _item_panel(services, item_id, lang), [p.cite_id, ctx.lang], [p.panel],
                      api_name="open_item", api_visibility="undocumented")

    def new_chat(lang):
        return [], "", "", "", gr.Dataset(samples=[]), gr.Dataset(samples=[]), ChatState(), t("panel_empty", lang)

    p.clear.click(new_chat, [ctx.lang], outputs + [p.panel], api_visibility="private")
    p.chatbot.clear(lambda: ChatState(), None, p.state, api_visibility="private")   # the chat's own 🗑 button


def _item_panel(services, item_id: str, lang: str) -> str:
    item = services.item((item_id or "").strip())
    if item is None:
        raise gr.Error(f"no item with id {item_id!r}; the index may have been rebuilt — ask again")
    return render.item_markdown(item, lang)
