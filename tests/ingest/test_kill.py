"""kill -9 an ingest at random moments: the index it leaves (old, or new when it finished) always loads and answers.

20 trials of the real ``qbank ingest`` against a $QBANK_HOME that already holds the corpus index:
14 killed at a random moment 0.05–3 s after start (imports, loading, segmentation, embedding), and
6 killed 0–0.3 s after the new index version starts being written (the atomic switch).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest import store
from ingest.settings import BUNDLED_CORPUS, Settings

QBANK = Path(sys.executable).parent / "qbank"
# QBANK_KILL_ROUNDS=5 (say) for a deeper run; CI's default keeps the test near a minute
ROUNDS = max(1, int(os.environ.get("QBANK_KILL_ROUNDS", "1")))
ANYWHERE_TRIALS = 8 * ROUNDS
IN_WRITE_TRIALS = 4 * ROUNDS
BANK = "dl_basics_qa.txt"   # copied with every line changed: about 100 texts to embed


def changed_copy(src: Path, dest: Path, tag: str) -> None:
    """A bank with every line of text changed (so nothing comes from the embedding cache), same structure."""
    out, fence = [], False
    for line in src.read_text(encoding="utf-8").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        elif line.strip() and not fence and not line.startswith(("目录", "- ")):
            line = f"{line} {tag}"
        out.append(line)
    dest.write_text("\n".join(out), encoding="utf-8")


def start_ingest(home: Path, folder: Path) -> subprocess.Popen:
    env = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1")
    return subprocess.Popen([str(QBANK), "ingest", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_index(home: Path, allowed: set[int]) -> int:
    """The live index loads with the model setting and ranks the right question first; returns its item count."""
    from rag.searcher import Searcher

    settings = Settings.load(home=home)
    index = store.load(settings.index_root, "use-multilingual")
    assert len(index.items) in allowed
    result = Searcher(settings).search("什么是感受野", k=3)
    assert result.hits[0].item.id == "dl_basics_qa-9"
    # every version folder is complete: writers build in tmp-*, pruning renames to old-* before deleting
    assert not [p for p in settings.index_root.glob("v-*") if not (p / "manifest.json").exists()]
    return len(index.items)


def _trial_question(home: Path) -> str | None:
    items = store.load(Settings.load(home=home).index_root).by_id
    return items["trial-1"].question if "trial-1" in items else None


@pytest.mark.integration
def test_kill_ingest_at_random_moments(tmp_path, corpus_home):
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home, ignore=shutil.ignore_patterns("*.lock"))
    folder = tmp_path / "more_banks"
    folder.mkdir()
    changed_copy(BUNDLED_CORPUS / BANK, folder / f"copy_{BANK}", "（副本）")
    new_total = 173 + 33
    allowed = {173, new_total}
    rng = random.Random(int(os.environ.get("QBANK_KILL_SEED", "20261124")))
    root = Settings.load(home=home).index_root
    log = []
    t0 = time.monotonic()

    def kill(proc: subprocess.Popen) -> str:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        err = proc.stderr.read().decode(errors="replace")
        assert "Traceback" not in err, err
        return "killed" if proc.returncode == -signal.SIGKILL else f"finished rc={proc.returncode}"

    # 1. anywhere in the first 3 seconds: startup, loading, segmentation, embedding
    for _ in range(ANYWHERE_TRIALS):
        delay = rng.uniform(0.05, 3.0)
        proc = start_ingest(home, folder)
        time.sleep(delay)
        outcome = kill(proc)
        log.append((f"{delay:.2f}s", outcome, check_index(home, allowed)))

    # one ingest runs to the end: the new index (with the extra banks) is live and answers
    done = start_ingest(home, folder)
    assert done.wait(timeout=600) == 0, done.stderr.read().decode(errors="replace")
    assert check_index(home, {new_total}) == new_total
    from rag.searcher import Searcher

    hits = Searcher(Settings.load(home=home)).search("什么是感受野 （副本）", k=5).hits
    assert "copy_dl_basics_qa-9" in {h.item.id for h in hits}

    # 2. while the new version is being written and switched in (everything else is cached now;
    #    each trial changes one tiny bank, so the old and the new index differ)
    trial_bank = folder / "trial.md"
    trial_live = False
    for k in range(IN_WRITE_TRIALS):
        previous = _trial_question(home)
        trial_bank.write_text(f"## 1. 第{k}次试验的问题是什么？\n第{k}次的答案。\n", encoding="utf-8")
        before = {p.name for p in root.glob("tmp-*")}
        proc = start_ingest(home, folder)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if {p.name for p in root.glob("tmp-*")} - before:
                break
            time.sleep(0.005)
        delay = rng.uniform(0.0, 0.3)
        time.sleep(delay)
        outcome = kill(proc)
        # the trial bank is in the live index once any trial's version was switched in; until then it may not be
        count = check_index(home, {new_total + 1} if trial_live else {new_total, new_total + 1})
        trial_live = trial_live or count == new_total + 1
        live = _trial_question(home)
        assert live in (previous, f"第{k}次试验的问题是什么？")
        log.append((f"write+{delay:.2f}s", outcome, count, "new" if live != previous else "old"))

    print("\n".join(map(str, log)), f"\n{time.monotonic() - t0:.0f}s")
    assert len(log) == ANYWHERE_TRIALS + IN_WRITE_TRIALS
    assert any(entry[1] == "killed" for entry in log[ANYWHERE_TRIALS:]), log
    # temp folders of killed writers are swept by the next successful write
    assert {entry[-1] for entry in log[ANYWHERE_TRIALS:]} <= {"old", "new"}
    final = start_ingest(home, folder)
    assert final.wait(timeout=600) == 0
    assert not list(root.glob("tmp-*")) and not list(root.glob("CURRENT.tmp-*"))
    assert len(list(root.glob("v-*"))) <= 2
