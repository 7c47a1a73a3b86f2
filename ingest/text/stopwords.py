"""Stop-word lists, kept as data files under ``data/stopwords/`` (one or more words a line, ``#`` comments).

* ``keyword``: left out of every keyword token, index and query side (:mod:`ingest.keyword`); a change needs a re-ingest
* ``query``: a question's spoken fillers and frames, queries only (:mod:`rag.query`); no re-ingest
* ``citation``: English words too common to show that an answer was written from a source (:mod:`rag.citations`)
* ``function``: Chinese discourse words never what an answer is about (grading's on-topic terms)
* ``polarity_en``, ``polarity_filler``, ``polarity_generic``: words that cannot tell two claims apart
  (:mod:`rag.interview.polarity`)
"""

from __future__ import annotations

from functools import lru_cache

from ingest.settings import DATA_DIR

STOPWORDS_DIR = DATA_DIR / "stopwords"


@lru_cache(maxsize=None)
def load(name: str) -> frozenset[str]:
    """The words of ``data/stopwords/<name>.txt``.

    Raises:
        FileNotFoundError: no such list (the message names the file and the lists there are).
    """
    path = STOPWORDS_DIR / f"{name}.txt"
    if not path.is_file():
        have = sorted(p.stem for p in STOPWORDS_DIR.glob("*.txt"))
        raise FileNotFoundError(f"no stop-word list {name!r} ({path} does not exist); the lists are {have}")
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return frozenset(words)
