"""Embedding workers die with their parent (issue 18 item 16): ``kill -9`` of ``qbank ingest`` used to leave
its worker processes and the multiprocessing resource tracker running forever (~140 MB each)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.support import QBANK

WORDS = ("梯度 损失 卷积 注意力 正则化 批量 归一化 学习率 优化器 过拟合 欠拟合 嵌入 编码器 解码器 采样 聚类 回归 分类 "
         "特征 向量").split()


def _big_bank(path: Path, questions: int = 1200) -> Path:
    """Enough distinct texts (> ingest.embed_jobs.PARALLEL_MIN) for the embedding to run in worker processes."""
    rng = random.Random(16)
    lines = ["# 合成题库", ""]
    for k in range(1, questions + 1):
        q = "".join(rng.sample(WORDS, 3))
        answer = "，".join("".join(rng.sample(WORDS, 4)) for _ in range(6))
        lines += [f"## {k}. 什么是{q}{k}？", "", f"{q}{k}的定义是{answer}。", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _workers(proc: psutil.Process) -> list[psutil.Process]:
    out = []
    for child in proc.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


def test_kill_9_of_ingest_leaves_no_embedding_worker_or_tracker(rel_home, tmp_path):
    banks = tmp_path / "banks"
    banks.mkdir()
    _big_bank(banks / "big.md")
    env = dict(os.environ, QBANK_HOME=str(rel_home), HF_HUB_OFFLINE="1", QBANK_EMBED_WORKERS="2")
    proc = subprocess.Popen([str(QBANK), "ingest", str(banks)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        while len(_workers(parent)) < 2:
            assert proc.poll() is None, "the ingest ended before its workers started"
            assert time.monotonic() < deadline, "no embedding workers started within 240 s"
            time.sleep(0.2)
        time.sleep(1.0)                          # the workers are embedding now
        children = parent.children(recursive=True)
        assert any("resource_tracker" in " ".join(c.cmdline()) for c in children)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=10)
        alive = [c for c in alive if c.status() != psutil.STATUS_ZOMBIE]
        assert not alive, [(c.pid, " ".join(c.cmdline())[-80:]) for c in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in children:                   # never leave a process behind, whatever happened
            try:
                child.kill()
            except psutil.Error:
                pass


def test_a_worker_whose_parent_is_gone_exits_at_once(tmp_path):
    """``die_with_parent`` itself: once armed, a process ends within moments of its parent's ``kill -9``."""
    import sys

    armed = tmp_path / "armed"
    code = ("import os, sys, time; from ingest.embed_jobs import die_with_parent; die_with_parent(os.getppid()); "
            "open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)")
    root = str(Path(__file__).resolve().parents[2])
    outer = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                              f"subprocess.Popen([sys.executable, '-c', {code!r}, {str(armed)!r}], cwd={root!r}); "
                              "time.sleep(60)"])
    deadline = time.monotonic() + 60
    while not (armed.exists() and armed.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    child = psutil.Process(int(armed.read_text()))
    os.kill(outer.pid, signal.SIGKILL)
    outer.wait()
    t0 = time.monotonic()
    try:
        child.wait(timeout=5)
    except psutil.TimeoutExpired:
        child.kill()
        pytest.fail("the child outlived its parent by 5 s")
    assert time.monotonic() - t0 < 2
