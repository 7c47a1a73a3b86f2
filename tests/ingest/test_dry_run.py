"""``qbank ingest --dry-run [--json]`` and ``--layout``: the preview touches nothing, a forced layout is
remembered in ``layouts.json`` and used by every later ingest (and has its own embedding-cache entry)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ingest import layout_choices, store
from ingest.items import FileSplit, QAItem
from ingest.pipeline import doubt_message, dry_run
from ingest.settings import Settings
from tests.support import assert_clean_error, copy_home, run_cli

# hierarchical numbering: chapters at level 2, questions at level 3, a numbered list inside an answer
BANK = """# 推荐系统面试题

## 1 召回

### 1.1 什么是协同过滤召回？

协同过滤根据用户与物品的共现关系寻找相似的物品，再把相似物品推荐给用户。

常见做法：

1. 基于物品的协同过滤：计算物品之间的相似度。
2. 基于用户的协同过滤：找到兴趣相近的用户。

### 1.2 双塔模型为什么适合做召回？

用户塔和物品塔分开编码，物品向量可以离线算好并建近邻索引，线上只需计算用户向量。

## 2 排序

### 2.1 CTR 预估为什么要做特征交叉？

单个特征的表达力有限，交叉特征能刻画特征之间的组合效应，例如“年轻用户 × 游戏类物品”。
"""
QUESTIONS = ["什么是协同过滤召回？", "双塔模型为什么适合做召回？", "CTR 预估为什么要做特征交叉？"]
LINES = [[5, 12], [14, 16], [20, 22]]

NOTES = """# 组会笔记

## 本周进展

数据清洗脚本已经合并，标注平台换成了新的版本。

## 下周计划

整理评测集，补齐长尾类别的样本。
"""


def snapshot(home: Path) -> dict[str, str]:
    """Every file under ``home`` (but the lock) and the hash of its bytes."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and p.name != "ingest.lock"}


@pytest.fixture()
def home(tmp_path, corpus_home) -> Path:
    return copy_home(corpus_home, tmp_path / "home")


@pytest.fixture()
def bank(tmp_path) -> Path:
    path = tmp_path / "banks" / "recsys_qa.md"
    path.parent.mkdir()
    path.write_text(BANK, encoding="utf-8")
    return path


def dry(home: Path, *args: str) -> dict:
    r = run_cli(home, "ingest", "--dry-run", "--json", *args)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def test_dry_run_json_gives_layout_items_lines_and_sections_and_touches_nothing(home, bank):
    (home / "sources.json").write_text("[]", encoding="utf-8")
    before = snapshot(home)
    out = dry(home, str(bank))
    assert [f["path"] for f in out["files"]] == [str(bank.resolve())]
    f = out["files"][0]
    assert f["layout"] == "heading3" and f["doubt"] == "" and f["forced"] == ""
    assert [it["question"] for it in f["items"]] == QUESTIONS
    assert [it["lines"] for it in f["items"]] == LINES          # 1-based, the question's heading line first
    assert [it["section"] for it in f["items"]] == ["1 召回", "1 召回", "2 排序"]
    assert all(it["answer_chars"] > 20 for it in f["items"])
    assert {"number", "question", "section", "lines", "answer_chars"} <= set(f["items"][0])
    # forcing a layout in a dry run changes the preview, and still writes nothing (no layouts.json either)
    forced = dry(home, "--layout", "numbered", str(bank))["files"][0]
    assert forced["layout"] == "numbered" and forced["forced"] == "numbered"
    assert [it["question"] for it in forced["items"]] == ["基于物品的协同过滤：计算物品之间的相似度。",
                                                           "基于用户的协同过滤：找到兴趣相近的用户。"]
    assert snapshot(home) == before
    assert not (home / "layouts.json").exists()


def test_dry_run_text_output_and_the_bundled_corpus(tmp_path, bank):
    home = tmp_path / "empty_home"
    r = run_cli(home, "ingest", "--dry-run", str(bank))
    assert r.returncode == 0, r.stderr
    assert "3 items · layout heading3 (headings at level 3)" in r.stdout
    assert "L5-12" in r.stdout and "[1 召回] 什么是协同过滤召回？" in r.stdout
    corpus = json.loads(run_cli(home, "ingest", "--dry-run", "--json").stdout)   # no PATH: every source
    assert sum(len(f["items"]) for f in corpus["files"]) == 173
    assert not home.exists()                                   # nothing written, not even the home folder


def test_dry_run_flags_a_notes_file_and_reports_a_bad_one(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    broken = tmp_path / "broken.md"
    broken.write_bytes(bytes(range(256)) * 40)
    r = run_cli(tmp_path / "home", "ingest", "--dry-run", "--json", str(notes), str(broken))
    assert r.returncode == 1                                    # one file fine, one skipped
    files = {Path(f["path"]).name: f for f in json.loads(r.stdout)["files"]}
    assert files["notes.md"]["doubt"] == "only_sections"
    assert {it["kind"] for it in files["notes.md"]["items"]} == {"section"}
    assert "error" in files["broken.md"] and "broken.md" in r.stderr


def test_layout_is_remembered_and_used_on_re_ingest(home, bank):
    r = run_cli(home, "ingest", "--layout", "numbered", str(bank))
    assert r.returncode == 0, r.stderr[-2000:]
    key = str(bank.resolve())
    assert json.loads((home / "layouts.json").read_text(encoding="utf-8")) == {key: "numbered"}

    def questions() -> list[str]:
        listed = json.loads(run_cli(home, "list", "--json", "--doc", "recsys_qa.md").stdout)
        return [it["question"] for it in listed]

    assert questions() == ["基于物品的协同过滤：计算物品之间的相似度。", "基于用户的协同过滤：找到兴趣相近的用户。"]
    manifest = store.read_manifest(Settings.load(home=home).index_root)
    assert manifest.files[key].forced == "numbered" and manifest.files[key].layout == "numbered"
    assert list((home / "cache" / "embeddings").rglob("*-numbered.npy"))      # its own cache entry

    # a plain re-ingest (no --layout) keeps the choice; so does the dry run
    r = run_cli(home, "ingest")
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(questions()) == 2
    assert dry(home, str(bank))["files"][0]["forced"] == "numbered"

    # `--layout auto` forgets it: the segmenter chooses again
    r = run_cli(home, "ingest", "--layout", "auto", str(bank))
    assert r.returncode == 0, r.stderr[-2000:]
    assert questions() == QUESTIONS
    assert json.loads((home / "layouts.json").read_text(encoding="utf-8")) == {}


def test_a_changed_layout_choice_makes_serve_rebuild(home, bank, monkeypatch):
    r = run_cli(home, "ingest", str(bank))
    assert r.returncode == 0, r.stderr[-2000:]
    from ui.cmd_serve import stale_reason

    settings = Settings.load(home=home)
    # the subprocess's segmenter version, should the segmenter's source change while the tests run
    monkeypatch.setattr("ingest.pipeline.SEGMENTER_VERSION", store.read_manifest(settings.index_root).segmenter_version)
    assert stale_reason(settings) is None
    layout_choices.remember(settings, {bank: "heading2"})
    assert "recsys_qa.md" in (stale_reason(settings) or "") and "layouts.json" in stale_reason(settings)


@pytest.mark.parametrize("args, fragment", [
    (("--layout", "headings", "x.md"), "unknown layout 'headings'"),
    (("--layout", "bold"), "--layout needs the files"),
    (("--json",), "--json goes with --dry-run"),
])
def test_bad_layout_arguments_are_one_clear_error(tmp_path, args, fragment):
    assert_clean_error(run_cli(tmp_path / "home", "ingest", *args), fragment)
    assert not (tmp_path / "home").exists()


def test_layout_choices_file_is_checked_merged_and_pruned(tmp_path, bank):
    settings = Settings.load(home=tmp_path / "home")
    assert layout_choices.load(settings) == {}
    gone = tmp_path / "gone.md"
    gone.write_text("x", encoding="utf-8")
    layout_choices.remember(settings, {bank: "bold", gone: "qa"})
    gone.unlink()
    assert layout_choices.remember(settings, {}) == {str(bank.resolve()): "bold"}   # a deleted file is dropped
    settings.layouts_file.write_text('{"/x.md": "nonsense", "/y.md": 3}', encoding="utf-8")
    assert layout_choices.load(settings) == {}                                      # unknown names are ignored
    settings.layouts_file.write_text("not json", encoding="utf-8")
    assert layout_choices.load(settings) == {}
    with pytest.raises(ValueError, match="unknown layout"):
        layout_choices.check("heading7")
    assert layout_choices.check("auto") == layout_choices.check(None) == ""


def test_dry_run_in_process_and_doubt_messages(tmp_path, bank):
    settings = Settings.load(home=tmp_path / "home")
    [split] = dry_run(settings, [bank.parent], {bank.parent: "heading2"})       # a folder forces its files
    assert split.forced == "heading2" and [it.question for it in split.items] == ["1 召回", "2 排序"]
    assert doubt_message(split) == ""
    few = FileSplit(path="/b/big.md", file="big.md", layout="heading2", doubt="few_items", lines=900,
                    items=split.items)
    assert doubt_message(few).startswith("only 2 questions from 900 lines") and "--layout" in doubt_message(few)


def test_items_carry_their_section_and_old_items_still_load():
    old = {"id": "a-1", "doc": "A", "file": "a.md", "number": 1, "question": "Q?", "answer": "A.",
           "lines": [1, 3]}
    item = QAItem.from_dict(old)
    assert item.section == "" and "section" not in item.public()
    item = QAItem.from_dict({**old, "section": "3.1 基本概念"})
    assert item.to_dict()["section"] == "3.1 基本概念" and item.public()["section"] == "3.1 基本概念"
    assert QAItem.from_dict(item.to_dict()) == item
