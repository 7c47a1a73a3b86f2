"""The qbank web app: chat, mock interview, library and settings tabs on one Gradio Blocks page.

``build_app(settings)`` lays the page out and wires it (each tab in its own module);
``launch()`` adds the queue and starts the server. Nothing here searches or grades:
handlers call into ``rag/`` through :class:`ui.services.Services`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # offline: no telemetry calls

import gradio as gr  # noqa: E402

from ingest.settings import Settings  # noqa: E402
from ui import (chat_memory, chat_tab, dashboard_tab, history_tab, interview_events, interview_tab,  # noqa: E402
                interview_view, library_tab, render, settings_tab)
from ui.i18n import Labels, pick_lang, t  # noqa: E402
from ui.services import Services, SessionLLM  # noqa: E402


@dataclass
class AppContext:
    """What the tabs share while the page is built: services, labels and the per-session states."""

    services: Services
    default_lang: str
    labels: Labels = field(default_factory=Labels)
    lang: gr.State | None = None
    llm: gr.State | None = None
    doc_pickers: list = field(default_factory=list)     # components whose choices are the documents
    topic_pickers: list = field(default_factory=list)   # components whose choices are the topics
    after_lang: list = field(default_factory=list)      # (fn, inputs, outputs) to re-run on a language switch
    tabs: gr.Tabs | None = None         # the page's tabs, chat and interview parts: the library's actions use them
    chat: object | None = None
    interview: object | None = None
    profile: gr.BrowserState | None = None              # this browser's interview profile (remembered across reloads)
    draft: gr.BrowserState | None = None                # the interview answer being typed (kept across reloads)
    on_load: list = field(default_factory=list)         # (fn, inputs, outputs) to run once the page is loaded


def build_app(settings: Settings, services: Services | None = None) -> gr.Blocks:
    """Build the whole page for ``settings`` (the index must exist: ``qbank serve`` builds it first)."""
    services = services or Services(settings)
    lang0 = pick_lang(None, settings.ui.language)
    ctx = AppContext(services, lang0)
    L = ctx.labels
    with gr.Blocks(title="qbank", analytics_enabled=False) as demo:
        ctx.lang = gr.State(lang0)
        ctx.llm = gr.State(lambda: SessionLLM.default(settings))
        # browser states outside the tabs: one inside a tab not yet opened is not read from the browser on load
        secret = interview_view.browser_secret(settings.home)
        ctx.profile = gr.BrowserState(None, storage_key=interview_view.PROFILE_KEY, secret=secret)
        ctx.draft = gr.BrowserState(None, storage_key=interview_view.DRAFT_KEY, secret=secret)
        with gr.Row(equal_height=True):
            with gr.Column(scale=5):
                L.add(gr.Markdown(t("title", lang0)), value="title")
                L.add(gr.Markdown(t("subtitle", lang0)), value="subtitle")
            switch = L.add(gr.Radio([("中文", "zh"), ("English", "en")], value=lang0, label=t("language", lang0),
                                    elem_id="qb-lang", scale=1, min_width=180), label="language")
        with gr.Tabs(elem_id="qb-tabs") as ctx.tabs:
            with L.add(gr.Tab(t("tab_chat", lang0), id="chat", elem_id="qb-tab-chat"), label="tab_chat"):
                chat = chat_tab.build(ctx)
            with L.add(gr.Tab(t("tab_interview", lang0), id="interview", elem_id="qb-tab-interview"),
                       label="tab_interview") as interview_page:
                interview = interview_tab.build(ctx)
            with L.add(gr.Tab(t("tab_history", lang0), id="history", elem_id="qb-tab-history"),
                       label="tab_history") as history_page:
                history = history_tab.build(ctx)
            with L.add(gr.Tab(t("tab_dashboard", lang0), id="dashboard", elem_id="qb-tab-dashboard"),
                       label="tab_dashboard") as dashboard_page:
                dashboard = dashboard_tab.build(ctx)
            with L.add(gr.Tab(t("tab_library", lang0), id="library", elem_id="qb-tab-library"), label="tab_library"):
                library = library_tab.build(ctx)
            with L.add(gr.Tab(t("tab_settings", lang0), id="settings", elem_id="qb-tab-settings"),
                       label="tab_settings"):
                settings_parts = settings_tab.build(ctx)
        ctx.chat, ctx.interview = chat, interview
        chat_tab.wire(chat, ctx)
        interview_events.wire(interview, ctx)
        chat_memory.wire(chat, ctx)
        history_tab.wire(history, history_page, interview, ctx)
        dashboard_tab.wire(dashboard, dashboard_page, ctx)
        # banks another session uploaded show up when this one opens the interview tab
        interview_page.select(lambda: interview_tab.choice_updates(services), None, [interview.docs, interview.topics],
                              api_visibility="private", show_progress="hidden")
        library_tab.wire(library, ctx)
        settings_tab.wire(settings_parts, ctx)
        _wire_language(demo, switch, ctx)
    return demo


def _wire_language(demo: gr.Blocks, switch: gr.Radio, ctx: AppContext) -> None:
    """``?lang=en`` on load, or the switch, relabels every registered component for this session only."""
    mb = ctx.services.settings.ui.upload_max_mb
    relabel_outputs = ctx.labels.components

    def on_load(request: gr.Request):
        lang = pick_lang((request.query_params or {}).get("lang") if request else None, ctx.default_lang)
        return [lang, *ctx.labels.updates(lang, mb=mb)]

    def on_switch(lang):
        lang = pick_lang(lang, ctx.default_lang)
        return [lang, *ctx.labels.updates(lang, mb=mb)]

    # the switch itself is relabelled too; its value is set by the load event (registered last in outputs)
    loaded = demo.load(on_load, None, [ctx.lang, *relabel_outputs], api_visibility="private", show_progress="hidden")
    loaded = loaded.then(lambda lang: lang, ctx.lang, switch, api_visibility="private", show_progress="hidden")
    switched = switch.input(on_switch, switch, [ctx.lang, *relabel_outputs], api_visibility="private",
                            show_progress="hidden")
    for fn, inputs, outputs in ctx.on_load:      # after the language: restored text is in the page's language
        loaded = loaded.then(fn, inputs, outputs, api_visibility="private", show_progress="hidden")
    for fn, inputs, outputs in ctx.after_lang:
        loaded.then(fn, inputs, outputs, api_visibility="private", show_progress="hidden")
        switched.then(fn, inputs, outputs, api_visibility="private", show_progress="hidden")
    for event in (loaded, switched):    # Gradio's own texts (upload area, buttons) in the page's language too
        event.then(None, switch, None, js="(lang) => { window.qbSetLocale && window.qbSetLocale(lang); }")


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
           block: bool = True) -> gr.Blocks:
    """Warm the index and models, build the app, enable the queue and serve it.

    Args:
        settings: server defaults (each browser session may change its LLM settings).
        host: bind address; loopback unless told otherwise.
        port: TCP port.
        auth: ``(user, password)`` to require a login, or None.
        block: wait until the server stops (False returns once it is up, for tests).
    """
    from ui.tmpfiles import start_janitor, use_home_tmp

    start_janitor(use_home_tmp(settings.home), settings.ui.tmp_max_age_s)   # reports, received uploads: cleaned
    services = Services(settings)
    services.warm_up()
    demo = build_app(settings, services)
    demo.queue(default_concurrency_limit=settings.ui.ui_concurrency, max_size=256)
    from ui.chat_api import api_routes

    app_kwargs, throttle = {}, None
    if auth:   # failed logins counted per address and over all of them (ui/login_throttle.py)
        from starlette.middleware import Middleware

        from ui.login_throttle import LoginThrottle, LoginThrottleMiddleware

        throttle = LoginThrottle.from_settings(settings)
        app_kwargs["middleware"] = [Middleware(LoginThrottleMiddleware, throttle=throttle)]
    # the OpenAI-compatible chat API on the same port, ahead of Gradio's routes; the login's password is its key
    app_kwargs["routes"] = api_routes(services, auth[1] if auth else None, throttle)
    demo.launch(server_name=host, server_port=port, auth=auth, auth_message=_login_message(settings) if auth else None,
                max_file_size=f"{settings.ui.upload_max_mb}mb", show_error=True, quiet=False, ssr_mode=False,
                mcp_server=False, css=render.CSS, head=render.HEAD + interview_view.HEAD, footer_links=["api"],
                prevent_thread_lock=not block, favicon_path=None, pwa=False, app_kwargs=app_kwargs)
    return demo


def _login_message(settings: Settings) -> str:
    from ui.login_throttle import login_rule

    return login_rule(settings)


if __name__ == "__main__":
    launch(Settings.load())
