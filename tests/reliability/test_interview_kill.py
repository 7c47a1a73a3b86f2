"""kill -9 a ``qbank interview`` at random moments: the SQLite history is never corrupt and the next session works.

22 sessions, two at a time on the same database, are killed with SIGKILL: a quarter of them
at a random moment of start-up, a quarter during the first grade (which loads the models),
half a random 0-250 ms after their n-th grade appeared (n random), so kills land in
start-up, grading and the writes alike, and a writer dies while the other keeps writing. After every kill the database must pass SQLite's
``integrity_check``, still be in WAL mode, lose no committed attempt, and be consistent:
every card's last score is its latest attempt's (an attempt and its card commit together),
and a session's saved state lags its attempts by at most the one being saved.
Set ``QBANK_KILL_SEED`` to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.support import QBANK

pytestmark = pytest.mark.integration

ROUNDS = 11
PARALLEL = 2          # sessions at once on the same database
COUNT = 4
ANSWERS = [
    "感受野是输出特征图上一个元素对应输入图像的区域大小，由卷积核、步长和池化决定。",
    "批量归一化对每层输入做归一化，能加速训练、缓解内部协变量偏移，还有一定正则化作用。",
    "过拟合是模型在训练集上表现好、测试集上差，可以用正则化、Dropout、数据增强和早停缓解。",
    "注意力机制按相关性给不同位置加权，Transformer 用自注意力并行建模长距离依赖。",
]


def start(home: Path, seed: int, out: Path) -> subprocess.Popen:
    env = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([str(QBANK), "interview", "--count", str(COUNT), "--profile", "kill", "--seed", str(seed)],
                            stdin=subprocess.PIPE, stdout=open(out, "wb"), stderr=subprocess.PIPE, env=env)
    text = "".join(f"{ANSWERS[(seed + k) % len(ANSWERS)]}\n\n" for k in range(COUNT))
    proc.stdin.write(text.encode("utf-8"))
    proc.stdin.close()             # the session ends at the end of input, like a finished pipe
    return proc


def check_history(db: Path) -> dict:
    """Integrity, WAL mode and the two consistency rules; returns counts for the log."""
    if not db.exists():            # every session so far was killed before it opened the history
        return {"attempts": 0, "sessions": 0, "lagging": 0}
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        attempts = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        latest = dict(conn.execute(
            "SELECT a.item_id, a.score FROM attempts a WHERE a.profile='kill' AND a.id = "
            "(SELECT MAX(b.id) FROM attempts b WHERE b.profile=a.profile AND b.item_id=a.item_id)").fetchall())
        cards = dict(conn.execute("SELECT item_id, last_score FROM cards WHERE profile='kill'").fetchall())
        assert cards == latest, (cards, latest)         # never an attempt without its card update, or the reverse
        lag = []
        for sid, state in conn.execute("SELECT id, state FROM sessions").fetchall():
            state = json.loads(state)
            done = conn.execute("SELECT COUNT(*) FROM attempts WHERE session_id=?", (sid,)).fetchone()[0]
            assert 0 <= done - len(state["results"]) <= 1, (sid, done, state)
            assert state["position"] == len(state["results"]) + len(state["skipped"])
            lag.append(done - len(state["results"]))
        sessions = len(lag)
    from rag.interview.store import HistoryStore

    store = HistoryStore(db)                # the app's own reads work on what the kill left
    store.due("kill")
    store.topic_stats("kill")
    return {"attempts": attempts, "sessions": sessions, "lagging": sum(lag)}


def plan(rng: random.Random) -> dict:
    """When to kill one session: a random moment of start-up, or a random moment after its n-th grade appeared."""
    x = rng.random()
    if x < 0.25:
        return {"phase": "start-up", "after_s": round(rng.uniform(0.05, 1.5), 2)}
    n = 0 if x < 0.5 else rng.randrange(1, COUNT)
    return {"phase": "answering", "after_grades": n, "then_s": round(rng.uniform(0.0, 0.25), 3)}


def graded(out: Path) -> int:
    return out.read_text(encoding="utf-8", errors="replace").count("得分:")


def test_kill_interview_at_random_moments(rel_home, tmp_path):
    db = rel_home / "interview.sqlite3"
    rng = random.Random(int(os.environ.get("QBANK_KILL_SEED", "20261125")))
    before = check_history(db)
    # 1. the kills: two sessions at a time, each killed at its own planned moment
    log = []
    for r in range(ROUNDS):
        trials = {r * PARALLEL + j + 1: plan(rng) for j in range(PARALLEL)}
        outs = {k: tmp_path / f"trial{k}.out" for k in trials}
        procs = {k: start(rel_home, k, outs[k]) for k in trials}
        t0 = time.monotonic()
        kill_at: dict[int, float] = {}
        while any(p.poll() is None and "killed" not in trials[k] for k, p in procs.items()):
            now = time.monotonic()
            for k, p in procs.items():
                t = trials[k]
                if "killed" in t or p.poll() is not None:
                    continue
                if k not in kill_at:
                    if t["phase"] == "start-up":
                        kill_at[k] = t0 + t["after_s"]
                    elif graded(outs[k]) >= t["after_grades"] and (t["after_grades"] or "你的回答" in outs[k].read_text(
                            encoding="utf-8", errors="replace")):
                        kill_at[k] = now + t["then_s"]
                if k in kill_at and now >= kill_at[k]:
                    p.send_signal(signal.SIGKILL)
                    t["killed"] = True
                    t["at_s"] = round(now - t0, 2)
            assert time.monotonic() - t0 < 240, trials
            time.sleep(0.01)
        for k, p in procs.items():
            p.wait(timeout=60)
            err = p.stderr.read().decode(errors="replace")
            assert "Traceback" not in err, err[-2000:]
            trials[k].setdefault("killed", False)
            trials[k]["graded_shown"] = graded(outs[k])
        after = check_history(db)
        assert after["attempts"] >= before["attempts"]       # nothing committed is ever lost
        log += [trials[k] for k in sorted(trials)]
        log[-1]["round_new_attempts"] = after["attempts"] - before["attempts"]
        log[-1]["lagging_sessions"] = after["lagging"]
        before = after

    # 2. the next session works on what the kills left
    t0 = time.monotonic()
    proc = start(rel_home, 99, tmp_path / "after.out")
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode(errors="replace")[-2000:]
    span = time.monotonic() - t0
    final = check_history(db)
    assert final["attempts"] == before["attempts"] + COUNT
    assert "# 模拟面试报告" in (tmp_path / "after.out").read_text(encoding="utf-8")

    killed = [t for t in log if t["killed"]]
    mid_session = [t for t in killed if t["graded_shown"] > 0]
    summary = {"trials": len(log), "killed": len(killed), "killed_after_answers_were_saved": len(mid_session),
               "killed_in_start_up_or_first_grade": len(killed) - len(mid_session), "finished_first": len(log) - len(killed),
               "two_sessions_at_once": True, "whole_session_s": round(span, 2), "attempts": final["attempts"],
               "integrity": "ok"}
    print("\ninterview kill trials:", json.dumps(summary), *map(json.dumps, log), sep="\n")
    (Path(os.environ.get("QBANK_RELIABILITY_OUT", tmp_path)) / "interview_kill.json").write_text(
        json.dumps({"summary": summary, "trials": log}, indent=1), encoding="utf-8")
    assert len(log) >= 20 and len(killed) >= 16, summary
    assert len(mid_session) >= 6, summary     # kills really landed while answers were being graded and written
