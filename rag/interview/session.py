"""A mock-interview session: pick questions, grade each answer, remember it, report at the end.

An :class:`InterviewSession` is a plain object with JSON-serialisable state
(:meth:`to_state` / :meth:`from_state`), so a Gradio app can keep one per browser
session (``gr.State``) and a CLI can drive it from a pipe::

    session = InterviewSession.start(grader, store, SessionConfig(topics=("NLP",), count=3))
    while (q := session.next_question()) is not None:
        result = session.submit(answer_for(q))      # a GradeResult; the attempt is saved
    print(session.report().to_markdown())

Question selection: documents and topics filter the pool; questions that repeat word for
word (``QAItem.duplicates``) count as one; no question comes twice in a session. The
order is ``random``, ``due`` (questions due for review first, then new ones, then the
rest) or ``weakest`` (lowest last score first, then new ones).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass, field

from ingest.items import QAItem
from rag.interview.report import QuestionResult, SessionReport

MODES = ("random", "due", "weakest")


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
    if config.mode == "due":
        def key(it):
            c = cards.get(it.id)
            if c is not None and c.due is not None and today is not None and c.due <= today:
                return (0, c.due.toordinal(), c.last_score or 0)
            return (1, 0, 0) if c is None else (2, c.due.toordinal() if c.due else 0, 0)
        order.sort(key=key)
    elif config.mode == "weakest":
        order.sort(key=lambda it: (0, cards[it.id].last_score or 0) if it.id in cards else (1, 0))
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

    @classmethod
    def start(cls, grader, store, config: SessionConfig) -> "InterviewSession":
        """Pick the questions (using the profile's review history for ``due``/``weakest``) and save the session."""
        cards = store.cards(config.profile) if store is not None else {}
        today = store.today() if store is not None else None
        items = select_items(grader.searcher.index.items, config, cards, today)
        session = cls(grader, store, config, [it.id for it in items])
        session._save()
        return session

    # ------------------------------------------------------------------ flow
    @property
    def done(self) -> bool:
        return self.position >= len(self.item_ids)

    def current_item(self) -> QAItem | None:
        return None if self.done else self.grader.item(self.item_ids[self.position])

    def next_question(self) -> Question | None:
        """The question to answer now (the same until it is answered or skipped); ``None`` when finished."""
        it = self.current_item()
        if it is None:
            return None
        return Question(self.position + 1, len(self.item_ids), it.id, it.question, it.detail, it.doc, it.topic)

    def submit(self, answer: str):
        """Grade ``answer`` to the current question, record it (history + spaced repetition), move on.

        Returns:
            The :class:`rag.interview.result.GradeResult`.

        Raises:
            ValueError: the session is finished.
        """
        it = self.current_item()
        if it is None:
            raise ValueError("the session is finished; start a new one")
        result = self.grader.grade(it, answer, self.config.lang)
        if self.store is not None:
            self.store.record(self.config.profile, it.id, result.score, result.answer, result.public(),
                              topic=it.topic, doc=it.doc, session_id=self.id)
        self.results.append(QuestionResult.of(it, result))
        self.position += 1
        self._save()
        return result

    def skip(self) -> None:
        """Leave the current question unanswered (not graded, not scheduled)."""
        if not self.done:
            self.skipped.append(self.item_ids[self.position])
            self.position += 1
            self._save()

    def finish(self) -> "SessionReport":
        """End the session now (the remaining questions are dropped) and return the report."""
        self.item_ids = self.item_ids[:self.position]
        self._save()
        return self.report()

    def report(self) -> SessionReport:
        stats = self.store.topic_stats(self.config.profile) if self.store is not None else []
        return SessionReport(self.id, self.config.profile, tuple(self.results), tuple(self.skipped),
                             len(self.item_ids), tuple(stats), self.config.lang)

    # ------------------------------------------------------------------ state
    def to_state(self) -> dict:
        """JSON-serialisable state (config, questions, position, results)."""
        return {"id": self.id, "config": asdict(self.config), "item_ids": list(self.item_ids),
                "position": self.position, "results": [asdict(r) for r in self.results],
                "skipped": list(self.skipped)}

    @classmethod
    def from_state(cls, state: dict, grader, store) -> "InterviewSession":
        cfg = dict(state["config"])
        cfg["docs"], cfg["topics"] = tuple(cfg.get("docs") or ()), tuple(cfg.get("topics") or ())
        return cls(grader, store, SessionConfig(**cfg), list(state["item_ids"]), state["id"], int(state["position"]),
                   [QuestionResult(**r) for r in state.get("results", [])], list(state.get("skipped", [])))

    @classmethod
    def resume(cls, session_id: str, grader, store) -> "InterviewSession":
        state = store.load_session(session_id)
        if state is None:
            raise KeyError(f"no interview session {session_id!r}")
        return cls.from_state(state, grader, store)

    def _save(self) -> None:
        if self.store is not None:
            self.store.save_session(self.id, self.config.profile, self.to_state(), finished=self.done)
