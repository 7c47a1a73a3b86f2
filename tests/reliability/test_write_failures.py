"""Tracebacks and misleading messages (issue 18 items 15, 17): a full disk while the index is written, bad
``titles.json`` files, a full or read-only disk under the interview history, values in the settings that
make no sense, and one unloadable file making every ``qbank serve`` start rebuild."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import Settings
from tests.reliability import hostile
from tests.support import QBANK, assert_clean_error, run_cli

NEW_BANK = "## 1. 什么是潮汐学习率？\n\n学习率随潮汐周期变化。\n\n## 2. 什么是珊瑚礁采样？\n\n按礁石分层抽样。\n"


def _small_files_only(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


# -- 15. a full disk while writing the index ------------------------------------------------------

def test_disk_full_while_writing_faiss_is_one_line_and_the_old_index_answers(rel_home, tmp_path):
    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "new.md").write_text(NEW_BANK, encoding="utf-8")
    before = (rel_home / "index" / "CURRENT").read_text()
    env = dict(os.environ, QBANK_HOME=str(rel_home), HF_HUB_OFFLINE="1")
    done = subprocess.run([str(QBANK), "ingest", str(banks)], env=env, capture_output=True, text=True,
                          preexec_fn=_small_files_only(1_000_000), timeout=600)   # dense.faiss is 1.6 MB
    line = assert_clean_error(done, "could not write the new index under", "the disk is full",
                              "the previous index is unchanged")
    assert "RuntimeError" not in line and "faiss" not in line
    assert (rel_home / "index" / "CURRENT").read_text() == before
    assert not list((rel_home / "index").glob("tmp-*"))
    found = json.loads(run_cli(rel_home, "search", "什么是感受野", "--json").stdout)
    assert found["results"][0]["id"] == "dl_basics_qa-9"


@pytest.mark.parametrize("code, said", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "it is not writable")])
def test_any_failed_index_write_names_the_cause_and_what_to_do(tiny, monkeypatch, code, said):
    from ingest import store
    from ingest.pipeline import ingest

    ingest(tiny, progress=False)
    real = os.rename

    def failing(src, dst, *a, **k):
        if "tmp-" in str(src):
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(store.IndexWriteError, match=said) as info:
        ingest(tiny, rebuild=True, progress=False)
    assert "the previous index is unchanged" in str(info.value) and "\n" not in str(info.value)


# -- 15. titles.json --------------------------------------------------------------------------------

@pytest.mark.parametrize("titles", ["[1]", '{"t2.md": 5}', '{"t2.md": null, "t3.md": "好标题"}', "{broken"])
def test_a_bad_titles_json_is_a_warning_never_a_crash(tiny, tmp_path, titles):
    from ingest import store
    from ingest.pipeline import ingest

    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "t2.md").write_text(NEW_BANK, encoding="utf-8")
    (banks / "t3.md").write_text(hostile.GOOD_QA, encoding="utf-8")
    (banks / "titles.json").write_text(titles, encoding="utf-8")
    report = ingest(tiny, [banks], progress=False)
    assert report.items == 6 and not report.errors
    assert any(name.endswith("titles.json") and "ignored" in why for name, why in report.warnings), report.warnings
    index = store.load(tiny.index_root)
    assert all(isinstance(it.doc, str) and it.doc for it in index.items)
    again = ingest(tiny, progress=False)                 # every later ingest too
    assert again.items == 6


def test_serve_starts_with_a_titles_json_of_numbers(rel_home, tmp_path):
    from tests.support import free_port, start_serve, stop_serve

    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "t2.md").write_text(NEW_BANK, encoding="utf-8")
    (banks / "titles.json").write_text('{"t2.md": 5}', encoding="utf-8")
    assert run_cli(rel_home, "ingest", str(banks)).returncode == 0
    proc = start_serve(rel_home, free_port())
    try:
        assert proc.poll() is None
    finally:
        stop_serve(proc)
    assert "Traceback" not in (rel_home / "serve.log").read_text()


# -- 17. messages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, said", [
    ({"QBANK_ABSTAIN_THRESHOLD": "nan"}, "QBANK_ABSTAIN_THRESHOLD=nan: abstain_threshold must be a finite number"),
    ({"QBANK_ABSTAIN_THRESHOLD": "7"}, "QBANK_ABSTAIN_THRESHOLD=7: abstain_threshold must be within [0, 1]"),
    ({"QBANK_LLM_TIMEOUT": "inf"}, "QBANK_LLM_TIMEOUT=inf: llm_timeout must be a finite number"),
    ({"QBANK_UPLOAD_MAX_MB": "0"}, "QBANK_UPLOAD_MAX_MB=0: upload_max_mb must be within [1, 1024]"),
    ({"QBANK_TOP_K": "many"}, "QBANK_TOP_K=many: setting top_k must be int"),
])
def test_settings_are_validated_at_load_naming_the_variable(tmp_path, monkeypatch, env, said):
    from ingest.settings import SettingError

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingError) as info:
        Settings.load(home=tmp_path)
    assert str(info.value).startswith(said), str(info.value)


def test_cli_and_serve_refuse_a_nan_threshold_in_one_line(tmp_path):
    home = tmp_path / "home"
    for command in (["search", "感受野"], ["serve", "--port", "1"]):
        done = run_cli(home, *command, env={"QBANK_ABSTAIN_THRESHOLD": "nan"})
        assert_clean_error(done, "QBANK_ABSTAIN_THRESHOLD=nan", "abstain_threshold must be a finite number")
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text("llm_timeout = -1\n", encoding="utf-8")
    done = run_cli(home, "search", "感受野")
    assert_clean_error(done, "config.toml: llm_timeout = -1", "llm_timeout must be within [0, 3600]")


_FILL_HISTORY = """
import resource, signal, sys
from rag.interview.store import HistoryStore
store = HistoryStore(sys.argv[1])
store.record("p", "warm-1", 80, "x", {})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
size = __import__("os").path.getsize(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40_000, size + 40_000))
try:
    for k in range(1000):
        store.record("p", f"item-{k}", 70, "回答" * 2000, {"points": []})
except OSError as exc:
    print(exc)
"""


def test_a_full_disk_under_the_history_says_so_and_keeps_the_history(tmp_path):
    db = tmp_path / "interview.sqlite3"
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-c", _FILL_HISTORY, str(db)], capture_output=True, text=True, cwd=root,
                          timeout=120)
    said = done.stdout.strip()
    assert ("could not be written (database or disk is full): the disk is full or" in said   # ENOSPC
            or "could not be written (disk I/O error): the disk is full or" in said), (said, done.stderr[-2000:])  # EFBIG
    assert "the history itself is intact" in said and "move it aside" not in said and "unreadable" not in said
    from rag.interview.store import HistoryStore

    store = HistoryStore(db)
    assert store.check() == "ok" and store.attempts("p", "warm-1")


def test_a_read_only_history_says_so(tmp_path, monkeypatch):
    import sqlite3

    from rag.interview.store import HistoryStore

    store = HistoryStore(tmp_path / "interview.sqlite3")
    real = sqlite3.connect

    class ReadOnly(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql.startswith("PRAGMA journal_mode") or sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return super().execute(sql, *args)

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real(*a, factory=ReadOnly, **k))
    with pytest.raises(OSError) as info:
        store.record("p", "x-1", 80, "answer", {})
    text = str(info.value)
    assert "could not be written (attempt to write a readonly database)" in text and "read-only" in text
    assert "move it aside" not in text and "unreadable" not in text


def test_lxml_errors_in_a_docx_become_a_clear_reason(tmp_path, monkeypatch):
    import docx
    from lxml import etree

    from ingest.load import LoadError, load

    def broken(*a, **k):
        raise etree.XPathEvalError("unknown error")

    monkeypatch.setattr(docx, "Document", broken)
    with pytest.raises(LoadError) as info:
        load(hostile.good_docx(tmp_path / "bank.docx"))
    assert str(info.value) == ("bank.docx: DOCX's XML cannot be read (XPathEvalError: unknown error): the file is "
                               "damaged or too large; open it in Word and save it again")
    with pytest.raises(LoadError, match=r"over the limit of 100 MB \(setting docx_max_unzipped_mb\)"):
        load(hostile.docx_bomb(tmp_path / "bomb.docx", 150))         # refused before lxml ever sees it


def test_one_unloadable_file_does_not_make_every_serve_start_rebuild(tiny, tmp_path):
    from ingest.pipeline import ingest
    from ui.cmd_serve import stale_reason

    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "good.md").write_text(NEW_BANK, encoding="utf-8")
    (banks / "binary.txt").write_bytes(bytes(range(256)) * 40)
    hostile.nested_html(banks / "deep.html", 400)
    report = ingest(tiny, [banks], progress=False)
    assert {Path(n).name for n, _ in report.errors} == {"binary.txt", "deep.html"}
    assert stale_reason(tiny) is None                   # was: "sources differ from the index (new: binary.txt …)"
    (banks / "binary.txt").write_text(NEW_BANK.replace("潮汐", "季风"), encoding="utf-8")   # fixed: now it is new
    assert "new: binary.txt" in (stale_reason(tiny) or "")
