"""Evaluate the offline grader on the labelled grading set: pairwise ordering accuracy and mean score per class.

Usage::

    python -m rag.interview.evaluate [--set old|heldout|PATH] [--grader both|qbank|baseline] [--json] [--verbose]

``--set old`` is data/eval/grading.jsonl (for development), ``--set heldout`` the frozen
data/eval/grading_heldout.jsonl (never tune on it; see data/eval/GRADING.md). By default the
qbank grader and the alignment baseline (:func:`alignment_baseline`) are printed side by side.

Each question of the set has one answer per label (good, partial, wrong, offtopic).
Per question five ordered pairs are checked: good > partial, good > wrong,
partial > wrong, good > offtopic, partial > offtopic (wrong vs offtopic is not ordered:
both deserve about nothing). A pair counts as correct only when the first answer's
score is strictly higher; a tie is an error. Accuracy = correct pairs / all pairs.
``ref`` ("file#number") is mapped to the item id "<file stem>-<number>".

A line may carry ``"lang"``. A ``good`` answer with ``lang: en`` is the class ``good_en`` (the
held-out set has one Chinese and one English good answer per question): the five pairs above
use the Chinese ``good``, and ``good_en`` is checked in three more pairs (good_en > partial,
good_en > wrong, good_en > offtopic), reported apart. A ``wrong`` answer with ``lang: en`` is the
class ``wrong_en``: it is ordered below good, good_en and partial like a Chinese wrong answer
(good > wrong_en and partial > wrong_en count with the five pairs, good_en > wrong_en with the
good_en pairs), and the mean of the wrong answers is reported with and without it (``wrong`` is
the Chinese ones, ``wrong_all`` both). Other labels keep their class whatever their language.

A question may have more than one answer of a class (the third held-out set does): then every
answer of the first class is paired with every answer of the second (a question with two good
and two partial answers has four good > partial pairs). False-contradiction rate = key points
with status ``contradicted`` / all key points, over the answers labelled good (zh and en).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.settings import DATA_DIR, Settings

LABELS = ("good", "partial", "wrong", "offtopic")
CLASSES = ("good", "good_en", "partial", "wrong", "wrong_en", "offtopic")
PAIRS = (("good", "partial"), ("good", "wrong"), ("partial", "wrong"), ("good", "offtopic"), ("partial", "offtopic"),
         ("good", "wrong_en"), ("partial", "wrong_en"))
EN_PAIRS = (("good_en", "partial"), ("good_en", "wrong"), ("good_en", "offtopic"), ("good_en", "wrong_en"))
DEFAULT_DATA = DATA_DIR / "eval" / "grading.jsonl"
SETS = {"old": DEFAULT_DATA, "tune": DATA_DIR / "eval" / "grading_tune.jsonl",
        "tune2": DATA_DIR / "eval" / "grading_tune2.jsonl", "heldout": DATA_DIR / "eval" / "grading_heldout.jsonl",
        "heldout3": DATA_DIR / "eval" / "grading_heldout3.jsonl", "heldout5": DATA_DIR / "eval" / "grading_heldout5.jsonl",
        "tune3": DATA_DIR / "eval" / "grading_tune3.jsonl", "heldout6": DATA_DIR / "eval" / "grading_heldout6.jsonl",
        # over the public banks (``id:`` refs): grade them on an index built with ``qbank ingest ../shared/banks``
        "tune4": DATA_DIR / "eval" / "grading_tune4.jsonl", "heldout7": DATA_DIR / "eval" / "grading_heldout7.jsonl",
        "heldout8": DATA_DIR / "eval" / "grading_heldout8.jsonl"}


@dataclass(frozen=True)
class Example:
    ref: str
    item_id: str
    label: str
    answer: str
    lang: str = ""

    @property
    def cls(self) -> str:
        """The class scored: the label, except that an English good answer is ``good_en`` and an English wrong
        answer ``wrong_en``."""
        if self.lang == "en" and self.label in ("good", "wrong"):
            return self.label + "_en"
        return self.label


def item_id_of(ref: str) -> str:
    """``"dl_basics_qa.txt#27"`` -> ``"dl_basics_qa-27"``; ``"id:README-s1"`` -> ``"README-s1"``.

    The ``id:`` form names any item as ``qbank list`` shows it, for banks whose questions are not numbered
    (a set over ``../shared/banks`` graded with ``QBANK_HOME`` on an index that holds them).

    >>> item_id_of("DecisionTree.md#3"), item_id_of("id:svm-s2")
    ('DecisionTree-3', 'svm-s2')
    """
    if ref.startswith("id:") and ref[3:].strip():
        return ref[3:].strip()
    file, _, number = ref.partition("#")
    if not number.strip().isdigit():
        raise ValueError(f"ref {ref!r} is neither 'file#number' nor 'id:<item id>'")
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
            out.append(Example(d["ref"], item_id_of(d["ref"]), d["label"], d["answer"], d.get("lang", "")))
    return out


def pair_metrics(scores: dict[str, dict[str, float | list[float]]], pairs=PAIRS) -> dict:
    """Pairwise ordering accuracy over questions; ``scores[ref][cls]`` is the score of that answer, or the list of
    scores of that class's answers (each paired with each answer of the other class)."""
    per_pair = {f"{a}>{b}": [0, 0] for a, b in pairs}
    errors = []
    for ref, s in sorted(scores.items()):
        for a, b in pairs:
            if a in s and b in s:
                key = f"{a}>{b}"
                for x in _as_list(s[a]):
                    for y in _as_list(s[b]):
                        per_pair[key][1] += 1
                        if x > y:
                            per_pair[key][0] += 1
                        else:
                            errors.append({"ref": ref, "pair": key, a: x, b: y})
    correct = sum(c for c, _ in per_pair.values())
    total = sum(t for _, t in per_pair.values())
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "pairs": total,
            "per_pair": {k: (c / t if t else 0.0) for k, (c, t) in per_pair.items() if t}, "errors": errors}


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def evaluate(settings: Settings, data: Path = DEFAULT_DATA, grader=None) -> dict:
    """Grade every answer of the set and compute the metrics (and grade latency).

    ``grader`` is anything with ``warm_up()``, ``item(id)``, ``prepared(item)`` and ``grade(item, answer)``
    returning ``.score``, ``.on_topic``, ``.points`` (with ``.status``) and ``.claims``: the qbank
    :class:`~rag.interview.grade.Grader` (the default) or :class:`AlignmentBaseline`.
    """
    from rag.interview.grade import Grader

    grader = grader or Grader(settings)
    grader.warm_up()
    examples = load_examples(data)
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_label: dict[str, list[int]] = defaultdict(list)
    contradicted = total_points = 0
    details, latencies = [], []
    for ex in examples:
        item = grader.item(ex.item_id)
        grader.prepared(item)                    # per-item work is cached: time the grade itself
        t0 = time.perf_counter()
        g = grader.grade(item, ex.answer)
        latencies.append(time.perf_counter() - t0)
        scores[ex.ref][ex.cls].append(g.score)
        by_label[ex.cls].append(g.score)
        if ex.label == "good":
            contradicted += sum(1 for p in g.points if p.status == "contradicted")
            total_points += len(g.points)
        details.append({"ref": ex.ref, "label": ex.cls, "score": g.score, "on_topic": round(g.on_topic, 3),
                        "statuses": [p.status for p in g.points],
                        "claims": [f"{c.reason}: {c.evidence} <> {c.reference_clause}" for c in g.claims]})
    metrics = pair_metrics(scores)
    if "good_en" in by_label:
        metrics["en_pairs"] = pair_metrics(scores, EN_PAIRS)
    lat = sorted(latencies)
    means = {lb: round(sum(v) / len(v), 1) for lb, v in by_label.items()}
    if "wrong_en" in by_label:
        both = by_label.get("wrong", []) + by_label["wrong_en"]
        means["wrong_all"] = round(sum(both) / len(both), 1)
    metrics.update({
        "questions": len(scores), "answers": len(examples),
        "mean_score": means,
        # share of the good answers' key points marked contradicted; None for a grader without point statuses
        "false_contradiction": {"rate": contradicted / total_points if total_points else None,
                                "contradicted": contradicted, "points": total_points},
        "latency_ms": {"p50": round(1000 * lat[len(lat) // 2], 1), "p95": round(1000 * lat[int(len(lat) * 0.95)], 1)},
        "details": details,
    })
    return metrics


# ------------------------------------------------------------------ alignment baseline
_REF_BREAK = re.compile(r"[。！？!?；;\n]+|\.(?=\s)")
_ANSWER_BREAK = re.compile(r"[。！？!?；;，,\n]+|\.(?=\s)")
_MARKUP = re.compile(r"[\s#*`>|~_=+\-:：.、·•()（）\[\]\d]+")


def _pieces(text: str, breaks: re.Pattern, min_chars: int) -> list[str]:
    """Split on ``breaks``; drop pieces with fewer than ``min_chars`` characters besides markup, digits and spaces."""
    return [p.strip() for p in breaks.split(text or "") if len(_MARKUP.sub("", p)) >= min_chars]


def alignment_baseline(reference: str, answer: str, embed) -> float:
    """A naive yardstick for the grader: 100 × mean over reference sentences of the best cosine with any answer clause.

    The reference is cut into sentences (on 。！？!?；; newlines and ". "), dropping markup-only and very short
    pieces; the answer into clauses (also on ，,). ``embed`` is an embedder (``.embed(texts)`` -> L2-normalised
    rows), normally qbank's own, ``ingest.embed.load_embedder(settings.embedding.model)``.
    """
    sentences, clauses = _pieces(reference, _REF_BREAK, 5), _pieces(answer, _ANSWER_BREAK, 2)
    if not sentences or not clauses:
        return 0.0
    vecs = embed.embed(sentences + clauses)
    sims = vecs[:len(sentences)] @ vecs[len(sentences):].T
    return float(100 * sims.max(axis=1).mean())


class _MemoEmbedder:
    """Remembers every text's vector, so a reference is embedded once however many answers it grades."""

    def __init__(self, inner):
        self.inner, self.memo = inner, {}

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            self.memo.update(zip(todo, self.inner.embed(todo)))
        return np.stack([self.memo[t] for t in texts])


@dataclass(frozen=True)
class BaselineGrade:
    score: float
    on_topic: float = 0.0
    points: tuple = ()          # no key points, so no statuses: its false-contradiction rate is undefined
    claims: tuple = ()


@dataclass
class AlignmentBaseline:
    """:func:`alignment_baseline` as a grader for :func:`evaluate`: the same items and embedding model as qbank's grader.

    Args:
        items: ``item_id -> QAItem`` (e.g. ``Grader(settings).item``, the live index).
        embedder: the embedder (e.g. ``Grader(settings).embedder``).
    """

    items: object
    embedder: object
    _memo: _MemoEmbedder | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._memo = _MemoEmbedder(self.embedder)

    def warm_up(self) -> None:
        self.embedder.embed(["warm up"])

    def item(self, item_id: str):
        return self.items(item_id)

    def prepared(self, item) -> None:
        self._memo.embed(_pieces(item.answer, _REF_BREAK, 5) or ["-"])

    def grade(self, item, answer: str) -> BaselineGrade:
        return BaselineGrade(round(alignment_baseline(item.answer, answer, self._memo), 1))


def compare(settings: Settings, data: Path = DEFAULT_DATA, which: tuple[str, ...] = ("qbank", "baseline")) -> dict:
    """Metrics of the qbank grader and/or the alignment baseline on one set, keyed by grader name."""
    from rag.interview.grade import Grader

    qbank = Grader(settings)
    graders = {"qbank": qbank, "baseline": AlignmentBaseline(qbank.item, qbank.embedder)}
    return {name: evaluate(settings, data, graders[name]) for name in which}


def format_comparison(results: dict[str, dict], data: Path | None = None) -> str:
    """One column per grader: pair accuracy (and per pair), mean score per class, false-contradiction rate."""
    names, ms = list(results), list(results.values())
    first = ms[0]

    def row(label, cells):
        return f"| {label} | " + " | ".join(cells) + " |"

    def pct(c, t):
        return f"{c / t:.1%} ({c}/{t})" if t else "—"

    lines = [f"set: {data or '?'} ({first['questions']} questions, {first['answers']} answers)",
             "pairs (per question, strict: a tie is an error): good>partial, good>wrong, partial>wrong, "
             "good>offtopic, partial>offtopic (and good/partial>wrong_en when a wrong answer is in English); "
             "good = the Chinese/only good answer; several answers of a class: every combination", "",
             row("metric", names), "|---|" + "---|" * len(names),
             row("**pair accuracy**", [f"**{pct(m['correct'], m['pairs'])}**" for m in ms])]
    lines += [row(k, [f"{m['per_pair'][k]:.1%}" for m in ms]) for k in first["per_pair"]]
    if "en_pairs" in first:
        lines.append(row("good_en pairs", [pct(m["en_pairs"]["correct"], m["en_pairs"]["pairs"]) for m in ms]))
        lines += [row(k, [f"{m['en_pairs']['per_pair'][k]:.1%}" for m in ms]) for k in first["en_pairs"]["per_pair"]]
    for c in CLASSES + ("wrong_all",):
        if c in first["mean_score"]:
            label = {"wrong": "mean wrong (zh)" if "wrong_en" in first["mean_score"] else "mean wrong",
                     "wrong_all": "mean wrong (zh + en)"}.get(c, f"mean {c}")
            lines.append(row(label, [f"{m['mean_score'].get(c, float('nan')):.1f}" for m in ms]))
    fc = [m["false_contradiction"] for m in ms]
    lines.append(row("false-contradiction rate (good)",
                     [pct(f["contradicted"], f["points"]) if f["rate"] is not None else "n/a" for f in fc]))
    lines.append(row("grade latency p50 / p95 ms",
                     [f"{m['latency_ms']['p50']} / {m['latency_ms']['p95']}" for m in ms]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.interview.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--set", dest="set_", default="old",
                   metavar="old|tune|tune2|tune3|tune4|heldout|heldout3|heldout5|heldout6|heldout7|heldout8|PATH",
                   help="labelled set: old (data/eval/grading.jsonl), tune / tune2 / tune3 (grading_tune*.jsonl), "
                        "heldout (grading_heldout.jsonl, a tuning set since round 3), heldout3 / heldout5 / heldout6 "
                        "(frozen: never tune on them), tune4 / heldout7 / heldout8 (over the public banks: run with QBANK_HOME "
                        "on an index built with `qbank ingest ../shared/banks`; heldout7 and heldout8 are frozen) or a JSONL path")
    p.add_argument("--data", type=Path, help="labelled set path (same as --set PATH)")
    p.add_argument("--grader", choices=("both", "qbank", "baseline"), default="both",
                   help="qbank grader, alignment baseline, or both side by side (default)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--verbose", action="store_true", help="also list every answer's score and the misordered pairs")
    args = p.parse_args(argv)
    data = args.data or SETS.get(args.set_, Path(args.set_))
    if not Path(data).is_file():
        p.error(f"no labelled set at {data}")
    which = ("qbank", "baseline") if args.grader == "both" else (args.grader,)
    results = compare(Settings.load(), data, which)
    if args.json:
        print(json.dumps({"set": str(data), **{name: {k: v for k, v in m.items() if args.verbose or k != "details"}
                                                for name, m in results.items()}}, ensure_ascii=False, indent=1))
        return 0
    print(format_comparison(results, data))
    if args.verbose:
        for name, m in results.items():
            for e in m["errors"] + m.get("en_pairs", {}).get("errors", []):
                print(f"{name} misordered:", json.dumps(e, ensure_ascii=False))
            for d in m["details"]:
                print(name, json.dumps(d, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
