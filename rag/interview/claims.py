"""Wrong claims: the clause of an answer that says the opposite of a key point it is the best match for.

The embeddings choose which clause speaks to which point (the cosine does not care whether
``训练`` or ``测试`` is said, which is what makes a swapped claim meet its point); the lexical
rules of :mod:`rag.interview.polarity` then decide whether the two say the same or the opposite.
A clause speaks to the point it is most like (within ``margin``), and a point is contradicted only
when such a clause is also the point's best match (within ``margin``) among the clauses that speak
to it: a correct answer that states the point somewhere is never contradicted by another clause
that happens to share its words. Across languages (an English clause against a Chinese point) the
embeddings align too loosely to call anything a contradiction, so such clauses are never checked.
"""

from __future__ import annotations

import numpy as np

from rag.interview import polarity
from rag.interview.align import PreparedItem, overlap
from rag.interview.result import Claim
from rag.interview.text import Span

NEAR_DENSE = 0.1    # among points a clause aligns with equally well by words, it speaks to those nearest in meaning


def point_contradictions(prep: PreparedItem, parts: list[Span], part_vecs: np.ndarray, sims: np.ndarray,
                         part_terms: list[dict[str, float]], t_align: float, margin: float,
                         agree_margin: float = -0.02, block_margin: float = 0.0,
                         trace: list | None = None) -> dict[int, Claim]:
    """``{point index: Claim}`` for the points that the answer contradicts.

    Args:
        prep: the prepared item.
        parts: the answer's clauses.
        part_vecs: their embeddings.
        sims: points x clauses similarity (calibrated as for coverage).
        part_terms: each clause's :func:`~rag.interview.align.claim_terms`.
        t_align: a clause this aligned with a point makes a claim about it.
        margin: how close to the best a clause's alignment must be to count.
        agree_margin: a point is contradicted only if no clause that agrees with it aligns within this of the
            contradicting one (above it, for a negative margin).
        block_margin: a clause that agrees with another point aligned more than this above is no wrong claim.
        trace: when a list, gets ``(point, clause, alignment, best agreeing alignment)`` of each candidate.
    """
    # alignment: the embeddings, or, for a short clause that the embeddings cannot place, how much of it the point says
    lex = np.array([[overlap(t, pt) for t in part_terms] for pt in prep.point_terms]).reshape(sims.shape)
    align = np.maximum(sims, lex)
    n_points, n_parts = align.shape
    reasons: dict[tuple[int, int], tuple[str, str]] = {}
    agree = np.full(align.shape, -1.0)          # alignment of the clauses that say what the point says
    for i in range(n_points):
        for j, c in enumerate(parts):
            if align[i, j] < t_align or not polarity.same_language(prep.points[i], c.text):
                continue
            ref = prep.point_clauses[i][_closest_clause(prep, i, part_terms[j], part_vecs[j])]
            verdict, reason = polarity.judge(ref, c.text, prep.points[i], prep.siblings)
            if verdict == "agrees":
                agree[i, j] = align[i, j]
            elif verdict == "contradicts":
                reasons[i, j] = (ref, reason)
    out: dict[int, Claim] = {}
    for i in range(n_points):
        best = None
        for j in range(n_parts):
            if (i, j) not in reasons:
                continue
            a = float(align[i, j])
            near = align[:, j] >= float(align[:, j].max()) - margin
            if not near[i] or sims[i, j] < float(sims[near, j].max()) - NEAR_DENSE:
                continue        # a clause makes a claim about the point(s) it is most like (by words, then meaning) ...
            if float(agree[:, j].max()) > a + block_margin:
                continue        # ... and states none of them better than it contradicts this one
            if best is None or a > best[0]:
                best = (a, j)
        if best is None:
            continue
        a, j = best
        rival = float(agree[i].max())
        if trace is not None:
            trace.append((i, j, a, rival))
        if rival < a - agree_margin:
            ref, reason = reasons[i, j]
            out[i] = Claim(parts[j].text, (parts[j].start, parts[j].end), ref, reason, i)
    return out


def _closest_clause(prep: PreparedItem, i: int, terms: dict[str, float], vec: np.ndarray) -> int:
    """The clause of point ``i`` a candidate's clause speaks to: the one sharing most of its terms (a pair's
    either side counting as the pair), the embeddings breaking ties."""
    if len(prep.point_clauses[i]) == 1:
        return 0
    dense = prep.clause_vecs[i] @ vec
    lex = [overlap(terms, t, min_shared=1) for t in prep.clause_terms[i]]
    return int(np.argmax(np.array(lex) + 0.1 * dense))
