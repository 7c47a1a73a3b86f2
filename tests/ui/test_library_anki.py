"""The Library's Anki button: the real handler of the built app writes the questions the filters show as an .apkg."""

from __future__ import annotations

import sqlite3
import zipfile

import gradio as gr
import pytest

DOC = "深度学习基础面试题 33 问"


def notes_of(path) -> list[tuple[str, str, list[str]]]:
    """(guid, item id, tags) of every note in an .apkg (a zip holding Anki's collection.anki2, SQLite)."""
    with zipfile.ZipFile(path) as z:
        db = path.with_suffix(".anki2")
        db.write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(db) as conn:
        return [(g, f.split("\x1f")[4], t.split()) for g, f, t in conn.execute("SELECT guid, flds, tags FROM notes")]


@pytest.fixture(scope="module")
def app(corpus_settings):
    from ui.app import build_app
    from ui.services import Services

    services = Services(corpus_settings)
    demo = build_app(corpus_settings, services)
    for fn in demo.fns.values():
        for block_id, ev in fn.targets:
            if ev == "click" and getattr(demo.blocks.get(block_id), "elem_id", None) == "qb-lib-anki":
                return services, fn.fn
    raise LookupError("no click handler on #qb-lib-anki")


def test_the_button_exports_the_filtered_questions(app, tmp_path):
    from pathlib import Path

    services, export = app
    update = export(DOC, "", "", "zh")
    assert update["visible"] is True
    path = Path(update["value"])
    assert path.suffix == ".apkg" and path.exists()
    notes = notes_of(path)
    want = {it.id for it in services.items(DOC) if it.kind == "qa"}
    assert len(notes) == len(want) == 33 and {n[1] for n in notes} == want
    assert all("doc::dl_basics_qa" in n[2] for n in notes)
    # the text filter too; and the same question keeps its guid in the second export
    lstm = notes_of(Path(export("", "", "LSTM", "zh")["value"]))
    assert lstm and all("lstm" in services.item(i).question.lower() or "lstm" in i.lower() for _, i, _ in lstm)
    guids = {i: g for g, i, _ in notes}
    assert all(guids[i] == g for g, i, _ in lstm if i in guids)


def test_nothing_to_export_is_a_message_in_the_users_language(app):
    _, export = app
    with pytest.raises(gr.Error, match="没有符合当前筛选的题目可导出"):
        export(DOC, "", "不存在的题目xyz", "zh")
    with pytest.raises(gr.Error, match="No questions match the filters"):
        export(DOC, "", "no such question xyz", "en")
