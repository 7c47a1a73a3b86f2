"""Retrieval quality on the labelled set (``data/eval/retrieval.jsonl``): hit@1 of qbank and of the baseline.

A query counts as a hit when the first result is one of its gold items (``file#number``);
queries with no gold item (uncovered topics) are left out of hit@1.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.settings import DATA_DIR

RETRIEVAL_SET = DATA_DIR / "eval" / "retrieval.jsonl"


def load_queries(path: Path = RETRIEVAL_SET) -> list[dict]:
    """The labelled queries that have at least one gold item."""
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r.get("gold")]


def item_key(file: str, number) -> str:
    """The label form of an item: ``<file>#<number>``."""
    return f"{file}#{number}"


def hit_at_1(first_keys: list[set[str]], queries: list[dict]) -> float:
    """Share of queries whose first result (a set of equivalent keys, or empty) meets a gold key."""
    if len(first_keys) != len(queries):
        raise ValueError(f"got {len(first_keys)} results for {len(queries)} queries")
    if not queries:
        return 0.0
    hits = sum(1 for keys, q in zip(first_keys, queries) if keys & set(q["gold"]))
    return hits / len(queries)


def qbank_hit_at_1(searcher, queries: list[dict]) -> float:
    """hit@1 of qbank's hybrid search; an item's word-for-word duplicates count as the same answer."""
    by_id = searcher.index.by_id
    firsts = []
    for q in queries:
        result = searcher.search(q["query"], k=1)
        keys: set[str] = set()
        if result.hits:
            hit = result.hits[0]
            for it in [hit.item, *(by_id[i] for i in hit.also_in if i in by_id)]:
                keys.add(item_key(it.file, it.number))
        firsts.append(keys)
    return hit_at_1(firsts, queries)
