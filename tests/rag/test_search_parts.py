"""The parts a Searcher composes, on literal arrays and items: entry layout, dense search, lexical checks, ranking."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from ingest.items import QAItem
from ingest.store import DenseKind, Index
from rag import fusion, lexical, ranking
from rag.dense import DenseSearch
from rag.results import Scores


def _item(i: int, question: str = "q", answer: str = "a", duplicates: tuple[str, ...] = ()) -> QAItem:
    return QAItem(id=f"b-{i}", doc="d", file="b.md", number=i, question=question, answer=answer, lines=None,
                  duplicates=duplicates)


def _index(kind: str = "flat") -> Index:
    # three items; entries: item 0 -> rows 0, 1; item 1 -> row 2; item 2 -> rows 1, 3 (row 1 shared)
    vecs = np.eye(4, dtype=np.float32)
    dense = faiss.IndexFlatIP(4)
    dense.add(vecs)
    manifest = SimpleNamespace(index_type=kind)
    return Index(Path("x"), manifest, [_item(0), _item(1), _item(2)], [], dense,
                 np.array([0, 0, 1, 2, 2]), np.array([0, 1, 2, 1, 3]), None)


def test_the_entry_layout_maps_items_entries_and_rows():
    index = _index()
    assert index.entry_start.tolist() == [0, 2, 3, 5]
    entries, counts = index.row_entries(np.array([1, 3]))
    assert entries.tolist() == [1, 3, 4] and counts.tolist() == [2, 1]
    entries, counts = index.item_entries(np.array([2, 0]))
    assert entries.tolist() == [3, 4, 0, 1] and counts.tolist() == [2, 2]
    assert index.position("b-2") == 2 and index.by_id["b-1"].number == 1


def test_dense_kind_comes_from_the_manifest():
    assert _index("ivf").dense_kind is DenseKind.IVF
    assert _index("").dense_kind is DenseKind.FLAT      # an old manifest: read from the index
    with pytest.raises(ValueError, match="kind 'ivf' is not one of"):
        DenseSearch(_index(), "ivf")


def test_exact_and_approximate_dense_search_agree():
    qv = np.array([0.1, 0.9, 0.2, 0.0], dtype=np.float32)
    exact, approx = DenseSearch(_index()), DenseSearch(_index(), DenseKind.IVF)
    assert exact.vectors is not None and approx.vectors is None
    best = exact.best_per_item(qv, np.zeros(3, dtype=np.float32))
    assert np.allclose(best, [0.9, 0.2, 0.9])
    assert np.allclose(approx.best_per_item(qv, np.zeros(3, dtype=np.float32)), best)
    assert exact.question_cosine(1, qv) == pytest.approx(0.2) and exact.question_cosine(1, None) == 0.0


def test_unknown_share_counts_each_canonical_form_once():
    kw = SimpleNamespace(knows=lambda term: term == "bn")
    assert lexical.unknown_share(kw, [("BN", "bn"), ("LoRA", "lora"), ("lora", "lora")]) == 0.5
    assert lexical.unknown_share(kw, []) == 0.0


def test_names_are_found_under_any_glossary_name_and_spacing():
    check = lexical.NameCheck({"批归一化": "batch norm", "LN": "layer_norm"})
    item = _item(0, "什么是批归一化？", "Layer Norm 对每个样本归一化")
    assert check.missing_share(item, [("BatchNorm", "batch_norm"), ("LayerNorm", "layer_norm")]) == 0.0
    assert check.missing_share(item, [("LoRA", "lora"), ("LN", "layer_norm")]) == 0.5
    assert check.missing_share(item, []) == 0.0


def test_ranking_collapses_duplicates_and_abstains_without_hits():
    items = [_item(0, duplicates=("b-1",)), _item(1, duplicates=("b-0",)), _item(2)]
    z = np.zeros(3, dtype=np.float32)
    raw = Scores(np.array([30.0, 30.0, 5.0], dtype=np.float32), z, z, np.array([0.7, 0.7, 0.3], dtype=np.float32))
    p = fusion.Params()
    f = ranking.fuse_scores(raw, "keyword", p)
    hits = ranking.top_hits(items, raw, f, "keyword", 5)
    assert [h.ids for h in hits] == [("b-0", "b-1"), ("b-2",)]
    assert ranking.top_hits(items, raw, f, "keyword", 5, np.array([False, True, False]))[0].item.id == "b-1"
    res = ranking.decide("q", hits, ranking.evidence(hits, raw, "keyword", p), "keyword", p)
    assert res.hits == tuple(hits) and res.level in fusion.LEVELS
    assert ranking.decide("q", [], None, "hybrid", p).level == "not_covered"
    with pytest.raises(ValueError, match="mode 'fuzzy' is not one of"):
        ranking.fuse_scores(raw, "fuzzy", p)
