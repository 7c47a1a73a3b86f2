"""Spaced repetition with FSRS (the ``fsrs`` package), driven by the grade, not by a self-rating.

A 0–100 score and the key points' statuses become an FSRS rating (:func:`rating`); :func:`review`
moves a card on with an :class:`fsrs.Scheduler`; :func:`replay` rebuilds a card from its review log
(the migration from SM-2, and re-scheduling once a profile has fitted its own parameters with
:func:`fit_parameters`). Pure functions on frozen dataclasses; the time is passed in, so tests can
simulate weeks in a loop.

Interview questions are practised in sessions, not in a minute-by-minute flashcard loop, so the
scheduler has no learning steps (a new question's first interval is 1–8 days, from its rating), a
failed question comes back the next day (one relearning step of a day), and intervals are not
fuzzed (replaying a log gives the same due dates every time).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from fsrs import Card as FsrsCard
from fsrs import Rating, ReviewLog, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS  # noqa: F401  (FSRS-6's defaults, re-exported)

from rag.interview.result import STATUSES

DESIRED_RETENTION = 0.9
RELEARNING_STEPS = (timedelta(days=1),)
# score thresholds: below AGAIN_BELOW the question was not recalled; EASY_FROM needs every point covered
AGAIN_BELOW, GOOD_FROM, EASY_FROM = 50, 70, 90
POINT_STATUSES = STATUSES       # the statuses a stored grade may carry
# fsrs's Optimizer returns the default parameters unchanged below one mini-batch of later-day reviews
MIN_FIT_REVIEWS = 512
NEW = 0   # Card.state of a question never reviewed (fsrs.State starts at 1)


@dataclass(frozen=True)
class Review:
    """One graded answer in a card's log: when, the score, and the FSRS rating it became."""

    at: datetime
    score: int
    rating: Rating


@dataclass(frozen=True)
class Card:
    """The FSRS state of one question for one profile.

    ``due`` and ``last_review`` are local dates (what "due today" compares); ``due_at`` and
    ``reviewed_at`` are the exact UTC times FSRS works with. ``retrievability`` is the predicted
    probability of recalling the answer at the time the card was read (``None``: never reviewed).
    """

    item_id: str
    state: int = NEW               # NEW, or fsrs.State: 1 learning, 2 review, 3 relearning
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due_at: datetime | None = None
    reviewed_at: datetime | None = None
    reps: int = 0                  # reviews so far
    lapses: int = 0                # times a learned question was failed (Again in the review state)
    last_score: int | None = None
    last_rating: int | None = None
    retrievability: float | None = None

    @property
    def due(self) -> date | None:
        return self.due_at.astimezone().date() if self.due_at else None

    @property
    def last_review(self) -> date | None:
        return self.reviewed_at.astimezone().date() if self.reviewed_at else None

    @property
    def interval(self) -> int:
        """Days from the last review to the due date (0 for a new card)."""
        return (self.due - self.last_review).days if self.due_at and self.reviewed_at else 0

    def is_due(self, today: date) -> bool:
        return self.due is not None and self.due <= today


def rating(score: int, statuses: Iterable[str] = ()) -> Rating:
    """The FSRS rating of a graded answer: its 0–100 score, capped by its key points' statuses.

    Below 50 is Again (not recalled), 50–69 Hard, 70–89 Good, 90+ Easy. Easy needs every key point
    covered (else Good); a contradicted point caps the rating at Hard (recalled, but wrongly); an
    answer that covers no point at all, even partly, is Again whatever its score.

    >>> [rating(s).name for s in (0, 49, 50, 69, 70, 89, 90, 100)]
    ['Again', 'Again', 'Hard', 'Hard', 'Good', 'Good', 'Easy', 'Easy']
    >>> rating(95, ["covered", "partial"]).name, rating(95, ["covered", "contradicted"]).name
    ('Good', 'Hard')
    >>> rating(60, ["missing", "missing"]).name
    'Again'
    """
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
        raise ValueError(f"score must be a number within 0..100, got {score!r}")
    statuses = tuple(statuses)
    bad = [s for s in statuses if s not in POINT_STATUSES]
    if bad:
        raise ValueError(f"point status {bad[0]!r} is not one of {', '.join(POINT_STATUSES)}")
    if score < AGAIN_BELOW or (statuses and not any(s in ("covered", "partial") for s in statuses)):
        return Rating.Again
    r = Rating.Hard if score < GOOD_FROM else Rating.Good if score < EASY_FROM else Rating.Easy
    if r == Rating.Easy and any(s != "covered" for s in statuses):
        r = Rating.Good
    if "contradicted" in statuses:
        r = min(r, Rating.Hard)
    return r


def statuses_of(grade: Mapping) -> tuple[str, ...]:
    """The key points' statuses of a stored grade (``GradeResult.public()``); ``()`` when it has none."""
    points = grade.get("points") if isinstance(grade, Mapping) else None
    return tuple(p["status"] for p in points or () if isinstance(p, Mapping) and p.get("status") in POINT_STATUSES)


def scheduler(parameters: Sequence[float] | None = None) -> Scheduler:
    """The FSRS scheduler for interview questions (a profile's fitted ``parameters``, or FSRS-6's defaults)."""
    kwargs = {"parameters": tuple(parameters)} if parameters is not None else {}
    return Scheduler(**kwargs, desired_retention=DESIRED_RETENTION, learning_steps=(),
                     relearning_steps=RELEARNING_STEPS, enable_fuzzing=False)


def card_id(item_id: str) -> int:
    """A stable integer id of a question for fsrs (its cards and review logs are keyed by int)."""
    return int.from_bytes(hashlib.sha1(item_id.encode("utf-8")).digest()[:7], "big")


def utc(when: datetime | date) -> datetime:
    """``when`` in UTC; a naive datetime is local time, a date is its local noon."""
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(12))
    return when.astimezone(UTC)


def review(card: Card, score: int, when: datetime | date, statuses: Iterable[str] = (),
           sched: Scheduler | None = None, rated: Rating | None = None) -> Card:
    """The card after an answer graded ``score`` (with its points' ``statuses``) at ``when``.

    ``rated`` overrides the rating computed from the grade (a stored rating, when replaying a log).
    """
    r = rated if rated is not None else rating(score, statuses)
    sched = sched or scheduler()
    at = utc(when)
    before = to_fsrs(card, at)
    after, _ = sched.review_card(before, r, review_datetime=at)
    return replace(card, state=int(after.state), step=after.step, stability=float(after.stability),
                   difficulty=float(after.difficulty), due_at=after.due, reviewed_at=at, reps=card.reps + 1,
                   lapses=card.lapses + (card.state == State.Review and r == Rating.Again),
                   last_score=int(score), last_rating=int(r), retrievability=None)


def replay(item_id: str, reviews: Iterable[Review], sched: Scheduler | None = None) -> Card:
    """The card of ``item_id`` rebuilt from its whole log (in time order), with the stored ratings."""
    sched = sched or scheduler()
    card = Card(item_id)
    for rv in sorted(reviews, key=lambda rv: utc(rv.at)):
        card = review(card, rv.score, rv.at, sched=sched, rated=rv.rating)
    return card


def to_fsrs(card: Card, now: datetime) -> FsrsCard:
    """The ``fsrs.Card`` of ``card`` (a new card is due ``now``)."""
    if card.state == NEW:
        return FsrsCard(card_id=card_id(card.item_id), due=now)
    return FsrsCard(card_id=card_id(card.item_id), state=State(card.state), step=card.step,
                    stability=card.stability, difficulty=card.difficulty, due=card.due_at,
                    last_review=card.reviewed_at)


def retrievability(card: Card, when: datetime | date, sched: Scheduler | None = None) -> float | None:
    """The predicted probability of recalling ``card``'s answer at ``when`` (``None``: never reviewed)."""
    if card.state == NEW or card.stability is None:
        return None
    return float((sched or scheduler()).get_card_retrievability(to_fsrs(card, utc(when)), utc(when)))


def later_day_reviews(histories: Mapping[str, Sequence[Review]]) -> int:
    """Reviews made on a later day than their question's previous one: what the optimizer learns from."""
    n = 0
    for reviews in histories.values():
        times = sorted(utc(rv.at) for rv in reviews)
        n += sum((b - a).days > 0 for a, b in pairwise(times))
    return n


def log_loss(histories: Mapping[str, Sequence[Review]], sched: Scheduler) -> tuple[float, int]:
    """How well ``sched`` predicts recall on a log: mean log loss over later-day reviews, and their number.

    Each review is predicted from the card replayed up to it; "recalled" is any rating but Again.
    """
    total, n = 0.0, 0
    for item_id, reviews in histories.items():
        card = Card(item_id)
        for rv in sorted(reviews, key=lambda rv: utc(rv.at)):
            at = utc(rv.at)
            if card.reviewed_at is not None and (at - card.reviewed_at).days > 0:
                p = min(max(retrievability(card, at, sched), 1e-6), 1 - 1e-6)
                total -= math.log(p) if rv.rating != Rating.Again else math.log(1 - p)
                n += 1
            card = review(card, rv.score, at, sched=sched, rated=rv.rating)
    return (total / n if n else float("nan")), n


def fit_parameters(histories: Mapping[str, Sequence[Review]]) -> tuple[float, ...]:
    """FSRS parameters fitted to a profile's log with fsrs's Optimizer (needs torch; slow: seconds).

    Raises:
        ValueError: fewer than :data:`MIN_FIT_REVIEWS` later-day reviews (the optimizer would
            return the defaults unchanged).
    """
    n = later_day_reviews(histories)
    if n < MIN_FIT_REVIEWS:
        raise NotEnoughReviews(n)
    from fsrs import Optimizer  # imports torch: only here

    logs = [ReviewLog(card_id(item_id), rv.rating, utc(rv.at), None)
            for item_id, reviews in histories.items() for rv in reviews]
    return tuple(float(x) for x in Optimizer(logs).compute_optimal_parameters())


class NotEnoughReviews(ValueError):
    """A profile's log is too short to fit FSRS parameters."""

    def __init__(self, reviews: int, needed: int = MIN_FIT_REVIEWS):
        self.reviews, self.needed = reviews, needed
        super().__init__(f"{reviews} reviews on a later day than the question's previous one; fitting FSRS "
                         f"needs at least {needed}: keep practising, the default parameters are used until then")
