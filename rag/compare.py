"""Comparisons (``A和B的区别``, ``A vs B``): each side is searched on its own, both are cited, and the
answer says which side the banks do not cover.

:func:`compare_sides` finds the item for each side; :func:`comparison_answer` is the extractive answer
from them (the LLM answer is written by :mod:`rag.llm_answer` over :attr:`Comparison.result`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.items import QAItem
from rag import aspects
from rag.answer_types import Answer, Citation, Notice, NoticeCode
from rag.extractive import _lead, framed
from rag.followup import Resolution
from rag.prompts import missing_sides_note
from rag.results import Hit, SearchResult
from rag.searcher import Searcher


@dataclass(frozen=True)
class Comparison:
    """The two sides of a comparison and the item that covers each.

    Attributes:
        sides: the two sides as the question names them.
        whole: the search for the whole question.
        items: the item covering each side (None when the banks do not cover it).
        confidence: the weaker covered side's confidence (a comparison is as sure as its weaker side); a side
            the banks do not cover is said so by name, not counted as a confidence of 0 (issue 13).
    """

    sides: tuple[str, str]
    whole: SearchResult
    items: tuple[QAItem | None, QAItem | None]
    confidence: float

    @property
    def one_item(self) -> bool:
        """One item compares both (its question names both sides): answer from it as usual."""
        top = self.whole.hits[0].item if self.whole.hits else None
        return top is not None and not self.whole.abstained and all(i is not None and i.id == top.id for i in self.items)

    @property
    def covered(self) -> tuple[tuple[str, str], ...]:
        """``((side, id of the item covering it or ""), …)``, as :attr:`Answer.sides`."""
        return tuple((side, item.id if item else "") for side, item in zip(self.sides, self.items))

    @property
    def missing(self) -> list[str]:
        return [side for side, i in self.covered if not i]

    @property
    def chosen(self) -> list[QAItem]:
        """The sides' items, each once, in the order of the sides."""
        out: list[QAItem] = []
        for item in self.items:
            if item is not None and item.id not in {c.id for c in out}:
                out.append(item)
        return out

    @property
    def result(self) -> SearchResult:
        """The sides' items first, then the whole question's other hits, as a ``closest`` search."""
        chosen = self.chosen
        hits = {h.item.id: h for h in self.whole.hits}
        ranked = chosen + [h.item for h in self.whole.hits if h.item.id not in {c.id for c in chosen}]
        return SearchResult(self.whole.query, tuple(hits.get(i.id) or Hit(i, 0.0, 0.0, 0.0) for i in ranked), False,
                            self.confidence, level="closest")


def side_item(searcher: Searcher, side: str, hits, k: int) -> tuple[QAItem | None, float]:
    """The item that covers one side of a comparison: one whose question names it (among the
    comparison's own hits and the side's search), else the side's confident answer."""
    found = searcher.search(side, k=k)
    names = {side.lower()} | {c.lower() for _, c in searcher.query_analyzer.concepts(side)}
    aliases = {a.lower() for a, c in searcher.analyzer.glossary.canon.items()
               if c.replace(" ", "_").lower() in names}
    forms = {f for f in names | aliases if f}
    conf = max(0.0, found.confidence)
    for h in [*hits, *found.hits]:
        if any(f in h.item.question.lower() or f.replace("_", " ") in h.item.question.lower() for f in forms):
            return h.item, conf
    if found.level == "answered" and not searcher.names_missing(found.hits[0].item, searcher.query_analyzer.names(side)):
        return found.hits[0].item, conf
    return None, 0.0


def compare_sides(searcher: Searcher, sides: tuple[str, str], whole: SearchResult, k: int) -> Comparison:
    """Find the item for each side (``whole`` is the search for the whole question)."""
    found = [side_item(searcher, side, whole.hits, k) for side in sides]
    return Comparison(sides, whole, (found[0][0], found[1][0]), comparison_confidence(found, whole))


def comparison_confidence(found: list[tuple[QAItem | None, float]], whole: SearchResult) -> float:
    """The weaker *covered* side's confidence; a side with no item is left out (the answer names it as
    not covered), so a half-covered comparison shows the covered side's confidence, never 0.00. A covered
    side whose own search scored nothing (found by name in the comparison's hits) counts the whole
    question's confidence. 0 only when neither side is covered."""
    present = [conf if conf > 0 else max(0.0, whole.confidence) for item, conf in found if item is not None]
    return min(present) if present else 0.0


def missing_note(question: str, cmp: Comparison) -> str:
    """The line for the LLM saying which sides the banks do not cover ("" when both are): a prompt,
    in the question's language (:func:`rag.prompts.missing_sides_note`)."""
    return missing_sides_note(question, cmp.missing)


def comparison_answer(question: str, res: Resolution, cmp: Comparison, searcher: Searcher) -> Answer:
    """Each side's item with its lead sentence, cited; a side the banks do not cover is said so."""
    sides = cmp.sides
    body: list[str | Notice] = [Notice.of(NoticeCode.NO_DIRECT_COMPARISON, a=sides[0], b=sides[1])]
    cites: list[Citation] = []
    for side, item in zip(sides, cmp.items):
        if item is None:
            body += ["\n", Notice.of(NoticeCode.SIDE_NOT_COVERED, side=side)]
            continue
        n = next((c.n for c in cites if c.id == item.id), len(cites) + 1)
        if n > len(cites):
            chosen_secs, whole_item = aspects.select(item, side, searcher.query_analyzer.tokens(side))
            cites.append(Citation.of(n, item, None if whole_item else aspects.span(chosen_secs[:1])))
        body += ["\n", Notice.of(NoticeCode.COMPARE_SIDE, side=side), f"{item.question} [{n}] — {_lead(item, 160)}"]
    ranked = [h.item for h in cmp.result.hits]
    related = tuple(Citation.of(n, it) for n, it in
                    enumerate([i for i in ranked if i.id not in {c.id for c in cites}], len(cites) + 1))
    notices = (Notice.of(NoticeCode.HALF_COMPARISON, missing=tuple(cmp.missing)),) if cmp.missing else ()
    return Answer(question, mode="extractive", abstained=False, citations=tuple(cites), related=related,
                  notices=notices, resolved_question=res.resolved, topic=res.topic, level="closest",
                  confidence=cmp.confidence, sides=cmp.covered, topic_item=cites[0].id, **framed(tuple(body)))
