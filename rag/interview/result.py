"""What a grade is: per-point statuses with evidence, wrong claims, the cited reference, the score."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ingest.items import QAItem


class PointStatus(enum.StrEnum):
    """How a key point fared; a member is its string (``PointStatus.COVERED == "covered"``), as stored."""

    COVERED = "covered"
    PARTIAL = "partial"
    MISSING = "missing"
    CONTRADICTED = "contradicted"


STATUSES = tuple(s.value for s in PointStatus)


@dataclass(frozen=True)
class PointGrade:
    """One key point: its status and the candidate's words that are the evidence."""

    text: str
    status: PointStatus | str
    evidence: str = ""
    span: tuple[int, int] | None = None      # character offsets of ``evidence`` in the graded answer
    similarity: float = 0.0
    reason: str = ""                          # why contradicted (否定 / 反义：… / 数量：… / 混淆：…)
    reference_clause: str = ""                # the reference words contradicted

    def public(self) -> dict:
        d = {"text": self.text, "status": self.status, "evidence": self.evidence,
             "similarity": round(self.similarity, 3)}
        if self.reason:
            d["reason"] = self.reason
            d["reference_clause"] = self.reference_clause
        return d


@dataclass(frozen=True)
class Claim:
    """A clause of the answer that contradicts a reference clause."""

    evidence: str
    span: tuple[int, int]
    reference_clause: str
    reason: str
    point: int | None = None

    def public(self) -> dict:
        return {"evidence": self.evidence, "reference_clause": self.reference_clause, "reason": self.reason}


@dataclass(frozen=True)
class Reference:
    """Where the reference answer is: the citation shown with every grade."""

    id: str
    doc: str
    question: str
    lines: tuple[int, int] | None
    file: str = ""
    page: int | None = None

    @classmethod
    def of(cls, item: QAItem) -> "Reference":
        return cls(item.id, item.doc, item.question, item.lines, item.file, item.page)

    def public(self) -> dict:
        d = {"id": self.id, "doc": self.doc, "question": self.question,
             "lines": list(self.lines) if self.lines else None, "file": self.file}
        if self.page is not None:
            d["page"] = self.page
        return d


@dataclass(frozen=True)
class GradeResult:
    """The grade of one answer. ``public()`` is the JSON of ``qbank grade --json``."""

    id: str
    score: int
    points: tuple[PointGrade, ...]
    feedback: str
    follow_up: str
    reference: Reference
    on_topic: float = 0.0
    notices: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()
    llm: object | None = None            # rag.interview.llm_grade.LLMGrade
    uncertain: bool = False
    answer: str = ""                     # the text that was graded (after cleaning / truncation)

    def public(self) -> dict:
        d = {"id": self.id, "score": self.score, "points": [p.public() for p in self.points],
             "feedback": self.feedback, "follow_up": self.follow_up, "reference": self.reference.public(),
             "on_topic": round(self.on_topic, 3), "notices": list(self.notices),
             "wrong_claims": [c.public() for c in self.claims if c.point is None], "uncertain": self.uncertain}
        if self.llm is not None:
            d["llm"] = self.llm.public()
        return d

    def missed(self) -> list[PointGrade]:
        return [p for p in self.points if p.status in ("missing", "contradicted")]
