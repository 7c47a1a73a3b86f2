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

import html
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from ingest.items import QAItem
from ingest.settings import Settings
from rag import aspects
from rag.chain import answer_chain, condense_chain, source_label
from rag.citations import CitationStream, attribute
from rag.followup import Resolution, Turn, carry_topic, resolve
from rag.llm import check_llm_settings, describe_failure, make_chat_model, stream_with_deadline
from rag.prompts import ContextItem, format_context
from rag.retrieve import Hit, SearchResult, Searcher, check_query

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
    excerpt_lines: tuple[int, int] | None = None   # the lines of the part of the answer quoted, when not all

    @classmethod
    def of(cls, n: int, item: QAItem, excerpt_lines: tuple[int, int] | None = None) -> "Citation":
        return cls(n, item.id, item.doc, item.file, item.number, item.question, item.lines, item.page, excerpt_lines)

    def public(self) -> dict:
        d = {"n": self.n, "id": self.id, "doc": self.doc, "file": self.file, "number": self.number,
             "question": self.question, "lines": list(self.lines) if self.lines else None}
        if self.page is not None:
            d["page"] = self.page
        if self.excerpt_lines:
            d["excerpt_lines"] = list(self.excerpt_lines)
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
        level: ``answered``, ``closest`` (nearest questions, to check) or ``not_covered``.
        confidence: the search's confidence (``rag.fusion.calibrated``), compared with the thresholds.
        aspect: the aspect answered (``cons``, ``pros``, ``compute``, ``apps``, ``example``, ``why``, ``how``) or "".
        sides: for a comparison, each side and the id of the item that covers it ("" when none does).
        topic_item: the item the conversation is about (for the next follow-up).
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
    level: str = ""
    confidence: float = 0.0
    aspect: str = ""
    sides: tuple[tuple[str, str], ...] = ()
    topic_item: str = ""

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", "not_covered" if self.abstained else "answered")

    def public(self) -> dict:
        d = {"question": self.question, "answer": self.answer, "mode": self.mode, "abstained": self.abstained,
             "level": self.level, "confidence": round(max(0.0, float(self.confidence)), 4),
             "citations": [c.public() for c in self.citations], "related": [c.public() for c in self.related],
             "notice": self.notice, "resolved_question": self.resolved_question or self.question}
        if self.aspect:
            d["aspect"] = self.aspect
        if self.sides:
            d["compare"] = [{"side": side, "covered": bool(i), "id": i or None} for side, i in self.sides]
        return d


def is_english(text: str) -> bool:
    """True when ``text`` has Latin letters and no Chinese characters."""
    return not re.search(r"[\u4e00-\u9fff]", text) and bool(re.search(r"[A-Za-z]{2}", text))


def _t(en: bool, zh: str, english: str) -> str:
    return english if en else zh


def _cite(text: str) -> str:
    text = text.strip()
    return f"{text}\n\n[1]" if text.endswith("```") else f"{text} [1]"


ASPECT_NAMES = {"cons": ("缺点", "drawbacks"), "pros": ("优点", "advantages"), "compute": ("计算方法", "how it is computed"),
                "apps": ("应用场景", "applications"), "example": ("例子", "examples"), "why": ("原因", "the reasons"),
                "how": ("做法", "how it works")}
CLOSEST_SHOWN = 3      # nearest questions listed by a "closest" answer


def _lead(item: QAItem, limit: int = 80) -> str:
    """The answer's first prose sentence, cut to ``limit`` characters (a hint of what the item says)."""
    from ingest.passages import lead_sentences

    leads = lead_sentences(item.answer, 4)
    prose = [x for x in leads if len(x) >= 20 and not re.match(r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.、)）]", x)]
    lead = (prose or leads or [item.answer.strip().split("\n", 1)[0]])[0]
    return lead if len(lead) <= limit else lead[:limit].rstrip() + "…"


def _excerpt_note(en: bool, lines: tuple[int, int] | None) -> str:
    where = (f"lines {lines[0]}–{lines[1]}" if en else f"第 {lines[0]}–{lines[1]} 行") if lines else ""
    if en:
        return f"*(Excerpt{', ' + where if where else ''}; the whole item opens from [1].)*"
    return f"*（节选{'：' + where if where else ''}；完整答案点击 [1] 查看）*"


def extractive_answer(question: str, result: SearchResult, resolution: Resolution | None = None,
                      notice: str = "", tokens: Sequence[str] | None = None, want: str | None = None) -> Answer:
    """The relevant part of the best hit's reference answer, cited ``[1]``; the nearest questions
    when the search is only a close match; or the abstention answer.

    Args:
        question: what the user asked (its language picks the language of messages).
        result: the search result for the resolved question.
        resolution: how a follow-up was resolved (default: the question itself).
        notice: a note to pass on (e.g. why the LLM answer fell back).
        tokens: the question's search tokens (pick the sections of a long answer that share its words).
        want: the aspect asked for (default: the question's own, :func:`rag.aspects.aspect`).
    """
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    if result.abstained or not result.hits:
        return abstention_answer(question, result, res)
    if result.level == "closest":
        return closest_answer(question, result, res, notice)
    notes = [notice] if notice else []
    if en:
        notes.append("The banks are in Chinese: this is the reference answer as written "
                     "(set an LLM backend for an English answer).")
    item = result.hits[0].item
    if want is None:   # a standalone question steers the excerpt only by specific aspects (缺点, 应用场景…)
        wants = [a for a in aspects.aspects_in(question) if a in aspects.SPECIFIC]
        if set(wants) >= set(aspects.aspects_in(item.question)) - {"how", "why"}:
            wants = []     # the item asks exactly that: its whole answer is about it
    else:
        wants = [want] if want else []
    lead = ""
    chosen, whole = aspects.select(item, question, list(tokens or []), "")
    if wants:
        picked = {s.index: s for w in wants for s in aspects.select(item, question, [], w)[0]}
        if picked:
            chosen = [picked[k] for k in sorted(picked)]
            whole = len(chosen) == len(aspects.sections(item)) and all(k < 1000 for k in picked)
        else:   # the item does not address the aspect: say so, then its main part
            name = ASPECT_NAMES[wants[0]][1 if en else 0]
            lead = (f"This item does not discuss {name}; its main points:\n\n" if en
                    else f"这道题没有专门讲{name}，以下是它的主要内容：\n\n")
    want = wants[0] if wants and not lead else ""
    span = None if whole else aspects.span(chosen)
    text = _cite(lead + (item.answer if whole else aspects.excerpt(chosen)))
    if not whole:
        text += "\n\n" + _excerpt_note(en, span)
    cites = [Citation.of(1, item, span)] + [Citation.of(n, h.item) for n, h in enumerate(result.hits[1:], 2)]
    return Answer(question, text, "extractive", False, (cites[0],), tuple(cites[1:]), " ".join(notes), res.resolved,
                  res.topic, result.level, result.confidence, want, topic_item=item.id)


def closest_answer(question: str, result: SearchResult, resolution: Resolution | None = None,
                   notice: str = "") -> Answer:
    """No item is a sure match: the nearest questions to choose from, each cited, none given in full."""
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    shown = result.hits[:CLOSEST_SHOWN]
    lines = [_t(en, "题库中没有与这个问题完全对应的题目。最接近的是下面几道，请点开核对：",
                "No question in the banks matches this exactly. The nearest ones are below; open one to check:")]
    for n, h in enumerate(shown, 1):
        lines.append(f"{n}. **{h.item.question}** [{n}] — {_lead(h.item)}")
    cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
    return Answer(question, "\n".join(lines), "extractive", False, tuple(cites[:len(shown)]), tuple(cites[len(shown):]),
                  notice, res.resolved, res.topic, "closest", result.confidence, topic_item=shown[0].item.id)


def abstention_answer(question: str, result: SearchResult, resolution: Resolution | None = None) -> Answer:
    """"题库中没有覆盖这个问题" and the nearest questions; never an answer."""
    res = resolution or Resolution(result.query, result.query)
    en = is_english(question)
    related = tuple(Citation.of(n, h.item) for n, h in enumerate(result.hits, 1))
    lines = [_t(en, "题库中没有覆盖这个问题。", "The question banks do not cover this question.")]
    if related:
        lines[0] += _t(en, "最接近的题目：", " The nearest questions are:")
        lines += [f"- {c.question}（{c.doc}）" if not en else f"- {c.question} ({c.doc})" for c in related]
    return Answer(question, "\n".join(lines), "extractive", True, (), related, "", res.resolved, res.topic,
                  "not_covered", result.confidence)


def retrieval_line(result: SearchResult, note: str = "") -> str:
    """How sure the retrieval is, for the LLM: ``<retrieval level="closest" confidence="0.21"/>`` (after the context)."""
    extra = f' note="{html.escape(note, quote=True)}"' if note else ""
    return f'<retrieval level="{result.level}" confidence="{result.confidence:.2f}"{extra}/>'


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

    # -- follow-ups on an aspect ---------------------------------------------------------------
    def _aspect_follow_up(self, question: str, res: Resolution, want: str, prev_id: str) -> Answer | None:
        """Answer "那它有什么缺点？" from the part of the topic's item that addresses the aspect, else from
        another item on the same topic that does, else say that the banks do not cover that aspect.
        None when there is no previous item to lean on (then the question is searched as usual)."""
        by_id = self.searcher.index.by_id
        topic_item = by_id.get(prev_id)
        result = self._search(res)
        if topic_item is None:
            if result.abstained or not result.hits:
                return None
            topic_item = result.hits[0].item
        en = is_english(question)
        name = ASPECT_NAMES[want][1 if en else 0]
        concepts = {c for _, c in self.searcher.query_analyzer.concepts(topic_item.question)}
        candidates = [topic_item] + [h.item for h in result.hits if h.item.id != topic_item.id and concepts and
                                     concepts & {c for _, c in self.searcher.query_analyzer.concepts(h.item.question)}]
        for item in candidates:
            chosen, whole = aspects.select(item, question, [], want)
            if chosen and max(aspects.addresses(c, want) for c in chosen) >= (1 if want in ("example", "compute") else 2):
                span = None if whole else aspects.span(chosen)
                text = _cite(item.answer if whole else aspects.excerpt(chosen))
                if item.id != topic_item.id:
                    text = _t(en, f"「{topic_item.question}」这道题没有讲{name}；另一道题讲到了：\n\n",
                              f"The item \u201c{topic_item.question}\u201d does not discuss {name}; another one does:\n\n") + text
                cite = Citation.of(1, item, span)
                related = tuple(Citation.of(n, h.item) for n, h in
                                enumerate([h for h in result.hits if h.item.id != item.id], 2))
                return Answer(question, text, "extractive", False, (cite,), related, "", res.resolved, res.topic,
                              "answered", result.confidence, want, topic_item=topic_item.id)
        text = _t(en, f"题库中「{topic_item.question}」这道题没有讲到它的{name}，其他题目也没有。",
                  f"The banks do not cover {name} of this: the item \u201c{topic_item.question}\u201d does not discuss "
                  f"them, and no other item does.")
        related = (Citation.of(1, topic_item),) + tuple(
            Citation.of(n, h.item) for n, h in enumerate([h for h in result.hits if h.item.id != topic_item.id], 2))
        return Answer(question, text, "extractive", True, (), related, "", res.resolved, res.topic, "not_covered",
                      result.confidence, want, topic_item=topic_item.id)

    # -- comparisons ---------------------------------------------------------------------------------
    def _side(self, side: str, hits) -> tuple[QAItem | None, float]:
        """The item that covers one side of a comparison: one whose question names it (among the
        comparison's own hits and the side's search), else the side's confident answer."""
        found = self.searcher.search(side, k=self.settings.top_k)
        names = {side.lower()} | {c.lower() for _, c in self.searcher.query_analyzer.concepts(side)}
        aliases = {a.lower() for a, c in self.searcher.analyzer.glossary.canon.items()
                   if c.replace(" ", "_").lower() in names}
        forms = {f for f in names | aliases if f}
        conf = max(0.0, found.confidence)
        for h in [*hits, *found.hits]:
            if any(f in h.item.question.lower() or f.replace("_", " ") in h.item.question.lower() for f in forms):
                return h.item, conf
        if found.level == "answered" and not self.searcher.names_missing(found.hits[0].item,
                                                                        self.searcher.query_analyzer.names(side)):
            return found.hits[0].item, conf
        return None, 0.0

    def _compare(self, question: str, res: Resolution, sides: tuple[str, str]) -> Iterator[str | Answer]:
        en = is_english(question)
        whole = self._search(res)
        top = whole.hits[0].item if whole.hits else None
        found = [self._side(side, whole.hits) for side in sides]
        items = [item for item, _ in found]
        confidence = min(conf for _, conf in found)   # a comparison is as sure as its weaker side
        if top is not None and not whole.abstained and all(i is not None and i.id == top.id for i in items):
            # one item compares both (its question names both sides): answer from it as usual
            yield from self.stream_result(question, whole, res)
            return
        covered = [(side, item.id if item else "") for side, item in zip(sides, items)]
        hits = {h.item.id: h for h in whole.hits}
        chosen: list[QAItem] = []
        for item in items:
            if item is not None and item.id not in {c.id for c in chosen}:
                chosen.append(item)
        if not chosen:
            answer = abstention_answer(question, whole, res)
            yield replace(answer, sides=tuple(covered))
            return
        ranked = chosen + [h.item for h in whole.hits if h.item.id not in {c.id for c in chosen}]
        result = SearchResult(whole.query, tuple(hits.get(i.id) or Hit(i, 0.0, 0.0, 0.0) for i in ranked), False,
                              confidence, level="closest")
        missing = [side for side, i in covered if not i]
        if self.uses_llm:
            note = _t(en, f"题库没有覆盖 {'、'.join(missing)}。", f"The banks do not cover {', '.join(missing)}.") if missing else ""
            for part in self._llm(question, result, res, note):
                yield replace(part, sides=tuple(covered)) if isinstance(part, Answer) else part
            return
        lines = [_t(en, f"题库中没有直接比较 {sides[0]} 和 {sides[1]} 的题目，下面分别给出题库里各自的内容：",
                    f"No item in the banks compares {sides[0]} and {sides[1]} directly; here is what they say about each:")]
        cites: list[Citation] = []
        for side, item in zip(sides, items):
            if item is None:
                lines.append(_t(en, f"- **{side}**：题库没有覆盖 {side}。", f"- **{side}**: the banks do not cover {side}."))
                continue
            n = next((c.n for c in cites if c.id == item.id), len(cites) + 1)
            if n > len(cites):
                chosen_secs, whole_item = aspects.select(item, side, self.searcher.query_analyzer.tokens(side))
                cites.append(Citation.of(n, item, None if whole_item else aspects.span(chosen_secs[:1])))
            lines.append(f"- **{side}**：{item.question} [{n}] — {_lead(item, 160)}" if not en else
                         f"- **{side}**: {item.question} [{n}] — {_lead(item, 160)}")
        related = tuple(Citation.of(n, it) for n, it in
                        enumerate([i for i in ranked if i.id not in {c.id for c in cites}], len(cites) + 1))
        notice = _t(en, f"题库没有覆盖 {'、'.join(missing)}：这只是一半的答案。",
                    f"The banks do not cover {', '.join(missing)}: this is half an answer.") if missing else ""
        yield Answer(question, "\n".join(lines), "extractive", False, tuple(cites), related, notice, res.resolved,
                     res.topic, "closest", confidence, sides=tuple(covered), topic_item=cites[0].id)

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
            yield extractive_answer(question, result, res, tokens=self.searcher.query_analyzer.tokens(question))
            return
        yield from self._llm(question, result, res)

    def _condense(self, messages, question: str) -> str:
        chunks = stream_with_deadline(condense_chain(self.model), {"history": messages, "question": question},
                                      self.settings.llm_timeout)
        return "".join(chunks)

    def _llm(self, question: str, result: SearchResult, res: Resolution, note: str = "") -> Iterator[str | Answer]:
        en = is_english(question)
        items = context_items(result)
        inputs = {"context": format_context(items) + "\n" + retrieval_line(result, note), "question": res.resolved}
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
        if result.level == "closest":
            notes.append(_t(en, "检索置信度较低：题库里只有相近的题目，请核对引用。",
                            "Low retrieval confidence: the banks only have nearby questions; check the citations."))
        cites = [Citation.of(n, h.item) for n, h in enumerate(result.hits, 1)]
        yield Answer(question, text, "llm", False, tuple(cites[n - 1] for n in used),
                     tuple(c for c in cites if c.n not in used), " ".join(notes), res.resolved, res.topic,
                     result.level, result.confidence, topic_item=cites[used[0] - 1].id)

    def _fallback(self, question: str, result: SearchResult, res: Resolution, reason: str) -> Answer:
        notice = _t(is_english(question), f"大模型回答失败（{reason}），以下是题库中的参考答案。",
                    f"The LLM answer failed ({reason}); showing the reference answer from the banks.")
        return extractive_answer(question, result, res, notice=notice, tokens=self.searcher.query_analyzer.tokens(question))

    def as_runnable(self) -> Runnable:
        """This answerer as a LangChain Runnable: ``str`` or ``{"question": str}`` -> :class:`Answer`."""
        def run(inp) -> Answer:
            return self.ask(inp["question"] if isinstance(inp, dict) else inp)
        return RunnableLambda(run, name="qbank_answerer")
