"""The chat of this browser's profile kept in the session log, so a reload shows it again and follow-ups still work.

Every answer is saved (the chat's change event), 新对话 and the chat's 🗑 forget it; on load the saved
messages and turns come back into the chat and its ``ChatState``.
"""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from ui.services import ChatState

HIDE = {"api_visibility": "private", "show_progress": "hidden"}


def save(services, messages, state: ChatState | None, profile) -> None:
    """Remember the conversation of ``profile`` (while an answer streams, the last change saved is the whole one)."""
    if not profile or state is None or not messages:
        return          # an empty chat is a page still loading (a relabel fires change too): 新对话 forgets it
    messages = [m if isinstance(m, dict) else _plain(m) for m in (messages or [])]
    try:
        services.log.save_conversation(profile, messages, [asdict(turn) for turn in state.turns])
    except (OSError, ValueError):
        pass            # the chat still works; it is just not remembered


def forget(services, profile) -> None:
    """新对话: the profile's saved conversation is dropped."""
    if profile:
        try:
            services.log.save_conversation(profile, [], [])
        except (OSError, ValueError):
            pass


def restore(services, profile, messages=None, state: ChatState | None = None, lang: str | None = None) -> tuple:
    """On load: the profile's saved conversation into the chat and its ``ChatState``.

    Without a saved one the chat on screen is kept (a question asked while the page was still
    loading, before the profile was known) and saved under the profile now.
    """
    from rag.followup import Turn

    if not profile:
        return gr.update(), gr.update()
    try:
        saved, turns = services.log.conversation(profile)
    except OSError:
        return gr.update(), gr.update()
    if not saved:
        save(services, messages, state, profile)
        return gr.update(), gr.update()
    if lang:        # saved in the language of the page that asked: the app's words in this page's
        from ui.relabel import relabel_messages

        saved = relabel_messages(saved, lang, services.item)
    return saved, ChatState(turns=[Turn(**turn) for turn in turns])


def _plain(message) -> dict:
    from dataclasses import is_dataclass

    if is_dataclass(message):
        return asdict(message)
    return message.model_dump() if hasattr(message, "model_dump") else dict(message)


def wire(chat, ctx) -> None:
    services = ctx.services
    chat.chatbot.change(lambda m, s, prof: save(services, m, s, prof), [chat.chatbot, chat.state, ctx.profile], None,
                        trigger_mode="always_last", **HIDE)
    for event in (chat.clear.click, chat.chatbot.clear):
        event(lambda prof: forget(services, prof), [ctx.profile], None, **HIDE)
    ctx.on_load.append((lambda prof, m, s, lang: restore(services, prof, m, s, lang),
                        [ctx.profile, chat.chatbot, chat.state, ctx.lang], [chat.chatbot, chat.state]))
