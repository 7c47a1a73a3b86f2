"""Segmentation benchmark: qbank's segmenter against hand-labelled question start lines.

Gold files (one JSON object per bank, see ``data/eval/README.md``):

- ``data/eval/segmentation_gold.jsonl``: 22 real banks in the shared folder (``--banks``, else
  ``$QBANK_SHARED_BANKS``, else ``<repo>/../shared/banks``); a bank that is absent is skipped.
- ``data/eval/segmentation_heldout/gold.jsonl``: banks stored beside that file (optional).
- ``data/eval/segmentation_heldout2/gold.jsonl``: a second such set, written later by another outsider (optional).

A predicted question is the 1-based start line of every ``qa`` item of :func:`ingest.segment.segment`;
it matches when the gold list has exactly that line. Totals are micro-averaged over files.
The last line checks that the five bundled banks still give 173 items.

    python -m bench.segmentation [--split tune|holdout|all] [--json] [--banks DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from bench.report import table
from ingest.settings import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
GOLD = DATA_DIR / "eval" / "segmentation_gold.jsonl"
HELDOUT_GOLD = DATA_DIR / "eval" / "segmentation_heldout" / "gold.jsonl"
HELDOUT2_GOLD = DATA_DIR / "eval" / "segmentation_heldout2" / "gold.jsonl"   # a second outsider set, frozen 2026-12-02
CORPUS = DATA_DIR / "corpus"
CORPUS_EXPECTED = {"dl_basics_qa.txt": 33, "ai_product_design_qa.md": 30, "llm_principles_qa.md": 30,
                   "llm_industry_apps_qa.md": 50, "ai_tech_applications_qa.md": 30}
COLUMNS = ("path", "split", "gold", "predicted", "matched", "recall", "precision", "layout")
TOTAL_COLUMNS = ("group", "split", "files", "gold", "predicted", "matched", "recall", "precision")
SPLITS = ("tune", "holdout")
_LINE_END = re.compile(r"\r\n|\r|\n")


def score(pred: set[int], gold: set[int]) -> tuple[float, float]:
    """``(precision, recall)`` of predicted against gold question lines; each is 1.0 when its denominator is empty."""
    return _ratios(len(pred & gold), len(pred), len(gold))


def _ratios(matched: int, n_pred: int, n_gold: int) -> tuple[float, float]:
    return (matched / n_pred if n_pred else 1.0), (matched / n_gold if n_gold else 1.0)


def default_banks() -> Path:
    return Path(os.environ.get("QBANK_SHARED_BANKS") or ROOT.parent / "shared" / "banks")


def load_gold(path: Path) -> list[dict]:
    """The entries of a gold file; raises ValueError on a malformed line."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            e = json.loads(line)
            missing = {"path", "sha256", "split", "questions"} - e.keys()
            if missing:
                raise ValueError(f"{path}:{n}: missing {sorted(missing)}")
            if e["split"] not in SPLITS:
                raise ValueError(f"{path}:{n}: split must be tune or holdout, not {e['split']!r}")
            q = e["questions"]
            if not all(isinstance(x, int) and x >= 1 for x in q) or q != sorted(set(q)):
                raise ValueError(f"{path}:{n}: questions must be sorted, distinct 1-based line numbers")
            entries.append(e)
    return entries


def file_lines(data: bytes) -> list[str]:
    """The file's lines as an editor (and ``sed -n Np``) numbers them; a final line end adds no line."""
    text = data.decode("utf-8-sig", errors="replace")
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" and len(lines) > 1 else lines


def _one_to_one(doc_lines, raw: list[str]) -> bool:
    """Whether the loader's lines are the file's lines (control characters replaced in place are allowed)."""
    doc = list(doc_lines)
    if len(doc) == len(raw) + 1 and doc[-1] == "":
        doc = doc[:-1]
    if len(doc) != len(raw):
        return False
    return all(len(a.lstrip("\ufeff")) == len(b) for a, b in zip(doc, raw))


def run_entry(entry: dict, base: Path, warnings: list[str]) -> dict | None:
    """One row of the table, or None when the bank is not there."""
    from ingest.load import load
    from ingest.segment import segment

    path = base / entry["path"]
    if not path.is_file():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        warnings.append(f"{entry['path']}: sha256 differs from the gold file (the bank changed; labels may be off)")
    raw = file_lines(data)
    gold = set(entry["questions"])
    if gold and max(gold) > len(raw):
        warnings.append(f"{entry['path']}: gold line {max(gold)} is past the end of the file ({len(raw)} lines)")
    doc = load(path)
    if not _one_to_one(doc.lines, raw):
        warnings.append(f"{entry['path']}: loader lines do not map 1:1 to file lines ({len(doc.lines)} vs {len(raw)})")
    result = segment(doc.lines)
    pred = {s.start + 1 for s in result.items if s.kind == "qa"}
    matched = pred & gold
    precision, recall = score(pred, gold)
    return {"path": entry["path"], "split": entry["split"], "gold": len(gold), "predicted": len(pred),
            "matched": len(matched), "recall": recall, "precision": precision,
            "layout": getattr(result, "layout", None) or "-",
            "missed": sorted(gold - pred), "extra": sorted(pred - gold)}


def totals(group: str, rows: list[dict]) -> list[dict]:
    """Micro-averaged totals per split present, then over all rows."""
    out = []
    for split in (*SPLITS, "all"):
        sel = [r for r in rows if split == "all" or r["split"] == split]
        if not sel or (split == "all" and len({r["split"] for r in rows}) < 2):
            continue
        m, p, g = (sum(r[k] for r in sel) for k in ("matched", "predicted", "gold"))
        precision, recall = _ratios(m, p, g)
        out.append({"group": group, "split": split, "files": len(sel), "gold": g, "predicted": p, "matched": m,
                    "recall": recall, "precision": precision})
    return out


def run_group(name: str, gold_path: Path, base: Path, split: str, warnings: list[str]) -> dict:
    entries = [e for e in load_gold(gold_path) if split == "all" or e["split"] == split]
    rows, absent = [], []
    for e in entries:
        row = run_entry(e, base, warnings)
        (rows.append(row) if row else absent.append(e["path"]))
    if absent:
        warnings.append(f"{name}: {len(absent)} of {len(entries)} banks not found under {base}; left out")
    return {"name": name, "gold_file": str(gold_path), "banks": str(base), "rows": rows, "absent": absent,
            "totals": totals(name, rows)}


def corpus_check() -> dict:
    """Items per bundled bank against the known 33/30/30/50/30 = 173."""
    from ingest.load import find_files, load
    from ingest.segment import segment

    files, _ = find_files([CORPUS])
    counts = {f.name: sum(1 for s in segment(load(f).lines).items if s.kind == "qa") for f in files}
    ok = counts == CORPUS_EXPECTED
    return {"ok": ok, "total": sum(counts.values()), "expected_total": sum(CORPUS_EXPECTED.values()),
            "counts": counts, "expected": CORPUS_EXPECTED}


def _fmt_row(r: dict) -> dict:
    return {**r, "recall": f"{r['recall']:.3f}", "precision": f"{r['precision']:.3f}"}


def render(report: dict) -> str:
    out = []
    for g in report["groups"]:
        out.append(f"## {g['name']} ({g['gold_file']}, banks in {g['banks']})\n")
        if g["rows"]:
            out += [table(COLUMNS, [_fmt_row(r) for r in g["rows"]]), ""]
        else:
            out.append("(no bank found)\n")
    all_totals = [t for g in report["groups"] for t in g["totals"]]
    if all_totals:
        out += ["## Totals (micro-averaged over files)\n", table(TOTAL_COLUMNS, [_fmt_row(t) for t in all_totals]), ""]
    c = report["corpus"]
    per = ", ".join(f"{name} {c['counts'].get(name, 0)}/{n}" for name, n in c["expected"].items())
    extra = sorted(set(c["counts"]) - set(c["expected"]))
    out.append(f"Bundled corpus: {c['total']} qa items, expected {c['expected_total']} ({per}"
               + (f"; unexpected files {extra}" if extra else "") + f"): {'OK' if c['ok'] else 'MISMATCH'}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.segmentation", description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="which gold entries to score (default all)")
    ap.add_argument("--banks", type=Path, default=None,
                    help="folder of the shared banks (default $QBANK_SHARED_BANKS, else <repo>/../shared/banks)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    warnings: list[str] = []
    groups = [run_group("shared banks", GOLD, args.banks or default_banks(), args.split, warnings)]
    for name, gold in (("segmentation_heldout", HELDOUT_GOLD), ("segmentation_heldout2", HELDOUT2_GOLD)):
        if gold.is_file():
            groups.append(run_group(name, gold, gold.parent, args.split, warnings))
    report = {"split": args.split, "groups": groups, "corpus": corpus_check(), "warnings": warnings}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
