"""``qbank eval``: retrieval quality on the labelled set, for the configured pipeline and its ablations."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from ui.cli import CliError, _print_json, _settings, register


def cmd_eval(args) -> int:
    from rag import evaluate as ev
    from rag import fusion
    from rag.retrieve import Searcher

    path = Path(args.set) if args.set else ev.EVAL_SET
    if not path.exists():
        raise CliError(f"eval set {path} does not exist; give a JSONL file with --set (see data/eval/README.md)")
    settings = _settings(args)
    queries = ev.load_set(path)
    tune_half, holdout = ev.split(queries)
    searcher = Searcher(settings)
    cache: dict = {}
    params = fusion.Params.from_settings(settings)
    if args.tune:
        from rag import tune

        print(f"tuning on {len(tune_half)} queries (seed {ev.SPLIT_SEED}); this takes a minute or two...",
              file=sys.stderr)
        params = tune.tune(searcher, tune_half, max_false=args.max_false, cache=cache)
    outcomes = ev.evaluate(searcher, queries, params=params, raw_cache=cache)
    rows = ev.report_rows(outcomes, holdout, queries, tune_half)
    if args.json:
        _print_json({"set": str(path), "queries": len(queries), "seed": ev.SPLIT_SEED, "rows": rows,
                     "params": {k: float(v) for k, v in asdict(params).items()}})
        return 0
    print(f"eval set: {path} ({len(queries)} queries; tuning half {len(tune_half)}, holdout {len(holdout)}, "
          f"seed {ev.SPLIT_SEED})")
    print(ev.format_table(rows))
    if args.tune:
        print("\nmeasured parameters (settings go in $QBANK_HOME/config.toml, the rest are rag/fusion.py constants):")
        for k, v in asdict(params).items():
            print(f"{k} = {float(v):.4g}")
    return 0


@register
def _add(sub) -> None:
    s = sub.add_parser("eval", help="hit@1, hit@5, MRR and abstention on the labelled set: hybrid vs ablations")
    s.add_argument("--set", metavar="PATH", help="eval set (JSONL; default data/eval/retrieval.jsonl)")
    s.add_argument("--json", action="store_true", help="print the rows and parameters as one JSON object")
    s.add_argument("--tune", action="store_true",
                   help="first choose weights and thresholds on the tuning half, then evaluate with them")
    s.add_argument("--max-false", type=float, default=0.01,
                   help="with --tune: false-abstention budget on the tuning half (default 0.01)")
    s.set_defaults(func=cmd_eval)
