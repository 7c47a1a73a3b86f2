"""Cited answers: extractive (default, no LLM) or written by an LLM over the retrieved items.

* Extractive: the matched item's reference answer, cited ``[1]``, with the other hits as
  related questions. Deterministic; costs one search.
* LLM: :func:`rag.chain.answer_chain` over the top items; every ``[n]`` is checked against
  the items given (invalid ones dropped, with a notice); an answer without a valid citation
  gets the sources it was written from, or falls back.
* Abstention: when retrieval abstains, no LLM is called; the answer says plainly that the
  banks do not cover the question and lists the nearest questions.
* Confidence: every answer carries the search's level (``answered`` / ``closest`` /
  ``not_covered``) and confidence. A ``closest`` answer lists the nearest questions to choose
  from instead of one answer in full; an ``answered`` one is the relevant sections of the item
  (:mod:`rag.aspects`), cited with their lines, the whole item one click away.
* Comparisons (``A和B的区别``, ``A vs B``) search both sides, cite both, and say which side the
  banks do not cover; a follow-up on an aspect (``那它有什么缺点？``) answers from the part of the
  item that addresses it, or says the banks do not cover that aspect, never the whole answer again.
* Any LLM failure (connection, HTTP error, timeout, malformed stream) gives the extractive
  answer with a short notice, within ``llm_timeout`` seconds of silence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from ingest.settings import Settings
from rag import aspects
from rag.answer_types import Answer, Notice
from rag.aspect_answer import aspect_answer
from rag.compare import compare_sides, comparison_answer, missing_note
from rag.extractive import abstention_answer, extractive_answer
from rag.followup import Resolution, Turn, carry_topic, resolve
from rag.llm import check_llm_settings, make_chat_model
from rag.llm_answer import condense, stream_llm_answer
from rag.results import SearchResult
from rag.searcher import Searcher
from rag.validate import check_query


class Answerer:
    """Answers questions from the banks; one per process (thread-safe; keep conversations apart).

    Args:
        settings: ``llm_backend`` (``none`` = extractive only), ``llm_*``, ``top_k``.
        searcher: a shared :class:`Searcher` (default: a new one).
        model: a chat model to use instead of the one the settings describe (tests, your own apps).

    Raises:
        LLMConfigError: the LLM settings are incomplete (checked at once; the model loads lazily).
    """

    def __init__(self, settings: Settings, searcher: Searcher | None = None, model: BaseChatModel | None = None):
        self.settings = settings
        self.searcher = searcher or Searcher(settings)
        self._model = model
        self._lock = threading.Lock()
        if model is None:
            check_llm_settings(settings)

    @property
    def uses_llm(self) -> bool:
        return self._model is not None or self.settings.llm.backend != "none"

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = make_chat_model(self.settings)
        return self._model

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer one question (after ``history``, for follow-ups)."""
        answer = None
        for part in self.stream(question, history):
            answer = part
        return answer

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Yield the answer text in chunks (LLM mode), then the final :class:`Answer`.

        The final Answer is authoritative: if the LLM failed mid-way it is the extractive
        answer with a notice, and its text replaces what was streamed.

        Raises:
            QueryError: empty or too long question (before anything else happens).
        """
        question = check_query(question, self.settings.search.max_query_chars)
        tokens = self.searcher.analyzer.tokens(question) if history else []
        rewrite = self._condense if (history and self.uses_llm) else None
        res = resolve(question, history, tokens, rewrite, self.settings.search.max_query_chars)
        want = aspects.aspect(question)
        if res.how != "standalone" and want and not self.uses_llm:
            prev = history[-1]
            answer = self._aspect_follow_up(question, res, want, getattr(prev, "item_id", ""))
            if answer is not None:
                yield answer
                return
        sides = aspects.comparison(question) if res.how == "standalone" else None
        if sides:
            yield from self._compare(question, res, sides)
            return
        result = self._search(res)
        if res.how == "condensed" and result.abstained:
            # a weak LLM can mangle the rewrite: carrying the topic is the safer reading
            carried = Resolution(carry_topic(history[-1].topic, question), history[-1].topic, "carried")
            alt = self._search(carried)
            if not alt.abstained:
                res, result = carried, alt
        yield from self.stream_result(question, result, res)

    # -- follow-ups on an aspect, comparisons ----------------------------------------------------
    def _aspect_follow_up(self, question: str, res: Resolution, want: str, prev_id: str) -> Answer | None:
        """:func:`rag.aspect_answer.aspect_answer` on the previous turn's item (None: answer as usual)."""
        return aspect_answer(self.searcher, question, res, want, self.searcher.index.by_id.get(prev_id),
                             self._search(res))

    def _compare(self, question: str, res: Resolution, sides: tuple[str, str]) -> Iterator[str | Answer]:
        cmp = compare_sides(self.searcher, sides, self._search(res), self.settings.search.top_k)
        if cmp.one_item:
            yield from self.stream_result(question, cmp.whole, res)
            return
        if not cmp.chosen:
            yield replace(abstention_answer(question, cmp.whole, res), sides=cmp.covered)
            return
        if self.uses_llm:
            for part in self._llm(question, cmp.result, res, missing_note(question, cmp)):
                yield replace(part, sides=cmp.covered) if isinstance(part, Answer) else part
            return
        yield comparison_answer(question, res, cmp, self.searcher)

    def _search(self, res: Resolution) -> SearchResult:
        result = self.searcher.search(res.resolved, k=self.settings.search.top_k)
        if res.how == "carried" and result.abstained:
            # the follow-up's own words dilute the score: the topic decides whether the banks cover it
            topic = self.searcher.search(res.topic, k=self.settings.search.top_k)
            if not topic.abstained:
                same = result.hits and result.hits[0].item.id == topic.hits[0].item.id
                result = replace(result, abstained=False, confidence=topic.confidence) if same else topic
        return result

    def stream_result(self, question: str, result: SearchResult,
                      resolution: Resolution | None = None) -> Iterator[str | Answer]:
        """Like :meth:`stream`, for a search already done (``result``)."""
        res = resolution or Resolution(result.query, result.query)
        if result.abstained or not result.hits or not self.uses_llm:
            yield extractive_answer(question, result, res, tokens=self.searcher.query_analyzer.tokens(question))
            return
        yield from self._llm(question, result, res)

    def _condense(self, messages, question: str) -> str:
        return condense(self.model, self.settings, messages, question)

    def _llm(self, question: str, result: SearchResult, res: Resolution, note: str = "") -> Iterator[str | Answer]:
        model = self.model   # config / missing-package errors surface to the caller
        yield from stream_llm_answer(model, self.settings, question, result, res,
                                     lambda notice: self._fallback(question, result, res, notice), note)

    def _fallback(self, question: str, result: SearchResult, res: Resolution, notice: Notice) -> Answer:
        return extractive_answer(question, result, res, notices=(notice,),
                                 tokens=self.searcher.query_analyzer.tokens(question))

    def as_runnable(self) -> Runnable:
        """This answerer as a LangChain Runnable: ``str`` or ``{"question": str}`` -> :class:`Answer`."""
        def run(inp) -> Answer:
            return self.ask(inp["question"] if isinstance(inp, dict) else inp)
        return RunnableLambda(run, name="qbank_answerer")
