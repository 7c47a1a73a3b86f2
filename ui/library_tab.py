"""Library tab: browse and filter every distinct question, open one (with its word-for-word copies), practise it
or ask about it, and upload banks (searchable when the upload ends)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from ingest.layout_choices import AUTO
from ingest.segment import LAYOUTS
from ingest.server_embed import EmbeddingServerError
from rag.library import distinct
from rag.uploads import ALLOWED_SUFFIXES
from ui import notices, render
from ui.i18n import TEXT, t, topic_label

COLUMNS = ("col_id", "col_question", "col_section", "col_topic", "col_where", "col_copies")
PREVIEW_QUESTIONS = 5     # questions listed per file in the upload preview


@dataclass
class LibraryParts:
    doc: gr.Dropdown
    topic: gr.Dropdown
    text: gr.Textbox
    count: gr.Markdown
    table: gr.Dataframe
    item: gr.Markdown
    practise: gr.Button
    ask: gr.Button
    notice: gr.Markdown
    selected: gr.State          # the id of the question opened in the item panel
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
    """The library table for ``items``, with headers in ``lang``: one row per distinct question, its copies
    counted in the last column (they are listed in the item)."""
    rows = [(e.item.id, e.item.question, render.section_of(e.item), topic_label(e.item.topic, lang),
             render.where(e.item, lang), f"+{len(e.copies)}" if e.copies else "") for e in distinct(list(items))]
    return pd.DataFrame(rows, columns=[t(c, lang) for c in COLUMNS])


def count_text(items, lang: str) -> str:
    """``共 152 题（21 道重复的题目已合并…）``: distinct questions, and how many copies were merged."""
    entries = distinct(list(items))
    merged = sum(len(e.copies) for e in entries)
    return t("lib_count_merged", lang, n=len(entries), d=merged) if merged else t("lib_count", lang, n=len(entries))


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
    mb = services.settings.ui.upload_max_mb
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
    count = gr.Markdown(count_text(items, lang), elem_id="qb-lib-count")
    from ui.library_anki import anki_row      # ⬇ the questions shown as an Anki deck (ui/library_anki.py)
    anki_row(ctx, doc, topic, text)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            # one line per row (the whole question opens beside it): about 20 rows in view
            tbl = L.add(gr.Dataframe(table(items, lang), label=t("lib_table", lang), interactive=False, wrap=False,
                                     elem_id="qb-lib-table", max_height=760, show_search="none",
                                     column_widths=["15%", "41%", "12%", "11%", "16%", "5%"]), label="lib_table")
        with gr.Column(scale=3):
            with gr.Row():
                practise = L.add(gr.Button(t("lib_practise", lang), elem_id="qb-lib-practise", interactive=False,
                                           size="sm"), value="lib_practise")
                ask = L.add(gr.Button(t("lib_ask", lang), elem_id="qb-lib-ask", interactive=False, size="sm"),
                            value="lib_ask")
            notice = gr.Markdown("", elem_id="qb-lib-notice")
            item = gr.Markdown(t("lib_item_empty", lang), elem_id="qb-lib-item", latex_delimiters=render.LATEX)
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
    return LibraryParts(doc, topic, text, count, tbl, item, practise, ask, notice, gr.State(""), files, preview, fix,
                        pick, marker, resplit, upload, upload_api, result, gr.State({}),
                        gr.BrowserState("", storage_key="qbank-upload-owner"))


def filtered(services, doc: str, topic: str, text: str, lang: str):
    """(count text, table) for the filters; ``text`` matches the question or the id, case-insensitively."""
    items = services.items(doc or None, topic or None)
    needle = (text or "").strip().lower()
    if needle:
        items = [it for it in items if needle in it.question.lower() or needle in it.id.lower()]
    return count_text(items, lang), table(items, lang)


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

    for trigger in (p.doc.change, p.topic.change):
        trigger(refresh, filters, [p.count, p.table], api_visibility="private", show_progress="hidden")
    # the text filter follows the typing (.change: an IME's committed text too, not only key presses):
    # one run at a time, and only the latest value waits behind it
    p.text.change(refresh, filters, [p.count, p.table], api_visibility="private", show_progress="hidden",
                  trigger_mode="always_last")
    ctx.after_lang.append((refresh, filters, [p.count, p.table]))

    def open_row(df: pd.DataFrame, lang, evt: gr.SelectData):
        if evt.row_value:
            item_id = str(evt.row_value[0])
        else:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            if df is None or row is None or not 0 <= row < len(df):
                return gr.update(), gr.update(), "", gr.update(), gr.update()
            item_id = str(df.iloc[row, 0])
        return item_view(item_id, lang)

    def item_view(item_id, lang):
        """(item panel, selected id, notice, practise button, ask button) for ``item_id``."""
        item = services.item(item_id) if item_id else None
        if item is None:
            message = notices.mistake("library.open", t("err_item_gone", lang, id=item_id)) if item_id else ""
            return t("lib_item_empty", lang), "", message, gr.update(interactive=False), gr.update(interactive=False)
        copies = [c for c in (services.item(d) for d in item.duplicates) if c is not None]
        on = gr.update(interactive=True)
        return render.item_markdown(item, lang, copies), item.id, "", on, on

    item_outputs = [p.item, p.selected, p.notice, p.practise, p.ask]
    p.table.select(open_row, [p.table, ctx.lang], item_outputs, api_visibility="private")
    ctx.after_lang.append((item_view, [p.selected, ctx.lang], item_outputs))    # the open item in the new language
    wire_actions(p, ctx)

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
            raise gr.Error(str(exc), print_exception=False) from None
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
            return (notices.mistake("library.resplit", t("lib_upload_none", lang)), gr.update(), gr.update(),
                    gr.update(), choices)
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
            notices.mistake("library.upload", t("lib_upload_none", "en"))
            raise gr.Error(t("lib_upload_none", lang), print_exception=False)
        progress(0.05, desc=t("lib_uploading", lang))
        files = chosen_files(paths)
        try:
            report = services.upload(files, {name: choices[name] for name, _ in files if name in (choices or {})},
                                     owner=owner)
        except ValueError as exc:        # an unknown layout name: nothing was stored
            raise gr.Error(str(exc), print_exception=False) from None
        except EmbeddingServerError as exc:    # the embedding server is down: the index and the banks are unchanged
            raise gr.Error(exc.localized(lang), print_exception=False) from None
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
        if not paths:       # nothing chosen: a notice where the result would be
            return [notices.mistake("library.upload", t("lib_upload_none", lang)),
                    *[gr.update()] * (len(outputs) - 1), token]
        return [*do_upload(paths, doc, topic, text, lang, choices, f"browser:{token}", progress), token]

    p.upload.click(do_upload_browser, [p.files, *filters, p.choices, p.owner], [*outputs, p.owner],
                   api_visibility="private", concurrency_limit=1, concurrency_id="upload")

    def do_upload_api(paths, doc, topic, text, lang, request: gr.Request, progress=gr.Progress()):
        # a script's uploads belong to its session (one gradio_client.Client)
        owner = f"session:{request.session_hash}" if request is not None and request.session_hash else ""
        return do_upload(paths, doc, topic, text, lang, None, owner, progress)

    p.upload_api.click(do_upload_api, [p.files, *filters], outputs, api_name="upload", concurrency_limit=1,
                       concurrency_id="upload")


def wire_actions(p: LibraryParts, ctx) -> None:
    """🎤 practise the selected question (a one-question interview) or 💬 ask about it (in the chat)."""
    services = ctx.services
    if ctx.tabs is None:
        return

    def practise(item_id, profile, previous, lang):
        from rag.interview.session import SessionConfig
        from ui.interview_events import start_session
        from ui.interview_tab import screen

        item = services.item(item_id or "")
        if item is None:
            return [gr.update(), notices.mistake("library.practise", t("lib_pick_first", lang)),
                    *[gr.update()] * len(iv_outputs)]
        config = SessionConfig(count=1, profile=(profile or "").strip() or services.settings.interview.profile, lang=lang,
                               items=(item.id,))
        state = start_session(services, config, previous).to_state()
        return [gr.Tabs(selected="interview"), "", *screen(services, state, lang)]

    from ui.interview_tab import screen_outputs

    iv = ctx.interview
    iv_outputs = screen_outputs(iv)
    p.practise.click(practise, [p.selected, iv.profile, iv.state, ctx.lang], [ctx.tabs, p.notice, *iv_outputs],
                     api_visibility="private")

    chat = ctx.chat

    def ask(item_id, history, state, llm, lang, view):
        from ui.chat_tab import answer_updates

        item = services.item(item_id or "")
        if item is None:
            yield [gr.update(), notices.mistake("library.ask", t("lib_pick_first", lang)), *[gr.update()] * 8]
            return
        yield [gr.Tabs(selected="chat"), "", *[gr.update()] * 7, view]
        for update in answer_updates(services, item.question, history, state, llm, lang, view):
            yield [gr.Tabs(selected="chat"), "", *update, view]     # every update keeps the chat tab in front

    p.ask.click(ask, [p.selected, chat.chatbot, chat.state, ctx.llm, ctx.lang, chat.view],
                [ctx.tabs, p.notice, chat.chatbot, chat.question, chat.badge, chat.notice, chat.cites, chat.related,
                 chat.state, chat.view], api_name="library_ask", api_visibility="private", show_progress="minimal")
