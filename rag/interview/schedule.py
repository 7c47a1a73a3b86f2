"""Spaced repetition (SM-2) driven by the grade, not by a self-rating.

A 0–100 score becomes an SM-2 quality 0–5 (:func:`quality`); :func:`review` returns the
card's next state. Pure functions on frozen dataclasses; the day is passed in, so tests
can simulate weeks in a loop.

SM-2: ``EF' = EF + (0.1 − (5−q)(0.08 + (5−q)·0.02))``, ``EF ≥ 1.3``; a quality below 3
restarts the card (interval 1 day); otherwise intervals go 1, 6, then ``I·EF`` days.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

MIN_EASE, START_EASE = 1.3, 2.5
# score thresholds for quality 5, 4, 3, 2, 1 (below the last: 0)
QUALITY_STEPS = ((90, 5), (75, 4), (60, 3), (40, 2), (20, 1))


@dataclass(frozen=True)
class Card:
    """The repetition state of one question for one profile."""

    item_id: str
    ease: float = START_EASE
    interval: int = 0          # days until the next review after the last one
    reps: int = 0              # successful reviews in a row
    lapses: int = 0            # times the question was failed (quality < 3)
    due: date | None = None    # None: never reviewed (new)
    last_score: int | None = None
    last_review: date | None = None

    def is_due(self, today: date) -> bool:
        return self.due is not None and self.due <= today


def quality(score: int) -> int:
    """SM-2 quality 0–5 of a 0–100 grade (90+ → 5, 75+ → 4, 60+ → 3, 40+ → 2, 20+ → 1, else 0)."""
    if not 0 <= score <= 100:
        raise ValueError(f"score must be within 0..100, got {score!r}")
    return next((q for threshold, q in QUALITY_STEPS if score >= threshold), 0)


def review(card: Card, score: int, today: date) -> Card:
    """The card after a review graded ``score`` on ``today``."""
    q = quality(score)
    ease = max(MIN_EASE, card.ease + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
    if q < 3:
        reps, interval, lapses = 0, 1, card.lapses + (1 if card.reps or card.due else 0)
    else:
        reps = card.reps + 1
        interval = 1 if reps == 1 else 6 if reps == 2 else max(1, round(card.interval * ease))
        lapses = card.lapses
    return replace(card, ease=round(ease, 4), interval=interval, reps=reps, lapses=lapses,
                   due=today + timedelta(days=interval), last_score=int(score), last_review=today)
