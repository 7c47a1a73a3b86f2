"""The segmentation gold file is well formed, its lines exist in the shared banks, and the metric is right."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bench.segmentation import GOLD, HELDOUT_GOLD, default_banks, file_lines, load_gold, score


def test_gold_file_parses_and_follows_the_split_rule():
    entries = load_gold(GOLD)
    assert len(entries) == 22
    paths = [e["path"] for e in entries]
    assert len(set(paths)) == len(paths)
    for e in entries:
        assert not Path(e["path"]).is_absolute() and e["path"].count("/") == 1
        assert len(e["sha256"]) == 64 and int(e["sha256"], 16) >= 0
        assert isinstance(e["sections"], list) and e["rule"].strip()
    by_folder: dict[str, list[dict]] = {}
    for e in entries:
        by_folder.setdefault(e["path"].split("/")[0], []).append(e)
    assert len(by_folder) == 4
    for group in by_folder.values():
        group.sort(key=lambda e: e["path"].split("/")[1])
        assert [e["split"] for e in group] == ["tune" if i % 2 == 0 else "holdout" for i in range(len(group))]


def test_heldout_gold_parses_when_present():
    if not HELDOUT_GOLD.is_file():
        pytest.skip("no data/eval/segmentation_heldout/gold.jsonl")
    for e in load_gold(HELDOUT_GOLD):
        assert (HELDOUT_GOLD.parent / e["path"]).is_file(), e["path"]


def test_gold_lines_are_inside_the_shared_banks():
    banks = default_banks()
    if not banks.is_dir():
        pytest.skip(f"shared banks not found at {banks}")
    for e in load_gold(GOLD):
        path = banks / e["path"]
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["path"]
        n = len(file_lines(data))
        assert all(1 <= q <= n for q in e["questions"]), e["path"]
        assert all(file_lines(data)[q - 1].strip() for q in e["questions"]), f"{e['path']}: a gold line is blank"


def test_file_lines_counts_like_an_editor():
    assert file_lines(b"a\nb\n") == ["a", "b"]
    assert file_lines(b"a\r\nb") == ["a", "b"]
    assert file_lines("\ufeff# t\n\nx\n".encode()) == ["# t", "", "x"]


def test_score_known_values():
    assert score({1, 5, 9, 12}, {1, 5, 7}) == (0.5, pytest.approx(2 / 3))
    assert score(set(), set()) == (1.0, 1.0)
    assert score({3}, set()) == (0.0, 1.0)      # any item in a file without questions is a false positive
    assert score(set(), {3, 4}) == (1.0, 0.0)
    assert score({2, 4}, {2, 4}) == (1.0, 1.0)
