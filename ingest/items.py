"""Typed data that travels between the ingestion stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceDoc:
    """A loaded document: its text as lines, ready for segmentation.

    Attributes:
        path: absolute path of the file.
        file: the file name shown in citations.
        title: display title (the document's own first heading, else the file stem).
        lines: the text, one entry per line (markdown-like for DOCX/HTML/PDF).
        fmt: ``md``, ``txt``, ``pdf``, ``docx`` or ``html``.
        has_lines: whether line numbers point into the file itself (text formats).
        pages: for PDF, the 1-based page of each line; else empty.
        sha256: hash of the file's bytes.
        encoding: the detected text encoding (text formats).
    """

    path: str
    file: str
    title: str
    lines: tuple[str, ...]
    fmt: str
    has_lines: bool = True
    pages: tuple[int, ...] = ()
    sha256: str = ""
    encoding: str = ""


@dataclass(frozen=True)
class QAItem:
    """One interview question with its whole answer: the unit of retrieval and practice."""

    id: str
    doc: str
    file: str
    number: int | None
    question: str
    answer: str
    lines: tuple[int, int] | None
    page: int | None = None
    detail: str = ""                 # the fuller question text (``**题目：**`` / ``**面试题：**``)
    kind: str = "qa"                 # "qa", or "section" for documents without Q&A structure
    path: str = ""
    duplicates: tuple[str, ...] = ()  # ids of items whose question is word for word the same (at most max_duplicate_links)
    key_points: tuple[str, ...] = ()
    topic: str = ""
    section: str = ""                # the section path above the question ("3.1 基本概念"); "" in older indexes
    dup_group: str = ""              # id of the first item of its duplicate group ("" when it has none)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)   # every field is flat (str, int, tuples of str): no deep asdict() needed
        d["lines"] = list(self.lines) if self.lines else None
        d["duplicates"] = list(self.duplicates)
        d["key_points"] = list(self.key_points)
        if not self.dup_group:
            del d["dup_group"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "QAItem":
        d = dict(d)
        d["lines"] = tuple(d["lines"]) if d.get("lines") else None
        d["duplicates"] = tuple(d.get("duplicates") or ())
        d["key_points"] = tuple(d.get("key_points") or ())
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def public(self) -> dict:
        """The JSON shape of ``qbank list --json``."""
        d = {
            "id": self.id, "doc": self.doc, "file": self.file, "number": self.number,
            "question": self.question, "lines": list(self.lines) if self.lines else None,
        }
        if self.page is not None:
            d["page"] = self.page
        if self.duplicates:
            d["duplicates"] = list(self.duplicates)
        if self.topic:
            d["topic"] = self.topic
        if self.section:
            d["section"] = self.section
        return d


@dataclass(frozen=True)
class Passage:
    """A piece of an item's answer, embedded and searched; always points back to its item."""

    item_id: str
    index: int
    text: str


@dataclass
class IngestReport:
    """What an ingest did: counts, timings and per-file problems (never raised)."""

    items: int = 0
    files: int = 0
    embedded: int = 0          # passages embedded now (the rest came from cache)
    reused: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)   # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)   # (file, doubt about its split)
    splits: dict[str, "FileSplit"] = field(default_factory=dict)      # path -> how each indexed file was split


@dataclass(frozen=True)
class FileSplit:
    """How one file was (or would be) segmented: the layout, any doubt about it, its items.

    Attributes:
        path: absolute path of the file.
        file: its file name.
        layout: the question marker used (a key of ``ingest.segment.LAYOUTS``).
        forced: the layout the user forced (``qbank ingest --layout``, the upload preview), "" for automatic.
        doubt: "" when the split looks sound, else a code: ``few_items``, ``dominant_answer`` (from the
            segmenter) or ``only_sections`` (no question found: the file became heading sections).
        lines: the number of lines segmented.
        items: the items it gives.
        error: why the file could not be loaded ("" when it was).
    """

    path: str
    file: str
    layout: str = ""
    forced: str = ""
    doubt: str = ""
    lines: int = 0
    items: tuple[QAItem, ...] = ()
    error: str = ""
