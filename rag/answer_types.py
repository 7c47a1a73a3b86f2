"""The answer types every surface receives: :class:`Citation` (an item an answer points at), :class:`Notice`
(a note about the answer, as a code and its parameters: ``ui/`` words it in the user's language) and :class:`Answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ingest.items import QAItem


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
    def of(cls, n: int, item: QAItem, excerpt_lines: tuple[int, int] | None = None) -> Citation:
        return cls(n, item.id, item.doc, item.file, item.number, item.question, item.lines, item.page, excerpt_lines)

    def public(self) -> dict:
        d = {"n": self.n, "id": self.id, "doc": self.doc, "file": self.file, "number": self.number,
             "question": self.question, "lines": list(self.lines) if self.lines else None}
        if self.page is not None:
            d["page"] = self.page
        if self.excerpt_lines:
            d["excerpt_lines"] = list(self.excerpt_lines)
        return d


class NoticeCode(Enum):
    """What a :class:`Notice` says; its parameters are listed beside each code."""

    BANKS_IN_CHINESE = "banks_in_chinese"     # an English question, answered with the Chinese reference answer
    LLM_FAILED = "llm_failed"                 # reason (rag.llm.describe_failure) or kind (LLMFailure): fell back
    CITATIONS_DROPPED = "citations_dropped"   # numbers: the [n] the LLM wrote that point at no retrieved item
    CITATIONS_ADDED = "citations_added"       # the LLM cited nothing; qbank attributed the sources by content
    LOW_CONFIDENCE = "low_confidence"         # an LLM answer over a "closest" search
    HALF_COMPARISON = "half_comparison"       # missing: the sides of a comparison the banks do not cover
    # the sentences around the bank's text in Answer.body
    NOT_COVERED = "not_covered"               # nearest: ((question, doc), …) the nearest questions, maybe none
    NO_EXACT_MATCH = "no_exact_match"         # (a list of the nearest questions follows)
    EXCERPT = "excerpt"                       # lines: (first, last) of the part quoted, or absent
    ASPECT_NOT_IN_ITEM = "aspect_not_in_item"       # aspect: the item's main part follows
    ASPECT_IN_OTHER_ITEM = "aspect_in_other_item"   # topic, aspect: another item's part follows
    ASPECT_NOT_COVERED = "aspect_not_covered"       # topic, aspect: no item addresses it
    NO_DIRECT_COMPARISON = "no_direct_comparison"   # a, b: each side's line follows
    COMPARE_SIDE = "compare_side"             # side, question, n, lead: the item covering one side
    SIDE_NOT_COVERED = "side_not_covered"     # side


class LLMFailure(Enum):
    """Why an LLM reply was refused although the model answered."""

    EMPTY = "empty"           # the reply was empty
    UNCITED = "uncited"       # the reply cites nothing from the banks


class LLMErrorKind(Enum):
    """What went wrong in a failed LLM call (``ui`` words each: ``llm_error_<value>``)."""

    TIMEOUT = "timeout"         # detail: the seconds waited
    HTTP = "http"               # detail: the status code
    CONNECT = "connect"         # nothing answered at ``where``
    MALFORMED = "malformed"     # detail: the exception's name
    OTHER = "other"             # detail: the exception's name


@dataclass(frozen=True)
class LLMError:
    """A failed LLM call as data: its kind, a detail and where the model is (never the key).

    ``str()`` is the English line written to the log (``timed out after 2s``, ``HTTP 503 from http://h/v1``).
    """

    kind: LLMErrorKind
    detail: str = ""
    where: str = ""

    def __str__(self) -> str:
        return {LLMErrorKind.TIMEOUT: f"timed out after {self.detail}s",
                LLMErrorKind.HTTP: f"HTTP {self.detail} from {self.where}",
                LLMErrorKind.CONNECT: f"cannot connect to {self.where}",
                LLMErrorKind.MALFORMED: f"malformed reply ({self.detail})"}.get(self.kind, self.detail)


@dataclass(frozen=True)
class Notice:
    """A note about an answer: a code and its parameters (``Notice.of(NoticeCode.HALF_COMPARISON, missing=("LN",))``)."""

    code: NoticeCode
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: NoticeCode, **params) -> Notice:
        return cls(code, tuple(sorted(params.items())))

    def get(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def public(self) -> dict:
        def plain(v):
            if isinstance(v, Enum):
                return v.value
            if isinstance(v, tuple):
                return list(v)
            return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)   # e.g. rag.llm.LLMError

        return {"code": self.code.value} | {k: plain(v) for k, v in self.params}


def bank_text(body: tuple[str | Notice, ...]) -> str:
    """The bank's text of a body (its notices left out)."""
    return "".join(b for b in body if isinstance(b, str)).strip()


@dataclass(frozen=True)
class Answer:
    """What ``qbank ask`` returns.

    Attributes:
        question: what the user asked.
        answer: the bank's (or the LLM's) text the answer gives, with ``[n]`` markers that all point into
            ``citations``; without the sentences around it (``body``).
        body: the whole answer as bank text and notices (the sentences around it), in order, when it has such
            sentences (else empty: the answer is ``answer``); ``ui.answer_text.answer_body`` words it.
        mode: ``extractive`` or ``llm``.
        abstained: the banks do not cover the question (then ``citations`` is empty).
        citations: the items the answer cites.
        related: other retrieved items (nearest questions when abstained).
        notices: notes for the user (LLM fell back, citations dropped…), worded by ``ui/``.
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
    notices: tuple[Notice, ...] = ()
    resolved_question: str = ""
    topic: str = ""
    level: str = ""
    confidence: float = 0.0
    aspect: str = ""
    sides: tuple[tuple[str, str], ...] = ()
    topic_item: str = ""
    body: tuple[str | Notice, ...] = ()

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", "not_covered" if self.abstained else "answered")

    def public(self) -> dict:
        d = {"question": self.question, "answer": self.answer, "mode": self.mode, "abstained": self.abstained,
             "level": self.level, "confidence": round(max(0.0, float(self.confidence)), 4),
             "citations": [c.public() for c in self.citations], "related": [c.public() for c in self.related],
             "notices": [n.public() for n in self.notices], "resolved_question": self.resolved_question or self.question}
        if self.aspect:
            d["aspect"] = self.aspect
        if self.sides:
            d["compare"] = [{"side": side, "covered": bool(i), "id": i or None} for side, i in self.sides]
        return d
