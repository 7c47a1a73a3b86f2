"""``qbank eval``: retrieval quality on the labelled set, for the configured pipeline and its ablations."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from ingest.settings import TUNED
from ui.cli_common import CliError, _print_json, _settings, register


def cmd_eval(args) -> int:
    from rag import evaluate as ev
    from rag import fusion
    from rag.searcher import Searcher

    settings = _settings(args)
    if args.save and not args.tune:
        raise CliError("--save writes what --tune chose: run `qbank eval --tune --save`")
    searcher = Searcher(settings)
    if args.set:
        path = Path(args.set)
        if not path.exists():
            raise CliError(f"eval set {path} does not exist; give a JSONL file with --set (see data/eval/README.md)")
        queries, name = ev.load_set(path), str(path)
    else:
        queries, name = ev.load_suite(args.suite), f"suite {args.suite} ({', '.join(f for f, _ in ev.SUITES[args.suite])})"
    if args.suite == "public" and not args.set and not any(it.file == "XGBoost.md" for it in searcher.index.items):
        raise CliError(f"the public suite needs the public banks in the index: run `{ev.PUBLIC_BANKS_HINT}` "
                       f"(with this QBANK_HOME) first")
    queries, unresolved = ev.bind(searcher.index, queries)
    tune_half, holdout = ev.split(queries)
    fresh = [q for q in queries if q.split == "fresh"]
    cache: dict = {}
    params = fusion.Params.from_settings(settings)
    if args.tune:
        from rag import tune

        print(f"tuning on {len(tune_half)} queries (seed {ev.SPLIT_SEED}); this takes a minute or two...",
              file=sys.stderr)
        params = tune.tune(searcher, tune_half, max_false=args.max_false, cache=cache)
    if args.tune or args.tune_levels:
        from rag import tune

        corpora = [tune.evidence_rows(searcher, tune_half, params, cache)]
        for home in args.also_home or ():
            other = Searcher(settings.replace(home=Path(home)))
            suite = "public" if any(it.file == "XGBoost.md" for it in other.index.items) else "bundled"
            bound, _ = ev.bind(other.index, ev.load_suite(suite))
            corpora.append(tune.evidence_rows(other, ev.split(bound)[0], params))
        params = tune.tune_levels(corpora, params, max_false=args.level_max_false)
    outcomes = ev.evaluate(searcher, queries, params=params, raw_cache=cache)
    rows = ev.report_rows(outcomes, holdout, queries, tune_half, fresh or None)
    calibration = ev.calibration_rows(outcomes["hybrid"], queries)
    if args.json:
        _print_json({"set": name, "queries": len(queries), "unresolved": [q.query for q in unresolved],
                     "seed": ev.SPLIT_SEED, "rows": rows,
                     "params": {k: float(v) for k, v in asdict(params).items()}, "calibration": calibration})
        return 0
    print(f"eval set: {name}: {len(queries)} queries; tuning half {len(tune_half)}, holdout {len(holdout)}"
          + (f", fresh {len(fresh)}" if fresh else ""))
    if unresolved:
        indexed = {it.file for it in searcher.index.items}
        elsewhere = [q for q in unresolved if not any((ev.parse_ref(r) or ('',))[0] in indexed for r in q.refs)]
        if elsewhere:
            print(f"({len(elsewhere)} covered queries left out: their gold files are not in this index)")
        if len(elsewhere) < len(unresolved):
            print(f"({len(unresolved) - len(elsewhere)} covered queries left out: no item's line span holds their "
                  f"gold line; the segmenter dropped or merged that part of the file)")
    print(ev.format_table(rows))
    print("\nconfidence levels (hybrid):")
    print(ev.format_calibration(calibration))
    if args.tune or args.tune_levels:
        print("\nmeasured parameters (settings go in $QBANK_HOME/config.toml, the rest are rag/fusion.py constants):")
        for k, v in asdict(params).items():
            print(f"{k} = {float(v):.4g}")
    if args.save and args.tune:
        from ui.cmd_config import write_settings

        chosen = {("search", k): round(float(getattr(params, k)), 4) for k in SEARCH_SETTINGS}
        path = write_settings(settings.home, chosen, comment=f"qbank eval --tune on {name}")
        print(f"\nwrote {', '.join(SEARCH_SETTINGS)} to {path} (`qbank config unset search.<name>` goes back "
              f"to the defaults in data/tuned.toml)")
    return 0


SEARCH_SETTINGS = tuple(TUNED["search"])     # the measured search settings: the ones data/tuned.toml holds


@register
def _add(sub) -> None:
    s = sub.add_parser("eval", help="hit@1, hit@5, MRR and abstention on the labelled set: hybrid vs ablations")
    s.add_argument("--suite", choices=("bundled", "public"), default="bundled",
                   help="labelled sets of a corpus: bundled (default; data/eval/retrieval.jsonl + the uncovered "
                        "retrieval_ood_*) or public (bundled + ../shared/banks: retrieval_public_* + retrieval_ood_*)")
    s.add_argument("--set", metavar="PATH", help="one eval set instead (JSONL, split by seed)")
    s.add_argument("--json", action="store_true", help="print the rows and parameters as one JSON object")
    s.add_argument("--tune", action="store_true",
                   help="first choose weights and thresholds on the tuning half, then evaluate with them")
    s.add_argument("--save", action="store_true",
                   help="with --tune: write the chosen weights and threshold to $QBANK_HOME/config.toml [search]")
    s.add_argument("--max-false", type=float, default=0.01,
                   help="with --tune: false-abstention budget on the tuning half (default 0.01)")
    s.add_argument("--tune-levels", action="store_true",
                   help="only choose the confidence evidence, the abstention threshold and the 'answered' rule")
    s.add_argument("--also-home", action="append", metavar="QBANK_HOME",
                   help="with --tune/--tune-levels: tune the levels on the tuning queries of this index too "
                        "(e.g. one built with `qbank ingest ../shared/banks`); repeatable")
    s.add_argument("--level-max-false", type=float, default=0.02,
                   help="false-abstention budget of the levels on each corpus's tuning queries (default 0.02)")
    s.set_defaults(func=cmd_eval)
