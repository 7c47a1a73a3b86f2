"""Retrieval evaluation on the labelled set: hit@1, hit@5, MRR, abstention, false abstentions.

The metric functions are pure (lists in, numbers out). :func:`evaluate` runs the
searcher once per query and ranks the same raw scores three ways (the configured
hybrid, keyword only, dense only), so the ablations see exactly the same analysis.
Ranking metrics are over covered queries and use the ranked list even when the
search abstained (the nearest questions are still shown); abstention is reported
apart: the share of uncovered queries abstained on, and of covered ones (false).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.settings import DATA_DIR
from ingest.text.slug import slug

EVAL_DIR = DATA_DIR / "eval"
EVAL_SET = EVAL_DIR / "retrieval.jsonl"
KINDS = ("paraphrase", "keyword", "english", "uncovered", "chitchat", "computing", "everyday", "english-ood")
COVERED_KINDS = ("paraphrase", "keyword", "english")
SPLIT_SEED = 20261
RANK_DEPTH = 10
# the labelled sets of each corpus: (file, split) where split None means "split by SPLIT_SEED";
# the second round's files are split once and for all (data/eval/README.md, seed 20262)
OOD = [("retrieval_ood_tune.jsonl", "tune"), ("retrieval_ood_holdout.jsonl", "holdout")]
# the third round: written after the first round's holdouts had been read, never used for a choice
FRESH = [("retrieval_fresh_holdout.jsonl", "fresh")]
SUITES = {
    "bundled": [("retrieval.jsonl", None), *OOD, *FRESH],
    "public": [("retrieval_public_tune.jsonl", "tune"), ("retrieval_public_holdout.jsonl", "holdout"), *OOD,
               ("retrieval_public_fresh_holdout.jsonl", "fresh"), *FRESH],
}
HALVES = ("tune", "holdout", "fresh")
PUBLIC_BANKS_HINT = "qbank ingest ../shared/banks"


@dataclass(frozen=True)
class EvalQuery:
    query: str
    kind: str
    lang: str
    gold: frozenset[str]        # item ids; empty for an uncovered query
    refs: tuple[str, ...] = ()  # "<file>:<line>" labels, resolved to item ids by :func:`bind`
    split: str = ""             # "tune" / "holdout" when the file says so (else :func:`split` decides)

    @property
    def covered(self) -> bool:
        return bool(self.gold or self.refs)

    @property
    def group(self) -> str:
        """The row it is reported in: its kind, or ``<kind>-ood`` for an uncovered query of a covered kind."""
        return f"{self.kind}-ood" if not self.covered and self.kind in COVERED_KINDS else self.kind


@dataclass(frozen=True)
class Outcome:
    """What the search did for one query: the ids of each ranked hit (with duplicates) and the abstention."""

    kind: str
    gold: frozenset[str]
    ranked: tuple[tuple[str, ...], ...]
    abstained: bool
    confidence: float = 0.0
    scores: tuple[float, ...] = ()     # the ranked hits' scores
    level: str = ""                    # answered / closest / not_covered


@dataclass(frozen=True)
class Metrics:
    n_covered: int
    n_uncovered: int
    hit1: float
    hit5: float
    mrr: float
    abstention: float           # uncovered queries abstained on / uncovered queries
    false_abstention: float     # covered queries abstained on / covered queries


def item_id(label: str) -> str:
    """``"dl_basics_qa.txt#9"`` -> ``"dl_basics_qa-9"`` (the id ingest gives that question)."""
    file, sep, number = label.partition("#")
    if not sep or not number.strip().isdigit():
        raise ValueError(f"gold label {label!r} is not of the form '<file>#<question number>'.")
    return f"{slug(Path(file.strip()).stem)}-{int(number)}"


_REF = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")


def parse_ref(label: str) -> tuple[str, int] | None:
    """``"XGBoost.md:137"`` -> ``("XGBoost.md", 137)``; None for a ``file#number`` label."""
    m = _REF.match(label.strip())
    return (m["file"].strip(), int(m["line"])) if m and "#" not in label else None


def load_set(path: Path = EVAL_SET, split_name: str = "") -> list[EvalQuery]:
    """Read a labelled set (one JSON object per line: query, kind, lang, gold).

    A gold label is ``<file>#<question number>`` (an item id) or ``<file>:<line>`` (the line of the
    question's heading, resolved to an item by :func:`bind` once the index is known).
    """
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                labels = row.get("gold", [])
                refs = tuple(g for g in labels if parse_ref(g))
                out.append(EvalQuery(row["query"], row.get("kind", "paraphrase"), row.get("lang", "zh"),
                                     frozenset(item_id(g) for g in labels if g not in refs), refs, split_name))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: not a valid eval row ({exc}); see data/eval/README.md") from exc
    if not out:
        raise ValueError(f"{path} holds no queries.")
    return out


def load_suite(name: str) -> list[EvalQuery]:
    """Every labelled query of a corpus's suite (``bundled`` or ``public``), each marked tune or holdout."""
    if name not in SUITES:
        raise ValueError(f"unknown eval suite {name!r}; use one of {', '.join(SUITES)}.")
    out: list[EvalQuery] = []
    for file, half in SUITES[name]:
        queries = load_set(EVAL_DIR / file, half or "")
        if half is None:
            tune, hold = split(queries)
            queries = [replace(q, split="tune") for q in tune] + [replace(q, split="holdout") for q in hold]
        out += queries
    return out


def bind(index, queries: list[EvalQuery]) -> tuple[list[EvalQuery], list[EvalQuery]]:
    """Resolve ``file:line`` labels to the ids of the items whose line span holds that line.

    Returns ``(bound, unresolved)``: the queries with their gold ids filled in, and the covered
    queries none of whose labels falls inside an item (the segmenter dropped that part of the file).
    """
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for it in index.items:
        if it.lines:
            spans.setdefault(it.file, []).append((it.lines[0], it.lines[1], it.id))
    bound, unresolved = [], []
    for q in queries:
        if not q.refs:
            bound.append(q)
            continue
        ids = set(q.gold)
        for ref in q.refs:
            file, line = parse_ref(ref)
            ids.update(i for a, b, i in spans.get(file, ()) if a <= line <= b)
        if ids:
            bound.append(replace(q, gold=frozenset(ids), refs=()))
        else:
            unresolved.append(q)      # as labelled: its refs say which files it needs
    return bound, unresolved


def split(queries: list[EvalQuery], seed: int = SPLIT_SEED) -> tuple[list[EvalQuery], list[EvalQuery]]:
    """Deterministic half/half split, stratified by kind: (tuning half, holdout half).

    Queries whose file already says which half they are in keep it (a ``fresh`` query is in neither).
    """
    if queries and all(q.split for q in queries):
        return [q for q in queries if q.split == "tune"], [q for q in queries if q.split == "holdout"]
    tune, hold = [], []
    for kind in sorted({q.kind for q in queries}):
        group = [q for q in queries if q.kind == kind]
        random.Random(f"{seed}-{kind}").shuffle(group)
        tune += group[: (len(group) + 1) // 2]
        hold += group[(len(group) + 1) // 2:]
    return tune, hold


# -- pure metrics ----------------------------------------------------------------
def first_relevant(ranked: tuple[tuple[str, ...], ...], gold: frozenset[str]) -> int | None:
    """1-based rank of the first hit any of whose ids is gold, or None."""
    for rank, ids in enumerate(ranked, 1):
        if gold.intersection(ids):
            return rank
    return None


def hit_at(ranks: list[int | None], k: int) -> float:
    """Share of queries whose first relevant rank is at most ``k``."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mean_reciprocal_rank(ranks: list[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def margin(outcome: Outcome, cap: float = 0.05) -> float:
    """Score of the first relevant hit minus the best irrelevant one, clipped to ``[-cap, cap]``
    (``-cap`` when nothing relevant is listed): how safely a covered query is ranked."""
    rel = [s for ids, s in zip(outcome.ranked, outcome.scores) if outcome.gold.intersection(ids)]
    irr = [s for ids, s in zip(outcome.ranked, outcome.scores) if not outcome.gold.intersection(ids)]
    if not rel:
        return -cap
    return max(-cap, min(cap, rel[0] - (irr[0] if irr else 0.0)))


def summarize(outcomes: list[Outcome]) -> Metrics:
    covered = [o for o in outcomes if o.gold]
    uncovered = [o for o in outcomes if not o.gold]
    ranks = [first_relevant(o.ranked, o.gold) for o in covered]
    return Metrics(
        n_covered=len(covered), n_uncovered=len(uncovered),
        hit1=hit_at(ranks, 1), hit5=hit_at(ranks, 5), mrr=mean_reciprocal_rank(ranks),
        abstention=sum(o.abstained for o in uncovered) / len(uncovered) if uncovered else 0.0,
        false_abstention=sum(o.abstained for o in covered) / len(covered) if covered else 0.0)


def calibrate_threshold(covered: list[float], uncovered: list[float], max_false: float = 0.03) -> float:
    """The abstention threshold ``t`` (abstain when confidence < t) that abstains on as many uncovered
    queries as possible while abstaining on at most ``max_false`` of the covered ones.

    ``t`` sits in the middle of the gap below the first covered confidence it must keep, so a
    slightly different query set moves few decisions.
    """
    if not covered:
        raise ValueError("calibration needs at least one covered query.")
    cov = sorted(covered)
    allowed = int(max_false * len(cov) + 1e-9)
    upper = cov[min(allowed, len(cov) - 1)]
    below = [x for x in [*cov[:allowed], *uncovered] if x < upper]
    return (max(below) + upper) / 2 if below else upper


# -- running the searcher ----------------------------------------------------------
def cached_scores(searcher, query: str, cache: dict | None):
    """``searcher.scores(query)``, kept in ``cache`` (query -> raw scores) when one is given: tuning ranks the
    same queries under many parameters, and the scores do not depend on them."""
    raw = cache.get(query) if cache is not None else None
    if raw is None:
        raw = searcher.scores(query)
        if cache is not None:
            cache[query] = raw
    return raw


def evaluate(searcher, queries: list[EvalQuery], modes=("hybrid", "keyword", "dense"), params=None,
             raw_cache: dict | None = None) -> dict[str, list[Outcome]]:
    """Outcomes per mode. ``raw_cache`` (query -> Scores) lets a tuner rank the same scores many times."""
    if any(q.refs for q in queries):
        raise ValueError("some queries have file:line labels still unresolved: call bind(searcher.index, queries) first.")
    check_gold(searcher, queries)
    out: dict[str, list[Outcome]] = {m: [] for m in modes}
    for q in queries:
        raw = cached_scores(searcher, q.query, raw_cache)
        for mode in modes:
            res = searcher.rank(q.query, raw, mode, RANK_DEPTH, params=params)
            out[mode].append(Outcome(q.group, q.gold, tuple(h.ids for h in res.hits), res.abstained, res.confidence,
                                     tuple(h.score for h in res.hits), getattr(res, "level", "")))
    return out


def check_gold(searcher, queries: list[EvalQuery]) -> None:
    known = searcher.index.by_id
    missing = sorted({g for q in queries for g in q.gold if g not in known})
    if missing:
        raise ValueError(f"gold item(s) {missing[:5]} are not in the index ({len(known)} items); "
                         f"evaluate the bundled suite against the bundled corpus (`qbank ingest`), the public suite "
                         f"after `{PUBLIC_BANKS_HINT}`, or fix the labels.")


def report_rows(outcomes: dict[str, list[Outcome]], holdout: list[EvalQuery] | None = None,
                queries: list[EvalQuery] | None = None, tune_half: list[EvalQuery] | None = None,
                fresh: list[EvalQuery] | None = None) -> list[dict]:
    """Table rows: per mode, all queries, each kind, and (when given) the tuning, holdout and fresh sets."""
    rows = []
    for mode, outs in outcomes.items():
        groups = [("all", outs)] + [(k, [o for o in outs if o.kind == k]) for k in KINDS]
        for name, half in (("tune", tune_half), ("holdout", holdout), ("fresh", fresh)):
            if half is not None and queries is not None:
                members = {id(q) for q in half}
                groups.append((name, [o for o, q in zip(outs, queries) if id(q) in members]))
        for name, group in groups:
            if group:
                rows.append({"config": mode, "queries": name, "n": len(group), **summarize(group).__dict__})
    return rows


def format_table(rows: list[dict]) -> str:
    """A fixed-width table; ranking columns are blank for uncovered-only rows and vice versa."""
    head = f"{'config':<8} {'queries':<11} {'n':>4} {'hit@1':>6} {'hit@5':>6} {'MRR':>6} {'abstain':>8} {'false-abst':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        rank = (f"{r['hit1']:>6.3f} {r['hit5']:>6.3f} {r['mrr']:>6.3f}" if r["n_covered"] else f"{'':>6} {'':>6} {'':>6}")
        abst = f"{r['abstention']:>8.3f}" if r["n_uncovered"] else f"{'':>8}"
        false = f"{r['false_abstention']:>10.3f}" if r["n_covered"] else f"{'':>10}"
        lines.append(f"{r['config']:<8} {r['queries']:<11} {r['n']:>4} {rank} {abst} {false}")
    return "\n".join(lines)


def calibration_rows(outcomes: list[Outcome], queries: list[EvalQuery]) -> list[dict]:
    """Per confidence level (and per half): how many queries it holds and how often it told the truth.

    ``top_right`` is the share whose top item is right (an uncovered query counts as wrong); for
    ``not_covered`` the share that the banks really do not cover (``uncovered``) is the one to read.
    """
    rows = []
    for half in ("all", *(h for h in HALVES if any(q.split == h for q in queries))):
        group = [o for o, q in zip(outcomes, queries) if half == "all" or q.split == half]
        for lvl in ("answered", "closest", "not_covered"):
            g = [o for o in group if o.level == lvl]
            right = sum(1 for o in g if o.gold and first_relevant(o.ranked, o.gold) == 1)
            in5 = sum(1 for o in g if o.gold and (first_relevant(o.ranked, o.gold) or 99) <= 5)
            unc = sum(1 for o in g if not o.gold)
            rows.append({"queries": half, "level": lvl, "n": len(g), "share": len(g) / len(group) if group else 0.0,
                         "top_right": right / len(g) if g else 0.0, "in_top5": in5 / len(g) if g else 0.0,
                         "uncovered": unc / len(g) if g else 0.0})
    return rows


def format_calibration(rows: list[dict]) -> str:
    head = f"{'queries':<8} {'level':<12} {'n':>4} {'share':>6} {'top-1 right':>11} {'right in top 5':>14} {'uncovered':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['queries']:<8} {r['level']:<12} {r['n']:>4} {r['share']:>6.2f} {r['top_right']:>11.3f} "
                     f"{r['in_top5']:>14.3f} {r['uncovered']:>9.3f}")
    return "\n".join(lines)
