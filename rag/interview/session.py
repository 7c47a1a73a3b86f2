"""A mock-interview session: pick questions, grade each answer, remember it, report at the end.

An :class:`InterviewSession` is a plain object with JSON-serialisable state
(:meth:`to_state` / :meth:`from_state`), so a Gradio app can keep one per browser
session (``gr.State``) and a CLI can drive it from a pipe::

    session = InterviewSession.start(grader, store, SessionConfig(topics=("NLP",), count=3))
    while (q := session.next_question()) is not None:
        result = session.submit(answer_for(q))      # a GradeResult; the attempt is saved
    print(session.report().to_markdown())

The flow is a small state machine over the current question: :meth:`answer` grades it
(again and again: the latest grade replaces the one before), :meth:`advance` leaves it (its
latest grade is recorded in the history and the schedule once, or it counts as skipped when
it has none), :meth:`skip` leaves it unanswered; :meth:`submit` is ``answer`` then
``advance`` (the CLI's one-shot step).

Question selection: documents and topics filter the pool; questions that repeat word for
word (``QAItem.duplicates``) count as one; no question comes twice in a session. The
order is ``random``, ``due`` (questions due for review first, least likely recalled first, then
new ones, then the rest) or ``weakest`` (lowest FSRS retrievability now first, then new ones).
"""

from __future__ import annotations

import enum
import random
import uuid
from dataclasses import asdict, dataclass, field

from ingest.items import QAItem
from rag.interview.report import QuestionResult, SessionReport

class SessionMode(enum.StrEnum):
    """Which questions a practice session asks first."""

    RANDOM = "random"       # any order
    DUE = "due"             # due for review first (FSRS), least likely recalled first
    WEAKEST = "weakest"     # the profile's weakest topics first


MODES = tuple(m.value for m in SessionMode)


@dataclass(frozen=True)
class SessionConfig:
    """What to ask: documents, topics, how many, in which order, for which profile."""

    docs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    count: int = 5
    mode: str = "random"
    profile: str = "default"
    seed: int | None = None
    lang: str = "zh"
    items: tuple[str, ...] = ()         # these questions, in this order (practising a report's weak ones)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count!r}")
        if not self.profile.strip():
            raise ValueError("profile must not be empty; e.g. --profile default")


@dataclass(frozen=True)
class Question:
    """The question to show: its position in the session and what to cite."""

    n: int
    total: int
    id: str
    question: str
    detail: str
    doc: str
    topic: str

    def public(self) -> dict:
        return asdict(self)


def select_items(items: list[QAItem], config: SessionConfig, cards: dict | None = None, today=None) -> list[QAItem]:
    """The questions of a session, in order (pure: items, config and the profile's cards in)."""
    if config.items:
        by_id = {it.id: it for it in items}
        chosen = [by_id[i] for i in dict.fromkeys(config.items) if i in by_id]
        if not chosen:
            raise ValueError(f"none of the questions {list(config.items)} is in the index any more")
        return chosen[:config.count]
    pool = [it for it in items if it.kind == "qa"]
    if config.docs:
        pool = [it for it in pool if it.doc in config.docs or it.file in config.docs]
    if config.topics:   # a topic, or a bank's section path (``3.1 基本概念``)
        pool = [it for it in pool if it.topic in config.topics or (it.section and it.section in config.topics)]
    if not pool:
        raise ValueError(f"no questions match docs={list(config.docs)} topics={list(config.topics)}; "
                         f"see `qbank list` for documents and topics")
    rng = random.Random(config.seed)
    order = list(pool)
    rng.shuffle(order)
    cards = cards or {}
    if config.mode == SessionMode.DUE:
        def key(it):
            c = cards.get(it.id)
            if c is not None and c.due is not None and today is not None and c.due <= today:
                return (0, c.retrievability if c.retrievability is not None else 0, c.last_score or 0)
            return (1, 0, 0) if c is None else (2, c.due.toordinal() if c.due else 0, 0)
        order.sort(key=key)
    elif config.mode == SessionMode.WEAKEST:
        # FSRS: the lowest predicted recall now first (rag.interview.store fills Card.retrievability)
        order.sort(key=lambda it: (0, cards[it.id].retrievability or 0, cards[it.id].last_score or 0)
                   if it.id in cards else (1, 0, 0))
    chosen: list[QAItem] = []
    taken: set[str] = set()
    for it in order:
        if it.id in taken:
            continue
        chosen.append(it)
        taken.add(it.id)
        taken.update(it.duplicates)
        if len(chosen) >= config.count:
            break
    return chosen


@dataclass
class InterviewSession:
    """One practice run. Not thread-safe by itself: keep one per user (browser session / terminal)."""

    grader: object                      # rag.interview.grade.Grader
    store: object | None                # rag.interview.store.HistoryStore (None: nothing is saved)
    config: SessionConfig
    item_ids: list[str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    position: int = 0                   # index of the current question
    results: list[QuestionResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    current: QuestionResult | None = None   # the latest grade of the current question, not recorded yet
    finished: bool = False              # the report was asked for
    skipped_questions: list[str] = field(default_factory=list)   # the text of each skipped question
    log: object | None = None           # rag.interview.sessions.SessionLog (the History view), or None

    @classmethod
    def start(cls, grader, store, config: SessionConfig, log=None) -> "InterviewSession":
        """Pick the questions (using the profile's review history for ``due``/``weakest``) and save the session."""
        cards = store.cards(config.profile) if store is not None else {}
        today = store.today() if store is not None else None
        items = select_items(grader.searcher.index.items, config, cards, today)
        session = cls(grader, store, config, [it.id for it in items], log=log)
        session._save()
        return session

    # ------------------------------------------------------------------ flow
    @property
    def done(self) -> bool:
        return self.position >= len(self.item_ids)

    @property
    def answered(self) -> int:
        """Questions with a grade: recorded ones and the current one if it has been graded."""
        return len(self.results) + (self.current is not None)

    def current_item(self) -> QAItem | None:
        return None if self.done else self.grader.item(self.item_ids[self.position])

    def next_question(self) -> Question | None:
        """The question to answer now (the same until it is left); ``None`` when finished."""
        it = self.current_item()
        if it is None:
            return None
        return Question(self.position + 1, len(self.item_ids), it.id, it.question, it.detail, it.doc, it.topic)

    def answer(self, answer: str):
        """Grade ``answer`` to the current question without leaving it; a second answer replaces the first grade.

        Nothing reaches the history or the schedule until the question is left (:meth:`advance`,
        :meth:`finish`), so a revised answer is one record, with its latest grade.

        Returns:
            The :class:`rag.interview.result.GradeResult`.

        Raises:
            ValueError: the session is finished.
        """
        it = self.current_item()
        if it is None or self.finished:
            raise ValueError("the session is finished; start a new one")
        result = self.grader.grade(it, answer, self.config.lang)
        self.current = QuestionResult.of(it, result)
        self._save()
        return result

    def advance(self) -> None:
        """Leave the current question: its latest grade is recorded (once); without one it counts as skipped."""
        if self.done:
            return
        if self.current is None:
            self._skip_current()
        else:
            self._commit()
        self.position += 1
        self._save()

    def submit(self, answer: str):
        """Grade ``answer`` to the current question, record it (history + spaced repetition), move on."""
        result = self.answer(answer)
        self.advance()
        return result

    def skip(self) -> None:
        """Leave the current question without a new answer (a grade it already has still counts)."""
        self.advance()

    def finish(self) -> "SessionReport":
        """End the session now (a graded current question is recorded, the rest dropped) and return the report."""
        if not self.finished:
            if self.current is not None:
                self._commit()
                self.position += 1
            self.item_ids = self.item_ids[:self.position]
            self.finished = True
            self._save()
        return self.report()

    def weak_ids(self) -> list[str]:
        """The questions of this session worth practising again (scored below the report's review line)."""
        return [r.id for r in self.report().to_review()]

    def _commit(self) -> None:
        r = self.current
        if self.store is not None:
            self.store.record(self.config.profile, r.id, r.score, r.answer, r.grade or {},
                              topic=r.topic, doc=r.doc, session_id=self.id)
        self.results.append(r)
        self.current = None

    def _skip_current(self) -> None:
        it = self.current_item()
        self.skipped.append(self.item_ids[self.position])
        self.skipped_questions.append(it.question if it is not None else self.item_ids[self.position])

    def report(self) -> SessionReport:
        stats = self.store.topic_stats(self.config.profile) if self.store is not None else []
        results = tuple(self.results) + ((self.current,) if self.current is not None else ())
        return SessionReport(self.id, self.config.profile, results, tuple(self.skipped),
                             len(self.item_ids), tuple(stats), self.config.lang, tuple(self.skipped_questions))

    # ------------------------------------------------------------------ state
    def to_state(self) -> dict:
        """JSON-serialisable state (config, questions, position, results, the current grade)."""
        return {"id": self.id, "config": asdict(self.config), "item_ids": list(self.item_ids),
                "position": self.position, "results": [asdict(r) for r in self.results],
                "skipped": list(self.skipped), "skipped_questions": list(self.skipped_questions),
                "current": asdict(self.current) if self.current is not None else None, "finished": self.finished}

    @classmethod
    def from_state(cls, state: dict, grader, store, log=None) -> "InterviewSession":
        cfg = dict(state["config"])
        for key in ("docs", "topics", "items"):
            cfg[key] = tuple(cfg.get(key) or ())
        current = state.get("current")
        return cls(grader, store, SessionConfig(**cfg), list(state["item_ids"]), state["id"], int(state["position"]),
                   [QuestionResult(**r) for r in state.get("results", [])], list(state.get("skipped", [])),
                   QuestionResult(**current) if current else None, bool(state.get("finished", False)),
                   list(state.get("skipped_questions") or state.get("skipped", [])), log)

    @classmethod
    def resume(cls, session_id: str, grader, store) -> "InterviewSession":
        state = store.load_session(session_id)
        if state is None:
            raise KeyError(f"no interview session {session_id!r}")
        return cls.from_state(state, grader, store)

    def _save(self) -> None:
        if self.store is not None:
            self.store.save_session(self.id, self.config.profile, self.to_state(), finished=self.done)
        if self.log is not None:
            self.log.save(self.id, self.config.profile, self.to_state())
