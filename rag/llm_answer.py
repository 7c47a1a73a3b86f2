"""Answers written by an LLM over the retrieved items, with their citations checked.

Every ``[n]`` the model writes is checked against the items it was given (invalid ones dropped,
with a notice); an answer without a valid citation gets the sources it was written from (by
content), or falls back. Any failure (connection, HTTP error, timeout, malformed stream, empty
reply) gives the extractive answer with a notice saying why, within ``llm_timeout`` seconds of silence.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator

from langchain_core.language_models.chat_models import BaseChatModel

from ingest.settings import Settings
from rag.answer_types import Answer, Citation, LLMFailure, Notice, NoticeCode
from rag.chain import answer_chain, condense_chain, source_label
from rag.citations import CitationStream, attribute
from rag.followup import Resolution
from rag.llm import describe_failure, stream_with_deadline
from rag.prompts import ContextItem, format_context
from rag.results import SearchResult

log = logging.getLogger("qbank.answer")

Fallback = Callable[[Notice], Answer]   # why the LLM answer failed -> the extractive answer with that notice


def retrieval_line(result: SearchResult, note: str = "") -> str:
    """How sure the retrieval is, for the LLM: ``<retrieval level="closest" confidence="0.21"/>`` (after the context)."""
    extra = f' note="{html.escape(note, quote=True)}"' if note else ""
    return f'<retrieval level="{result.level}" confidence="{result.confidence:.2f}"{extra}/>'


def context_items(result: SearchResult) -> list[ContextItem]:
    return [ContextItem(n, h.item.question, h.item.answer, source_label(h.item)) for n, h in enumerate(result.hits, 1)]


def condense(model: BaseChatModel, settings: Settings, messages, question: str) -> str:
    """The standalone question the LLM rewrites a follow-up into (may raise; the caller carries the topic then)."""
    chunks = stream_with_deadline(condense_chain(model), {"history": messages, "question": question},
                                  settings.llm.timeout)
    return "".join(chunks)


def stream_llm_answer(model: BaseChatModel, settings: Settings, question: str, result: SearchResult,
                      res: Resolution, fallback: Fallback, note: str = "") -> Iterator[str | Answer]:
    """Yield the LLM's answer in chunks (citations cleaned as they stream), then the final :class:`Answer`.

    Args:
        model: the chat model (config / missing-package errors surface to the caller).
        settings: ``llm_timeout`` and what :func:`rag.llm.describe_failure` names.
        question: what the user asked; ``res.resolved`` is what the model answers.
        result: the search whose hits are the context, numbered from 1.
        fallback: builds the extractive answer with the notice saying why the LLM answer failed.
        note: a line for the model about the retrieval (e.g. which side of a comparison is not covered).
    """
    items = context_items(result)
    inputs = {"context": format_context(items) + "\n" + retrieval_line(result, note), "question": res.resolved}
    cleaner = CitationStream(len(items))
    try:
        for chunk in stream_with_deadline(answer_chain(model), inputs, settings.llm.timeout):
            piece = cleaner.feed(chunk if isinstance(chunk, str) else str(chunk))
            if piece:
                yield piece
        tail = cleaner.finish()
        if tail:
            yield tail
    except Exception as exc:  # noqa: BLE001 - any model failure falls back
        reason = describe_failure(exc, settings)
        log.warning("LLM answer failed (%s); falling back to the extractive answer", reason)    # str(): English, for the log
        yield fallback(Notice.of(NoticeCode.LLM_FAILED, reason=reason))
        return
    check = cleaner.check()
    text = check.text.strip()
    if not text:
        yield fallback(Notice.of(NoticeCode.LLM_FAILED, kind=LLMFailure.EMPTY))
        return
    notes = []
    if check.invalid:
        notes.append(Notice.of(NoticeCode.CITATIONS_DROPPED, numbers=tuple(check.invalid)))
    used = list(check.used)
    if not used:
        used = attribute(text, [f"{it.question}\n{it.answer}" for it in items])
        if not used:
            yield fallback(Notice.of(NoticeCode.LLM_FAILED, kind=LLMFailure.UNCITED))
            return
        suffix = " " + "".join(f"[{n}]" for n in used)
        yield suffix
        text += suffix
        notes.append(Notice(NoticeCode.CITATIONS_ADDED))
    if result.level == "closest":
        notes.append(Notice(NoticeCode.LOW_CONFIDENCE))
    cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
    yield Answer(question, text, "llm", False, tuple(cites[n - 1] for n in used),
                 tuple(c for c in cites if c.n not in used), tuple(notes), res.resolved, res.topic,
                 result.level, result.confidence, topic_item=cites[used[0] - 1].id)

