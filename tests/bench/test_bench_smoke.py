"""A tiny end-to-end bench run (200 synthetic items) produces every table with every column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import BASELINE_COLUMNS, SIZE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]


def header(columns) -> str:
    return "| " + " | ".join(columns) + " |"


@pytest.mark.integration
def test_bench_smoke_run_writes_all_tables(tmp_path):
    out = tmp_path / "benchmarks.md"
    run = subprocess.run([sys.executable, "-m", "bench.run", "--sizes", "200", "--queries", "12", "--repeats", "1", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    doc = out.read_text(encoding="utf-8")
    assert "python -m bench.run --sizes 200 --queries 12 --repeats 1" in doc
    assert "CPU:" in doc and "Python 3" in doc and "faiss-cpu" in doc
    assert header(SIZE_COLUMNS) in doc and header(BASELINE_COLUMNS) in doc
    rows = [line for line in doc.splitlines() if line.startswith("| bundled corpus") or line.startswith("| synthetic 200")]
    assert len(rows) == 4, rows                       # qbank and baseline, for the corpus and the 200 items
    for row in rows:
        assert row.count("|") in (len(SIZE_COLUMNS) + 1, len(BASELINE_COLUMNS) + 1)
    assert "| synthetic 200 + corpus | 373 |" in doc    # every generated item was found by the segmenter
    for section in ("Retrieval quality", "Cold start", "Targets", "How it is measured"):
        assert section in doc
    assert "`qbank search 什么是感受野`" in doc
    assert "not run" in doc                           # the 100k targets, honestly marked
    assert "### qbank, per data set" in run.stdout       # the tables are printed too
