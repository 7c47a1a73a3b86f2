"""Library tab: browse and filter every question, open one, and upload banks (searchable when the upload ends)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from rag.uploads import ALLOWED_SUFFIXES
from ui import render
from ui.i18n import t

COLUMNS = ("col_id", "col_question", "col_topic", "col_where")


@dataclass
class LibraryParts:
    doc: gr.Dropdown
    topic: gr.Dropdown
    text: gr.Textbox
    count: gr.Markdown
    table: gr.Dataframe
    item: gr.Markdown
    files: gr.File
    upload: gr.Button
    result: gr.Markdown


def table(items, lang: str) -> pd.DataFrame:
    """The library table for ``items``, with headers in ``lang``."""
    rows = [(it.id, it.question, it.topic, render.where(it, lang)) for it in items]
    return pd.DataFrame(rows, columns=[t(c, lang) for c in COLUMNS])


def _choices(values: list[str], lang: str) -> list[tuple[str, str]]:
    return [(t("lib_all", lang), "")] + [(v, v) for v in values]


def build(ctx) -> LibraryParts:
    lang, L, services = ctx.default_lang, ctx.labels, ctx.services
    mb = services.settings.upload_max_mb
    items = services.all_items()
    with gr.Row():
        doc = L.add(gr.Dropdown(_choices(services.docs(), lang), value="", label=t("lib_filter_doc", lang),
                                elem_id="qb-lib-doc", scale=2), label="lib_filter_doc",
                choices=lambda lg: _choices(services.docs(), lg))
        topic = L.add(gr.Dropdown(_choices(services.topics(), lang), value="", label=t("lib_filter_topic", lang),
                                  elem_id="qb-lib-topic", scale=1), label="lib_filter_topic",
                  choices=lambda lg: _choices(services.topics(), lg))
        text = L.add(gr.Textbox(label=t("lib_filter_text", lang), elem_id="qb-lib-text", scale=2),
                     label="lib_filter_text")
    count = gr.Markdown(t("lib_count", lang, n=len(items)), elem_id="qb-lib-count")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            tbl = L.add(gr.Dataframe(table(items, lang), label=t("lib_table", lang), interactive=False, wrap=True,
                                     elem_id="qb-lib-table", max_height=520,
                                     column_widths=["20%", "44%", "12%", "24%"]), label="lib_table")
        with gr.Column(scale=2):
            item = L.add(gr.Markdown(t("lib_item_empty", lang), elem_id="qb-lib-item", latex_delimiters=render.LATEX),
                         value="lib_item_empty")
    with gr.Group():
        files = L.add(gr.File(label=t("lib_upload", lang, mb=mb), file_count="multiple", type="filepath",
                              file_types=list(ALLOWED_SUFFIXES), elem_id="qb-upload-files", height=140),
                      label="lib_upload")
        upload = L.add(gr.Button(t("lib_upload_btn", lang), variant="primary", elem_id="qb-upload-btn"),
                       value="lib_upload_btn")
        result = gr.Markdown("", elem_id="qb-upload-result")
    return LibraryParts(doc, topic, text, count, tbl, item, files, upload, result)


def filtered(services, doc: str, topic: str, text: str, lang: str):
    """(count text, table) for the filters; ``text`` matches the question or the id, case-insensitively."""
    items = services.items(doc or None, topic or None)
    needle = (text or "").strip().lower()
    if needle:
        items = [it for it in items if needle in it.question.lower() or needle in it.id.lower()]
    return t("lib_count", lang, n=len(items)), table(items, lang)


def upload_summary(report, lang: str) -> str:
    """Per-file lines for the upload result: what was added, and each refused file with its reason."""
    lines = [t("lib_upload_ok", lang, name=s.original, n=report.new_items.get(s.path.name, 0)) for s in report.added]
    lines += [t("lib_upload_err", lang, name=repr(name) if "\x00" in name else name, reason=reason)
              for name, reason in report.errors]
    if report.added and report.items:
        lines.append(t("lib_upload_total", lang, n=report.items))
    return "\n".join(f"- {ln}" for ln in lines)


def wire(p: LibraryParts, ctx) -> None:
    services = ctx.services
    filters = [p.doc, p.topic, p.text, ctx.lang]

    def refresh(doc, topic, text, lang):
        return filtered(services, doc, topic, text, lang)

    for trigger in (p.doc.change, p.topic.change, p.text.submit, p.text.blur):
        trigger(refresh, filters, [p.count, p.table], api_visibility="private", show_progress="hidden")
    ctx.after_lang.append((refresh, filters, [p.count, p.table]))

    def open_row(df: pd.DataFrame, lang, evt: gr.SelectData):
        if evt.row_value:
            item_id = str(evt.row_value[0])
        else:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            if df is None or row is None or not 0 <= row < len(df):
                return gr.update()
            item_id = str(df.iloc[row, 0])
        item = services.item(item_id)
        if item is None:
            raise gr.Error(f"no item with id {item_id!r}; refresh the page")
        return render.item_markdown(item, lang)

    p.table.select(open_row, [p.table, ctx.lang], [p.item], api_visibility="private")

    def do_upload(paths, doc, topic, text, lang, progress=gr.Progress()):
        if not paths:
            raise gr.Error(t("lib_upload_none", lang))
        progress(0.05, desc=t("lib_uploading", lang))
        files = [(Path(p).name, p) for p in (paths if isinstance(paths, list) else [paths])]
        report = services.upload(files)
        progress(1.0)
        count, tbl = filtered(services, doc, topic, text, lang)
        docs = gr.Dropdown(choices=_choices(services.docs(), lang))
        topics = gr.Dropdown(choices=_choices(services.topics(), lang))
        # every other tab's document / topic pickers (the interview set-up) list the new bank at once
        extra = [gr.update(choices=services.docs()) for _ in ctx.doc_pickers]
        extra += [gr.update(choices=services.topics()) for _ in ctx.topic_pickers]
        return [upload_summary(report, lang), None, count, tbl, docs, topics, *extra]

    p.upload.click(do_upload, [p.files, *filters],
                   [p.result, p.files, p.count, p.table, p.doc, p.topic, *ctx.doc_pickers, *ctx.topic_pickers],
                   api_name="upload", concurrency_limit=1, concurrency_id="upload")
