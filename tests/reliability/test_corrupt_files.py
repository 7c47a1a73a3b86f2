"""Damaged files under $QBANK_HOME: a clear error naming the damaged part and the command that fixes it.

Truncated and missing index files are covered by ``tests/ingest/test_pipeline.py``
(``test_corrupt_index_file_gives_a_clear_error_with_the_rebuild_command``). These are the
harder cases: files damaged *in place* so that they still parse (a flipped byte inside an
array, an edited line of ``items.jsonl``), which used to give silently wrong results or a
traceback, and a damaged interview history.
"""

from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
import pytest

from ingest import store
from ingest.settings import Settings
from tests.support import assert_clean_error, run_cli

REBUILD = "run `qbank ingest --rebuild` to rebuild it"


def _npy(path, change):
    a = np.load(path)
    change(a)
    np.save(path, a)


def _overwrite(path, offset_from_end: int, data: bytes):
    with open(path, "r+b") as f:
        f.seek(-offset_from_end, os.SEEK_END)
        f.write(data)


def _edit_item(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    d = json.loads(lines[8])
    d["answer"] = "这是被篡改的答案。"
    lines[8] = json.dumps(d, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


IN_PLACE = {   # each still parses: only the checksums in the manifest can tell
    "bm25 indices past the last item": (lambda d: _npy(d / "bm25_question/indices.csc.index.npy",
                                                       lambda a: a.__setitem__(slice(None), 10**6)), "keyword index"),
    "bm25 document pointers zeroed": (lambda d: _npy(d / "bm25_answer/indptr.csc.index.npy",
                                                     lambda a: a.__setitem__(slice(None), 0)), "keyword index"),
    "bm25 vocabulary emptied": (lambda d: (d / "bm25_question/vocab.index.json").write_text("{}"), "keyword index"),
    "dense vectors zeroed": (lambda d: _overwrite(d / "dense.faiss", 4000, bytes(1000)), "dense.faiss"),
    "dense rows reversed": (lambda d: _npy(d / "dense_rows.npy", lambda a: a.__setitem__(slice(None), a[::-1].copy())),
                            "dense_rows.npy"),
    "an answer edited": (lambda d: _edit_item(d / "items.jsonl"), "items.jsonl"),
    "a passage line dropped": (lambda d: (d / "passages.jsonl").write_text(
        "".join((d / "passages.jsonl").read_text(encoding="utf-8").splitlines(True)[1:]), encoding="utf-8"),
        "passages.jsonl"),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_file_damaged_in_place_is_refused_with_the_rebuild_command(rel_home, name):
    damage, part = IN_PLACE[name]
    root = Settings.load(home=rel_home).index_root
    damage(store.current(root))
    with pytest.raises(store.IndexUnavailable) as info:
        store.load(root, "use-multilingual")
    assert f"{part} is damaged" in str(info.value) and REBUILD in str(info.value)


def test_index_written_before_checksums_still_loads(rel_home):
    root = Settings.load(home=rel_home).index_root
    manifest_path = store.current(root) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert set(manifest["checksums"]) >= {"items.jsonl", "dense.faiss", "bm25_question/vocab.index.json"}
    del manifest["checksums"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert len(store.load(root, "use-multilingual").items) == 173


@pytest.mark.integration
def test_every_command_names_the_damage_and_the_rebuild_then_rebuild_works(rel_home):
    root = Settings.load(home=rel_home).index_root
    IN_PLACE["bm25 indices past the last item"][0](store.current(root))    # was an IndexError traceback
    for args in (["search", "什么是感受野"], ["ask", "什么是感受野"], ["grade", "--id", "dl_basics_qa-9", "--answer", "x"],
                 ["list"]):
        assert_clean_error(run_cli(rel_home, *args), "keyword index is damaged", "qbank ingest --rebuild")
    r = run_cli(rel_home, "interview", "--count", "1", input="感受野\n\n")
    assert_clean_error(r, "keyword index is damaged", "qbank ingest --rebuild")
    assert run_cli(rel_home, "ingest", "--rebuild").returncode == 0
    fixed = json.loads(run_cli(rel_home, "search", "什么是感受野", "--json").stdout)
    assert fixed["results"][0]["id"] == "dl_basics_qa-9"


def _history(home, answers: int = 3):
    from rag.interview.store import HistoryStore

    s = HistoryStore(home / "interview.sqlite3")
    for k in range(answers):
        s.record("p", f"dl_basics_qa-{k + 1}", 40 + 10 * k, "回答" * 200, {"k": k}, topic="NLP")
    with sqlite3.connect(home / "interview.sqlite3") as conn:       # fold the WAL in: the damage hits the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return home / "interview.sqlite3"


DAMAGED_DB = {
    "not a database": lambda p: p.write_bytes(b"this is not sqlite " * 300),
    "second half garbage": lambda p: _overwrite(p, p.stat().st_size // 2, os.urandom(p.stat().st_size // 2)),
    "truncated to one page": lambda p: os.truncate(p, 4096),
}


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(DAMAGED_DB))
def test_damaged_interview_history_is_a_clear_error(rel_home, name):
    path = _history(rel_home)
    DAMAGED_DB[name](path)
    for args, stdin in ((["interview", "--stats", "--profile", "p"], None),
                        (["interview", "--count", "1", "--profile", "p"], "感受野是输入上的区域\n\n")):
        assert_clean_error(run_cli(rel_home, *args, input=stdin), "interview history", str(path), "move it aside")


def test_damaged_history_in_the_app_says_what_to_do(rel_home):
    """The interview tab on a damaged history: the error the page shows names the file and the way out."""
    from ingest.settings import Settings
    from ui.app import build_app
    from ui.services import Services

    path = _history(rel_home)
    DAMAGED_DB["second half garbage"](path)
    settings = Settings.load(home=rel_home)
    demo = build_app(settings, Services(settings))
    start = next(fn.fn for fn in demo.fns.values() for block_id, ev in fn.targets
                 if ev == "click" and getattr(demo.blocks.get(block_id), "elem_id", None) == "qb-iv-start")
    with pytest.raises(Exception) as info:          # shown in the page's error toast (show_error=True)
        start([], [], 2, "random", "p", "zh")
    message = str(getattr(info.value, "message", info.value))
    assert str(path) in message and "move it aside" in message and "malformed" in message
