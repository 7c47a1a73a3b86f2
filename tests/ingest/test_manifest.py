"""The typed index contract (ingest/manifest.py): JSON round trip, old manifests, staleness on literal values."""

from __future__ import annotations

import dataclasses
import doctest

import pytest

from ingest import manifest as manifest_module
from ingest.manifest import FORMAT_VERSION, BuildSpec, FileEntry, Manifest, RefusedFile

ON_DISK = {   # a manifest.json as qbank writes it (format 2)
    "format_version": 2, "embedding_model": "use-multilingual", "dim": 512,
    "tokenizer": "jieba-0.42.1+glossary-1b1c2b94a6c5", "segmenter_version": "5-8a49763dfc", "index_type": "flat",
    "items": 2, "vectors": 5, "entries": 6, "glossary_digest": "742759ae52e5", "glossary": {"state": "状态"},
    "files": {"/banks/a.md": {"file": "a.md", "title": "A 题库", "sha256": "aa", "items": 2, "format": "md",
                              "encoding": "utf-8", "layout": "heading2", "forced": "", "doubt": ""}},
    "refused": {"/banks/bad.txt": {"sha256": "bb", "reason": "binary file"}},
    "created": "2026-12-02T00:00:00+0000", "checksums": {"items.jsonl": "crc32:00000000"},
}
SPEC = BuildSpec("use-multilingual", "5-8a49763dfc", "742759ae52e5")


def test_doctests():
    assert doctest.testmod(manifest_module).failed == 0


def test_json_round_trip_is_key_for_key():
    m = Manifest.from_dict(ON_DISK)
    assert m.to_dict() == ON_DISK and list(m.to_dict()) == list(ON_DISK)
    assert m.files["/banks/a.md"] == FileEntry("a.md", "A 题库", "aa", 2, "md", "utf-8", "heading2")
    assert m.refused["/banks/bad.txt"] == RefusedFile("bb", "binary file")


def test_manifest_is_frozen_and_its_mappings_read_only():
    m = Manifest.from_dict(ON_DISK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.items = 3
    with pytest.raises(TypeError):
        m.files["/banks/b.md"] = m.files["/banks/a.md"]


def test_current_index_is_not_stale():
    m = Manifest.from_dict(ON_DISK)
    assert m.stale_reason(SPEC, {"/banks/a.md": "aa", "/banks/bad.txt": "bb"}, {}) is None


def test_each_difference_is_named():
    m = Manifest.from_dict(ON_DISK)
    on_disk = {"/banks/a.md": "aa"}
    assert "built with 'use-multilingual', the setting is 'bge'" in m.stale_reason(
        dataclasses.replace(SPEC, embedding_model="bge"), on_disk, {})
    assert "another qbank version" in m.stale_reason(dataclasses.replace(SPEC, segmenter_version="6-x"), on_disk, {})
    assert "glossary.tsv changed" in m.stale_reason(dataclasses.replace(SPEC, glossary_digest="0"), on_disk, {})
    assert m.stale_reason(SPEC, {"/banks/a.md": "a2"}, {}) == "sources differ from the index (changed: a.md)"
    assert m.stale_reason(SPEC, {}, {}) == "sources differ from the index (removed: a.md)"
    assert m.stale_reason(SPEC, {**on_disk, "/banks/bad.txt": "b2"}, {}) == "sources differ from the index (new: bad.txt)"
    assert "layouts.json" in m.stale_reason(SPEC, on_disk, {"/banks/a.md": "numbered"})


def test_a_manifest_of_an_older_qbank_reads_and_is_stale_with_the_reason():
    old = {k: v for k, v in ON_DISK.items() if k not in ("format_version", "refused", "checksums", "glossary_digest")}
    m = Manifest.from_dict(old)
    assert m.checksums is None and m.refused == {}
    assert m.stale_reason(SPEC, {"/banks/a.md": "aa"}, {}) == f"the index has format None, this qbank reads {FORMAT_VERSION}"
    assert "has format 1" in Manifest.from_dict({**ON_DISK, "format_version": 1}).load_reason(None, "index at x")


def test_a_damaged_manifest_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="JSON object"):
        Manifest.from_dict([1, 2])
    with pytest.raises(ValueError, match="manifest is damaged"):
        Manifest.from_dict({**ON_DISK, "items": "many"})


def test_load_reason_names_the_embedding_model_to_set():
    m = Manifest.from_dict(ON_DISK)
    assert m.load_reason("use-multilingual", "index at x") is None
    reason = m.load_reason("BAAI/bge-small-zh-v1.5", "index at x")
    assert "'use-multilingual'" in reason and "QBANK_EMBEDDING_MODEL=use-multilingual" in reason
