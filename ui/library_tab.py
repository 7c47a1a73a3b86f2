"""Library tab: browse and filter every question, open one, and upload banks (searchable when the upload ends)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from ingest.layout_choices import AUTO
from ingest.segment import LAYOUTS
from rag.uploads import ALLOWED_SUFFIXES
from ui import render
from ui.i18n import TEXT, t

COLUMNS = ("col_id", "col_question", "col_section", "col_topic", "col_where")
PREVIEW_QUESTIONS = 5     # questions listed per file in the upload preview


@dataclass
class LibraryParts:
    doc: gr.Dropdown
    topic: gr.Dropdown
    text: gr.Textbox
    count: gr.Markdown
    table: gr.Dataframe
    item: gr.Markdown
    files: gr.File
    preview: gr.Markdown
    fix: gr.Row
    pick: gr.Dropdown
    marker: gr.Dropdown
    resplit: gr.Button
    upload: gr.Button
    upload_api: gr.Button
    result: gr.Markdown
    choices: gr.State
    owner: gr.BrowserState      # this browser's upload token: its banks are replaced only by its own uploads


def table(items, lang: str) -> pd.DataFrame:
    """The library table for ``items``, with headers in ``lang``."""
    rows = [(it.id, it.question, render.section_of(it), it.topic, render.where(it, lang)) for it in items]
    return pd.DataFrame(rows, columns=[t(c, lang) for c in COLUMNS])


def layout_choices(lang: str) -> list[tuple[str, str]]:
    """The question markers to pick in the upload preview: automatic, then every layout, in ``lang``."""
    return [(t("layout_auto", lang), AUTO)] + [(layout_label(name, lang), name) for name in LAYOUTS]


def layout_label(name: str, lang: str) -> str:
    key = f"layout_{name}"
    return t(key, lang) if key in TEXT else LAYOUTS.get(name, name)


def doubt_text(split, lang: str) -> str:
    """Why a file's split looks doubtful, in ``lang``; "" when it does not."""
    if not split.doubt:
        return ""
    questions = sum(it.kind == "qa" for it in split.items)
    if split.doubt in ("few_items", "dominant_answer", "only_sections"):
        return t(f"doubt_{split.doubt}", lang, n=questions if split.doubt == "few_items" else len(split.items),
                 m=split.lines)
    return t("doubt_other", lang, code=split.doubt)


def _inline(text: str) -> str:
    """A title shown in a list item: a leading ``1.`` / ``-`` / ``#`` is not read as markup of its own."""
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", re.sub(r"^([-+*#>])", r"\\\1", text))


def preview_markdown(previews, lang: str) -> str:
    """Per chosen file: how many items, the first questions, the question marker used, any doubt (or why refused)."""
    if not previews:
        return ""
    out = [t("lib_preview_title", lang)]
    for pv in previews:
        if pv.split is None:
            out += ["", "- " + t("lib_upload_err", lang, name=repr(pv.original) if "\x00" in pv.original else pv.original,
                                  reason=pv.error)]
            continue
        sp = pv.split
        layout = layout_label(sp.layout, lang) + (t("lib_preview_forced", lang) if sp.forced else "")
        only_sections = bool(sp.items) and all(it.kind == "section" for it in sp.items)
        head = "lib_preview_file_sections" if only_sections else "lib_preview_file"
        out += ["", t(head, lang, name=pv.original, n=len(sp.items), layout=layout)]
        why = doubt_text(sp, lang)
        if why:
            out += ["", f"⚠️ {why}"]
        out.append("")
        for it in sp.items[:PREVIEW_QUESTIONS]:
            number = f"**{it.number}.** " if it.number is not None else ""
            section = f" <sub>· {render.section_of(it)}</sub>" if render.section_of(it) else ""
            out.append(f"- {number}{_inline(it.question)}{section}")
        if len(sp.items) > PREVIEW_QUESTIONS:
            out.append(f"- {t('lib_preview_more', lang, n=len(sp.items) - PREVIEW_QUESTIONS)}")
    if any(pv.split is not None for pv in previews):
        out += ["", f"<sub>{t('lib_preview_hint', lang)}</sub>"]
    return "\n".join(out)


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
                                     column_widths=["17%", "36%", "13%", "11%", "23%"]), label="lib_table")
        with gr.Column(scale=2):
            item = L.add(gr.Markdown(t("lib_item_empty", lang), elem_id="qb-lib-item", latex_delimiters=render.LATEX),
                         value="lib_item_empty")
    with gr.Group():
        files = L.add(gr.File(label=t("lib_upload", lang, mb=mb), file_count="multiple", type="filepath",
                              file_types=list(ALLOWED_SUFFIXES), elem_id="qb-upload-files", height=140),
                      label="lib_upload")
        # before indexing: how each chosen file would be split, and the question marker to force
        preview = gr.Markdown("", elem_id="qb-upload-preview")
        with gr.Row(visible=False, equal_height=True) as fix:
            pick = L.add(gr.Dropdown([], label=t("lib_preview_pick", lang), elem_id="qb-preview-file", visible=False,
                                     scale=2), label="lib_preview_pick")
            marker = L.add(gr.Dropdown(layout_choices(lang), value=AUTO, label=t("lib_marker", lang),
                                       elem_id="qb-preview-layout", scale=2), label="lib_marker",
                           choices=layout_choices)
            resplit = L.add(gr.Button(t("lib_resplit", lang), elem_id="qb-preview-resplit", scale=1),
                            value="lib_resplit")
        upload = L.add(gr.Button(t("lib_upload_btn", lang), variant="primary", elem_id="qb-upload-btn"),
                       value="lib_upload_btn")
        # the scriptable /upload endpoint (gradio_client, tests): the same upload without the preview's choices
        upload_api = gr.Button(visible=False, elem_id="qb-upload-api")
        result = gr.Markdown("", elem_id="qb-upload-result")
    return LibraryParts(doc, topic, text, count, tbl, item, files, preview, fix, pick, marker, resplit, upload,
                        upload_api, result, gr.State({}), gr.BrowserState("", storage_key="qbank-upload-owner"))


def filtered(services, doc: str, topic: str, text: str, lang: str):
    """(count text, table) for the filters; ``text`` matches the question or the id, case-insensitively."""
    items = services.items(doc or None, topic or None)
    needle = (text or "").strip().lower()
    if needle:
        items = [it for it in items if needle in it.question.lower() or needle in it.id.lower()]
    return t("lib_count", lang, n=len(items)), table(items, lang)


def upload_summary(report, lang: str) -> str:
    """Per-file lines for the upload result: what was added (a warning instead of ✅ when its split looks
    doubtful), and each refused file with its reason."""
    lines = []
    for s in report.added:
        n = report.new_items.get(s.path.name, 0)
        split = report.splits.get(s.path.name)
        why = doubt_text(split, lang) if split is not None else ""
        line = (t("lib_upload_doubt", lang, name=s.original, n=n, why=why) if why
                else t("lib_upload_ok", lang, name=s.original, n=n))
        if s.wanted:     # its name was another bank's: kept beside it, never over it
            line += t("lib_upload_renamed", lang, stored=s.path.name, wanted=s.wanted)
        lines.append(line)
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

    def chosen_files(paths) -> list[tuple[str, str]]:
        return [(Path(p).name, p) for p in (paths if isinstance(paths, list) else [paths])] if paths else []

    def show_preview(paths, choices, pick, lang):
        """(preview, fix row, file picker, marker, choices) for the chosen files and their markers."""
        files = chosen_files(paths)
        if not files:
            return "", gr.update(visible=False), gr.update(choices=[], value=None, visible=False), AUTO, {}
        names = [name for name, _ in files]
        # a file keeps the marker picked for it; a new one starts from the choice remembered for its name
        choices = {name: (choices or {}).get(name) or services.remembered_layout(name) or AUTO for name in names}
        try:
            previews = services.preview(files, choices)
        except ValueError as exc:        # an unknown layout name (not one of the marker's choices)
            raise gr.Error(str(exc)) from None
        pick = pick if pick in names else names[0]
        return (preview_markdown(previews, lang), gr.update(visible=True),
                gr.update(choices=names, value=pick, visible=len(names) > 1), choices[pick], choices)

    p.files.change(show_preview, [p.files, p.choices, p.pick, ctx.lang], [p.preview, p.fix, p.pick, p.marker, p.choices],
                   api_visibility="private", show_progress="minimal")

    def on_pick(pick, choices):
        return (choices or {}).get(pick, AUTO)

    p.pick.input(on_pick, [p.pick, p.choices], [p.marker], api_visibility="private", show_progress="hidden")

    def resplit(paths, pick, marker, choices, lang):
        files = chosen_files(paths)
        if not files:
            raise gr.Error(t("lib_upload_none", lang))
        names = [name for name, _ in files]
        target = pick if pick in names else names[0]
        choices = {**(choices or {}), target: marker or AUTO}
        return show_preview(paths, choices, target, lang)

    p.resplit.click(resplit, [p.files, p.pick, p.marker, p.choices, ctx.lang],
                    [p.preview, p.fix, p.pick, p.marker, p.choices], api_visibility="private",
                    show_progress="minimal")
    ctx.after_lang.append((lambda paths, choices, pick, lang: show_preview(paths, choices, pick, lang)[0],
                           [p.files, p.choices, p.pick, ctx.lang], [p.preview]))   # the preview in the new language

    def do_upload(paths, doc, topic, text, lang, choices=None, owner="", progress=gr.Progress()):
        if not paths:
            raise gr.Error(t("lib_upload_none", lang))
        progress(0.05, desc=t("lib_uploading", lang))
        files = chosen_files(paths)
        try:
            report = services.upload(files, {name: choices[name] for name, _ in files if name in (choices or {})},
                                     owner=owner)
        except ValueError as exc:        # an unknown layout name: nothing was stored
            raise gr.Error(str(exc)) from None
        progress(1.0)
        count, tbl = filtered(services, doc, topic, text, lang)
        docs = gr.Dropdown(choices=_choices(services.docs(), lang))
        topics = gr.Dropdown(choices=_choices(services.topics(), lang))
        # every other tab's document / topic pickers (the interview set-up) list the new bank at once
        extra = [gr.update(choices=services.docs()) for _ in ctx.doc_pickers]
        extra += [gr.update(choices=services.topic_choices()) for _ in ctx.topic_pickers]
        return [upload_summary(report, lang), None, count, tbl, docs, topics, *extra]

    outputs = [p.result, p.files, p.count, p.table, p.doc, p.topic, *ctx.doc_pickers, *ctx.topic_pickers]

    def do_upload_browser(paths, doc, topic, text, lang, choices, token, progress=gr.Progress()):
        # the first upload of a browser gives it a token, kept in its localStorage
        token = token if isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}", token) else secrets.token_hex(16)
        return [*do_upload(paths, doc, topic, text, lang, choices, f"browser:{token}", progress), token]

    p.upload.click(do_upload_browser, [p.files, *filters, p.choices, p.owner], [*outputs, p.owner],
                   api_visibility="private", concurrency_limit=1, concurrency_id="upload")

    def do_upload_api(paths, doc, topic, text, lang, request: gr.Request, progress=gr.Progress()):
        # a script's uploads belong to its session (one gradio_client.Client)
        owner = f"session:{request.session_hash}" if request is not None and request.session_hash else ""
        return do_upload(paths, doc, topic, text, lang, None, owner, progress)

    p.upload_api.click(do_upload_api, [p.files, *filters], outputs, api_name="upload", concurrency_limit=1,
                       concurrency_id="upload")
