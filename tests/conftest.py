"""Shared fixtures: one real index of the bundled corpus per test session, in a temporary $QBANK_HOME."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_home(tmp_path_factory) -> Path:
    """A $QBANK_HOME holding the index of the bundled corpus (built once per session; treat as read-only)."""
    from ingest.pipeline import ingest
    from ingest.settings import Settings

    home = tmp_path_factory.mktemp("qbank_home")
    report = ingest(Settings.load(home=home), progress=False)
    assert report.items == 173, report
    return home


@pytest.fixture(scope="session")
def corpus_settings(corpus_home):
    from ingest.settings import Settings

    return Settings.load(home=corpus_home)


@pytest.fixture(scope="session")
def searcher(corpus_settings):
    from rag.searcher import Searcher

    s = Searcher(corpus_settings)
    s.warm_up()
    return s


@pytest.fixture()
def qbank_cli(corpus_home):
    """Run the real ``qbank`` console script against the session index; returns CompletedProcess."""
    import subprocess

    def run(*args: str, input: str | None = None, home: Path | None = None, env: dict | None = None, timeout=300):
        e = dict(os.environ, QBANK_HOME=str(home or corpus_home))
        e.update(env or {})
        exe = Path(sys.executable).parent / "qbank"
        return subprocess.run([str(exe), *args], input=input, capture_output=True, text=True, env=e, timeout=timeout)

    return run
