"""The Library's Anki export: a button that writes the questions shown (the filters) as an ``.apkg`` to download.

The deck itself is built by :mod:`rag.anki` (no Gradio there); this module only adds the button and
the file to the Library tab and turns the filters into the items to export.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from ui.i18n import t


def deck_file(services, doc: str, topic: str, text: str, lang: str) -> tuple[Path, str]:
    """Write the Library's filtered questions (document, topic, text in the question or id) as an Anki package.

    Returns:
        ``(path of the .apkg under $QBANK_HOME/tmp, a one-line summary in lang)``.

    Raises:
        ValueError: no question matches the filters (the message in ``lang``).
    """
    from rag.anki import export_apkg

    items = [it for it in services.items(doc or None, topic or None) if it.kind == "qa"]
    needle = (text or "").strip().lower()
    if needle:
        items = [it for it in items if needle in it.question.lower() or needle in it.id.lower()]
    if not items:
        raise ValueError(t("lib_anki_none", lang))
    folder = Path(tempfile.mkdtemp(prefix="qbank-anki-"))
    done = export_apkg(items, folder / "qbank.apkg")
    return done.path, t("lib_anki_done", lang, n=done.notes, d=len(done.decks))


def anki_row(ctx, doc: gr.Dropdown, topic: gr.Dropdown, text: gr.Textbox) -> tuple[gr.Button, gr.File]:
    """The export button and its download (built where it is called in the Library's layout), wired to the filters."""
    L, lang = ctx.labels, ctx.default_lang
    with gr.Row(equal_height=True):
        button = L.add(gr.Button(t("lib_anki_btn", lang), elem_id="qb-lib-anki", size="sm", scale=1),
                       value="lib_anki_btn")
        file = L.add(gr.File(label=t("lib_anki_file", lang), elem_id="qb-lib-anki-file", interactive=False,
                             visible=False, scale=3), label="lib_anki_file")

    def export(doc_value, topic_value, text_value, lang_value):
        try:
            path, summary = deck_file(ctx.services, doc_value, topic_value, text_value, lang_value)
        except ValueError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        gr.Info(summary)
        return gr.update(value=str(path), visible=True)

    button.click(export, [doc, topic, text, ctx.lang], [file], api_visibility="private", show_progress="minimal")
    return button, file
