"""Finding wrong claims: clauses of an answer that contradict the reference clause they align with.

Alignment looks at *what* is said (terms and bigrams, overlap coefficients) with the
sibling things (``L1``/``L2``) left out, so a clause that says of ``L2`` what the reference
says of ``L1`` still meets that reference clause and is caught as a swap; otherwise the
cues of :mod:`rag.interview.polarity` (negation, antonyms, direction, counts) decide.
"""

from __future__ import annotations

import numpy as np

from rag.interview import polarity
from rag.interview.align import PreparedItem, match, mentions, without_things
from rag.interview.result import Claim
from rag.interview.text import Span

T_ALIGN = 0.45                # a clause this close to a reference clause is a claim about it
MIN_SHARED = 2.0              # ... and shares at least this much (terms + bigrams / 2) with it
SWAP_MARGIN = 0.1             # a swap needs its own sibling's clauses to fit this much worse
T_POINT_ALIGN = 0.30          # within a point's evidence, the clause pairs compared for polarity


def find_claims(prep: PreparedItem, pieces: list[Span], terms: list[dict], grams: list[set]) -> tuple[Claim, ...]:
    """Clauses (or pairs of clauses) of the answer that contradict the reference clause they align with."""
    if not prep.ref_clauses:
        return ()
    things = prep.things
    ref_desc = [({t: w for t, w in r.terms.items() if t not in things}, without_things(r.grams, things))
                for r in prep.ref_clauses]
    out: list[Claim] = []
    for c, ct, cg in zip(pieces, terms, grams):
        if c.size > 2 or polarity.is_hedge(c.text):
            continue
        if c.size == 2 and any(o.span[0] < c.end and c.start < o.span[1] for o in out):
            continue    # a pair adds nothing where one of its clauses already contradicts
        cand_things = mentions(c.text, prep.thing_keys)     # only what the clause itself names
        desc_t = {t: w for t, w in ct.items() if t not in things}
        desc_g = without_things(cg, things)
        sims = [align(desc_t, desc_g, rt, rg) for rt, rg in ref_desc]
        k = int(np.argmax(sims))
        if sims[k] < T_ALIGN:
            continue
        best = prep.ref_clauses[k]
        reason = None
        if cand_things and best.things and not (cand_things & best.things):
            # about another sibling: a swap if its own sibling's clauses fit clearly worse
            own_k = [j for j, r in enumerate(prep.ref_clauses) if r.things & cand_things]
            own_best = max((sims[j] for j in own_k), default=0.0)
            if own_best < sims[k] - SWAP_MARGIN:
                reason = polarity.swapped(best.things, cand_things)
            elif own_best >= T_ALIGN:
                best = prep.ref_clauses[max(own_k, key=lambda j: sims[j])]
            else:
                continue
        reason = reason or polarity.contradiction(best.text, c.text, best.context)
        if reason:
            out.append(Claim(c.text, (c.start, c.end), best.text, reason,
                             prep.point_of_statement.get(best.statement)))
    return tuple(out)


def align(at: dict[str, float], ag: set[str], bt: dict[str, float], bg: set[str]) -> float:
    """How much two clauses say the same: overlap coefficients of terms and bigrams (0 below MIN_SHARED)."""
    credit = {t: match(t, bt) for t in at}
    shared_g = ag & bg
    if sum(credit.values()) + len(shared_g) / 2 < MIN_SHARED:
        return 0.0
    ta, tb = sum(at.values()), sum(bt.values())
    ot = sum(at[t] * c for t, c in credit.items()) / min(ta, tb) if ta and tb else 0.0
    og = len(shared_g) / min(len(ag), len(bg)) if ag and bg else 0.0
    return 0.6 * min(ot, 1.0) + 0.4 * og


def point_contradiction(prep: PreparedItem, i: int, parts: list[Span], terms: list[dict], grams: list[set],
                         unit: Span) -> Claim | None:
    """Does the evidence for point ``i`` say the opposite of it? Each clause of the unit vs its closest point clause.

    Only polarity cues here (negation, antonyms, direction, counts); a clause naming another sibling
    thing is left to :func:`find_claims`, which needs that sibling's own clauses to fit clearly worse.
    """
    inside = [k for k, c in enumerate(parts) if c.start >= unit.start and c.end <= unit.end]
    for k in inside:
        c = parts[k]
        if polarity.is_hedge(c.text) or not prep.point_clauses[i]:
            continue
        sims = [align(terms[k], grams[k], r.terms, r.grams) for r in prep.point_clauses[i]]
        j = int(np.argmax(sims))
        if sims[j] < T_POINT_ALIGN:
            continue
        r = prep.point_clauses[i][j]
        if r.things and mentions(c.text, prep.thing_keys) - r.things:
            continue            # the clause is about a sibling: swaps are judged by find_claims, with a margin
        reason = polarity.contradiction(r.text, c.text, r.context)
        if reason:
            return Claim(c.text, (c.start, c.end), r.text, reason, i)
    return None
