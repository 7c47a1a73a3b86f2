"""The BM25 inverse document frequency, the one formula keyword coverage and grading weigh terms by."""

from __future__ import annotations

import math


def bm25_idf(n_docs: int, doc_freq: int) -> float:
    """BM25's IDF (Lucene's, always positive): ``log(1 + (N - df + 0.5) / (df + 0.5))``.

    Example:
        >>> round(bm25_idf(10, 0), 3), round(bm25_idf(10, 10), 3)
        (3.091, 0.047)
    """
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
