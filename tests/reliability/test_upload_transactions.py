"""Uploads as transactions (issue 18, items 1-5): a refused upload never destroys the earlier bank of
the same name; names that collide after cleaning are kept apart and the summary says so; ingest
results are matched to uploads by path, not bare name; another session's upload of the same name
never replaces a bank in use; and a ``qbank serve`` killed with SIGKILL mid-upload loses nothing
(the staged file is recovered at the next start, and an upload missing from the index is stale).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from ingest.settings import Settings
from tests.support import free_port, start_serve, stop_serve

pytestmark = pytest.mark.integration


def bank(title: str, *questions: tuple[str, str]) -> bytes:
    body = "".join(f"### {n}. {q}\n\n{a}\n\n" for n, (q, a) in enumerate(questions, start=1))
    return f"# {title}\n\n{body}".encode()


OLD_BANK = bank("我的题库", ("什么是量子退火采样器？", "量子退火采样器利用隧穿效应在能量景观中寻找低能态。"),
                ("解释伊辛模型的哈密顿量。", "伊辛模型的哈密顿量由自旋间的耦合项和外场项组成。"))
BROKEN = bytes(range(256)) * 40          # binary: the loader refuses it


def _indexed(settings: Settings) -> dict[str, dict]:
    from ingest import store

    manifest = store.read_manifest(settings.index_root)
    return {path: entry.to_dict() for path, entry in manifest.files.items()} if manifest else {}


def _uploaded(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.uploads_dir.iterdir() if p.is_file()) if settings.uploads_dir.exists() else []


# -- 1 ---------------------------------------------------------------------------------------
def test_1_a_refused_upload_keeps_the_earlier_bank_of_the_same_name(rel_home):
    from rag.searcher import Searcher
    from rag.uploads import ingest_uploads

    settings = Settings.load(home=rel_home)
    first = ingest_uploads(settings, [("mybank.md", OLD_BANK)])
    assert first.ok and first.new_items == {"mybank.md": 2}
    stored = settings.uploads_dir.resolve() / "mybank.md"

    again = ingest_uploads(settings, [("mybank.md", BROKEN)])
    assert not again.added and [name for name, _ in again.errors] == ["mybank.md"]
    assert stored.read_bytes() == OLD_BANK                    # the earlier bank is still in place...
    assert _indexed(settings)[str(stored)]["items"] == 2       # ...and still indexed
    hits = Searcher(settings).search("量子退火采样器是什么").hits
    assert hits[0].item.file == "mybank.md" and hits[0].item.number == 1


# -- 2 ---------------------------------------------------------------------------------------
def test_2_names_that_collide_after_cleaning_are_all_kept_and_the_summary_says_so(rel_home):
    from rag.uploads import ingest_uploads
    from ui.library_tab import upload_summary

    settings = Settings.load(home=rel_home)
    long_a, long_b = "interview_bank_" * 9 + "a.md", "interview_bank_" * 9 + "b.md"   # the same once cut to 120
    cjk_a, cjk_b = "超长的题库名称" * 20 + "甲.md", "超长的题库名称" * 20 + "乙.md"     # and over 255 bytes
    files = [("a?.md", bank("问号题库", ("什么是贝叶斯优化的采集函数？", "采集函数在探索与利用之间权衡，决定下一个采样点。"))),
             ("a*.md", bank("星号题库", ("什么是高斯过程回归？", "高斯过程回归用核函数定义函数的先验分布并据观测求后验。"))),
             (long_a, bank("长名甲", ("什么是变分自编码器的重参数化技巧？", "重参数化把采样写成确定函数加噪声，使梯度可以回传。"))),
             (long_b, bank("长名乙", ("什么是扩散模型的前向过程？", "前向过程逐步向数据加入高斯噪声直到接近纯噪声。"))),
             (cjk_a, bank("中文长名甲", ("什么是混合专家模型的负载均衡损失？", "负载均衡损失惩罚专家使用率不均，避免少数专家过载。"))),
             (cjk_b, bank("中文长名乙", ("什么是旋转位置编码？", "旋转位置编码把位置信息写成查询和键向量的旋转角度。")))]
    report = ingest_uploads(settings, files)
    assert [s.original for s in report.added] == [name for name, _ in files] and not report.errors
    stored = [s.path for s in report.added]
    assert len({p.name for p in stored}) == 6                  # six files, none overwritten
    for (_, data), path in zip(files, stored):
        assert path.read_bytes() == data and _indexed(settings)[str(path)]["items"] == 1
    summary = upload_summary(report, "en")
    for s in report.added[1::2]:                               # the second of each pair was renamed: said so
        assert s.path.name in summary
    assert summary.count("✅") == 6


# -- 3 ---------------------------------------------------------------------------------------
def test_3_a_broken_file_of_the_same_name_elsewhere_does_not_fail_a_good_upload(rel_home, tmp_path):
    from ingest.pipeline import ingest
    from rag.uploads import ingest_uploads

    settings = Settings.load(home=rel_home)
    folder = tmp_path / "team_banks"
    folder.mkdir()
    (folder / "good.md").write_bytes(bank("团队题库", ("什么是联邦学习的客户端漂移？", "各客户端数据分布不同导致本地更新偏离全局最优。")))
    (folder / "notes.md").write_bytes(BROKEN)                 # a broken notes.md in a registered folder
    registered = ingest(settings, [folder], progress=False)
    assert any(Path(where).name == "notes.md" for where, _ in registered.errors)

    good = bank("笔记", ("什么是对比学习中的温度系数？", "温度系数控制相似度分布的尖锐程度，影响难负样本的权重。"))
    report = ingest_uploads(settings, [("notes.md", good)])
    assert report.ok, report.errors
    stored = settings.uploads_dir.resolve() / "notes.md"
    assert report.added[0].path == stored and stored.read_bytes() == good
    assert _indexed(settings)[str(stored)]["items"] == 1
    assert not (settings.uploads_dir / ".rejected" / "notes.md").exists()
    assert (folder / "notes.md").read_bytes() == BROKEN        # the other folder's file is not touched


# -- 4 ---------------------------------------------------------------------------------------
ZETA_A = bank("Zeta 面试题", *[(f"Zeta 甲卷第{k}题：什么是第{k}种稀疏注意力？", f"第{k}种稀疏注意力只计算局部窗口内第{k}类位置的注意力分数。")
                               for k in range(1, 6)])
ZETA_B = bank("Zeta 面试题", ("Zeta 乙卷：什么是模型蒸馏？", "模型蒸馏让小模型学习大模型输出的软标签。"),
              ("Zeta 乙卷：什么是剪枝？", "剪枝去掉不重要的权重或通道以压缩模型。"))


@pytest.fixture(scope="module")
def served(corpus_home, tmp_path_factory):
    from tests.support import copy_home

    home = copy_home(corpus_home, tmp_path_factory.mktemp("tx_served") / "home")
    port = free_port()
    proc = start_serve(home, port)
    yield home, f"http://127.0.0.1:{port}/"
    stop_serve(proc)


def test_4_another_session_uploading_the_same_name_does_not_break_a_running_interview(served, tmp_path):
    from gradio_client import Client, handle_file

    home, url = served
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "zeta.md").write_bytes(ZETA_A)
    (tmp_path / "b" / "zeta.md").write_bytes(ZETA_B)
    alice, bob = Client(url, verbose=False), Client(url, verbose=False)
    try:
        result = alice.predict([handle_file(str(tmp_path / "a" / "zeta.md"))], "", "", "", api_name="/upload")
        assert "✅" in result[0]
        started = alice.predict(["Zeta 面试题"], [], 5, "random", "alice", api_name="/interview_start")
        assert "0/5" in started[0]
        asked = [started[1]]
        alice.predict("稀疏注意力只算局部窗口。", api_name="/interview_submit")
        asked.append(alice.predict(api_name="/interview_next")[1])
        # bob uploads his own zeta.md (two questions) in the middle of alice's interview
        result = bob.predict([handle_file(str(tmp_path / "b" / "zeta.md"))], "", "", "", api_name="/upload")
        assert "✅" in result[0]
        for _ in range(4):
            alice.predict("稀疏注意力只算局部窗口。", api_name="/interview_submit")
            asked.append(alice.predict(api_name="/interview_next")[1])
        assert all("甲卷" in q for q in asked[:5]), asked          # every question alice saw is from her bank
        # both banks are in the shared library
        settings = Settings.load(home=home)
        stored = {Path(p).name: meta for p, meta in _indexed(settings).items() if "uploads" in Path(p).parts}
        assert sorted(meta["items"] for meta in stored.values()) == [2, 5], stored
    finally:
        alice.close()
        bob.close()


# -- 5 ---------------------------------------------------------------------------------------
KILL_BANK = bank("断电题库", ("什么是检查点平均？", "检查点平均把训练后期多个检查点的权重取平均以提升泛化。"),
                 ("什么是指数移动平均权重？", "EMA 权重按衰减系数累积历次参数，推理时常比原权重更稳。"))


def _descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (by /proc), so the test can end what the killed server left."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def test_5_serve_killed_during_the_first_upload_recovers_the_staged_file(corpus_home, tmp_path):
    from gradio_client import Client, handle_file

    from tests.support import copy_home
    from ui.cmd_serve import stale_reason

    home = copy_home(corpus_home, tmp_path / "home")
    settings = Settings.load(home=home)
    assert not settings.uploads_dir.exists()                   # the very first upload
    source = tmp_path / "src" / "kill_bank.md"
    source.parent.mkdir()
    source.write_bytes(KILL_BANK)
    port = free_port()
    proc = start_serve(home, port)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    leftovers: list[int] = []
    try:
        threading.Thread(target=lambda: _quiet(client.predict, [handle_file(str(source))], "", "", "",
                                               api_name="/upload"), daemon=True).start()
        deadline = time.monotonic() + 120
        # in qbank's staging area (not Gradio's copy under $QBANK_HOME/tmp, which is still being received)
        while not [p for p in home.rglob("kill_bank.md") if ".rejected" not in p.parts and p.relative_to(home).parts[0] != "tmp"]:
            assert time.monotonic() < deadline, "the upload never reached $QBANK_HOME"
            time.sleep(0.005)
        leftovers = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)                      # kill -9 between receiving and indexing
        proc.wait(timeout=30)
    finally:
        for pid in leftovers:          # embedding workers the killed server may leave (issue 18, item 16)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _quiet(client.close)
    stored = str(settings.uploads_dir.resolve() / "kill_bank.md")
    assert stored not in _indexed(settings), "the kill came after the upload was indexed: nothing to recover"

    proc = start_serve(home, free_port())                      # the next start recovers the staged upload
    try:
        assert _indexed(settings).get(stored, {}).get("items") == 2, (home / "serve.log").read_text()[-3000:]
        assert Path(stored).read_bytes() == KILL_BANK
        assert stale_reason(settings) is None
        left = [p for p in home.rglob("*") if p.is_file() and "staging" in p.relative_to(home).parts]
        assert not left, left
    finally:
        stop_serve(proc)


def test_5_a_file_in_uploads_that_is_not_indexed_makes_the_index_stale(rel_home):
    from ui.cmd_serve import stale_reason

    settings = Settings.load(home=rel_home)
    assert stale_reason(settings) is None
    settings.uploads_dir.mkdir()
    (settings.uploads_dir / "left_behind.md").write_bytes(KILL_BANK)   # e.g. left by an older qbank's crash
    reason = stale_reason(settings)
    assert reason and "left_behind.md" in reason


def _quiet(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the server was killed under it
        return None



# -- around the five: the name rules and both recovery paths -------------------------------------
def test_names_are_replaced_only_by_their_owner_and_never_share_question_ids():
    from rag.uploads import _choose

    owners = {"zeta.md": "alice"}
    existing = {"zeta.md", "a_b.md"}
    slugs = {"zeta": {"zeta.md"}, "a_b": {"a_b.md"}, "ml_basics": {"/corpus/ml_basics.md"}}
    assert _choose("zeta.md", "alice", set(), owners, existing, slugs) == "zeta.md"       # her own: replaced
    assert _choose("zeta.md", "bob", set(), owners, existing, slugs) == "zeta (2).md"     # someone else's: beside it
    assert _choose("zeta.md", "alice", {"zeta.md"}, owners, existing, slugs) == "zeta (2).md"   # taken in this upload
    assert _choose("a-b.md", "", set(), {}, existing, slugs) == "a-b (2).md"             # the ids a_b-N are taken
    assert _choose("ml-basics.md", "", set(), {}, existing, slugs) == "ml-basics (2).md"  # a bundled bank's ids too
    assert _choose("new.md", "bob", set(), owners, existing, slugs) == "new.md"


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_recovery_finishes_a_move_the_crash_cut_short_and_refuses_a_file_that_crashed_twice(rel_home):
    from rag.uploads import ingest_uploads, recover

    settings = Settings.load(home=rel_home)
    assert ingest_uploads(settings, [("mybank.md", OLD_BANK)]).ok
    stored = settings.uploads_dir / "mybank.md"
    # a crash after the index was written, before the move: the indexed copy is still in staging
    txn = settings.home / "staging" / "cut-short"
    txn.mkdir(parents=True)
    os.replace(stored, txn / "mybank.md")
    (txn / "txn.json").write_text(json.dumps({"pid": _dead_pid(), "attempts": 1, "files": [
        {"original": "mybank.md", "name": "mybank.md", "wanted": "", "layout": None}]}), encoding="utf-8")
    # and an upload that already crashed a serve once (its recovery was killed too)
    twice = settings.home / "staging" / "twice"
    twice.mkdir()
    (twice / "crasher.md").write_bytes(KILL_BANK)
    (twice / "txn.json").write_text(json.dumps({"pid": _dead_pid(), "attempts": 2, "files": [
        {"original": "crasher.md", "name": "crasher.md", "wanted": "", "layout": None}]}), encoding="utf-8")
    lines = recover(settings)
    assert stored.read_bytes() == OLD_BANK and any("mybank.md" in ln and "indexed before a crash" in ln for ln in lines)
    assert (settings.uploads_dir / ".rejected" / "crasher.md").exists() and any("crasher.md" in ln for ln in lines)
    assert not (settings.uploads_dir / "crasher.md").exists()
    assert not any((settings.home / "staging").iterdir())
    assert recover(settings) == []
