"""A grader over the session's corpus index (the embedding model and jieba load once)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def grader(corpus_settings, searcher):
    from rag.interview.grade import Grader

    g = Grader(corpus_settings, searcher=searcher)
    g.warm_up()
    return g
