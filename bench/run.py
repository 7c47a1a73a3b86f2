"""One command for the whole benchmark: ``python -m bench.run [--sizes 1000,10000,100000] [--quick]``.

For the bundled corpus and for each synthetic size (see :mod:`bench.synth`) it runs
``qbank ingest`` in a fresh process with a fresh ``$QBANK_HOME`` (cold: model load
included, no embedding cache), then measures latencies in another fresh process
(:mod:`bench.latency`), the LangChain tutorial baseline (:mod:`bench.baseline`) and
the cold start of the CLI; it prints the tables and writes ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.measure import ChildRun, dir_mb, machine, run_child
from ingest.settings import BUNDLED_CORPUS, CHECKOUT

DOC = CHECKOUT / "docs" / "benchmarks.md"
METHOD = Path(__file__).with_name("METHOD.md")
COLD_QUERY = "什么是感受野"


class BenchError(RuntimeError):
    """A step of the bench failed; the message holds the command and its stderr tail."""


def qbank_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "qbank"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=str(CHECKOUT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return env


def checked(run: ChildRun, what: str, ok_codes=(0,)) -> ChildRun:
    if run.returncode not in ok_codes:
        raise BenchError(f"{what} exited {run.returncode}:\n{run.stderr[-2000:]}")
    return run


def child_json(cmd: list[str], env: dict, what: str) -> tuple[dict, ChildRun]:
    run = checked(run_child(cmd, env=env), what)
    return json.loads(run.stdout.strip().splitlines()[-1]), run


def ingest(home: Path, banks: list[Path]) -> ChildRun:
    """Cold ``qbank ingest`` (fresh home, so no cache) of the bundled corpus plus ``banks``."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return checked(run_child(qbank_cmd() + ["ingest", *map(str, banks)], env=child_env(home)), "qbank ingest")


def size_row(name: str, home: Path, run: ChildRun, lat: dict, files: int) -> dict:
    from ingest import store

    manifest = store.read_manifest(home / "index")
    items = manifest.items if manifest else 0
    folder = store.current(home / "index")
    distinct = lat.get("distinct_texts")
    return {
        "data": name, "items": report.fmt(items), "files": files, "ingest s": f"{run.seconds:.1f}",
        "ingest CPU s": f"{run.cpu_seconds:.1f}",
        "items/s": f"{items / run.seconds:.0f}",
        "distinct texts": f"{distinct[0]:,} of {distinct[1]:,}" if distinct else "n/a",
        "index MB": f"{dir_mb(folder):.1f}" if folder else "n/a",
        "ingest peak RSS MB": f"{run.peak_rss_mb:.0f}", "index": manifest.index_type if manifest else "?",
        "recall@10": report.fmt(lat.get("recall_at_10"), 3) if lat.get("recall_at_10") is not None else "exact",
        "search p50/p95 ms": report.fmt_pair(lat.get("search_ms")), "ask p50/p95 ms": report.fmt_pair(lat.get("ask_ms")),
        "grade p50/p95 ms": report.fmt_pair(lat.get("grade_ms")), "query RSS MB": f"{lat['peak_rss_mb']:.0f}",
        "_items": items, "_seconds": run.seconds, "_rss": run.peak_rss_mb, "_lat": lat,
    }


def baseline_row(name: str, items: int, paths: list[Path], queries: int, hit1: bool) -> dict:
    cmd = [sys.executable, "-m", "bench.baseline", *map(str, paths), "--queries", str(queries)] + (["--hit1"] if hit1 else [])
    out, run = child_json(cmd, child_env(Path(tempfile.gettempdir())), "baseline")
    return {"data": name, "items": report.fmt(items), "chunks": report.fmt(out["chunks"]),
            "ingest s": f"{run.seconds:.1f}", "ingest CPU s": f"{run.cpu_seconds:.1f}",
            "items/s": f"{items / run.seconds:.0f}",
            "search p50/p95 ms": report.fmt_pair(out["search_ms"]), "peak RSS MB": f"{run.peak_rss_mb:.0f}",
            "hit@1": report.fmt(out.get("hit_at_1"), 3), "_out": out, "_seconds": run.seconds}


def cold_start(home: Path, repeats: int = 3) -> list[tuple[str, float]]:
    """Median wall seconds of CLI commands from process start to exit, on an existing index."""
    out = []
    for args in (["--help"], ["search", COLD_QUERY], ["ask", COLD_QUERY]):
        times = []
        for _ in range(repeats):
            run = run_child(qbank_cmd() + args, env=child_env(home))
            if run.returncode != 0:
                if args[0] == "ask" and "invalid choice" in run.stderr:
                    break    # `qbank ask` not there yet
                checked(run, "qbank " + " ".join(args))
            times.append(run.seconds)
        if times:
            out.append(("qbank " + " ".join(args), statistics.median(times)))
    served = [serve_start(home) for _ in range(repeats)]
    if None not in served:
        out.append(("qbank serve (until the app answers HTTP)", statistics.median(served)))
    return out


def serve_start(home: Path, timeout: float = 120.0) -> float | None:
    """Seconds from starting ``qbank serve`` to its first HTTP answer (None when there is no serve command)."""
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen(qbank_cmd() + ["serve", "--port", str(port)], env=child_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")
                if "invalid choice" in err:
                    return None
                raise BenchError(f"qbank serve exited {proc.returncode}:\n{err[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    page.read()
                return time.perf_counter() - t0
            except OSError:
                time.sleep(0.1)
        raise BenchError(f"qbank serve did not answer within {timeout:.0f}s")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="qbank benchmark: ingest, latency, memory, ANN recall and a LangChain baseline.")
    ap.add_argument("--sizes", default="1000,10000,100000", help="synthetic bank sizes, comma separated")
    ap.add_argument("--quick", action="store_true", help="1k items only, 60 queries (for trying the harness)")
    ap.add_argument("--queries", type=int, default=200, help="timed calls per operation")
    ap.add_argument("--baseline-max", type=int, default=10_000, help="run the baseline up to this many items")
    ap.add_argument("--no-corpus", action="store_true", help="skip the bundled-corpus section")
    ap.add_argument("--out", type=Path, default=DOC, help="where to write the Markdown (default docs/benchmarks.md)")
    ap.add_argument("--workdir", type=Path, help="where to put banks and homes (default: a temp dir, removed after)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="cold starts timed per command (median)")
    args = ap.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    queries = min(args.queries, 60) if args.quick else args.queries
    command = "python -m bench.run " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qbank-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res = report.Results(command=command.strip(), machine=machine())
    try:
        if not args.no_corpus:
            _corpus(res, work, queries, max(1, args.repeats))
        for n in sizes:
            _size(res, work, n, queries, args)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    res.seconds = time.perf_counter() - t0
    res.machine["load_end"] = tuple(round(x, 2) for x in os.getloadavg())
    from bench.targets import check

    res.targets = check(res)
    for row in res.sizes + res.baselines:
        for key in [k for k in row if k.startswith("_")]:
            row.pop(key)
    print(report.tables(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.document(res, METHOD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _corpus(res: report.Results, work: Path, queries: int, repeats: int = 3) -> None:
    home = work / "home-corpus"
    print("bundled corpus: cold ingest ...", file=sys.stderr)
    run = ingest(home, [])
    lat, _ = child_json([sys.executable, "-m", "bench.latency", "--home", str(home), "--queries", str(queries),
                         "--hit1", "--rates", "--distinct"], child_env(home), "latency (corpus)")
    res.sizes.append(size_row("bundled corpus", home, run, lat, 5))
    r = lat["embed_rates"]
    per_item = (1 / r["questions_per_s"] + r["passages_per_item"] / r["passages_per_s"]
                + r["sentences_per_item"] / r["sentences_per_s"])
    res.notes.append(
        f"Embedding is most of ingest. One process embeds {r['questions_per_s']:.0f} new questions/s, "
        f"{r['passages_per_s']:.0f} new answer passages/s (~400 characters) or {r['sentences_per_s']:.0f} new lead "
        f"sentences/s; ingest runs one process per core. A bank whose every text is new "
        f"({r['passages_per_item']:.2f} passages and {r['sentences_per_item']:.2f} lead sentences per item, as in the corpus) "
        f"would ingest at about {os.cpu_count() / per_item:.0f} items/s, i.e. "
        f"{100_000 * per_item / os.cpu_count() / 60:.0f} min for 100k items.")
    res.cold = cold_start(home, repeats)
    print("bundled corpus: baseline ...", file=sys.stderr)
    base = baseline_row("bundled corpus", res.sizes[-1]["_items"], [BUNDLED_CORPUS], queries, hit1=True)
    res.baselines.append(base)
    res.quality = [("qbank hybrid search", lat.get("hit_at_1")),
                   ("LangChain tutorial (splitter 500/50 + FAISS, same embedding model)", base["_out"].get("hit_at_1"))]


def _size(res: report.Results, work: Path, n: int, queries: int, args) -> None:
    from bench.synth import make_banks

    banks = work / f"banks-{n}"
    shutil.rmtree(banks, ignore_errors=True)
    bank = make_banks(n, banks, seed=args.seed)
    home = work / f"home-{n}"
    print(f"{n:,} items: cold ingest ({bank.files} files, {bank.chars / 1e6:.1f} M chars) ...", file=sys.stderr)
    run = ingest(home, [banks])
    load = os.getloadavg()[0]
    print(f"{n:,} items: latency ...", file=sys.stderr)
    lat, _ = child_json([sys.executable, "-m", "bench.latency", "--home", str(home), "--queries", str(queries),
                         "--recall", "--distinct"], child_env(home), f"latency ({n})")
    res.sizes.append(size_row(f"synthetic {n:,} + corpus", home, run, lat, bank.files + 5))
    res.sizes[-1]["_n"] = n
    expected = n + (res.sizes[0]["_items"] if res.sizes[0]["data"] == "bundled corpus" else 173)
    if res.sizes[-1]["_items"] != expected:
        res.notes.append(f"synthetic {n:,}: the segmenter found {res.sizes[-1]['_items']:,} items where "
                         f"{expected:,} were written.")
    d = lat.get("distinct_texts")
    if d:
        res.notes.append(f"synthetic {n:,}: {d[0]:,} of the {d[1]:,} texts to embed are distinct "
                         f"({100 * d[0] / d[1]:.0f} %): every question, and the answer passages that recombination made "
                         f"new. Load average (1 min) at the end of its ingest: {load:.1f} (2 cores).")
    if n <= args.baseline_max:
        print(f"{n:,} items: baseline ...", file=sys.stderr)
        res.baselines.append(baseline_row(f"synthetic {n:,} + corpus", res.sizes[-1]["_items"], [BUNDLED_CORPUS, banks],
                                          queries, hit1=False))
    if args.workdir is None:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(banks, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
