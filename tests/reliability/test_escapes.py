"""Escapes and privacy (issue 18 items 10, 11): symbolic links in a bank folder are not followed outside it
(unless asked), profile names are bounded, and temporary files live under $QBANK_HOME and are cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.load import find_files
from ingest.settings import Settings
from tests.reliability import hostile
from tests.support import run_cli

SECRET = "## 1. 机密口令是什么？\n\n口令是蓝色珊瑚礁七号。\n"


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.md").write_text("# 基础\n\n" + hostile.GOOD_QA, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    return Settings.load(home=tmp_path / "home")


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
