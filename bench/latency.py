"""In-process latency of search, extractive ask and grade over a built index (run as a child by the bench).

``python -m bench.latency --home H [--queries N] [--hit1] [--recall]`` prints one JSON
object: p50/p95 in ms of each operation (``null`` when the module is not available),
the approximate index's recall@10 against exact search, qbank's hit@1 on the labelled
set (``--hit1``, bundled corpus only), and this process's peak RSS.

Every timed query is a distinct question seen for the first time (the query-embedding
cache does not help), after a warm-up on other questions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

WARMUP = ["什么是过拟合", "how does dropout work", "介绍一下注意力机制", "梯度爆炸怎么办", "BN 作用"]


def eval_queries() -> list[str]:
    """Every query of the labelled set, covered or not (uncovered ones exercise abstention)."""
    from bench.quality import RETRIEVAL_SET

    with open(RETRIEVAL_SET, encoding="utf-8") as f:
        return [json.loads(line)["query"] for line in f if line.strip()]


def grading_cases(index) -> list[tuple[object, str]]:
    """(item, answer) pairs of the labelled grading set whose item is in ``index``."""
    from ingest.settings import DATA_DIR

    by_key = {f"{it.file}#{it.number}": it for it in index.items}
    cases = []
    with open(DATA_DIR / "eval" / "grading.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                if row["ref"] in by_key:
                    cases.append((by_key[row["ref"]], row["answer"]))
    return cases


def distinct_texts(index) -> tuple[int, int]:
    """(distinct, total) of the texts ingest embeds for these items (see ``ingest.pipeline.embed_texts``)."""
    from ingest.pipeline import embed_texts

    by_item: dict[str, list] = {}
    for p in index.passages:
        by_item.setdefault(p.item_id, []).append(p)
    texts = [t for it in index.items for t in embed_texts(it, by_item.get(it.id, []))]
    return len(set(texts)), len(texts)


def embed_rates(index, settings) -> dict:
    """Texts per second one process embeds: questions, and answer passages (~400 characters), all new."""
    import time as _time

    from ingest.embed import load_embedder

    from ingest.pipeline import embed_texts

    embedder = load_embedder(settings.embedding.model)
    questions = [f"{it.question}（计时 {k}）" for k, it in enumerate(index.items)][:300]
    passages = [p.text for p in index.passages][:150]
    by_item: dict[str, list] = {}
    for p in index.passages:
        by_item.setdefault(p.item_id, []).append(p)
    # what embed_texts adds after the question and the passages: the answer's lead sentences
    sentences = [t for it in index.items for t in embed_texts(it, by_item.get(it.id, []))[1 + len(by_item.get(it.id, [])):]]
    out = {"sentences_per_item": len(sentences) / max(1, len(index.items))}
    sentences = [f"{t}（计时 {k}）" for k, t in enumerate(sentences)][:300]
    for name, texts in (("questions_per_s", questions), ("passages_per_s", passages), ("sentences_per_s", sentences)):
        t = _time.perf_counter()
        embedder.embed(texts)
        out[name] = len(texts) / (_time.perf_counter() - t)
    out["passages_per_item"] = len(index.passages) / max(1, len(index.items))
    return out


def measure(home: Path, n_queries: int, hit1: bool, recall: bool, distinct: bool = False, rates: bool = False) -> dict:
    from bench.measure import percentiles, time_calls
    from ingest.settings import Settings
    from rag.searcher import Searcher

    settings = Settings.load(home=home)
    out: dict = {}
    t = time.perf_counter()
    searcher = Searcher(settings)
    searcher.warm_up()
    out["load_s"] = time.perf_counter() - t
    index = searcher.index
    out["index_type"] = index.manifest.index_type
    out["vectors"] = int(index.dense.ntotal)
    queries = eval_queries()[:n_queries]
    p = percentiles(time_calls(lambda q: searcher.search(q), queries, WARMUP))
    out["search_ms"] = p
    try:
        from rag.answer import Answerer
    except ImportError as exc:
        out["ask_ms"], out["ask_note"] = None, f"rag.answer not available ({exc})"
    else:
        answerer = Answerer(settings.replace(llm_backend="none"), searcher=searcher)
        _forget_queries(settings)   # the same questions, each embedded afresh
        out["ask_ms"] = percentiles(time_calls(answerer.ask, queries, WARMUP))
    try:
        from rag.interview.grade import Grader
    except ImportError as exc:
        out["grade_ms"], out["grade_note"] = None, f"rag.interview.grade not available ({exc})"
    else:
        grader = Grader(settings, searcher=searcher)
        grader.warm_up()
        cases = grading_cases(index)
        if not cases:   # synthetic banks: grade the bundled items' reference answers' first lines
            cases = [(it, it.answer[:300]) for it in index.items[:60]]
        warm = [(it, "不知道") for it in index.items[-3:]]
        out["grade_ms"] = percentiles(time_calls(lambda c: grader.grade(*c), cases[:n_queries], warm))
    if recall:
        out["recall_at_10"] = ann_recall(index, searcher, queries)
    if distinct:
        out["distinct_texts"] = distinct_texts(index)
    if rates:
        out["embed_rates"] = embed_rates(index, settings)
    if hit1:
        from bench.quality import load_queries, qbank_hit_at_1

        out["hit_at_1"] = qbank_hit_at_1(searcher, load_queries())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _forget_queries(settings) -> None:
    """Empty the query-embedding cache, so timed calls pay for embedding their question."""
    from ingest.embed import load_embedder

    cache = getattr(load_embedder(settings.embedding.model), "_cache", None)
    if cache is not None:
        cache.clear()


def ann_recall(index, searcher, queries: list[str]) -> float | None:
    """recall@10 of the live dense index against exact search; None when the index is exact already."""
    import numpy as np

    from bench.ann import recall_at_k, vectors_of
    from ingest.embed import load_embedder

    if index.manifest.index_type == "flat":
        return None
    embedder = load_embedder(searcher.settings.embedding.model)
    q = np.vstack([embedder.embed_query(x) for x in queries])
    return recall_at_k(index.dense, vectors_of(index.dense), q, k=10)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # as `qbank` sets it for every command but ingest
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, type=Path)
    ap.add_argument("--queries", type=int, default=200, help="timed calls per operation")
    ap.add_argument("--hit1", action="store_true", help="also hit@1 on data/eval/retrieval.jsonl")
    ap.add_argument("--recall", action="store_true", help="also recall@10 of the approximate index")
    ap.add_argument("--distinct", action="store_true", help="also how many of the embedded texts are distinct")
    ap.add_argument("--rates", action="store_true", help="also embedding texts/s of one process")
    args = ap.parse_args(argv)
    json.dump(measure(args.home, args.queries, args.hit1, args.recall, args.distinct, args.rates), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
