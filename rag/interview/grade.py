"""Offline, point-by-point grading of a candidate's answer against the item's reference answer.

For each key point the best-matching piece of the answer (a clause, or up to three
neighbouring clauses) is found by a blend of term, bigram and dense similarity
(:mod:`rag.interview.align`); the blend decides ``covered`` / ``partial`` / ``missing``.
Each clause of the answer is also aligned with the reference statements, ignoring
*which* sibling thing it names; a negation, an antonym, a different count or a swapped
sibling (:mod:`rag.interview.polarity`) makes it a wrong claim, and the key point it
lands on ``contradicted``.

Score = 100 × on-topic gate × clip(mean point credit − wrong-claim penalty); a point's credit
rises with its similarity (partial 0–0.5, covered 0.5–1; missing and contradicted 0).
The on-topic gate compares the whole answer with the question and reference (dense
cosine and the share of the answer's terms that the reference uses), so a fluent
answer about something else scores about 0. The answer is only ever data: it is
tokenised and embedded, never interpreted.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ingest.items import QAItem
from ingest.settings import Settings
from rag.interview.align import PreparedItem, Vocabulary, dense_scale, prepare, recall, set_recall
from rag.interview.claims import find_claims, point_contradiction
from rag.interview.result import Claim, GradeResult, PointGrade, Reference
from rag.interview.text import bigrams, clauses, sanitize, truncate, units

# calibrated on data/eval/grading.jsonl (see README, "Grading evaluation")
W_TERMS, W_GRAMS, W_DENSE = 0.45, 0.25, 0.30
T_COVERED, T_PARTIAL = 0.40, 0.18
CONTRADICTED_CREDIT = -0.25    # a contradicted point costs a quarter of a point; stray wrong claims cost too
WRONG_CLAIM_PENALTY = 0.08    # per wrong claim that lands on no key point
LABEL_FLOOR = (T_COVERED + T_PARTIAL) / 2
TOPIC_LO, TOPIC_HI = 0.15, 0.30
_INSTRUCTION = re.compile(
    r"(忽略|无视|不要管|忘记|ignore|disregard|forget).{0,12}(指令|规则|要求|提示|instruction|rule|prompt)|"
    r"(给我|打|请给).{0,6}(满分|100\s*分|高分)|full marks|system prompt|系统提示词|you are now|你现在是", re.I)


@dataclass
class Grader:
    """Grades answers against reference answers; thread-safe, models loaded lazily (``warm_up``).

    Args:
        settings: qbank settings (embedding model, ``max_answer_chars``, ``language``).
        searcher: a :class:`rag.retrieve.Searcher` whose loaded index and analyzer are shared
            (one is made when omitted).
    """

    settings: Settings
    searcher: object | None = None
    llm: object | None = None            # a LangChain BaseChatModel: adds a rubric grade beside the offline one
    _vocab: Vocabulary | None = None
    _vocab_of: object | None = None
    _cache: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.searcher is None:
            from rag.retrieve import Searcher

            self.searcher = Searcher(self.settings)

    @property
    def embedder(self):
        from ingest.embed import load_embedder

        return load_embedder(self.settings.embedding_model)

    @property
    def vocab(self) -> Vocabulary:
        """IDF weights from the live index; rebuilt (and prepared items dropped) when the searcher reloads."""
        index = self.searcher.index
        if self._vocab is None or self._vocab_of is not index:
            vocab = Vocabulary.from_index(self.searcher.analyzer, index.keyword)
            with self._lock:
                self._vocab, self._vocab_of = vocab, index
                self._cache.clear()
        return self._vocab

    def warm_up(self) -> None:
        """Load the index, the analyzer and the embedding model now rather than on the first grade."""
        self.vocab.terms("预热")
        self.embedder.embed(["warm up"])

    def item(self, item_id: str) -> QAItem:
        try:
            return self.searcher.index.by_id[item_id]
        except KeyError:
            raise KeyError(f"no item with id {item_id!r}; see `qbank list`") from None

    def prepared(self, item: QAItem) -> PreparedItem:
        key = (item.id, hash(item.answer), item.key_points)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            hit = prepare(item, self.vocab, self.embedder)
            with self._lock:
                self._cache[key] = hit
                if len(self._cache) > 256:
                    self._cache.popitem(last=False)
        return hit

    # ------------------------------------------------------------------ grading
    def grade(self, item: QAItem, answer: str | None, lang: str | None = None) -> GradeResult:
        """Grade ``answer`` against ``item``'s reference answer, offline.

        Args:
            item: the question being answered.
            answer: the candidate's answer (any text; it is data, never instructions).
            lang: ``zh`` (default from settings) or ``en`` for the feedback and follow-up.
        """
        from rag.interview.feedback import feedback_text
        from rag.interview.followup import offline_follow_up

        lang = lang or self.settings.language
        prep = self.prepared(item)
        text = sanitize(answer)
        notices: list[str] = []
        if not text:
            points = tuple(PointGrade(p, "missing") for p in prep.points)
            msg = "回答为空：请先作答再提交。" if lang == "zh" else "The answer is empty: write an answer first."
            return GradeResult(item.id, 0, points, msg, offline_follow_up(item, points, lang), Reference.of(item),
                               notices=(msg,))
        text, cut = truncate(text, self.settings.max_answer_chars)
        if cut:
            notices.append(f"回答超过 {self.settings.max_answer_chars} 字，只评了前 {len(text)} 字。" if lang == "zh" else
                           f"The answer is longer than {self.settings.max_answer_chars} characters; "
                           f"only its first {len(text)} were graded.")
        if _INSTRUCTION.search(text):
            notices.append("回答中含有对评分的指令，已按普通回答内容处理，不影响评分规则。" if lang == "zh" else
                           "The answer contains instructions to the grader; they were treated as answer text.")
        points, claims, on_topic = self._assess(prep, text)
        score = _score(points, claims, on_topic)
        result = GradeResult(item.id, score, points, feedback_text(score, points, claims, on_topic, lang),
                             offline_follow_up(item, points, lang), Reference.of(item), on_topic, tuple(notices),
                             claims, answer=text)
        return self._with_llm(item, prep, result, lang) if self.llm is not None else result

    def _with_llm(self, item: QAItem, prep: PreparedItem, result: GradeResult, lang: str) -> GradeResult:
        """Add the model's rubric grade and follow-up; on any failure keep the offline grade with a notice."""
        from dataclasses import replace

        from rag.interview.followup import llm_follow_up
        from rag.interview.llm_grade import disagree, llm_grade

        try:
            graded = llm_grade(self.llm, item, prep.points, result.answer, lang, timeout=self.settings.llm_timeout)
        except Exception as exc:  # noqa: BLE001 - a dead or confused model never costs the offline grade
            from rag.llm import describe_failure

            why = describe_failure(exc, self.settings)
            msg = f"LLM 评分不可用（{why}），以下为离线评分。" if lang == "zh" else \
                f"LLM grading unavailable ({why}); showing the offline grade."
            return replace(result, notices=result.notices + (msg,))
        uncertain = disagree(result.score, tuple(p.status for p in result.points), graded)
        follow = llm_follow_up(self.llm, item, result, lang, timeout=self.settings.llm_timeout)
        notices = result.notices
        if uncertain:
            notices += ("离线评分与 LLM 评分差异较大，结果仅供参考。" if lang == "zh" else
                        "The offline and LLM grades disagree; treat the score as uncertain.",)
        return replace(result, llm=graded, uncertain=uncertain, follow_up=follow, notices=notices)

    def _assess(self, prep: PreparedItem, text: str) -> tuple[tuple[PointGrade, ...], tuple[Claim, ...], float]:
        vocab = self.vocab
        parts = clauses(text)
        pieces = units(text, parts)
        if not pieces:
            return tuple(PointGrade(p, "missing") for p in prep.points), (), 0.0
        piece_terms = [vocab.terms(u.text) for u in pieces]
        piece_grams = [bigrams(u.text) for u in pieces]
        vecs = self.embedder.embed([u.text for u in pieces] + [text])
        dense = dense_scale(prep.point_vecs @ vecs[:-1].T)            # points x pieces
        sims = np.zeros_like(dense)
        # a piece in English against a Chinese bank: only the multilingual embedding really compares them
        # (decided per piece, so English text appended to a Chinese answer changes nothing for the rest)
        weights = [(W_TERMS, W_GRAMS, W_DENSE) if _cjk_share(u.text) >= 0.3 else (0.25, 0.0, 0.75) for u in pieces]
        for i, (pt, pg) in enumerate(zip(prep.point_terms, prep.point_grams)):
            for j, (ut, ug) in enumerate(zip(piece_terms, piece_grams)):
                wt, wg, wd = weights[j]
                sims[i, j] = wt * recall(pt, ut) + wg * set_recall(pg, ug) + wd * dense[i, j]
                if prep.point_labels[i] and recall(prep.point_labels[i], ut) >= 0.99:
                    sims[i, j] = max(sims[i, j], LABEL_FLOOR)   # naming the concept ("翻转") is half the point
        on_topic = _on_topic(prep, vocab.terms(text), float(vecs[-1] @ prep.topic_vec), float(sims.max()))
        part_terms, part_grams = piece_terms[:len(parts)], piece_grams[:len(parts)]
        claims = list(find_claims(prep, pieces, piece_terms, piece_grams))
        grades = []
        for i, point in enumerate(prep.points):
            j = int(np.argmax(sims[i] - 0.01 * np.array([u.size - 1 for u in pieces])))
            s, u = float(sims[i, j]), pieces[j]
            status = "covered" if s >= T_COVERED else "partial" if s >= T_PARTIAL else "missing"
            hit = next((c for c in claims if c.point == i), None)
            if hit is None and status != "missing":
                hit = point_contradiction(prep, i, parts, part_terms, part_grams, u)
                if hit is not None:
                    claims.append(hit)
            if hit is not None:
                grades.append(PointGrade(point, "contradicted", hit.evidence, hit.span, s, hit.reason,
                                         hit.reference_clause))
            elif status == "missing":
                grades.append(PointGrade(point, status, "", None, s))
            else:
                grades.append(PointGrade(point, status, u.text, (u.start, u.end), s))
        claims = tuple(claims)
        return tuple(grades), claims, on_topic


def _on_topic(prep: PreparedItem, answer_terms: dict[str, float], cos: float, best_point: float) -> float:
    """0..1: how much the answer is about this question.

    The larger of (a) the share of its terms the reference uses blended with the cosine of
    answer and question+reference, and (b) how well its best piece matches any key point.
    """
    share = recall(answer_terms, prep.topic_terms)
    return max(0.5 * share + 0.5 * float(dense_scale(cos)), best_point)


def _cjk_share(text: str) -> float:
    letters = re.findall(r"[A-Za-z\u4e00-\u9fff]", text)
    return sum(1 for ch in letters if ch >= "\u4e00") / len(letters) if letters else 1.0


def point_credit(p: PointGrade) -> float:
    """Credit of one point: 0 when missing or contradicted, rising with similarity through partial (0–0.5) to covered (0.5–1)."""
    if p.status in ("missing", "contradicted"):
        return 0.0 if p.status == "missing" else CONTRADICTED_CREDIT
    ramp = 0.5 * (p.similarity - T_PARTIAL) / (T_COVERED - T_PARTIAL)
    return float(np.clip(ramp if p.status == "partial" else 0.5 + ramp, 0.0, 1.0))


def _score(points: tuple[PointGrade, ...], claims: tuple[Claim, ...], on_topic: float) -> int:
    if not points:
        return 0
    raw = sum(point_credit(p) for p in points) / len(points)
    raw -= WRONG_CLAIM_PENALTY * sum(1 for c in claims if c.point is None)
    gate = float(np.clip((on_topic - TOPIC_LO) / (TOPIC_HI - TOPIC_LO), 0.0, 1.0))
    return int(round(100 * float(np.clip(raw, 0.0, 1.0)) * gate))
