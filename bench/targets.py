"""The issue's performance targets, checked against one bench run."""

from __future__ import annotations

from bench.report import Results

CORPUS = "bundled corpus"


def _row(res: Results, n: int | None) -> dict | None:
    for row in res.sizes:
        if (n is None and row["data"] == CORPUS) or (n is not None and row.get("_n") == n):
            return row
    return None


def _p50(row: dict | None, key: str) -> float | None:
    value = row["_lat"].get(key) if row else None
    return value[0] if value else None


def _check(name: str, bound: float, value: float | None, unit: str, upper: bool = True) -> tuple:
    digits = 3 if not unit else 2 if value is not None and value < 10 else 0
    text = "not run" if value is None else f"{value:,.{digits}f} {unit}".rstrip()
    ok = None if value is None else (value <= bound if upper else value >= bound)
    return name, f"{'≤' if upper else '≥'} {bound:,g} {unit}".rstrip(), text, ok


def check(res: Results) -> list[tuple[str, str, str, bool | None]]:
    """(target, bound, measured, met) for each target of the issue; ``met`` is None when not measured."""
    corpus, big = _row(res, None), _row(res, 100_000)
    cold = dict(res.cold)
    first_answer = cold.get(f"qbank ask 什么是感受野", cold.get("qbank search 什么是感受野"))
    out = [
        _check("corpus: cold ingest incl. model load", 15, corpus["_seconds"] if corpus else None, "s"),
        _check("corpus: cold start to first answer", 4, first_answer, "s"),
        _check("corpus: search p50", 20, _p50(corpus, "search_ms"), "ms"),
        _check("corpus: extractive ask p50", 30, _p50(corpus, "ask_ms"), "ms"),
        _check("corpus: grade p50", 100, _p50(corpus, "grade_ms"), "ms"),
        _check("100k: ingest throughput", 300, big["_items"] / big["_seconds"] if big else None, "items/s", upper=False),
        _check("100k: search p50", 100, _p50(big, "search_ms"), "ms"),
        _check("100k: ingest peak RSS", 3 * 1024, big["_rss"] if big else None, "MB"),
    ]
    recalls = [r["_lat"].get("recall_at_10") for r in res.sizes if r["_lat"].get("recall_at_10") is not None]
    out.append(_check("approximate index recall@10 (worst)", 0.98, min(recalls) if recalls else None, "", upper=False))
    return out
