"""The LangChain tutorial pipeline on the same banks, as the bench's baseline (run as a child process).

Files are read whole, split with ``RecursiveCharacterTextSplitter(chunk_size=500,
chunk_overlap=50)``, embedded with qbank's own embedding model through
:class:`ingest.embed.LangChainEmbeddings` and stored in ``langchain_community``'s FAISS
vector store; a query is ``similarity_search(query, k=1)``.

For hit@1 a chunk is mapped back to the item whose line span holds the chunk's middle
character (a chunk of the preamble or table of contents maps to no item).

``python -m bench.baseline PATH... [--queries N] [--hit1]`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import bisect
import json
import resource
import sys
import time
from pathlib import Path

CHUNK_SIZE, CHUNK_OVERLAP = 500, 50


def documents(paths: list[Path]):
    """LangChain documents of every bank file under ``paths``, chunked the tutorial way."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.load import find_files

    files, _ = find_files(paths)
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    texts = [f.read_text(encoding="utf-8") for f in files]
    return splitter.create_documents(texts, metadatas=[{"source": str(f)} for f in files])


def chunk_item(doc, spans: dict[str, tuple[list[int], list[tuple[int, int, str]]]]) -> str | None:
    """The ``file#number`` of the item holding the middle of a chunk, or None."""
    entry = spans.get(doc.metadata["source"])
    if entry is None:
        return None
    line_starts, items = entry
    middle = doc.metadata["start_index"] + len(doc.page_content) // 2
    line = bisect.bisect_right(line_starts, middle)     # 1-based line of that character
    for first, last, key in items:
        if first <= line <= last:
            return key
    return None


def item_spans(paths: list[Path]) -> dict[str, tuple[list[int], list[tuple[int, int, str]]]]:
    """Per file: the character offset of each line start and each item's (first, last, key)."""
    from ingest.load import find_files, load
    from ingest.pipeline import make_items

    files, _ = find_files(paths)
    out = {}
    for f in files:
        text = f.read_text(encoding="utf-8")
        starts, pos = [], 0
        for line in text.split("\n"):
            starts.append(pos)
            pos += len(line) + 1
        items = [(it.lines[0], it.lines[1], f"{it.file}#{it.number}") for it in make_items(load(f), f.stem)
                 if it.lines and it.kind == "qa"]
        out[str(f)] = (starts, items)
    return out


def run(paths: list[Path], n_queries: int, hit1: bool) -> dict:
    from langchain_community.vectorstores import FAISS

    from bench.latency import WARMUP, eval_queries
    from bench.measure import percentiles, time_calls
    from ingest.embed import LangChainEmbeddings

    out: dict = {}
    t0 = time.perf_counter()
    embeddings = LangChainEmbeddings()
    docs = documents(paths)
    out["chunks"] = len(docs)
    store = FAISS.from_documents(docs, embeddings)
    out["ingest_s"] = time.perf_counter() - t0
    queries = eval_queries()[:n_queries]
    out["search_ms"] = percentiles(time_calls(lambda q: store.similarity_search(q, k=1), queries, WARMUP))
    if hit1:
        from bench.quality import hit_at_1, load_queries

        spans = item_spans(paths)
        labelled = load_queries()
        firsts = []
        for q in labelled:
            found = store.similarity_search(q["query"], k=1)
            key = chunk_item(found[0], spans) if found else None
            firsts.append({key} if key else set())
        out["hit_at_1"] = hit_at_1(firsts, labelled)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--hit1", action="store_true")
    args = ap.parse_args(argv)
    json.dump(run(args.paths, args.queries, args.hit1), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
