"""Cited answers: extractive (default, no LLM) or written by an LLM over the retrieved items.

* Extractive: the matched item's reference answer, cited ``[1]``, with the other hits as
  related questions. Deterministic; costs one search.
* LLM: :func:`rag.chain.answer_chain` over the top items; every ``[n]`` is checked against
  the items given (invalid ones dropped, with a notice); an answer without a valid citation
  gets the sources it was written from, or falls back.
* Abstention: when retrieval abstains, no LLM is called; the answer says plainly that the
  banks do not cover the question and lists the nearest questions.
* Any LLM failure (connection, HTTP error, timeout, malformed stream) gives the extractive
  answer with a short notice, within ``llm_timeout`` seconds of silence.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from ingest.items import QAItem
from ingest.settings import Settings
from rag.chain import answer_chain, condense_chain, source_label
from rag.citations import CitationStream, attribute
from rag.conversation import Resolution, Turn, carry_topic, resolve
from rag.llm import check_llm_settings, describe_failure, make_chat_model, stream_with_deadline
from rag.prompts import ContextItem, format_context
from rag.retrieve import SearchResult, Searcher, check_query

log = logging.getLogger("qbank.answer")


@dataclass(frozen=True)
class Citation:
    """A retrieved item an answer points at; ``n`` is its position among the retrieved items."""

    n: int
    id: str
    doc: str
    file: str
    number: int | None
    question: str
    lines: tuple[int, int] | None
    page: int | None = None

    @classmethod
    def of(cls, n: int, item: QAItem) -> "Citation":
        return cls(n, item.id, item.doc, item.file, item.number, item.question, item.lines, item.page)

    def public(self) -> dict:
        d = {"n": self.n, "id": self.id, "doc": self.doc, "file": self.file, "number": self.number,
             "question": self.question, "lines": list(self.lines) if self.lines else None}
        if self.page is not None:
            d["page"] = self.page
        return d


@dataclass(frozen=True)
class Answer:
    """What ``qbank ask`` returns.

    Attributes:
        question: what the user asked.
        answer: the answer text, with ``[n]`` markers that all point into ``citations``.
        mode: ``extractive`` or ``llm``.
        abstained: the banks do not cover the question (then ``citations`` is empty).
        citations: the items the answer cites.
        related: other retrieved items (nearest questions when abstained).
        notice: a short note for the user (LLM fell back, citations dropped…), or "".
        resolved_question: the standalone question searched (differs for follow-ups).
        topic: the question that opened the topic, carried to the next follow-up.
    """

    question: str
    answer: str
    mode: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()
    notice: str = ""
    resolved_question: str = ""
    topic: str = ""

    def public(self) -> dict:
        return {"question": self.question, "answer": self.answer, "mode": self.mode, "abstained": self.abstained,
                "citations": [c.public() for c in self.citations], "related": [c.public() for c in self.related],
                "notice": self.notice, "resolved_question": self.resolved_question or self.question}


def is_english(text: str) -> bool:
    """True when ``text`` has Latin letters and no Chinese characters."""
    return not re.search(r"[\u4e00-\u9fff]", text) and bool(re.search(r"[A-Za-z]{2}", text))


def _t(en: bool, zh: str, english: str) -> str:
    return english if en else zh


def _cite(text: str) -> str:
    text = text.strip()
    return f"{text}\n\n[1]" if text.endswith("```") else f"{text} [1]"


def extractive_answer(question: str, result: SearchResult, resolution: Resolution | None = None,
                      notice: str = "") -> Answer:
    """The reference answer of the best hit, cited ``[1]``; or the abstention answer.

    Args:
        question: what the user asked (its language picks the language of messages).
        result: the search result for the resolved question.
        resolution: how a follow-up was resolved (default: the question itself).
        notice: a note to pass on (e.g. why the LLM answer fell back).
    """
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
    if result.abstained or not result.hits:
        return abstention_answer(question, result, res)
    notes = [notice] if notice else []
    if en:
        notes.append("The banks are in Chinese: this is the reference answer as written "
                     "(set an LLM backend for an English answer).")
    return Answer(question, _cite(result.hits[0].item.answer), "extractive", False, (cites[0],), tuple(cites[1:]),
                  " ".join(notes), res.resolved, res.topic)


def abstention_answer(question: str, result: SearchResult, resolution: Resolution | None = None) -> Answer:
    """"题库中没有覆盖这个问题" and the nearest questions; never an answer."""
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    related = tuple(Citation.of(n, h.item) for n, h in enumerate(result.hits, 1))
    lines = [_t(en, "题库中没有覆盖这个问题。", "The question banks do not cover this question.")]
    if related:
        lines[0] += _t(en, "最接近的题目：", " The nearest questions are:")
        lines += [f"- {c.question}（{c.doc}）" if not en else f"- {c.question} ({c.doc})" for c in related]
    return Answer(question, "\n".join(lines), "extractive", True, (), related, "", res.resolved, res.topic)


def context_items(result: SearchResult) -> list[ContextItem]:
    return [ContextItem(n, h.item.question, h.item.answer, source_label(h.item)) for n, h in enumerate(result.hits, 1)]


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
        return self._model is not None or self.settings.llm_backend != "none"

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
        question = check_query(question, self.settings.max_query_chars)
        tokens = self.searcher.analyzer.tokens(question) if history else []
        condense = self._condense if (history and self.uses_llm) else None
        res = resolve(question, history, tokens, condense, self.settings.max_query_chars)
        result = self._search(res)
        if res.how == "condensed" and result.abstained:
            # a weak LLM can mangle the rewrite: carrying the topic is the safer reading
            carried = Resolution(carry_topic(history[-1].topic, question), history[-1].topic, "carried")
            alt = self._search(carried)
            if not alt.abstained:
                res, result = carried, alt
        yield from self.stream_result(question, result, res)

    def _search(self, res: Resolution) -> SearchResult:
        result = self.searcher.search(res.resolved, k=self.settings.top_k)
        if res.how == "carried" and result.abstained:
            # the follow-up's own words dilute the score: the topic decides whether the banks cover it
            topic = self.searcher.search(res.topic, k=self.settings.top_k)
            if not topic.abstained:
                same = result.hits and result.hits[0].item.id == topic.hits[0].item.id
                result = replace(result, abstained=False, confidence=topic.confidence) if same else topic
        return result

    def stream_result(self, question: str, result: SearchResult,
                      resolution: Resolution | None = None) -> Iterator[str | Answer]:
        """Like :meth:`stream`, for a search already done (``result``)."""
        res = resolution or Resolution(result.query, result.query)
        if result.abstained or not result.hits or not self.uses_llm:
            yield extractive_answer(question, result, res)
            return
        yield from self._llm(question, result, res)

    def _condense(self, messages, question: str) -> str:
        chunks = stream_with_deadline(condense_chain(self.model), {"history": messages, "question": question},
                                      self.settings.llm_timeout)
        return "".join(chunks)

    def _llm(self, question: str, result: SearchResult, res: Resolution) -> Iterator[str | Answer]:
        en = is_english(question)
        items = context_items(result)
        inputs = {"context": format_context(items), "question": res.resolved}
        cleaner = CitationStream(len(items))
        model = self.model   # config / missing-package errors surface to the caller
        try:
            for chunk in stream_with_deadline(answer_chain(model), inputs, self.settings.llm_timeout):
                piece = cleaner.feed(chunk if isinstance(chunk, str) else str(chunk))
                if piece:
                    yield piece
            tail = cleaner.finish()
            if tail:
                yield tail
        except Exception as exc:  # noqa: BLE001 - any model failure falls back
            reason = describe_failure(exc, self.settings)
            log.warning("LLM answer failed (%s); falling back to the extractive answer", reason)
            yield self._fallback(question, result, res, reason)
            return
        check = cleaner.check()
        text = check.text.strip()
        if not text:
            yield self._fallback(question, result, res, _t(en, "回答为空", "empty reply"))
            return
        notes = []
        if check.invalid:
            bad = "".join(f"[{n}]" for n in check.invalid)
            notes.append(_t(en, f"已删除不指向任何检索结果的引用 {bad}。",
                            f"Removed citation(s) {bad} that pointed at no retrieved item."))
        used = list(check.used)
        if not used:
            used = attribute(text, [f"{it.question}\n{it.answer}" for it in items])
            if not used:
                yield self._fallback(question, result, res, _t(en, "回答没有依据题库", "the reply cites nothing from the banks"))
                return
            suffix = " " + "".join(f"[{n}]" for n in used)
            yield suffix
            text += suffix
            notes.append(_t(en, "模型没有标注出处，出处由 qbank 按内容补上。",
                            "The model gave no citations; qbank added the sources it drew on."))
        cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
        yield Answer(question, text, "llm", False, tuple(cites[n - 1] for n in used),
                     tuple(c for c in cites if c.n not in used), " ".join(notes), res.resolved, res.topic)

    def _fallback(self, question: str, result: SearchResult, res: Resolution, reason: str) -> Answer:
        notice = _t(is_english(question), f"大模型回答失败（{reason}），以下是题库中的参考答案。",
                    f"The LLM answer failed ({reason}); showing the reference answer from the banks.")
        return extractive_answer(question, result, res, notice=notice)

    def as_runnable(self) -> Runnable:
        """This answerer as a LangChain Runnable: ``str`` or ``{"question": str}`` -> :class:`Answer`."""
        def run(inp) -> Answer:
            return self.ask(inp["question"] if isinstance(inp, dict) else inp)
        return RunnableLambda(run, name="qbank_answerer")
