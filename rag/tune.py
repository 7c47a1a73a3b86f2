"""Choose fusion weights and abstention thresholds by measurement on the tuning half of the eval set.

``qbank eval --tune`` runs :func:`tune`: a grid search of the ranking weights (objective
hit@1 + MRR + hit@5 / 2 + a small reward for the score margin of the right answer; the
centre of all points within one query's worth of the best, so a lucky spike does not win),
then, for the chosen ranking, the confidence blend and the threshold that abstains on the
most uncovered queries with at most ``max_false`` false abstentions. Each ablation
(keyword only, dense only) gets the same treatment, so the comparison is fair.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from rag import fusion
from rag.evaluate import EvalQuery, cached_scores, calibrate_threshold, evaluate, margin, summarize

GRID = {
    "weight_question": (0.3, 0.5, 1.0, 2.0, 3.0),
    "keyword_half": (10.0, 20.0, 40.0),
    "weight_dense": tuple(np.round(np.arange(0.0, 0.51, 0.05), 2)),
    "weight_coverage": (0.0, 0.1, 0.2, 0.3, 0.4),
    "weight_question_coverage": (0.0, 0.1, 0.2, 0.3),
}
CONFIDENCE_GRID = {"coverage_confidence": (0.0, 0.25, 0.5, 0.75), "dense_confidence": (0.0, 0.3, 0.4, 0.5),
                   "unknown_penalty": (0.0, 0.25, 0.5, 1.0)}


def _objective(searcher, queries, mode, params, cache) -> float:
    outs = evaluate(searcher, queries, (mode,), params, cache)[mode]
    m = summarize(outs)
    covered = [o for o in outs if o.gold]
    return m.hit1 + m.mrr + 0.5 * m.hit5 + 2 * sum(margin(o) for o in covered) / max(1, len(covered))


def _plateau_center(scores: dict[tuple, float], tolerance: float) -> tuple:
    """The mean of every grid point whose objective is within ``tolerance`` of the best.

    On a small tuning set many points tie within one query's worth of objective; their centre
    sits in the middle of the good region instead of on whichever tied point came first.
    """
    best = max(scores.values())
    good = [point for point, v in scores.items() if v >= best - tolerance]
    return tuple(round(float(np.mean(axis)), 3) for axis in zip(*good))


def tune_ranking(searcher, queries: list[EvalQuery], cache: dict, mode: str = "hybrid",
                 base: fusion.Params | None = None) -> fusion.Params:
    """Grid-search the ranking weights of ``mode`` on ``queries``."""
    base = base or fusion.Params()
    names = {"hybrid": ["weight_question", "keyword_half", "weight_dense", "weight_coverage", "weight_question_coverage"],
             "keyword": ["keyword_coverage", "keyword_question_coverage"], "dense": []}[mode]
    if not names:
        return base
    axes = [GRID[n.replace("keyword_coverage", "weight_coverage").replace("keyword_question", "weight_question")]
            for n in names]
    scores = {}
    for point in itertools.product(*axes):
        change = dict(zip(names, point))
        if sum(v for k, v in change.items() if k not in ("weight_question", "keyword_half")) > 0.9:
            continue
        scores[point] = _objective(searcher, queries, mode, replace(base, **change), cache)
    covered = sum(1 for q in queries if q.gold)
    return replace(base, **dict(zip(names, _plateau_center(scores, tolerance=2.0 / max(1, covered)))))


def tune_abstention(searcher, queries: list[EvalQuery], cache: dict, params: fusion.Params, mode: str = "hybrid",
                    max_false: float = 0.03) -> fusion.Params:
    """Pick the confidence blend and calibrate the threshold of ``mode`` on ``queries``."""
    field = {"hybrid": "abstain_threshold", "keyword": "keyword_threshold", "dense": "dense_threshold"}[mode]
    # the blend is shared by the hybrid and keyword modes: only the hybrid chooses it
    blends = [{}] if mode != "hybrid" else [
        dict(zip(CONFIDENCE_GRID, v)) for v in itertools.product(*CONFIDENCE_GRID.values())]
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
        p = tune_abstention(searcher, queries, cache, ranked, mode, max_false)
    return p


# -- issue 13: confidence levels, tuned on the tuning files of every corpus at once -------------------
SUPPORT_GRID = {"support_floor": (0.1, 0.15, 0.2), "support_scale": (0.5, 1.0, 2.0), "name_penalty": (0.0, 0.5),
                "ood_penalty": (0.0, 0.05, 0.1, 0.15), "question_coverage_support": (0.25, 0.5, 1.0),
                "small_talk_penalty": (0.0, 0.25, 0.5), "concept_penalty": (0.0, 0.05, 0.1, 0.2),
                "unknown_penalty_all": (0.0, 0.1, 0.2, 0.3), "unknown_name_penalty": (0.0, 0.15, 0.3, 0.5),
                "unknown_term_penalty": (0.0, 0.5)}
ANSWER_GRID = {"answer_threshold": tuple(np.round(np.arange(0.2, 0.61, 0.05), 2)),
               "answer_margin": (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)}
ANSWERED_PRECISION = 0.95   # "answered" must mean the top item is right this often (tuning files)


def evidence_rows(searcher, queries: list[EvalQuery], params: fusion.Params, cache: dict | None = None) -> list[tuple]:
    """``(query, Evidence, top item right)`` for each query: everything the confidence needs, so the
    grid below re-weighs it without searching again."""
    from rag.evaluate import RANK_DEPTH

    rows = []
    for q in queries:
        raw = cached_scores(searcher, q.query, cache)
        res = searcher.rank(q.query, raw, "hybrid", RANK_DEPTH, params=params)
        hits = list(res.hits)
        qcov = raw.coverage if raw.question_coverage is None else raw.question_coverage
        ev = searcher.evidence(hits, raw, qcov, "hybrid", params) if hits else fusion.Evidence(0.0, 0.0, 0.0)
        right = bool(hits) and bool(q.gold.intersection(hits[0].ids))
        rows.append((q, ev, right))
    return rows


def _threshold(corpora: list[list[tuple]], p: fusion.Params, max_false: float) -> float:
    """The abstention threshold: the strictest one that keeps ``max_false`` false abstentions on every corpus."""
    ts = []
    for rows in corpora:
        conf = [fusion.calibrated("hybrid", ev, p) for _, ev, _ in rows]
        ts.append(calibrate_threshold([c for c, (q, _, _) in zip(conf, rows) if q.gold],
                                      [c for c, (q, _, _) in zip(conf, rows) if not q.gold], max_false))
    return min(ts)


def _abstention(rows: list[tuple], p: fusion.Params) -> float:
    unc = [fusion.calibrated("hybrid", ev, p) < p.abstain_threshold for q, ev, _ in rows if not q.gold]
    return sum(unc) / len(unc) if unc else 1.0


def tune_levels(corpora: list[list[tuple]], params: fusion.Params, max_false: float = 0.02) -> fusion.Params:
    """Choose the confidence evidence weights, the abstention threshold and the "answered" rule.

    Args:
        corpora: per corpus, the :func:`evidence_rows` of its tuning queries (covered and uncovered).
        max_false: false-abstention budget on each corpus.

    The weights maximise the worst corpus's abstention (plus half the mean, to break ties) at a
    threshold that keeps ``max_false`` on every corpus; then "answered" takes the loosest
    (threshold, margin) pair whose answers are right at least ``ANSWERED_PRECISION`` of the time.
    """
    best = None
    for point in itertools.product(*SUPPORT_GRID.values()):
        p = replace(params, **dict(zip(SUPPORT_GRID, point)))
        p = replace(p, abstain_threshold=round(_threshold(corpora, p, max_false), 4))
        abst = [_abstention(rows, p) for rows in corpora]
        key = min(abst) + 0.5 * sum(abst) / len(abst)
        if best is None or key > best[0] + 1e-9:
            best = (key, p)
    p = best[1]
    pooled = [(fusion.calibrated("hybrid", ev, p), ev, right) for rows in corpora for _, ev, right in rows]
    choice = None
    for t, m in itertools.product(*ANSWER_GRID.values()):
        q = replace(p, answer_threshold=float(t), answer_margin=float(m))
        answered = [right for c, ev, right in pooled if fusion.level("hybrid", c, ev.margin, q, ev) == "answered"]
        if answered and sum(answered) / len(answered) >= ANSWERED_PRECISION:
            if choice is None or len(answered) > choice[0]:
                choice = (len(answered), t, m)
    if choice is not None:
        p = replace(p, answer_threshold=float(choice[1]), answer_margin=float(choice[2]))
    return p
