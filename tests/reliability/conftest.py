"""Fixtures of the reliability audit. Every test that writes gets its own copy of the corpus index
(``rel_home``), so kills, corruption and uploads never touch the session's shared one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import copy_home


@pytest.fixture()
def rel_home(corpus_home, tmp_path) -> Path:
    """A writable copy of the corpus $QBANK_HOME for one test."""
    return copy_home(corpus_home, tmp_path / "home")
