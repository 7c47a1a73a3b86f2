"""A profile fits its own FSRS parameters (fsrs's Optimizer, torch) from its review log, and is rescheduled."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from fsrs import Rating

from rag.interview.schedule import (
    DEFAULT_PARAMETERS,
    MIN_FIT_REVIEWS,
    Card,
    NotEnoughReviews,
    retrievability,
    review,
    scheduler,
)
from rag.interview.store import HistoryStore


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def forgetful_learner(store, clock, profile, items=90, days=240, seed=3):
    """Answers scheduled by the store, recalled with the odds of a learner who forgets 4x faster than FSRS's
    defaults assume (recalled: 80, forgotten: 20). Returns the number of reviews."""
    truth = scheduler([w / 4 if k < 4 else w for k, w in enumerate(DEFAULT_PARAMETERS)])
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 19, 0)
    events = [(start + timedelta(days=rng.randrange(30), minutes=k), f"q-{k}") for k in range(items)]
    true_cards: dict[str, Card] = {}
    n = 0
    while events:
        events.sort()
        at, item = events.pop(0)
        if at > start + timedelta(days=days):
            continue
        true = true_cards.get(item, Card(item))
        recalled = true.state != 0 and rng.random() < retrievability(true, at, truth)
        score = 80 if recalled else 20
        clock.now = at
        card = store.record(profile, item, score, "…", {"score": score})
        true_cards[item] = review(true, score, at, sched=truth)
        n += 1
        events.append((datetime.combine(card.due, at.time()), item))
    return n


def test_too_short_a_log_is_refused_with_its_count(tmp_path):
    clock = Clock(datetime(2026, 1, 1, 9, 0))
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    store.record("p", "a", 80, "…", {})
    clock.now += timedelta(days=2)
    store.record("p", "a", 80, "…", {})
    with pytest.raises(NotEnoughReviews, match=f"1 reviews on a later day .* at least {MIN_FIT_REVIEWS}"):
        store.fit("p")
    assert store.parameters("p") is None


@pytest.mark.integration
def test_a_forgetful_profile_fits_shorter_intervals_and_predicts_its_log_better(tmp_path):
    clock = Clock(datetime(2026, 1, 1, 9, 0))
    store = HistoryStore(tmp_path / "h.sqlite3", clock=clock)
    n = forgetful_learner(store, clock, "ana")
    store.record("bob", "q-1", 80, "…", {})
    assert n > MIN_FIT_REVIEWS + 90
    before = store.cards("ana")
    assert sum(a["rating"] == Rating.Again for a in store.attempts("ana")) > n // 10   # it does forget

    report = store.fit("ana")
    assert report.kept and report.loss_fitted < report.loss_default and report.reviews >= MIN_FIT_REVIEWS
    assert store.parameters("ana") == report.parameters != tuple(DEFAULT_PARAMETERS)
    assert store.parameters("bob") is None                               # only this profile
    after = store.cards("ana")
    assert report.cards == len(after) == len(before) == 90
    shorter = sum(after[k].interval < before[k].interval for k in after)
    assert shorter > 60 and not any(after[k].interval > before[k].interval for k in after), shorter
    assert all(after[k].reps == before[k].reps for k in after)          # rescheduled, no review lost
    # its next answers are scheduled with its own parameters
    card = after["q-7"]
    clock.now = datetime.combine(card.due, clock.now.time())
    got = store.record("ana", "q-7", 80, "…", {})
    own, default = (review(card, 80, clock.now, sched=scheduler(p)) for p in (report.parameters, None))
    assert got.stability == pytest.approx(own.stability) and got.stability != pytest.approx(default.stability)
