"""Pure scoring functions: normalise keyword and dense scores, fuse them, and score confidence for abstention.

The constants were measured on the tuning half of ``data/eval/retrieval.jsonl`` and the tuning files of
the second corpus; their values, and what each was measured on, are in ``data/tuned.toml`` (``[fusion]``).
The knobs a user may want to change live in the ``search`` section of :class:`~ingest.settings.Settings`:
``weight_question``, ``weight_dense``, ``weight_coverage`` and ``abstain_threshold``; their defaults are in
``data/tuned.toml`` (read once, by ``ingest.settings``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.settings import TUNED
from rag.results import SearchMode

_T = TUNED["fusion"]      # every number below is measured: data/tuned.toml says on what
KEYWORD_HALF = _T["keyword_half"]
DENSE_FLOOR, DENSE_CEIL = _T["dense_floor"], _T["dense_ceil"]
WEIGHT_QUESTION_COVERAGE = _T["weight_question_coverage"]
COVERAGE_CONFIDENCE = _T["coverage_confidence"]
DENSE_CONFIDENCE = _T["dense_confidence"]
UNKNOWN_PENALTY = _T["unknown_penalty"]
SUPPORT_FLOOR, SUPPORT_SCALE = _T["support_floor"], _T["support_scale"]
QUESTION_COVERAGE_SUPPORT = _T["question_coverage_support"]
NAME_PENALTY = _T["name_penalty"]
SMALL_TALK_PENALTY = _T["small_talk_penalty"]
UNKNOWN_PENALTY_ALL = _T["unknown_penalty_all"]
CONCEPT_PENALTY = _T["concept_penalty"]
OOD_PENALTY = _T["ood_penalty"]
UNKNOWN_NAME_PENALTY = _T["unknown_name_penalty"]
UNKNOWN_TERM_PENALTY = _T["unknown_term_penalty"]
ANSWER_THRESHOLD, ANSWER_MARGIN = _T["answer_threshold"], _T["answer_margin"]
LEVELS = ("answered", "closest", "not_covered")
KEYWORD_COVERAGE, KEYWORD_QUESTION_COVERAGE = _T["keyword_coverage"], _T["keyword_question_coverage"]
ABLATION_THRESHOLDS = {"keyword": _T["ablation_threshold_keyword"], "dense": _T["ablation_threshold_dense"]}


@dataclass(frozen=True)
class Params:
    """Everything the fusion needs, so evaluation can try other values without touching settings."""

    weight_question: float = TUNED["search"]["weight_question"]
    weight_dense: float = TUNED["search"]["weight_dense"]
    abstain_threshold: float = TUNED["search"]["abstain_threshold"]
    weight_coverage: float = TUNED["search"]["weight_coverage"]
    weight_question_coverage: float = WEIGHT_QUESTION_COVERAGE
    keyword_half: float = KEYWORD_HALF
    dense_floor: float = DENSE_FLOOR
    dense_ceil: float = DENSE_CEIL
    keyword_coverage: float = KEYWORD_COVERAGE
    keyword_question_coverage: float = KEYWORD_QUESTION_COVERAGE
    coverage_confidence: float = COVERAGE_CONFIDENCE
    dense_confidence: float = DENSE_CONFIDENCE
    unknown_penalty: float = UNKNOWN_PENALTY
    keyword_threshold: float = ABLATION_THRESHOLDS["keyword"]
    dense_threshold: float = ABLATION_THRESHOLDS["dense"]
    support_floor: float = SUPPORT_FLOOR
    support_scale: float = SUPPORT_SCALE
    question_coverage_support: float = QUESTION_COVERAGE_SUPPORT
    name_penalty: float = NAME_PENALTY
    ood_penalty: float = OOD_PENALTY
    small_talk_penalty: float = SMALL_TALK_PENALTY
    concept_penalty: float = CONCEPT_PENALTY
    unknown_penalty_all: float = UNKNOWN_PENALTY_ALL
    unknown_name_penalty: float = UNKNOWN_NAME_PENALTY
    unknown_term_penalty: float = UNKNOWN_TERM_PENALTY
    answer_threshold: float = ANSWER_THRESHOLD
    answer_margin: float = ANSWER_MARGIN

    def __post_init__(self) -> None:
        if self.keyword_half <= 0:
            raise ValueError(f"keyword_half must be > 0, got {self.keyword_half!r}.")
        if self.dense_ceil <= self.dense_floor:
            raise ValueError(f"dense_ceil ({self.dense_ceil!r}) must be above dense_floor ({self.dense_floor!r}).")
        for name in ("name_penalty", "ood_penalty", "small_talk_penalty", "concept_penalty", "unknown_penalty_all",
                     "unknown_name_penalty", "unknown_term_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (a penalty lowers the confidence), got {getattr(self, name)!r}.")
        weights = (self.weight_dense, self.weight_coverage, self.weight_question_coverage)
        if min(weights) < 0 or sum(weights) > 1:
            raise ValueError(f"weight_dense, weight_coverage and weight_question_coverage {weights!r} must be >= 0 "
                             f"and add up to at most 1.")

    @classmethod
    def from_settings(cls, settings, **changes) -> "Params":
        return cls(weight_question=settings.search.weight_question, weight_dense=settings.search.weight_dense,
                   weight_coverage=settings.search.weight_coverage, abstain_threshold=settings.search.abstain_threshold,
                   **changes)

    def threshold(self, mode: str) -> float:
        return {"hybrid": self.abstain_threshold, "keyword": self.keyword_threshold,
                "dense": self.dense_threshold}[mode]


def keyword_score(question: np.ndarray, answer: np.ndarray, weight_question: float, half: float) -> np.ndarray:
    """Weighted BM25 sum squashed to 0..1: ``s / (s + half)`` with ``s = wq * question + answer``."""
    s = weight_question * np.asarray(question, dtype=np.float32) + np.asarray(answer, dtype=np.float32)
    return s / (s + half)


def dense_score(cosine: np.ndarray, floor: float, ceil: float) -> np.ndarray:
    """Cosine mapped linearly from ``[floor, ceil]`` to ``[0, 1]`` and clipped."""
    return np.clip((np.asarray(cosine, dtype=np.float32) - floor) / (ceil - floor), 0.0, 1.0)


def fuse(keyword: np.ndarray, dense: np.ndarray, coverage: np.ndarray, question_coverage: np.ndarray,
         weight_dense: float, weight_coverage: float, weight_question_coverage: float) -> np.ndarray:
    """Convex combination of the normalised keyword and dense scores and the query-term coverages
    (by the whole item, and by its question alone: the question field weighs more)."""
    w_kw = 1.0 - weight_dense - weight_coverage - weight_question_coverage
    return w_kw * keyword + weight_dense * dense + weight_coverage * coverage + weight_question_coverage * question_coverage


@dataclass(frozen=True)
class Evidence:
    """What the confidence of one search is made of (the top hit, and the query itself)."""

    fused: float                  # the top hit's ranking score
    coverage: float               # share of the query's content terms the top item contains
    dense: float                  # the top hit's normalised dense score (best cosine over its texts)
    unknown: float = 0.0          # share of the query's named concepts that no item mentions
    question_coverage: float = 0.0   # share of the query's terms in the top item's question
    question_dense: float = 0.0   # normalised cosine of the query with the top item's question alone
    margin: float = 1.0           # the top hit's score minus the second one's
    names_missing: bool = False   # a name the query asks about (LoRA, CTC) is not in the top item at all
    in_domain: bool = True        # the query names something from AI/ML (data/domain_terms.txt)
    small_talk: bool = False      # it is small talk addressed to the assistant, and nothing else
    concepts_missing: float = 0.0  # share of the concepts the query names (glossary terms, names) absent from the top item
    names_unknown: float = 0.0    # share of the names it asks about (LoRA, CTC, TCP) that no item mentions at all
    terms_unknown: float = 0.0    # share of its plain-word terms (胶囊网络, capsule networks, Mamba) no item uses


def support(ev: Evidence, params: Params) -> float:
    """How well the query matches the top item *as a question*: by the question's words, by the
    question's meaning, or by the item's meaning as a whole (0..1). Words found only in the answer
    are no support: "今天天气怎么样" meets a list of stop words that contains 今天 and 天气."""
    return max(params.question_coverage_support * ev.question_coverage, ev.question_dense, ev.dense)


def calibrated(mode: str, ev: Evidence, params: Params) -> float:
    """The confidence of a search, compared with ``params.threshold(mode)`` (hybrid: also with
    ``answer_threshold`` for the "answered" level).

    The hybrid confidence is :func:`confidence` capped by the support of the top item's question,
    minus a penalty when a name the query asks about is absent from that item, one when no item
    of the corpus mentions it at all (``CTC``, ``TCP`` against banks that never name them: the
    subject of the question is missing, whatever else matches), and one when the query names
    nothing from AI/ML. The ablations keep their old scores.
    """
    base = confidence(mode, ev.fused, ev.coverage, ev.dense, ev.unknown, params)
    if mode != "hybrid":
        return base
    capped = min(base, params.support_floor + params.support_scale * support(ev, params))
    return float(capped - params.name_penalty * ev.names_missing - params.ood_penalty * (not ev.in_domain)
                 - params.small_talk_penalty * ev.small_talk - params.concept_penalty * ev.concepts_missing
                 - params.unknown_penalty_all * ev.unknown - params.unknown_name_penalty * ev.names_unknown
                 - params.unknown_term_penalty * ev.terms_unknown)


def level(mode: str, conf: float, margin: float, params: Params, ev: Evidence | None = None) -> str:
    """``answered`` (sure, well ahead of the next item, its question supports the match, and it names
    every concept the query does), ``closest`` (the nearest questions, to check), or ``not_covered`` (the banks do not cover it)."""
    if conf < params.threshold(mode):
        return "not_covered"
    if mode == SearchMode.HYBRID and (conf < params.answer_threshold or margin < params.answer_margin
                             or (ev is not None and (ev.concepts_missing > 0 or support(ev, params) <= 0))):
        return "closest"
    return "answered"


def confidence(mode: str, fused: float, coverage: float, dense: float, unknown: float, params: Params) -> float:
    """How sure the top hit answers the query, compared with ``params.threshold(mode)``.

    Two kinds of evidence, and either suffices: the keyword side (the top fused score blended
    with how much of the query's content the top item covers, minus a penalty for the share of
    named concepts no item mentions: what makes "LoRA 的原理" abstain although 原理 is
    everywhere), and a dense match strong enough by itself (a paraphrase sharing no word
    with the bank). The keyword ablation has only the first, the dense ablation only its score.
    """
    if mode == SearchMode.DENSE:
        return float(dense)
    c = params.coverage_confidence
    lexical = (1.0 - c) * fused + c * coverage - params.unknown_penalty * unknown
    if mode == SearchMode.KEYWORD:
        return float(lexical)
    return float(max(lexical, params.dense_confidence * dense))
