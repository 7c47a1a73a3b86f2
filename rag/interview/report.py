"""The end-of-session report: per-question scores, per-topic breakdown, what to review; Markdown export."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from ingest.items import QAItem

REVIEW_BELOW = 60


@dataclass(frozen=True)
class QuestionResult:
    """One answered question as the report needs it (JSON-friendly: kept in the session state)."""

    id: str
    question: str
    doc: str
    topic: str
    lines: list | None
    score: int
    missed: list[str]
    feedback: str
    follow_up: str
    uncertain: bool = False
    answer: str = ""                     # what the candidate wrote (as graded)
    grade: dict | None = None            # the grade card as data (``GradeResult.public()``)
    reference: str = ""                  # the reference answer, so a past report reads whole after a re-index

    @classmethod
    def of(cls, item: QAItem, result) -> "QuestionResult":
        return cls(item.id, item.question, item.doc, item.topic or "其他", list(item.lines) if item.lines else None,
                   int(result.score), [p.text for p in result.missed()], result.feedback, result.follow_up,
                   bool(result.uncertain), result.answer, result.public(), item.answer)

    def grade_result(self):
        """The :class:`~rag.interview.result.GradeResult` back from ``grade`` (to draw its card again after a reload)."""
        from rag.interview.llm_grade import LLMGrade
        from rag.interview.result import GradeResult, PointGrade, Reference

        g = self.grade or {}
        ref = g.get("reference") or {}
        llm = g.get("llm")
        return GradeResult(
            self.id, int(g.get("score", self.score)),
            tuple(PointGrade(p.get("text", ""), p.get("status", "missing"), p.get("evidence", ""))
                  for p in g.get("points") or ()),
            g.get("feedback", self.feedback), g.get("follow_up", self.follow_up),
            Reference(ref.get("id", self.id), ref.get("doc", self.doc), ref.get("question", self.question),
                      tuple(ref["lines"]) if ref.get("lines") else None, ref.get("file", ""), ref.get("page")),
            notices=tuple(g.get("notices") or ()),
            llm=LLMGrade(int(llm["score"]), tuple(p["status"] for p in llm["points"]),
                         tuple(p.get("evidence", "") for p in llm["points"]), llm.get("feedback", ""),
                         llm.get("model", "")) if llm else None,
            uncertain=bool(g.get("uncertain", self.uncertain)), answer=self.answer)


@dataclass(frozen=True)
class SessionReport:
    """Everything a finished (or interrupted) session has to say."""

    session_id: str
    profile: str
    results: tuple[QuestionResult, ...]
    skipped: tuple[str, ...]
    planned: int
    topic_history: tuple = ()           # rag.interview.store.TopicStat, all sessions of the profile
    lang: str = "zh"
    skipped_questions: tuple[str, ...] = ()   # the text of each skipped question (``skipped`` holds the ids)

    @property
    def mean_score(self) -> float:
        return sum(r.score for r in self.results) / len(self.results) if self.results else 0.0

    def by_topic(self) -> list[tuple[str, int, float]]:
        """(topic, questions, mean score) for this session, weakest first."""
        groups: dict[str, list[int]] = defaultdict(list)
        for r in self.results:
            groups[r.topic].append(r.score)
        return sorted(((t, len(v), sum(v) / len(v)) for t, v in groups.items()), key=lambda x: x[2])

    def to_review(self) -> list[QuestionResult]:
        """Questions scored below REVIEW_BELOW, lowest first."""
        return sorted((r for r in self.results if r.score < REVIEW_BELOW), key=lambda r: r.score)

    def public(self) -> dict:
        return {"session_id": self.session_id, "profile": self.profile, "answered": len(self.results),
                "planned": self.planned, "skipped": list(self.skipped),
                "skipped_questions": list(self.skipped_questions), "mean_score": round(self.mean_score, 1),
                "questions": [asdict(r) for r in self.results],
                "topics": [{"topic": t, "questions": n, "mean_score": round(m, 1)} for t, n, m in self.by_topic()],
                "review": [r.id for r in self.to_review()],
                "topic_history": [s.public() for s in self.topic_history]}

    def to_markdown(self) -> str:
        zh = self.lang == "zh"
        out = [f"# {'模拟面试报告' if zh else 'Mock interview report'}", "",
               (f"档案 `{self.profile}` · 已答 {len(self.results)}/{self.planned} 题 · 平均分 {self.mean_score:.0f}"
                if zh else f"Profile `{self.profile}` · answered {len(self.results)}/{self.planned} · "
                           f"mean score {self.mean_score:.0f}"), ""]
        out += [f"## {'逐题得分' if zh else 'Scores'}", "",
                "| # | " + ("题目 | 得分 | 出处" if zh else "question | score | source") + " |", "|---|---|---|---|"]
        for n, r in enumerate(self.results, 1):
            where = f"{r.doc} · `{r.id}`" + (((f" · 行 {r.lines[0]}–{r.lines[1]}" if zh else
                                                f" · lines {r.lines[0]}–{r.lines[1]}")) if r.lines else "")
            flag = " ⚠" if r.uncertain else ""
            out.append(f"| {n} | {_cell(r.question)} | {r.score}{flag} | {_cell(where)} |")
        if self.skipped:
            names = self.skipped_questions if len(self.skipped_questions) == len(self.skipped) else self.skipped
            out += ["", f"**{'跳过' if zh else 'Skipped'}**", ""] + [f"- {_cell(q)}" for q in names]
        out += ["", f"## {'按主题' if zh else 'By topic'}", "",
                "| " + ("主题 | 题数 | 平均分" if zh else "topic | questions | mean") + " |", "|---|---|---|"]
        out += [f"| {t} | {n} | {m:.0f} |" for t, n, m in self.by_topic()]
        review = self.to_review()
        out += ["", f"## {'需要复习' if zh else 'To review'}", ""]
        if not review:
            out.append("本次没有低于 60 分的题目。" if zh else "Nothing scored below 60.")
        for r in review:
            out.append(f"- **{r.question}** ({r.score}) — {r.doc} `{r.id}`")
            out += [f"  - {'遗漏' if zh else 'missed'}：{m}" for m in r.missed[:4]]
            if r.follow_up:
                out.append(f"  - {'追问' if zh else 'follow-up'}：{r.follow_up}")
        if self.topic_history:
            out += ["", f"## {'历史薄弱主题' if zh else 'Weak topics (all sessions)'}", "",
                    "| " + ("主题 | 作答次数 | 平均分 | 今日到期" if zh else "topic | attempts | mean | due today") + " |",
                    "|---|---|---|---|"]
            out += [f"| {s.topic} | {s.attempts} | {s.mean_score:.0f} | {s.due} |" for s in self.topic_history]
        if self.results:
            out += ["", f"## {'逐题详情' if zh else 'Question by question'}"]
            for n, r in enumerate(self.results, 1):
                out += question_markdown(n, r, zh)
        return "\n".join(out) + "\n"


_MARK = {"covered": "✓", "partial": "~", "missing": "✗", "contradicted": "✗"}
_STATUS = {"covered": ("覆盖", "covered"), "partial": ("部分", "partial"), "missing": ("缺失", "missing"),
           "contradicted": ("矛盾", "contradicted")}


def question_markdown(n: int, r: QuestionResult, zh: bool = True) -> list[str]:
    """One answered question of a report: the question, the candidate's answer, the grade card, the reference."""
    where = f"{r.doc} · `{r.id}`" + ((f" · 行 {r.lines[0]}–{r.lines[1]}" if zh else f" · lines {r.lines[0]}–{r.lines[1]}")
                                      if r.lines else "")
    out = ["", f"### {n}. {_cell(r.question)} — {r.score}{' 分' if zh else '/100'}", "", f"<sub>{where}</sub>", "",
           f"**{'你的回答' if zh else 'Your answer'}**", ""]
    out += [f"> {line}" if line.strip() else ">" for line in (r.answer or "—").splitlines()] + [""]
    points = (r.grade or {}).get("points") or []
    if points:
        out += [f"**{'评分' if zh else 'Grade'}**", ""]
        for p in points:
            status = p.get("status", "")
            label = _STATUS.get(status, (status, status))[0 if zh else 1]
            evidence = f" — {'依据' if zh else 'evidence'}：“{_cell(p['evidence'])}”" if p.get("evidence") else ""
            out.append(f"- {_MARK.get(status, '?')} {_cell(p.get('text', ''))} ({label}){evidence}")
        out.append("")
    if r.feedback:
        out += [f"**{'反馈' if zh else 'Feedback'}**：{r.feedback}", ""]
    if r.follow_up:
        out += [f"**{'追问' if zh else 'Follow-up'}**：{r.follow_up}", ""]
    if r.reference:
        out += [f"<details><summary><b>{'参考答案' if zh else 'Reference answer'}</b></summary>", "", r.reference.strip(),
                "", "</details>"]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
