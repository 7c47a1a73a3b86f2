"""Progress figures for the History view and the dashboard: pure functions over session states and attempts.

>>> streak({"2026-05-01", "2026-05-02", "2026-05-04"}, date(2026, 5, 4))
1
>>> streak({"2026-05-02", "2026-05-03"}, date(2026, 5, 4))   # nothing yet today: yesterday's run still counts
2
>>> summarize({"item_ids": ["a", "b"], "results": [{"score": 80, "topic": "NLP"}], "skipped": ["b"]}).mean_score
80.0
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Summary:
    """What a session amounts to: questions planned, answered and skipped, mean score, per topic."""

    planned: int
    answered: int
    skipped: int
    mean_score: float | None
    topics: list = field(default_factory=list)     # (topic, questions, mean score), weakest first


def summarize(state: dict) -> Summary:
    """The summary of an :class:`~rag.interview.session.InterviewSession` state (its current grade counts)."""
    results = list(state.get("results") or []) + ([state["current"]] if state.get("current") else [])
    scores = [int(r["score"]) for r in results]
    groups: dict[str, list[int]] = defaultdict(list)
    for r in results:
        groups[r.get("topic") or "其他"].append(int(r["score"]))
    topics = sorted(((tp, len(v), round(sum(v) / len(v), 1)) for tp, v in groups.items()), key=lambda x: x[2])
    return Summary(len(state.get("item_ids") or []), len(results), len(state.get("skipped") or []),
                   round(sum(scores) / len(scores), 1) if scores else None, topics)


def streak(days: set[str], today: date) -> int:
    """Days in a row with practice, ending today (or yesterday, when today has none yet)."""
    day = today if today.isoformat() in days else today - timedelta(days=1)
    n = 0
    while day.isoformat() in days:
        n += 1
        day -= timedelta(days=1)
    return n


def daily_scores(attempts: list[dict]) -> list[tuple[str, float, int]]:
    """``(day, mean score, answers)`` per day with attempts, oldest first."""
    groups: dict[str, list[int]] = defaultdict(list)
    for a in attempts:
        groups[a["day"]].append(int(a["score"]))
    return [(d, round(sum(v) / len(v), 1), len(v)) for d, v in sorted(groups.items())]
