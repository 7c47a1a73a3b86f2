"""From raw per-item scores to a :class:`~rag.results.SearchResult`: fuse, rank, de-duplicate, abstain.

Pure functions over arrays (the index lookups they need are done by :class:`rag.searcher.Searcher`):

* :func:`fuse_scores`: the normalised keyword and dense scores and the ranking score of a mode;
* :func:`top_hits`: the best ``k`` items, an item's word-for-word duplicates collapsed into its hit;
* :func:`evidence`: what :func:`rag.fusion.calibrated` weighs about the top hit;
* :func:`decide`: the confidence and level (``answered``, ``closest``, ``not_covered``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.items import QAItem
from rag import fusion
from rag.results import Hit, Scores, SearchMode, SearchResult

MODES = tuple(m.value for m in SearchMode)


@dataclass(frozen=True)
class Fused:
    """Per-item arrays of one query in one mode: ``score`` ranks; ``keyword``/``dense`` are 0..1."""

    score: np.ndarray
    keyword: np.ndarray
    dense: np.ndarray
    question_coverage: np.ndarray   # coverage by the question field (the whole item's when not measured)


def fuse_scores(raw: Scores, mode: str, p: fusion.Params) -> Fused:
    """The fused ranking score of every item in ``mode`` (``hybrid``, ``keyword`` or ``dense``)."""
    try:
        mode = SearchMode(mode)
    except ValueError:
        raise ValueError(f"mode {mode!r} is not one of {MODES}.") from None
    kw = fusion.keyword_score(raw.question, raw.answer, p.weight_question, p.keyword_half)
    dn = fusion.dense_score(raw.dense, p.dense_floor, p.dense_ceil)
    qcov = raw.coverage if raw.question_coverage is None else raw.question_coverage
    if mode is SearchMode.HYBRID:
        fused = fusion.fuse(kw, dn, raw.coverage, qcov, p.weight_dense, p.weight_coverage, p.weight_question_coverage)
    elif mode is SearchMode.KEYWORD:
        fused = fusion.fuse(kw, dn, raw.coverage, qcov, 0.0, p.keyword_coverage, p.keyword_question_coverage)
    else:
        fused = dn
    return Fused(fused, kw, dn, qcov)


def top_hits(items: Sequence[QAItem], raw: Scores, f: Fused, mode: str, k: int,
             allowed: np.ndarray | None = None) -> list[Hit]:
    """The ``k`` best items by ``f.score`` (ties to the nearest by cosine), one hit per set of duplicates.

    Args:
        allowed: a boolean mask over the items (one document); the others are left out.
    """
    fused = f.score if allowed is None else np.where(allowed, f.score, -np.inf)
    depth = max(4 * k, k + 16)
    pool = np.arange(len(fused))
    if len(fused) > 4 * depth:   # sort only the best (and everything tied with them), not all 100k items
        cut = np.partition(fused, len(fused) - depth)[len(fused) - depth]
        pool = np.flatnonzero(fused >= cut)
    # ties (e.g. all zero when nothing matches) go to the nearest by cosine
    order = pool[np.lexsort((-raw.dense[pool], -fused[pool]))]
    hits: list[Hit] = []
    seen: set[str] = set()
    for j in order[:depth]:
        item = items[int(j)]
        if item.id in seen or not np.isfinite(fused[j]) or (mode == SearchMode.KEYWORD and f.keyword[j] <= 0):
            continue
        seen.update((item.id, *item.duplicates))
        hits.append(Hit(item, float(fused[j]), float(f.keyword[j]), float(f.dense[j]), item.duplicates,
                        float(raw.coverage[j])))
        if len(hits) >= k:
            break
    return hits


def evidence(hits: Sequence[Hit], raw: Scores, mode: str, p: fusion.Params, question_coverage: float = 0.0,
             question_cosine: float = 0.0, names_missing: bool = False, concepts_missing: float = 0.0) -> fusion.Evidence:
    """The evidence about the top hit (``hits[0]``); the keyword arguments describe it (hybrid mode only).

    Args:
        question_coverage: the query's coverage by the top item's question.
        question_cosine: the query's cosine with the top item's question alone.
        names_missing: a name the query asks about is not in the top item.
        concepts_missing: the share of the query's concepts absent from the top item.
    """
    top = hits[0]
    if mode != "hybrid":
        return fusion.Evidence(top.score, top.coverage, top.dense, raw.unknown)
    qdense = fusion.dense_score(np.float32(question_cosine), p.dense_floor, p.dense_ceil)
    margin = top.score - hits[1].score if len(hits) > 1 else 1.0
    return fusion.Evidence(top.score, top.coverage, top.dense, raw.unknown, float(question_coverage), float(qdense),
                           float(margin), names_missing, raw.in_domain, raw.small_talk, concepts_missing,
                           raw.names_unknown, raw.terms_unknown)


def decide(query: str, hits: Sequence[Hit], ev: fusion.Evidence | None, mode: str, p: fusion.Params) -> SearchResult:
    """The result: the hits with their confidence and level (no hits: not covered, abstained)."""
    if not hits or ev is None:
        return SearchResult(query, (), True, 0.0, level="not_covered")
    confidence = fusion.calibrated(mode, ev, p)
    lvl = fusion.level(mode, confidence, ev.margin, p, ev)
    return SearchResult(query, tuple(hits), lvl == "not_covered", confidence, level=lvl)
