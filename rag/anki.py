"""Anki export: the questions of the banks as an Anki package (``.apkg``) with ``genanki``.

One note per question: the question on the front; the reference answer (Markdown rendered to
HTML, maths for Anki's MathJax), its key points and its source (document, file, number, lines) on
the back. Ids are stable so a re-export updates the notes already in Anki instead of duplicating
them: the note type and the decks have fixed ids, and each note's guid comes from its file and its
question text (not its number, which shifts when a bank gains a question). Tags: the topic, the
section path (``section::3.1_基本概念``) and the document (``doc::<file stem>``); Anki tags cannot hold
spaces, so spaces become ``_``.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import genanki

from ingest.items import QAItem

MODEL_ID = 1_735_016_016          # fixed forever: Anki recognises re-imported notes of this note type
MODEL_NAME = "qbank Q&A"
DECK = "qbank"
FIELDS = ("Question", "Answer", "KeyPoints", "Source", "ItemId")
CSS = """.card { font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 18px;
  text-align: left; color: #1f2328; background: #fff; line-height: 1.55; }
.q { font-size: 1.15em; font-weight: 600; }
.kp { margin-top: 1em; padding: .5em .8em; background: #f6f8fa; border-radius: 6px; }
.src { margin-top: 1em; font-size: .8em; color: #59636e; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: .6em; border-radius: 6px; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .2em .5em; }
"""
FRONT = '<div class="q">{{Question}}</div>'
BACK = ('{{FrontSide}}<hr id="answer"><div class="a">{{Answer}}</div>'
        '{{#KeyPoints}}<div class="kp"><b>要点 · Key points</b>{{KeyPoints}}</div>{{/KeyPoints}}'
        '<div class="src">{{Source}}</div>')


@dataclass(frozen=True)
class Export:
    """What an export wrote: the file, its notes and decks."""

    path: Path
    notes: int
    decks: tuple[str, ...]


def model() -> genanki.Model:
    return genanki.Model(MODEL_ID, MODEL_NAME, fields=[{"name": f} for f in FIELDS],
                         templates=[{"name": "Question → Answer", "qfmt": FRONT, "afmt": BACK}], css=CSS,
                         sort_field_index=0)


def stable_id(*parts: str) -> int:
    """A positive 62-bit id from text (deck ids: the same deck name gives the same deck)."""
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:8], "big") >> 2


def note_guid(item: QAItem) -> str:
    """The note's guid: its file and its question text (whitespace and width normalised)."""
    return genanki.guid_for("qbank", item.file, _norm(item.question))


def tag(text: str) -> str:
    """An Anki tag of ``text``: whitespace runs become ``_`` (Anki splits tags at spaces).

    >>> tag("计算机 视觉"), tag(" Large  language\\tmodels ")
    ('计算机_视觉', 'Large_language_models')
    """
    return re.sub(r"\s+", "_", text.strip())


def tags(item: QAItem) -> list[str]:
    """The topic, the section path (``section::1_召回::1.1_基本概念``) and the document of ``item``."""
    out = ["qbank"]
    if item.topic:
        out.append(tag(item.topic))
    if item.section:
        parts = [tag(p) for p in re.split(r"\s*›\s*", item.section) if p.strip()]
        if parts:
            out.append("section::" + "::".join(parts))
    out.append("doc::" + tag(Path(item.file).stem or item.doc))
    return list(dict.fromkeys(t for t in out if t))


def select(items: Sequence[QAItem], docs: Iterable[str] = (), topics: Iterable[str] = (),
           ids: Iterable[str] | None = None) -> list[QAItem]:
    """The questions to export: documents (title or file name), topics (or section paths), and only ``ids``.

    Raises:
        ValueError: a document or topic that no question has (named), or nothing left to export.
    """
    docs, topics = tuple(docs), tuple(topics)
    pool = [it for it in items if it.kind == "qa"]
    known_docs = {it.doc for it in pool} | {it.file for it in pool}
    known_topics = {it.topic for it in pool if it.topic} | {it.section for it in pool if it.section}
    for d in docs:
        if d not in known_docs:
            raise UnknownFilter("doc", d)
    for tp in topics:
        if tp not in known_topics:
            raise UnknownFilter("topic", tp)
    if docs:
        pool = [it for it in pool if it.doc in docs or it.file in docs]
    if topics:
        pool = [it for it in pool if it.topic in topics or (it.section and it.section in topics)]
    if ids is not None:
        wanted = set(ids)
        pool = [it for it in pool if it.id in wanted]
    return pool


class UnknownFilter(ValueError):
    """A ``--docs``/``--topics`` value that no question has."""

    def __init__(self, kind: str, value: str):
        self.kind, self.value = kind, value
        super().__init__(f"no question has {kind} {value!r}; see `qbank list` for documents and topics")


def note(item: QAItem, guid: str | None = None) -> genanki.Note:
    """The Anki note of one question."""
    question = html.escape(item.question) + (f'<div class="detail">{_html(item.detail)}</div>'
                                       if item.detail and item.detail != item.question else "")
    points = "<ol>" + "".join(f"<li>{_inline(p)}</li>" for p in item.key_points) + "</ol>" if item.key_points else ""
    return genanki.Note(model=_MODEL, fields=[question, _html(item.answer), points, source(item), html.escape(item.id)],
                        tags=tags(item), guid=guid or note_guid(item), sort_field=item.question)


def source(item: QAItem) -> str:
    """Where the question is: ``document · file:first-last · No. n · id`` (HTML-escaped)."""
    where = (f"{item.file}:{item.lines[0]}-{item.lines[1]}" if item.lines
             else f"{item.file} p.{item.page}" if item.page else item.file)
    parts = [item.doc, where] + ([f"No. {item.number}"] if item.number is not None else []) + [item.id]
    if item.section:
        parts.insert(1, f"§ {item.section}")
    return html.escape(" · ".join(parts))


def deck_name(item: QAItem, deck: str = DECK) -> str:
    """One sub-deck per document: ``qbank::<document>``."""
    return f"{deck}::{item.doc.replace('::', ':')}" if item.doc else deck


def package(items: Sequence[QAItem], deck: str = DECK) -> genanki.Package:
    """The Anki package of ``items``: a sub-deck per document, one note per question.

    Two questions of one file worded the same keep apart: the second's guid also holds its id.
    """
    if not deck.strip():
        raise ValueError("deck name must not be empty; e.g. --deck qbank")
    decks: dict[str, genanki.Deck] = {}
    seen: set[str] = set()
    for it in items:
        name = deck_name(it, deck)
        if name not in decks:
            decks[name] = genanki.Deck(stable_id("deck", name), name)
        guid = note_guid(it)
        if guid in seen:
            guid = genanki.guid_for("qbank", it.file, _norm(it.question), it.id)
        seen.add(guid)
        decks[name].add_note(note(it, guid))
    return genanki.Package(list(decks.values()))


def export_apkg(items: Sequence[QAItem], path: Path, deck: str = DECK) -> Export:
    """Write ``items`` as an Anki package at ``path`` (``.apkg``; its folder is created).

    Raises:
        ValueError: no questions among ``items``, or ``path`` does not end in ``.apkg``.
    """
    path = Path(path)
    items = [it for it in items if it.kind == "qa"]     # a notes section is not a question to remember
    if path.suffix.lower() != ".apkg":
        raise ValueError(f"{str(path)!r} does not end in .apkg; Anki imports .apkg files (e.g. -o deck.apkg)")
    if not items:
        raise ValueError("no questions to export")
    pkg = package(items, deck)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    pkg.write_to_file(str(tmp))
    tmp.replace(path)     # a reader never sees half a package
    return Export(path, len(items), tuple(d.name for d in pkg.decks))


# ---------------------------------------------------------------------------------------------- text to HTML
_MODEL = model()
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.DOTALL)
_CODE = re.compile(r"(^```.*?^```[^\n]*$|`[^`\n]+`)", re.DOTALL | re.MULTILINE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@cache
def _markdown():
    from markdown_it import MarkdownIt  # a dependency of gradio: installed with qbank

    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")


def _html(text: str) -> str:
    """Markdown as HTML for a card; ``$…$`` / ``$$…$$`` maths (outside code) for Anki's MathJax ``\\(…\\)``."""
    maths: list[str] = []

    def hold(m: re.Match) -> str:
        display = m.group(1) is not None
        body = m.group(1) if display else m.group(2)
        maths.append((r"\[" + body + r"\]") if display else (r"\(" + body + r"\)"))
        return f"QBANKMATH{len(maths) - 1}Q"

    pieces = _CODE.split(text)
    text = "".join(p if k % 2 else _MATH.sub(hold, p) for k, p in enumerate(pieces))
    out = _markdown().render(text).strip()
    return re.sub(r"QBANKMATH(\d+)Q", lambda m: html.escape(maths[int(m.group(1))], quote=False), out)


def _inline(text: str) -> str:
    out = _html(text)
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1 else out
