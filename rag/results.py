"""What a search returns: the raw per-item :class:`Scores` of a query, the ranked hits (:class:`Hit`) and
the :class:`SearchResult` with its confidence level."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from ingest.items import QAItem


class SearchMode(enum.StrEnum):
    """How items are ranked: the fused score, or one side alone (the ablations ``qbank eval`` reports)."""

    HYBRID = "hybrid"
    KEYWORD = "keyword"
    DENSE = "dense"


@dataclass(frozen=True)
class Hit:
    """One retrieved item. ``keyword``/``dense`` are its normalised component scores (0..1)."""

    item: QAItem
    score: float
    keyword: float
    dense: float
    also_in: tuple[str, ...] = ()
    coverage: float = 0.0

    @property
    def ids(self) -> tuple[str, ...]:
        """The item's id and the ids of its word-for-word duplicates."""
        return (self.item.id, *self.also_in)

    def public(self) -> dict:
        d = self.item.public()
        d["score"] = round(float(self.score), 4)
        if self.also_in:
            d["also_in"] = list(self.also_in)
        return d


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits and how sure the search is.

    ``level`` is ``answered`` (the top item answers the query), ``closest`` (the nearest questions,
    for the user to check) or ``not_covered`` (the banks do not cover it; then ``abstained``).
    """

    query: str
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    notice: str = ""
    level: str = ""

    def __post_init__(self) -> None:
        if not self.level:   # results built by hand (tests, callers) get the level their abstention implies
            object.__setattr__(self, "level", "not_covered" if self.abstained else "answered")

    def public(self) -> dict:
        return {"query": self.query, "abstained": self.abstained, "level": self.level,
                "confidence": round(max(0.0, self.confidence), 4), "results": [h.public() for h in self.hits]}


@dataclass(frozen=True)
class Scores:
    """Raw per-item scores of one query (arrays of length ``len(index.items)``)."""

    question: np.ndarray
    answer: np.ndarray
    coverage: np.ndarray
    dense: np.ndarray
    question_coverage: np.ndarray | None = None   # the same share, counted in the question field only
    unknown: float = 0.0    # share of the query's concepts that no item mentions ("LoRA", "红烧肉" has none)
    query_vector: np.ndarray | None = None         # the embedded query (for the cosine with a question)
    names: tuple[tuple[str, str], ...] = ()        # the names it asks about: (surface, canonical) "LoRA", "CTC"
    concepts: tuple[tuple[str, str], ...] = ()     # every concept it names (glossary terms and names)
    in_domain: bool = True                         # it names something from AI/ML (data/domain_terms.txt)
    small_talk: bool = False                       # greetings, thanks, "who are you", and nothing else
    names_unknown: float = 0.0                     # share of ``names`` that no item mentions ("CTC" in banks without it)
    terms_unknown: float = 0.0                     # share of its plain-word terms the corpus never uses ("胶囊网络", "Mamba")
