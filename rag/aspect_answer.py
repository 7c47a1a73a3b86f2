"""A follow-up on an aspect (``那它有什么缺点？``): answered from the part of the topic's item that addresses
it, else from another item on the same topic that does, else the banks say they do not cover that aspect;
never the whole answer again.
"""

from __future__ import annotations

from ingest.items import QAItem
from rag import aspects
from rag.answer_types import Answer, Citation, Notice, NoticeCode
from rag.extractive import _cite, framed
from rag.followup import Resolution
from rag.results import SearchResult
from rag.searcher import Searcher


def aspect_answer(searcher: Searcher, question: str, res: Resolution, want: str, topic_item: QAItem | None,
                  result: SearchResult) -> Answer | None:
    """The answer to a follow-up asking for aspect ``want`` of ``topic_item`` (the previous turn's item).

    Args:
        searcher: for the concepts an item's question names (another item on the same topic).
        result: the search for the resolved follow-up.

    Returns:
        None when there is no previous item to lean on and the search found none (then the question
        is answered as usual).
    """
    if topic_item is None:
        if result.abstained or not result.hits:
            return None
        topic_item = result.hits[0].item
    concepts = {c for _, c in searcher.query_analyzer.concepts(topic_item.question)}
    candidates = [topic_item] + [h.item for h in result.hits if h.item.id != topic_item.id and concepts and
                                 concepts & {c for _, c in searcher.query_analyzer.concepts(h.item.question)}]
    for item in candidates:
        chosen, whole = aspects.select(item, question, [], want)
        if chosen and max(aspects.addresses(c, want) for c in chosen) >= (1 if want in ("example", "compute") else 2):
            span = None if whole else aspects.span(chosen)
            body: tuple[str | Notice, ...] = (_cite(item.answer if whole else aspects.excerpt(chosen)),)
            if item.id != topic_item.id:
                body = (Notice.of(NoticeCode.ASPECT_IN_OTHER_ITEM, topic=topic_item.question, aspect=want),) + body
            cite = Citation.of(1, item, span)
            related = tuple(Citation.of(n, h.item) for n, h in
                            enumerate([h for h in result.hits if h.item.id != item.id], 2))
            return Answer(question, mode="extractive", abstained=False, citations=(cite,), related=related,
                          resolved_question=res.resolved, topic=res.topic, level="answered",
                          confidence=result.confidence, aspect=want, topic_item=topic_item.id, **framed(body))
    body = (Notice.of(NoticeCode.ASPECT_NOT_COVERED, topic=topic_item.question, aspect=want),)
    related = (Citation.of(1, topic_item),) + tuple(
        Citation.of(n, h.item) for n, h in enumerate([h for h in result.hits if h.item.id != topic_item.id], 2))
    return Answer(question, mode="extractive", abstained=True, related=related, resolved_question=res.resolved,
                  topic=res.topic, level="not_covered", confidence=result.confidence, aspect=want,
                  topic_item=topic_item.id, **framed(body))
