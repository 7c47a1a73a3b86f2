"""The analyzer (glossary, query fillers, lexicon, concepts) and the BM25 keyword index, on literal strings."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ingest.keyword import Analyzer, Glossary, KeywordIndex


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_bn_batch_normalization_and_chinese_meet_on_one_token(analyzer):
    for text in ("BN 的作用", "Batch Normalization 的作用", "批量归一化的作用", "batchnorm 的作用"):
        assert "批量归一化" in analyzer.tokens(text), text


def test_english_phrase_maps_to_the_chinese_term(analyzer):
    assert "感受野" in analyzer.tokens("What is the receptive field of a CNN?")
    assert "卷积神经网络" in analyzer.tokens("What is the receptive field of a CNN?")


def test_bank_parentheses_are_harvested():
    g = Glossary()
    assert g.harvest("什么是感受野 (ReceptiveField) ？") == len(g.canon) > 0
    assert g.canon["receptivefield"] == "感受野"
    assert g.canon["receptive field"] == "感受野"


def test_words_keep_case_and_glossary_phrases_whole(analyzer):
    assert analyzer.words("Batch Normalization 和 LoRA，怎么用？") == ["Batch Normalization", "和", "LoRA", "怎么", "用"]


def _index(questions, answers):
    return KeywordIndex.build(questions, answers)


def test_scores_weight_the_question_field():
    kw = _index([["感受野"], ["池化"]], [["卷积"], ["感受野", "池化"]])
    q, a = kw.scores(["感受野"], weight_question=3.0)
    assert q[0] > 0 and q[1] == 0 and a[1] > 0 and a[0] == 0
    q1, _ = kw.scores(["感受野"], weight_question=1.0)
    assert q[0] == pytest.approx(3 * q1[0])
    assert kw.scores(["不存在"], 1.0)[0].sum() == 0


def test_coverage_counts_absent_terms_in_the_denominator():
    kw = _index([["感受野"], ["池化"], ["卷积"]], [["卷积", "感受野"], ["池化"], ["卷积"]])
    in_q, in_any = kw.coverage(["感受野", "卷积"])
    assert in_any[0] == pytest.approx(1.0)
    assert 0 < in_q[0] < 1 and in_q[1] == 0
    _, with_unknown = kw.coverage(["感受野", "卷积", "低秩适配"])
    assert with_unknown[0] < 1.0
    assert kw.coverage([])[1].sum() == 0


def test_knows_checks_whole_terms_and_pieces_of_split_ones():
    kw = _index([["编码器", "解码器"]], [["wordpiece", "分词"]])
    assert kw.knows("编码器")
    assert kw.knows("编码器-解码器") and kw.knows("wordpiece分词")
    assert not kw.knows("低秩适配") and not kw.knows("kv缓存")


def _python_calls(fn) -> int:
    calls = 0

    def prof(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def test_keyword_scoring_does_no_python_work_per_document():
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(500)]

    def build(n):
        docs = [list(rng.choice(vocab, 5)) for _ in range(n)]
        return _index(docs, docs)

    query = ["w1", "w2", "w3", "w400"]
    small, large = build(200), build(20_000)
    cost = [_python_calls(lambda kw=kw: (kw.scores(query, 2.0), kw.coverage(query))) for kw in (small, large)]
    assert cost[1] <= cost[0] * 1.2 + 20, cost      # 100x the documents, the same Python work


def test_full_width_latin_is_the_plain_token_on_both_sides(analyzer):
    # NFKC before lowercasing: a bank or a query typed with a Chinese IME's full-width letters still matches
    assert analyzer.tokens("ＢＥＲＴ 模型") == analyzer.tokens("bert 模型")
    assert analyzer.tokens("ＢＮ") == analyzer.tokens("BN")
    assert analyzer.words("ＬｏＲＡ 的原理") == analyzer.words("LoRA 的原理")
