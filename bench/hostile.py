"""Peak RSS and time of ``qbank ingest`` on each hostile file of issue 18 (docs/reliability.md).

    .venv/bin/python -m bench.hostile [--only NAME ...] [--home HOME]

Each file is ingested on its own by the real CLI under ``/usr/bin/time -v``, into a fresh copy of a
``$QBANK_HOME`` that already holds the bundled corpus's index and embedding cache (built once here if
``--home`` is not given), so the figures are the file's own cost plus a cached re-index of the corpus.
Prints one row per file: size on disk, peak RSS, wall time, exit code and the line qbank printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.reliability import hostile

QBANK = Path(sys.executable).parent / "qbank"

FILES = {
    "docx-bomb-1GB.docx": lambda p: hostile.docx_bomb(p, 1000),
    "docx-20k-entries.docx": lambda p: hostile.docx_many_entries(p, 20_000),
    "docx-98k-paragraphs.docx": lambda p: hostile.docx_many_paragraphs(p, 98_000),
    "html-400-divs.html": lambda p: hostile.nested_html(p, 400),
    "html-200-fonts.html": lambda p: hostile.unclosed_font_html(p, 200),
    "paragraph-1MB.md": lambda p: hostile.long_paragraph_md(p, 1_000_000),
    "one-line-19MB.txt": lambda p: hostile.one_line_file(p, 19),
    "one-line-2.9M-chars.txt": lambda p: _one_line_chars(p, 2_900_000),
    "question-x12000.md": lambda p: hostile.repeated_question_md(p, 12_000),
    "gbk-behind-utf8-bom.md": hostile.gbk_behind_utf8_bom,
}


def _one_line_chars(path: Path, chars: int) -> Path:
    word = "overfitting "
    path.write_text("1. What is overfitting? " + (word * (chars // len(word)))[:chars], encoding="utf-8")
    return path


def run(home: Path, path: Path) -> dict:
    env = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1")
    done = subprocess.run(["/usr/bin/time", "-v", str(QBANK), "ingest", str(path)], capture_output=True, text=True,
                          env=env, timeout=3600)
    err = done.stderr
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err).group(1)
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(x * 60 ** k for k, x in enumerate(reversed(parts)))
    said = [line for line in (done.stdout + err).splitlines()
            if line.startswith(("qbank:", "indexed")) and str(path.name) in line or line.startswith("indexed")]
    return {"rss_mb": rss, "seconds": seconds, "code": done.returncode, "said": said}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="file names (keys of FILES) to measure")
    ap.add_argument("--home", type=Path, help="a $QBANK_HOME with the corpus already indexed")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="qbank-hostile-"))
    try:
        base = args.home
        if base is None:
            base = work / "base"
            subprocess.run([str(QBANK), "ingest"], env=dict(os.environ, QBANK_HOME=str(base)), check=True,
                           capture_output=True)
        for name, build in FILES.items():
            if args.only and name not in args.only:
                continue
            folder = work / name
            folder.mkdir()
            path = build(folder / name)
            home = work / f"home-{name}"
            shutil.copytree(base, home, ignore=shutil.ignore_patterns("*.lock", "interview.sqlite3*"))
            r = run(home, path)
            print(f"{name:<26} {path.stat().st_size / 1024:>9.0f} KB  peak {r['rss_mb']:>6.0f} MB  "
                  f"{r['seconds']:>6.1f} s  exit {r['code']}  {' | '.join(r['said'])[:300]}", flush=True)
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
