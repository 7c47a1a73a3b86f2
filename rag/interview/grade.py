"""Offline, point-by-point grading of a candidate's answer against the item's reference answer, by meaning.

Each key point is matched with the piece of the answer that says it best (a clause, or up to
three neighbouring clauses), by the cosine of their sentence embeddings (the default
multilingual USE model, against the point and against its core without label and asides; an
English piece against a Chinese point gets a calibrated offset, since across languages the
cosines run lower). The similarity gives ``covered`` / ``partial`` / ``missing`` and the point's
credit; no word lists are involved. A point is ``contradicted`` only on strong evidence: the
clause that speaks to it makes the same claim with a term pair or its polarity swapped
(:mod:`rag.interview.claims`, :mod:`rag.interview.polarity`).

Score = 100 × on-topic gate × clip(mean point credit) × (1 − ``WRONG_CLAIM_FACTOR``) per
contradicted point; a point's credit rises with its similarity from 0 at ``T_PARTIAL`` through
0.5 at ``T_COVERED`` to 1 at ``T_FULL``, and is ``CONTRADICTED_CREDIT`` (below zero) when
contradicted. Mentioning a point's words without its claim gives a cosine near ``T_PARTIAL``
and so little credit. The on-topic gate compares the whole answer with the question and
key points (dense cosine and the share of the answer's terms that the reference uses), so a fluent
answer about something else scores about 0. The answer is only ever data: it is tokenised and
embedded, never interpreted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np
from cachetools import LRUCache

from ingest.items import QAItem
from ingest.settings import TUNED, Settings
from ingest.text.script import cjk_share
from rag.interview.align import PreparedItem, Vocabulary, claim_terms, prepare, recall
from rag.interview.claims import point_contradictions
from rag.interview.result import Claim, GradeResult, PointGrade, Reference
from rag.interview.text import clauses, sanitize, truncate, units

# ---- every tuned number of the offline grader: data/tuned.toml [grading] holds them and says on what -----
_T = TUNED["grading"]
T_PARTIAL, T_COVERED, T_FULL = _T["t_partial"], _T["t_covered"], _T["t_full"]
EN_OFFSET = _T["en_offset"]
T_ALIGN, MARGIN, BLOCK_MARGIN, AGREE_MARGIN = _T["t_align"], _T["margin"], _T["block_margin"], _T["agree_margin"]
CONTRADICTED_CREDIT, WRONG_CLAIM_FACTOR = _T["contradicted_credit"], _T["wrong_claim_factor"]
WINDOW_COST = _T["window_cost"]
TOPIC_LO, TOPIC_HI = _T["topic_lo"], _T["topic_hi"]
REUSE_COST, SPECIFICITY, RELATED = _T["reuse_cost"], _T["specificity"], _T["related"]
# --------------------------------------------------------------------------------------------------------
_INSTRUCTION = re.compile(
    r"(忽略|无视|不要管|忘记|ignore|disregard|forget).{0,12}(指令|规则|要求|提示|instruction|rule|prompt)|"
    r"(给我|打|请给).{0,6}(满分|100\s*分|高分)|full marks|system prompt|系统提示词|you are now|你现在是", re.I)


@dataclass
class Grader:
    """Grades answers against reference answers; thread-safe, models loaded lazily (``warm_up``).

    Args:
        settings: qbank settings (embedding model, ``max_answer_chars``, ``language``).
        searcher: a :class:`rag.searcher.Searcher` whose loaded index and analyzer are shared
            (one is made when omitted).
    """

    settings: Settings
    searcher: object | None = None
    llm: object | None = None            # a LangChain BaseChatModel: adds a rubric grade beside the offline one
    _vocab: Vocabulary | None = None
    _vocab_of: object | None = None
    _cache: LRUCache = field(default_factory=lambda: LRUCache(maxsize=256))    # prepared items, under _lock
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.searcher is None:
            from rag.searcher import Searcher

            self.searcher = Searcher(self.settings)

    @property
    def embedder(self):
        from ingest.embed import load_embedder

        return load_embedder(self.settings.embedding.model, self.settings)

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

        lang = lang or self.settings.ui.language
        prep = self.prepared(item)
        text = sanitize(answer)
        notices: list[str] = []
        if not text:
            points = tuple(PointGrade(p, "missing") for p in prep.points)
            msg = "回答为空：请先作答再提交。" if lang == "zh" else "The answer is empty: write an answer first."
            return GradeResult(item.id, 0, points, msg, offline_follow_up(item, points, lang), Reference.of(item),
                               notices=(msg,))
        text, cut = truncate(text, self.settings.interview.max_answer_chars)
        if cut:
            notices.append(f"回答超过 {self.settings.interview.max_answer_chars} 字，只评了前 {len(text)} 字。" if lang == "zh" else
                           f"The answer is longer than {self.settings.interview.max_answer_chars} characters; "
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
            graded = llm_grade(self.llm, item, prep.points, result.answer, lang, timeout=self.settings.llm.timeout)
        except Exception as exc:  # noqa: BLE001 - a dead or confused model never costs the offline grade
            from rag.llm import describe_failure

            why = describe_failure(exc, self.settings)
            msg = f"LLM 评分不可用（{why}），以下为离线评分。" if lang == "zh" else \
                f"LLM grading unavailable ({why}); showing the offline grade."
            return replace(result, notices=result.notices + (msg,))
        uncertain = disagree(result.score, tuple(p.status for p in result.points), graded)
        follow = llm_follow_up(self.llm, item, result, lang, timeout=self.settings.llm.timeout)
        notices = result.notices
        if uncertain:
            notices += ("离线评分与 LLM 评分差异较大，结果仅供参考。" if lang == "zh" else
                        "The offline and LLM grades disagree; treat the score as uncertain.",)
        return replace(result, llm=graded, uncertain=uncertain, follow_up=follow, notices=notices)

    def _assess(self, prep: PreparedItem, text: str) -> tuple[tuple[PointGrade, ...], tuple[Claim, ...], float]:
        parts = clauses(text)
        pieces = units(text, parts)
        if not pieces:
            return tuple(PointGrade(p, "missing") for p in prep.points), (), 0.0
        vecs = self.embedder.embed([u.text for u in pieces] + [text])
        sims = similarity(prep, pieces, vecs[:-1])                       # points x pieces
        on_topic = _on_topic(prep, self.vocab.terms(text), float(vecs[-1] @ prep.topic_vec), float(sims.max()))
        n = len(parts)                                                    # the first n pieces are the clauses
        part_terms = [claim_terms(self.vocab, c.text) for c in parts]
        wrong = point_contradictions(prep, parts, vecs[:n], sims[:, :n], part_terms, T_ALIGN, MARGIN, AGREE_MARGIN,
                                     BLOCK_MARGIN)
        cost = WINDOW_COST * np.array([u.size - 1 for u in pieces])
        clause_of = [[k for k, c in enumerate(parts) if u.start <= c.start and c.end <= u.end] or [0] for u in pieces]
        choice = assign(sims, cost, clause_of, n, prep.point_vecs @ prep.point_vecs.T >= RELATED)
        grades = []
        for i, point in enumerate(prep.points):
            j, s = choice[i]
            u = pieces[j]
            hit = wrong.get(i)
            if hit is not None:
                grades.append(PointGrade(point, "contradicted", hit.evidence, hit.span, s, hit.reason,
                                         hit.reference_clause))
            elif s < T_PARTIAL:
                grades.append(PointGrade(point, "missing", "", None, s))
            else:
                grades.append(PointGrade(point, "covered" if s >= T_COVERED else "partial", u.text, (u.start, u.end), s))
        return tuple(grades), tuple(wrong[i] for i in sorted(wrong)), on_topic


def assign(sims: np.ndarray, cost: np.ndarray, clause_of: list[list[int]], n_clauses: int,
           related: np.ndarray | None = None, reuse: float = REUSE_COST,
           specificity: float = SPECIFICITY) -> list[tuple[int, float]]:
    """For each key point, the piece that is its evidence and the similarity credited: evidence is shared out.

    A piece counts for a point by its cosine with it, less ``specificity`` × how much it is like the item's
    *unrelated* points on average (above ``T_PARTIAL``: a clause about the topic in general is like all of them),
    less ``reuse`` for each unrelated point its clauses already speak for. Points are served best-first. So one
    clause that restates the topic cannot be the evidence for every point, while distinct clauses for distinct
    points keep their full cosine. ``related[i, k]`` marks points that say nearly the same thing (one clause may
    well cover both); by default no two points are related.

    >>> sims = np.array([[0.60, 0.30], [0.58, 0.55]])          # clause 0 is like both points, clause 1 only like point 1
    >>> [(j, round(s, 2)) for j, s in assign(sims, np.zeros(2), [[0], [1]], 2)]
    [(0, 0.51), (1, 0.55)]
    >>> [(j, round(s, 2)) for j, s in assign(sims, np.zeros(2), [[0], [1]], 2, related=np.ones((2, 2), bool))]
    [(0, 0.6), (0, 0.58)]
    """
    k = len(sims)
    related = np.eye(k, dtype=bool) if related is None else (related | np.eye(k, dtype=bool))
    eff = sims.copy()
    if specificity:
        unrelated = ~related
        counts = unrelated.sum(axis=1, keepdims=True)
        others = np.divide(unrelated.astype(float) @ sims, counts, out=np.zeros_like(sims), where=counts > 0)
        eff = sims - specificity * np.maximum(0.0, others - T_PARTIAL)
    users: list[list[int]] = [[] for _ in range(max(n_clauses, 1))]
    out: dict[int, tuple[int, float]] = {}
    for i in (int(x) for x in np.argsort(-(eff - cost).max(axis=1), kind="stable")):
        pen = reuse * np.array([max(sum(1 for u in users[c] if not related[i, u]) for c in cl) for cl in clause_of])
        j = int(np.argmax(eff[i] - cost - pen))
        out[i] = (j, float(eff[i, j] - pen[j]))
        if out[i][1] >= T_PARTIAL:
            for c in clause_of[j]:
                users[c].append(i)
    return [out[i] for i in range(k)]


def similarity(prep: PreparedItem, pieces, vecs: np.ndarray) -> np.ndarray:
    """Points x pieces: cosine of the embeddings (of the point, or of its core: :func:`~rag.interview.align.point_core`),
    plus ``EN_OFFSET`` for a mostly-latin piece against a Chinese point."""
    sims = np.maximum(prep.point_vecs @ vecs.T, prep.core_vecs @ vecs.T)
    latin = np.array([_cjk_share(u.text) < 0.3 for u in pieces])
    zh_point = np.array([_cjk_share(p) >= 0.3 for p in prep.points])
    return sims + EN_OFFSET * (zh_point[:, None] & latin[None, :])


def _on_topic(prep: PreparedItem, answer_terms: dict[str, float], cos: float, best_point: float) -> float:
    """0..1: how much the answer is about this question.

    The larger of (a) the share of its terms the reference uses blended with the cosine of
    answer and question + key points, and (b) how well its best piece matches any key point.
    """
    share = recall(answer_terms, prep.topic_terms)
    return max(0.5 * share + 0.5 * _unit(cos, 0.30, 0.80), _unit(best_point, 0.30, 0.80))


def _unit(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _cjk_share(text: str) -> float:
    return cjk_share(text)


def point_credit(p: PointGrade) -> float:
    """Credit of one point: 0 when missing, ``CONTRADICTED_CREDIT`` when contradicted, else rising with similarity
    from 0 at ``T_PARTIAL`` through 0.5 at ``T_COVERED`` to 1 at ``T_FULL``."""
    if p.status == "missing":
        return 0.0
    if p.status == "contradicted":
        return CONTRADICTED_CREDIT
    s = p.similarity
    ramp = 0.5 * (s - T_PARTIAL) / (T_COVERED - T_PARTIAL) if s < T_COVERED else \
        0.5 + 0.5 * (s - T_COVERED) / (T_FULL - T_COVERED)
    return float(np.clip(ramp, 0.0, 1.0))


def _score(points: tuple[PointGrade, ...], claims: tuple[Claim, ...], on_topic: float) -> int:
    if not points:
        return 0
    raw = sum(point_credit(p) for p in points) / len(points)
    raw *= (1.0 - WRONG_CLAIM_FACTOR) ** sum(1 for p in points if p.status == "contradicted")
    gate = _unit(on_topic, TOPIC_LO, TOPIC_HI)
    return int(round(100 * float(np.clip(raw, 0.0, 1.0)) * gate))
