"""Answers without an LLM: the matched item's reference answer (or the part of it that is asked for),
the nearest questions when the search is only a close match, or the abstention answer.

Deterministic and cheap: each builder turns one :class:`rag.results.SearchResult` into an
:class:`rag.answer_types.Answer`, citing items by their position in the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.items import QAItem
from ingest.text.script import is_english
from rag import aspects
from rag.answer_types import Answer, Citation, Notice, NoticeCode, bank_text
from rag.followup import Resolution
from rag.results import SearchResult


def _cite(text: str) -> str:
    text = text.strip()
    return f"{text}\n\n[1]" if text.endswith("```") else f"{text} [1]"


CLOSEST_SHOWN = 3      # nearest questions listed by a "closest" answer


def _lead(item: QAItem, limit: int = 80) -> str:
    """The answer's first prose sentence, cut to ``limit`` characters (a hint of what the item says)."""
    from ingest.passages import lead_sentences

    leads = lead_sentences(item.answer, 4)
    prose = [x for x in leads if len(x) >= 20 and not re.match(r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.、)）]", x)]
    lead = (prose or leads or [item.answer.strip().split("\n", 1)[0]])[0]
    return lead if len(lead) <= limit else lead[:limit].rstrip() + "…"


def framed(body: tuple[str | Notice, ...]) -> dict:
    """``answer`` (the bank's text) and ``body`` (kept only when it has a notice) of an :class:`Answer`."""
    return {"answer": bank_text(body), "body": body if any(isinstance(b, Notice) for b in body) else ()}


def extractive_answer(question: str, result: SearchResult, resolution: Resolution | None = None,
                      notices: tuple[Notice, ...] = (), tokens: Sequence[str] | None = None, want: str | None = None) -> Answer:
    """The relevant part of the best hit's reference answer, cited ``[1]``; the nearest questions
    when the search is only a close match; or the abstention answer.

    Args:
        question: what the user asked (its language picks the language of messages).
        result: the search result for the resolved question.
        resolution: how a follow-up was resolved (default: the question itself).
        notices: notes to pass on (e.g. why the LLM answer fell back).
        tokens: the question's search tokens (pick the sections of a long answer that share its words).
        want: the aspect asked for (default: the question's own, :func:`rag.aspects.aspect`).
    """
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    if result.abstained or not result.hits:
        return abstention_answer(question, result, res)
    if result.level == "closest":
        return closest_answer(question, result, res, notices)
    if en:
        notices += (Notice(NoticeCode.BANKS_IN_CHINESE),)
    item = result.hits[0].item
    if want is None:   # a standalone question steers the excerpt only by specific aspects (缺点, 应用场景…)
        wants = [a for a in aspects.aspects_in(question) if a in aspects.SPECIFIC]
        if set(wants) >= set(aspects.aspects_in(item.question)) - {"how", "why"}:
            wants = []     # the item asks exactly that: its whole answer is about it
    else:
        wants = [want] if want else []
    lead: tuple[Notice, ...] = ()
    chosen, whole = aspects.select(item, question, list(tokens or []), "")
    if wants:
        picked = {s.index: s for w in wants for s in aspects.select(item, question, [], w)[0]}
        if picked:
            chosen = [picked[k] for k in sorted(picked)]
            whole = len(chosen) == len(aspects.sections(item)) and all(k < 1000 for k in picked)
        else:   # the item does not address the aspect: say so, then its main part
            lead = (Notice.of(NoticeCode.ASPECT_NOT_IN_ITEM, aspect=wants[0]),)
    want = wants[0] if wants and not lead else ""
    span = None if whole else aspects.span(chosen)
    body = lead + (_cite(item.answer if whole else aspects.excerpt(chosen)),)
    if not whole:
        body += ("\n\n", Notice.of(NoticeCode.EXCERPT, lines=span))
    cites = [Citation.of(1, item, span)] + [Citation.of(n, h.item) for n, h in enumerate(result.hits[1:], 2)]
    return Answer(question, mode="extractive", abstained=False, citations=(cites[0],), related=tuple(cites[1:]),
                  notices=notices, resolved_question=res.resolved, topic=res.topic, level=result.level,
                  confidence=result.confidence, aspect=want, topic_item=item.id, **framed(body))


def closest_answer(question: str, result: SearchResult, resolution: Resolution | None = None,
                   notices: tuple[Notice, ...] = ()) -> Answer:
    """No item is a sure match: the nearest questions to choose from, each cited, none given in full."""
    res = resolution or Resolution(result.query, result.query)
    shown = result.hits[:CLOSEST_SHOWN]
    body = (Notice(NoticeCode.NO_EXACT_MATCH),) + tuple(
        f"\n{n}. **{h.item.question}** [{n}] — {_lead(h.item)}" for n, h in enumerate(shown, 1))
    cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
    return Answer(question, mode="extractive", abstained=False, citations=tuple(cites[:len(shown)]),
                  related=tuple(cites[len(shown):]), notices=notices, resolved_question=res.resolved, topic=res.topic,
                  level="closest", confidence=result.confidence, topic_item=shown[0].item.id, **framed(body))


def abstention_answer(question: str, result: SearchResult, resolution: Resolution | None = None) -> Answer:
    """"题库中没有覆盖这个问题" and the nearest questions; never an answer."""
    res = resolution or Resolution(result.query, result.query)
    related = tuple(Citation.of(n, h.item) for n, h in enumerate(result.hits, 1))
    body = (Notice.of(NoticeCode.NOT_COVERED, nearest=tuple((c.question, c.doc) for c in related)),)
    return Answer(question, mode="extractive", abstained=True, related=related, resolved_question=res.resolved,
                  topic=res.topic, level="not_covered", confidence=result.confidence, **framed(body))
