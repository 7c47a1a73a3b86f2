"""Query analysis (fillers, lexicon, coverage terms, concepts, the embedder's text) on literal strings."""

from __future__ import annotations

import pytest

from ingest.keyword import Analyzer
from rag.query import Lexicon, QueryAnalyzer


@pytest.fixture(scope="module")
def qa() -> QueryAnalyzer:
    return QueryAnalyzer(Analyzer())


def test_query_tokens_drop_spoken_fillers(qa):
    toks = qa.tokens("请问到底啥是感受野呀，咋算")
    assert "感受野" in toks
    assert not {"请问", "到底", "啥", "咋", "呀"} & set(toks)


def test_query_lexicon_adds_the_written_terms(qa):
    toks = qa.tokens("How do I evaluate a model trained on images?")
    assert {"评估", "模型", "训练", "图像"} <= set(toks)


def test_lexicon_file_format(tmp_path):
    path = tmp_path / "lex.tsv"
    path.write_text("# comment\n图像\timage\t图片\n图片集\t图片\n\nbroken-line\n", encoding="utf-8")
    lex = Lexicon.load(path)
    assert lex.terms["image"] == ("图像",)
    assert lex.terms["图片"] == ("图像", "图片集")
    assert "broken-line" not in lex.terms


def test_terms_are_canonical_unique_and_skip_unknown_plain_english(qa):
    assert qa.terms("BN 和 batch normalization 的作用") == ["批量归一化"]
    terms = qa.terms("why does the loss keep going up", known=lambda t: False)
    assert "up" not in terms and "损失函数" in terms
    assert "up" in qa.terms("why does the loss keep going up")


def test_dense_text_strips_fillers_and_adds_chinese_names(qa):
    assert qa.dense_text("请问 BN 到底有啥作用？") == "BN批量归一化"
    assert qa.dense_text("什么是") == "什么是"          # all fillers: keep the query
    assert qa.dense_text("BN 到底有啥作用") == "BN批量归一化"    # Chinese in it: fillers go, names join


def test_dense_text_keeps_an_english_question_whole(qa):
    # a sentence encoder needs the sentence: function words stay, only whitespace is normalised
    assert qa.dense_text("  How does a chatbot   figure out what the user wants?") == \
        "How does a chatbot figure out what the user wants?"
    assert qa.dense_text("BN") == "BN批量归一化"     # a bare abbreviation still gains its Chinese name


def test_concepts_find_glossary_terms_and_name_like_tokens(qa):
    found = dict(qa.concepts("LoRA 和 FlashAttention 里的 dropout 怎么用"))
    assert found["LoRA"] == "低秩适配"
    assert "FlashAttention" in found and "dropout" in found
    assert qa.concepts("红烧肉怎么做") == []
