"""Fixtures of the reliability audit. Every test that writes gets its own copy of the corpus index
(``rel_home``), so kills, corruption and uploads never touch the session's shared one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings
from tests.reliability import hostile
from tests.support import copy_home


@pytest.fixture()
def rel_home(corpus_home, tmp_path) -> Path:
    """A writable copy of the corpus $QBANK_HOME for one test."""
    return copy_home(corpus_home, tmp_path / "home")


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    """Settings whose bundled corpus is one two-question bank (real embeddings, just few of them);
    shared by the reliability tests that ingest from scratch."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.md").write_text("# 基础\n\n" + hostile.GOOD_QA, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    monkeypatch.setattr("ui.cmd_serve.BUNDLED_CORPUS", corpus, raising=False)
    return Settings.load(home=tmp_path / "home")
