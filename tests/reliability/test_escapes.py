"""Escapes and privacy (issue 18 items 10, 11): symbolic links in a bank folder are not followed outside it
(unless asked), profile names are bounded, and temporary files live under $QBANK_HOME and are cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.load import find_files
from tests.support import run_cli

SECRET = "## 1. 机密口令是什么？\n\n口令是蓝色珊瑚礁七号。\n"


@pytest.fixture()
def linked_folder(tmp_path) -> Path:
    """banks/ with a good bank, an inside link, and links to a file and a folder outside it."""
    outside = tmp_path / "private"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    (outside / "deep" / "more.md").write_text(SECRET.replace("机密口令", "另一个口令"), encoding="utf-8")
    banks = tmp_path / "banks"
    (banks / "sub").mkdir(parents=True)
    (banks / "good.md").write_text("## 1. 什么是潮汐学习率？\n\n学习率随潮汐周期变化。\n", encoding="utf-8")
    os.symlink(outside / "secret.md", banks / "secret.md")
    os.symlink(outside / "deep", banks / "sub" / "deep")
    os.symlink(banks / "good.md", banks / "alias.md")         # inside the folder: fine (and the same file)
    return banks


def test_links_out_of_a_bank_folder_are_not_followed(linked_folder):
    files, skipped = find_files([linked_folder])
    assert [f.name for f in files] == ["good.md"]
    refused = {Path(name).name: reason for name, reason in skipped}
    assert set(refused) == {"secret.md", "deep"}
    assert all("outside the folder; not followed (setting follow_symlinks" in r for r in refused.values())
    followed, _ = find_files([linked_folder], follow_symlinks=True)
    assert sorted(f.name for f in followed) == ["good.md", "more.md", "secret.md"]


def test_ingest_never_indexes_a_linked_file_outside_the_folder(tiny, linked_folder):
    from ingest import store
    from ingest.pipeline import ingest

    report = ingest(tiny, [linked_folder], progress=False)
    assert report.items == 3
    assert any("secret.md" in name and "not followed" in why for name, why in report.errors)
    texts = " ".join(it.answer for it in store.load(tiny.index_root).items)
    assert "蓝色珊瑚礁" not in texts
    report = ingest(tiny.replace(follow_symlinks=True), [linked_folder], progress=False)
    assert report.items == 5 and not report.errors


def test_cli_names_the_link_and_the_flag(rel_home, linked_folder):
    done = run_cli(rel_home, "ingest", str(linked_folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "secret.md: symbolic link to" in done.stderr and "--follow-symlinks" in done.stderr
    found = run_cli(rel_home, "search", "机密口令是什么", "--json")
    assert "蓝色珊瑚礁" not in found.stdout


# -- 11. profile names, temporary files --------------------------------------------------------------

def test_profile_names_are_bounded(tmp_path):
    from rag.interview.store import HistoryStore

    store = HistoryStore(tmp_path / "h.sqlite3")
    with pytest.raises(ValueError, match=r"profile name is 1,048,576 characters, over the limit of 64 "
                                         r"\(setting max_profile_chars\)"):
        store.record("p" * 2**20, "x-1", 80, "answer", {})
    with pytest.raises(ValueError, match="setting max_profile_chars"):
        store.save_session("s1", "p" * 65, {})
    store.record("p" * 64, "x-1", 80, "answer", {})
    assert store.profiles() == ["p" * 64]


def test_cli_refuses_a_long_profile_in_one_line(rel_home):
    from tests.support import assert_clean_error

    done = run_cli(rel_home, "interview", "--count", "1", "--profile", "p" * 100_000, input="")
    line = assert_clean_error(done, "profile name is 100,000 characters", "setting max_profile_chars")
    assert len(line) < 300


def test_clean_removes_only_old_entries(tmp_path):
    import time

    from ui.tmpfiles import clean

    old, new = tmp_path / "qbank-report-old", tmp_path / "qbank-report-new"
    for d in (old, new, tmp_path / "gradio" / "abc", tmp_path / "gradio" / "fresh"):
        d.mkdir(parents=True)
        (d / "f.md").write_text("x")
    snapshot = tmp_path / "qbank-jieba-1234.npz"
    snapshot.write_bytes(b"cache")
    past = time.time() - 7200
    for p in (old, old / "f.md", tmp_path / "gradio" / "abc", tmp_path / "gradio" / "abc" / "f.md", snapshot):
        os.utime(p, (past, past))
    assert sorted(clean(tmp_path, 3600)) == ["gradio/abc", "qbank-report-old"]
    assert new.exists() and (tmp_path / "gradio" / "fresh").exists() and snapshot.exists()


def test_serve_keeps_reports_and_uploads_under_home_and_cleans_them(rel_home):
    import time

    from gradio_client import Client

    from tests.support import free_port, start_serve, stop_serve

    stale = rel_home / "tmp" / "qbank-report-from-yesterday"
    stale.mkdir(parents=True)
    (stale / "old.md").write_text("old report")
    past = time.time() - 86400
    os.utime(stale / "old.md", (past, past))
    os.utime(stale, (past, past))
    port = free_port()
    proc = start_serve(rel_home, port, env={"QBANK_TMP_MAX_AGE_S": "40"})
    try:
        assert not stale.exists()                       # cleaned at start
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        with pytest.raises(Exception, match="setting max_profile_chars"):
            client.predict([], [], 1, "random", "p" * 5000, api_name="/interview_start")
        client.predict([], [], 1, "random", "tmp-test", api_name="/interview_start")
        client.predict("感受野是输出特征图上一个元素对应的输入区域。", api_name="/interview_submit")
        client.predict(api_name="/interview_finish")
        reports = list((rel_home / "tmp").glob("qbank-report-*/qbank-interview-*.md"))
        assert reports, sorted(p.name for p in (rel_home / "tmp").iterdir())
        assert (rel_home / "tmp" / "gradio").is_dir()      # Gradio's files too (uploads received, downloads)
        for path in [*reports, *(p.parent for p in reports)]:
            os.utime(path, (past, past))
        deadline = time.monotonic() + 40
        while any(p.exists() for p in reports) and time.monotonic() < deadline:
            time.sleep(1)
        assert not any(p.exists() for p in reports)       # the janitor removed the old report
        client.close()
    finally:
        stop_serve(proc)
