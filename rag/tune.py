"""Choose fusion weights and abstention thresholds by measurement on the tuning half of the eval set.

``qbank eval --tune`` runs :func:`tune`: a grid search of the ranking weights (objective
hit@1 + MRR, smoothed over neighbouring grid points so a lucky spike does not win),
then, for the chosen ranking, the confidence blend and the threshold that abstains on the
most uncovered queries with at most ``max_false`` false abstentions. Each ablation
(keyword only, dense only) gets the same treatment, so the comparison is fair.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from rag import fusion
from rag.evaluate import EvalQuery, calibrate_threshold, evaluate, summarize

GRID = {
    "weight_question": (0.3, 0.5, 1.0, 2.0, 3.0),
    "keyword_half": (10.0, 20.0, 40.0),
    "weight_dense": tuple(np.round(np.arange(0.0, 0.51, 0.05), 2)),
    "weight_coverage": tuple(np.round(np.arange(0.0, 0.51, 0.05), 2)),
}
CONFIDENCE_GRID = {"coverage_confidence": (0.0, 0.25, 0.5, 0.75), "unknown_penalty": (0.0, 0.25, 0.5, 1.0)}


def _objective(searcher, queries, mode, params, cache) -> float:
    m = summarize(evaluate(searcher, queries, (mode,), params, cache)[mode])
    return m.hit1 + m.mrr


def _smoothed_best(scores: dict[tuple, float], axes: list[tuple]) -> tuple:
    """The grid point whose mean objective over itself and its immediate neighbours is highest."""
    index = [{v: i for i, v in enumerate(a)} for a in axes]

    def smooth(point):
        vals = []
        for delta in itertools.product((-1, 0, 1), repeat=len(point)):
            if sum(d != 0 for d in delta) > 1:
                continue
            pos = [index[k][v] + d for k, (v, d) in enumerate(zip(point, delta))]
            if all(0 <= p < len(axes[k]) for k, p in enumerate(pos)):
                key = tuple(axes[k][p] for k, p in enumerate(pos))
                if key in scores:
                    vals.append(scores[key])
        return (sum(vals) / len(vals), scores[point])

    return max(scores, key=smooth)


def tune_ranking(searcher, queries: list[EvalQuery], cache: dict, mode: str = "hybrid",
                 base: fusion.Params | None = None) -> fusion.Params:
    """Grid-search the ranking weights of ``mode`` on ``queries``."""
    base = base or fusion.Params()
    names = {"hybrid": ["weight_question", "keyword_half", "weight_dense", "weight_coverage"],
             "keyword": ["weight_question", "keyword_half", "keyword_coverage"], "dense": []}[mode]
    if not names:
        return base
    axes = [GRID["weight_coverage" if n == "keyword_coverage" else n] for n in names]
    scores = {}
    for point in itertools.product(*axes):
        change = dict(zip(names, point))
        if change.get("weight_dense", 0) + change.get("weight_coverage", 0) > 0.9:
            continue
        scores[point] = _objective(searcher, queries, mode, replace(base, **change), cache)
    return replace(base, **dict(zip(names, _smoothed_best(scores, axes))))


def tune_abstention(searcher, queries: list[EvalQuery], cache: dict, params: fusion.Params, mode: str = "hybrid",
                    max_false: float = 0.03) -> fusion.Params:
    """Pick the confidence blend and calibrate the threshold of ``mode`` on ``queries``."""
    field = {"hybrid": "abstain_threshold", "keyword": "keyword_threshold", "dense": "dense_threshold"}[mode]
    # the blend is shared by the hybrid and keyword modes: only the hybrid chooses it
    blends = [{}] if mode != "hybrid" else [dict(zip(CONFIDENCE_GRID, v))
                                           for v in itertools.product(*CONFIDENCE_GRID.values())]
    best = None
    for blend in blends:
        p = replace(params, **blend)
        outs = evaluate(searcher, queries, (mode,), p, cache)[mode]
        t = calibrate_threshold([o.confidence for o in outs if o.gold], [o.confidence for o in outs if not o.gold],
                                max_false)
        p = replace(p, **{field: round(t, 4)})
        m = summarize(evaluate(searcher, queries, (mode,), p, cache)[mode])
        key = (m.abstention - m.false_abstention, -m.false_abstention)
        if best is None or key > best[0]:
            best = (key, p)
    return best[1]


def tune(searcher, queries: list[EvalQuery], max_false: float = 0.03, cache: dict | None = None) -> fusion.Params:
    """All fusion parameters for the three modes, measured on ``queries`` (the tuning half)."""
    cache = {} if cache is None else cache
    p = fusion.Params()
    for mode in ("hybrid", "keyword", "dense"):
        ranked = tune_ranking(searcher, queries, cache, mode, p)
        if mode == "keyword":   # keep the hybrid's own weight_question / keyword_half
            ranked = replace(p, keyword_coverage=ranked.keyword_coverage)
        p = tune_abstention(searcher, queries, cache, ranked, mode, max_false)
    return p
