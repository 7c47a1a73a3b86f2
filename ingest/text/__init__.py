"""The text layer every stage uses: script detection, cleaning and NFKC, grams, stop words, slugs, IDF.

``ingest.text.slug.slug`` and ``ingest.text.stopwords.load`` are imported from their modules.
"""

from ingest.text.grams import char_bigrams, cjk_bigrams, squeezed_bigrams, units
from ingest.text.idf import bm25_idf
from ingest.text.normalize import fold, nfkc, printable, strip_controls
from ingest.text.script import CJK, CJK_CHAR, CJK_RUN, cjk_share, has_cjk, is_cjk, is_english, mostly_latin

__all__ = ["CJK", "CJK_CHAR", "CJK_RUN", "bm25_idf", "char_bigrams", "cjk_bigrams", "cjk_share", "fold",
           "has_cjk", "is_cjk", "is_english", "mostly_latin", "nfkc", "printable", "squeezed_bigrams",
           "strip_controls", "units"]
