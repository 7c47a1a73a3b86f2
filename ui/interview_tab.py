"""Mock interview tab (placeholder until rag.interview sessions land)."""

from __future__ import annotations

import gradio as gr

from ui.i18n import t


def build(ctx):
    return gr.Markdown(t("iv_idle", ctx.default_lang))


def wire(parts, ctx) -> None:
    return None
