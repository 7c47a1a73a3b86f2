"""Settings tab: this session's LLM backend, model, base URL and API key, and a connection test.

The API key box is a password field that is emptied as soon as the key is applied: the key
lives only in this session's ``gr.State`` (server memory), is never sent back to the
browser, never written to disk and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import notices
from ui.i18n import t
from ui.answer_text import llm_error_text
from ui.services import SessionLLM, test_connection

BACKENDS = ("none", "openai", "ollama", "local")
MODEL_EXAMPLES = {"openai": "deepseek-chat", "ollama": "qwen2.5:7b", "local": "/models/Qwen2.5-0.5B-Instruct"}


@dataclass
class SettingsParts:
    backend: gr.Radio
    model: gr.Textbox
    base_url: gr.Textbox
    api_key: gr.Textbox
    apply: gr.Button
    test: gr.Button
    status: gr.Markdown


def backend_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"set_backend_{b}", lang), b) for b in BACKENDS]


def build(ctx) -> SettingsParts:
    lang, L = ctx.default_lang, ctx.labels
    s = ctx.services.settings
    L.add(gr.Markdown(t("set_intro", lang)), value="set_intro")
    backend = L.add(gr.Radio(backend_choices(lang), value=s.llm.backend.value if s.llm.backend.value in BACKENDS else "none",
                             label=t("set_backend", lang), elem_id="qb-set-backend"), label="set_backend",
                    choices=backend_choices)
    with gr.Row():
        model = L.add(gr.Textbox(s.llm.model, label=t("set_model", lang), elem_id="qb-set-model",
                                 placeholder="deepseek-chat / qwen2.5:7b / /path/to/model"), label="set_model")
        base_url = L.add(gr.Textbox(s.llm.base_url, label=t("set_base_url", lang), elem_id="qb-set-base-url",
                                    placeholder="http://127.0.0.1:11434/v1"), label="set_base_url")
    api_key = L.add(gr.Textbox("", type="password", label=t("set_api_key", lang), placeholder=t("set_api_key_ph", lang),
                               elem_id="qb-set-api-key"), label="set_api_key")
    with gr.Row():
        apply = L.add(gr.Button(t("set_save", lang), variant="primary", elem_id="qb-set-apply"), value="set_save")
        test = L.add(gr.Button(t("set_test", lang), elem_id="qb-set-test"), value="set_test")
    status = gr.Markdown("", elem_id="qb-set-status")
    return SettingsParts(backend, model, base_url, api_key, apply, test, status)


def session_llm(current: SessionLLM, backend: str, model: str, base_url: str, api_key: str) -> SessionLLM:
    """The session's new LLM settings; an empty key box keeps the key already set."""
    key = (api_key or "").strip() or current.api_key
    return SessionLLM.chosen(backend, (model or "").strip(), (base_url or "").strip(), key if backend == "openai" else "",
                             base=current.llm)


def llm_problem(llm: SessionLLM, lang: str, exc: Exception | None = None, server_key: bool = False) -> str:
    """What to fix in this page's fields for ``llm``, in ``lang`` (never an environment variable).

    Args:
        llm: the session's LLM settings.
        lang: ``zh`` or ``en``.
        exc: the error the LLM layer raised, if any: shown as is when no field explains it.
        server_key: the server has an API key of its own (its environment) that this session may use.
    """
    if llm.backend in MODEL_EXAMPLES and not llm.model:
        return t("set_need_model", lang, example=MODEL_EXAMPLES[llm.backend])
    if llm.backend == "openai" and not llm.base_url and not llm.api_key and not server_key:
        return t("set_need_key", lang)
    if isinstance(exc, ImportError):
        return t("set_missing_package", lang, why=exc)
    return str(exc) if exc is not None else ""


def wire(p: SettingsParts, ctx) -> None:
    services = ctx.services
    fields = [ctx.llm, p.backend, p.model, p.base_url, p.api_key, ctx.lang]

    def server_key() -> bool:
        import os

        return bool(os.environ.get(services.settings.llm.api_key_env))

    def apply(current, backend, model, base_url, api_key, lang):
        from rag.llm import check_llm_settings

        llm = session_llm(current, backend, model, base_url, api_key)
        problem = llm_problem(llm, lang, server_key=server_key())
        if not problem:   # fail now, naming the field to fix, rather than at the first question
            try:
                check_llm_settings(services.settings_for(llm), llm.api_key or None)
            except ValueError as exc:
                problem = llm_problem(llm, lang, exc, server_key())
        if problem:
            return current, gr.update(), notices.mistake("settings.apply", t("set_invalid", lang, why=problem))
        placeholder = t("set_api_key_kept", lang) if llm.api_key else t("set_api_key_ph", lang)
        label = dict((v, k) for k, v in backend_choices(lang))[llm.backend]
        return llm, gr.update(value="", placeholder=placeholder), t("set_saved", lang, backend=label)

    p.apply.click(apply, fields, [ctx.llm, p.api_key, p.status], api_visibility="private")

    def test(current, backend, model, base_url, api_key, lang):
        llm = session_llm(current, backend, model, base_url, api_key)
        if llm.backend == "none":
            return t("set_test_none", lang)
        ok, reply, ms = test_connection(services, llm)
        return t("set_test_ok", lang, ms=ms, reply=reply) if ok else t("set_test_fail", lang, error=llm_error_text(reply, lang))

    p.test.click(test, fields, [p.status], api_visibility="private", concurrency_limit=4,
                 concurrency_id="llm-test")
