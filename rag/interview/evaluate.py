"""Evaluate the offline grader on the labelled grading set: pairwise ordering accuracy and mean score per class.

Usage::

    python -m rag.interview.evaluate [--data data/eval/grading.jsonl] [--json] [--verbose]

Each question of the set has one answer per label (good, partial, wrong, offtopic).
Per question five ordered pairs are checked: good > partial, good > wrong,
partial > wrong, good > offtopic, partial > offtopic (wrong vs offtopic is not ordered:
both deserve about nothing). A pair counts as correct only when the first answer's
score is strictly higher; a tie is an error. Accuracy = correct pairs / all pairs.
``ref`` ("file#number") is mapped to the item id "<file stem>-<number>".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import DATA_DIR, Settings

LABELS = ("good", "partial", "wrong", "offtopic")
PAIRS = (("good", "partial"), ("good", "wrong"), ("partial", "wrong"), ("good", "offtopic"), ("partial", "offtopic"))
DEFAULT_DATA = DATA_DIR / "eval" / "grading.jsonl"


@dataclass(frozen=True)
class Example:
    ref: str
    item_id: str
    label: str
    answer: str


def item_id_of(ref: str) -> str:
    """``"dl_basics_qa.txt#27"`` -> ``"dl_basics_qa-27"``."""
    file, _, number = ref.partition("#")
    if not number.strip().isdigit():
        raise ValueError(f"ref {ref!r} is not 'file#number'")
    return f"{Path(file).stem}-{int(number)}"


def load_examples(path: Path = DEFAULT_DATA) -> list[Example]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if d.get("label") not in LABELS:
                raise ValueError(f"{path}:{n}: label {d.get('label')!r} is not one of {LABELS}")
            out.append(Example(d["ref"], item_id_of(d["ref"]), d["label"], d["answer"]))
    return out


def pair_metrics(scores: dict[str, dict[str, float]]) -> dict:
    """Pairwise ordering accuracy over questions; ``scores[ref][label]`` is the score of that answer."""
    per_pair = {f"{a}>{b}": [0, 0] for a, b in PAIRS}
    errors = []
    for ref, s in sorted(scores.items()):
        for a, b in PAIRS:
            if a in s and b in s:
                key = f"{a}>{b}"
                per_pair[key][1] += 1
                if s[a] > s[b]:
                    per_pair[key][0] += 1
                else:
                    errors.append({"ref": ref, "pair": key, a: s[a], b: s[b]})
    correct = sum(c for c, _ in per_pair.values())
    total = sum(t for _, t in per_pair.values())
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "pairs": total,
            "per_pair": {k: (c / t if t else 0.0) for k, (c, t) in per_pair.items()}, "errors": errors}


def evaluate(settings: Settings, data: Path = DEFAULT_DATA, grader=None) -> dict:
    """Grade every answer of the set and compute the metrics (and grade latency)."""
    from rag.interview.grade import Grader

    grader = grader or Grader(settings)
    grader.warm_up()
    examples = load_examples(data)
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    by_label: dict[str, list[int]] = defaultdict(list)
    details, latencies = [], []
    for ex in examples:
        item = grader.item(ex.item_id)
        grader.prepared(item)                    # per-item work is cached: time the grade itself
        t0 = time.perf_counter()
        g = grader.grade(item, ex.answer)
        latencies.append(time.perf_counter() - t0)
        scores[ex.ref][ex.label] = g.score
        by_label[ex.label].append(g.score)
        details.append({"ref": ex.ref, "label": ex.label, "score": g.score, "on_topic": round(g.on_topic, 3),
                        "statuses": [p.status for p in g.points],
                        "claims": [f"{c.reason}: {c.evidence} <> {c.reference_clause}" for c in g.claims]})
    metrics = pair_metrics(scores)
    lat = sorted(latencies)
    metrics.update({
        "questions": len(scores), "answers": len(examples),
        "mean_score": {lb: round(sum(v) / len(v), 1) for lb, v in by_label.items()},
        "latency_ms": {"p50": round(1000 * lat[len(lat) // 2], 1), "p95": round(1000 * lat[int(len(lat) * 0.95)], 1)},
        "details": details,
    })
    return metrics


def format_table(m: dict) -> str:
    lines = [f"pairwise ordering accuracy: {m['accuracy']:.1%} ({m['correct']}/{m['pairs']} pairs, "
             f"{m['questions']} questions, {m['answers']} answers)", "",
             "| pair | accuracy |", "|---|---|"]
    lines += [f"| {k} | {v:.1%} |" for k, v in m["per_pair"].items()]
    lines += ["", "| class | mean score |", "|---|---|"]
    lines += [f"| {lb} | {m['mean_score'].get(lb, 0):.1f} |" for lb in LABELS]
    lines += ["", f"grade latency (warm, in-process): p50 {m['latency_ms']['p50']} ms, p95 {m['latency_ms']['p95']} ms"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.interview.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled set (JSON lines: ref, label, answer)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--verbose", action="store_true", help="also list every answer's score and the misordered pairs")
    args = p.parse_args(argv)
    m = evaluate(Settings.load(), args.data)
    if args.json:
        print(json.dumps({k: v for k, v in m.items() if args.verbose or k != "details"}, ensure_ascii=False, indent=1))
        return 0
    print(format_table(m))
    if args.verbose:
        for e in m["errors"]:
            print("misordered:", json.dumps(e, ensure_ascii=False))
        for d in m["details"]:
            print(json.dumps(d, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
