"""The embedding cache is checked (issue 18 item 12): a cache file damaged in place used to give empty or wrong
search results with no message (hit@1 0.937 -> 0.810). Now each file carries a CRC-32: a damaged one is
named in a warning and re-embedded, and the index is the same as from a clean cache."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.pipeline import SEGMENTER_VERSION, ingest
from ingest.settings import Settings
from tests.reliability import hostile


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# 基础\n\n" + hostile.GOOD_QA, encoding="utf-8")
    (corpus / "b.md").write_text("## 1. 什么是潮汐学习率？\n\n学习率随潮汐周期变化。\n", encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    return Settings.load(home=tmp_path / "home")


def _vectors(settings) -> np.ndarray:
    from ingest import store

    index = store.load(settings.index_root)
    return np.vstack([index.dense.reconstruct(i) for i in range(index.dense.ntotal)])


def _cache_files(settings):
    return sorted((settings.cache_dir / "embeddings" / "use-multilingual").glob(f"*-{SEGMENTER_VERSION}.npy"))


def test_a_cache_file_damaged_in_place_is_detected_and_re_embedded(tiny):
    first = ingest(tiny, progress=False)
    assert first.items == 3 and not first.warnings
    clean = _vectors(tiny)
    files = _cache_files(tiny)
    assert len(files) == 2
    data = bytearray(files[0].read_bytes())
    data[-1024:] = bytes(1024)                 # zeroed in place: same size, same shape, still loads
    files[0].write_bytes(bytes(data))
    again = ingest(tiny, progress=False)
    warned = [w for _, w in again.warnings if "checksum mismatch" in w]
    assert warned and files[0].name in warned[0] and "re-embedded" in warned[0]
    assert again.embedded > 0
    np.testing.assert_allclose(_vectors(tiny), clean, atol=1e-6)
    quiet = ingest(tiny, progress=False)       # repaired: the next ingest says nothing and embeds nothing
    assert not quiet.warnings and quiet.embedded == 0


def test_a_cache_file_from_before_checksums_is_checked_for_finite_values(tiny):
    ingest(tiny, progress=False)
    clean = _vectors(tiny)
    path = _cache_files(tiny)[0]
    path.with_name(path.name + ".crc32").unlink()       # as written by an older qbank
    vecs = np.load(path)
    vecs[0, :] = np.nan
    np.save(path, vecs)
    report = ingest(tiny, progress=False)
    assert any("not finite numbers" in w for _, w in report.warnings), report.warnings
    np.testing.assert_allclose(_vectors(tiny), clean, atol=1e-6)
    assert path.with_name(path.name + ".crc32").exists()
