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


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.md").write_text("# 基础\n\n" + hostile.GOOD_QA, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    return Settings.load(home=tmp_path / "home")


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
