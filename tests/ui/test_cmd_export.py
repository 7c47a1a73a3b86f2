"""``qbank export anki`` (the real console script): filters, stable guids, --due for a profile, errors in the
user's language; and ``qbank interview --fit`` on a log too short to fit."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from datetime import datetime, timedelta

import pytest

pytestmark = pytest.mark.integration

DOC_FILE = "dl_basics_qa.txt"


def notes_of(path) -> dict[str, tuple[str, list[str], list[str]]]:
    """{item id: (guid, fields, tags)} of an .apkg: a zip holding Anki's collection.anki2 (SQLite)."""
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        db = path.with_suffix(".anki2")
        db.write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT guid, flds, tags FROM notes").fetchall()
    return {f.split("\x1f")[4]: (g, f.split("\x1f"), t.split()) for g, f, t in rows}


@pytest.fixture()
def own_home(corpus_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home, ignore=shutil.ignore_patterns("*.lock", "*.sqlite3*", "serve.log"))
    return home


def test_export_all_then_filtered_with_the_same_guids(qbank_cli, corpus_settings, tmp_path):
    from rag.library import Library

    items = [it for it in Library(corpus_settings).items() if it.kind == "qa"]
    r = qbank_cli("export", "anki", "-o", str(tmp_path / "all.apkg"))
    assert r.returncode == 0, r.stderr
    assert f"已导出 {len(items)} 题" in r.stderr
    every = notes_of(tmp_path / "all.apkg")
    assert set(every) == {it.id for it in items}
    lstm = next(it for it in items if it.id == "llm_principles_qa-13")
    _, fields, tags = every[lstm.id]
    assert fields[0] == "什么是长短时记忆网络（LSTM）？" and lstm.key_points and fields[2].startswith("<ol><li>")
    assert f"{lstm.file}:{lstm.lines[0]}-{lstm.lines[1]}" in fields[3] and lstm.doc in fields[3]
    assert "doc::llm_principles_qa" in tags and (lstm.topic.replace(" ", "_") in tags)

    topic = next(it.topic for it in items if it.file == DOC_FILE and it.topic)
    r = qbank_cli("export", "anki", "--docs", DOC_FILE, "--topics", topic, "-o", str(tmp_path / "some.apkg"))
    assert r.returncode == 0, r.stderr
    some = notes_of(tmp_path / "some.apkg")
    want = {it.id for it in items if it.file == DOC_FILE and (it.topic == topic or it.section == topic)}
    assert set(some) == want and 0 < len(want) < len(items)
    assert all(some[i][0] == every[i][0] for i in some)          # a re-export updates the same notes


def test_bad_filters_and_output_are_refused_in_the_users_language(qbank_cli, tmp_path):
    out = str(tmp_path / "x.apkg")
    r = qbank_cli("export", "anki", "--docs", "不存在.md", "-o", out)
    assert r.returncode == 2 and "没有文档为 '不存在.md' 的题目" in r.stderr
    r = qbank_cli("export", "anki", "--topics", "Astrology", "-o", out, env={"QBANK_LANGUAGE": "en"})
    assert r.returncode == 2 and "no question has topic 'Astrology'" in r.stderr
    r = qbank_cli("export", "anki", "-o", str(tmp_path / "deck.zip"))
    assert r.returncode == 2 and "'" + str(tmp_path / "deck.zip") + "' 不是 .apkg 文件" in r.stderr
    assert not (tmp_path / "x.apkg").exists() and not (tmp_path / "deck.zip").exists()


def test_due_exports_what_the_profile_has_due_and_fit_says_how_many_reviews_it_lacks(qbank_cli, own_home, tmp_path):
    from ingest.settings import Settings
    from rag.interview.store import HistoryStore

    db = Settings.load(home=own_home).db_path
    past = HistoryStore(db, clock=lambda: datetime.now() - timedelta(days=3))
    past.record("ana", "llm_principles_qa-13", 10, "不知道", {"score": 10})          # failed: due after a day
    past.record("ana", "dl_basics_qa-1", 35, "…", {"score": 35})
    past.record("ana", "dl_basics_qa-2", 100, "…", {"score": 100})                  # easy: due in 8 days
    r = qbank_cli("export", "anki", "--due", "--profile", "ana", "-o", str(tmp_path / "due.apkg"), home=own_home)
    assert r.returncode == 0, r.stderr
    assert set(notes_of(tmp_path / "due.apkg")) == {"llm_principles_qa-13", "dl_basics_qa-1"}
    r = qbank_cli("export", "anki", "--due", "--profile", "bob", "-o", str(tmp_path / "b.apkg"), home=own_home)
    assert r.returncode == 2 and "档案 'bob' 今天没有到期的题目" in r.stderr

    r = qbank_cli("interview", "--fit", "--profile", "ana", home=own_home)
    assert r.returncode == 2 and "只有 0 次隔天复习，拟合 FSRS 参数至少需要 512 次" in r.stderr
    r = qbank_cli("interview", "--stats", "--profile", "ana", home=own_home)
    assert r.returncode == 0 and "今天到期 2 题" in r.stdout and "记住概率" in r.stdout
    assert "FSRS：默认参数；0/512 次隔天复习" in r.stdout
