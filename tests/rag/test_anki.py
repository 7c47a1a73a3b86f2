"""The Anki exporter on literal items: the package is a zip holding Anki's collection database with the notes,
their fields and tags; ids stay the same across exports (and across a renumbered bank); filters."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from dataclasses import replace

import pytest

from ingest.items import QAItem
from rag.anki import MODEL_ID, UnknownFilter, export_apkg, note_guid, select, tags


def _item(n, question, answer="答案。", file="rec.md", doc="推荐系统面试题", topic="推荐", section="1 召回 › 1.1 基本概念",
          key_points=("第一点", "第二点")):
    return QAItem(id=f"{file.split('.')[0]}-{n}", doc=doc, file=file, number=n, question=question, answer=answer,
                  lines=(10 * n, 10 * n + 8), topic=topic, section=section, key_points=key_points)


ITEMS = [
    _item(1, "什么是召回？", "召回是从**海量**物品中选出候选。\n\n公式 $$s = u \\cdot v$$ 其中 $u_i$ 是用户向量。"),
    _item(2, "双塔模型的缺点？", "```python\nprice = '$5'\n```\n\n交互太晚。", topic="深度学习"),
    _item(3, "What is <recall@k>?", "Top-k hits / relevant.", file="metrics.md", doc="Metrics", topic="Evaluation metrics",
          section="", key_points=()),
    QAItem(id="notes-1", doc="Notes", file="notes.md", number=None, question="笔记", answer="……", lines=(1, 3),
           kind="section"),
]


def read_apkg(path):
    """(notes, models, decks) of an .apkg: it is a zip holding collection.anki2, an SQLite database."""
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        db = path.parent / (path.stem + ".anki2")
        db.write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(db) as conn:
        notes = [{"guid": g, "mid": mid, "tags": t.split(), "fields": f.split("\x1f"), "sort": s}
                 for g, mid, t, f, s in conn.execute("SELECT guid, mid, tags, flds, sfld FROM notes ORDER BY id")]
        models, decks = (json.loads(x) for x in conn.execute("SELECT models, decks FROM col").fetchone())
        cards = conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    assert cards == len(notes)
    return notes, models, decks


def test_a_package_holds_one_note_per_question_with_answer_key_points_source_and_tags(tmp_path):
    done = export_apkg(ITEMS, tmp_path / "deck.apkg")
    assert done.notes == 3 and done.path.exists()
    notes, models, decks = read_apkg(done.path)
    assert len(notes) == 3                                        # the notes section is not a question
    assert {n["mid"] for n in notes} == {MODEL_ID} and str(MODEL_ID) in models
    assert [f["name"] for f in models[str(MODEL_ID)]["flds"]] == ["Question", "Answer", "KeyPoints", "Source", "ItemId"]
    assert {d["name"] for d in decks.values()} >= {"qbank::推荐系统面试题", "qbank::Metrics"}
    by_id = {n["fields"][4]: n for n in notes}
    first = by_id["rec-1"]["fields"]
    assert first[0] == "什么是召回？" and "<strong>海量</strong>" in first[1]
    assert r"\[s = u \cdot v\]" in first[1] and r"\(u_i\)" in first[1]          # maths for Anki's MathJax
    assert first[2] == "<ol><li>第一点</li><li>第二点</li></ol>"
    assert first[3] == "推荐系统面试题 · § 1 召回 › 1.1 基本概念 · rec.md:10-18 · No. 1 · rec-1"
    assert "$5" in by_id["rec-2"]["fields"][1] and r"\(" not in by_id["rec-2"]["fields"][1]   # code is left alone
    assert by_id["metrics-3"]["fields"][0] == "What is &lt;recall@k&gt;?" and by_id["metrics-3"]["fields"][2] == ""
    assert sorted(by_id["rec-1"]["tags"]) == sorted(["qbank", "推荐", "section::1_召回::1.1_基本概念", "doc::rec"])
    assert sorted(by_id["metrics-3"]["tags"]) == sorted(["qbank", "Evaluation_metrics", "doc::metrics"])
    assert all(" " not in t for n in notes for t in n["tags"])


def test_reexport_keeps_guids_and_ids_even_when_the_bank_is_renumbered(tmp_path):
    a, _, decks_a = read_apkg(export_apkg(ITEMS, tmp_path / "a.apkg").path)
    # a question inserted at the top: every number and id shifts, the answers are edited
    shifted = [replace(it, id=f"rec-{it.number + 1}", number=it.number + 1, answer=it.answer + " 补充。")
               if it.file == "rec.md" else it for it in ITEMS]
    b, _, decks_b = read_apkg(export_apkg([_item(1, "新题？")] + shifted, tmp_path / "b.apkg").path)
    guid_a = {n["fields"][0]: n["guid"] for n in a}
    guid_b = {n["fields"][0]: n["guid"] for n in b}
    assert all(guid_b[q] == g for q, g in guid_a.items())          # the same question is the same note
    assert len(set(guid_b.values())) == 4
    assert {k: d["name"] for k, d in decks_a.items() if d["name"] != "Default"} == \
        {k: d["name"] for k, d in decks_b.items() if d["name"] != "Default"}   # stable deck ids
    assert note_guid(ITEMS[0]) == note_guid(replace(ITEMS[0], question="什么是 召回？".replace(" ", "")))


def test_two_questions_worded_alike_in_one_file_stay_two_notes(tmp_path):
    twins = [_item(1, "什么是召回？"), _item(7, "什么是召回？", "另一个答案。")]
    notes, _, _ = read_apkg(export_apkg(twins, tmp_path / "t.apkg").path)
    assert len({n["guid"] for n in notes}) == 2


def test_filters_by_document_topic_section_and_ids():
    assert [it.id for it in select(ITEMS, docs=["Metrics"])] == ["metrics-3"]
    assert [it.id for it in select(ITEMS, docs=["rec.md"], topics=["深度学习"])] == ["rec-2"]
    assert [it.id for it in select(ITEMS, topics=["1 召回 › 1.1 基本概念"])] == ["rec-1", "rec-2"]
    assert [it.id for it in select(ITEMS, ids=["rec-2", "metrics-3", "gone-1"])] == ["rec-2", "metrics-3"]
    with pytest.raises(UnknownFilter, match="no question has doc '没有这个'"):
        select(ITEMS, docs=["没有这个"])
    with pytest.raises(UnknownFilter, match="topic 'NLP'"):
        select(ITEMS, topics=["NLP"])


def test_bad_output_name_and_empty_export_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'.*deck.zip' does not end in .apkg"):
        export_apkg(ITEMS, tmp_path / "deck.zip")
    with pytest.raises(ValueError, match="no questions"):
        export_apkg([], tmp_path / "deck.apkg")
    assert not list(tmp_path.iterdir())


def test_tags_never_hold_spaces():
    it = _item(1, "q", topic="Large  language models", section="第 1 章 › 1.2 注意力 机制")
    assert tags(it) == ["qbank", "Large_language_models", "section::第_1_章::1.2_注意力_机制", "doc::rec"]
