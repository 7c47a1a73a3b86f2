"""The text layer (ingest/text/): its doctests, and NFKC folding on literal strings."""

from __future__ import annotations

import doctest

import pytest

from ingest.text import grams, idf, markdown, normalize, script, slug, stopwords
from ingest.text import cjk_share, fold, has_cjk, is_english, printable, strip_controls


@pytest.mark.parametrize("module", [grams, idf, markdown, normalize, script, slug])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_fold_makes_full_width_latin_plain():
    assert fold("ＢＥＲＴ") == "bert"
    assert fold("Ｌｏｒａ 微调") == "lora 微调"
    assert fold("①") == "1"


def test_strip_controls_keeps_length_tab_and_newline():
    text = "a\x1b[0m\tb\nc\x7f"
    assert strip_controls(text) == "a [0m\tb\nc "
    assert len(strip_controls(text)) == len(text)


def test_printable_replaces_format_characters():
    assert printable("BN\u200b\x00x\n") == "BN  x\n"


def test_script_questions():
    assert has_cjk("什么是 BN") and not has_cjk("What is BN")
    assert is_english("What is BN?") and not is_english("BN 是什么") and not is_english("?")
    assert cjk_share("") == 1.0 and cjk_share("ab") == 0.0


def test_stopword_lists_are_data():
    assert "的" in stopwords.load("keyword") and "咋整" in stopwords.load("query")
    with pytest.raises(FileNotFoundError, match="no stop-word list 'nope'"):
        stopwords.load("nope")
