"""The index contract: what a build records about itself (``manifest.json`` beside the index).

A :class:`Manifest` is written by :func:`ingest.pipeline.ingest`, read by the index stores
(:mod:`ingest.store`, :mod:`ingest.pg_store`) and checked by :meth:`Manifest.stale_reason`
against what this qbank would build now (:class:`BuildSpec`) and the banks on disk. The JSON keys
are the field names; :meth:`Manifest.from_dict` reads any manifest a qbank ever wrote (a key it
lacks gets a value no current build has, so an old index is reported stale with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

FORMAT_VERSION = 2   # 2: dense rows hold distinct texts, dense_refs.npy maps entries to them
REBUILD_HINT = "run `qbank ingest --rebuild` to rebuild it"


@dataclass(frozen=True)
class FileEntry:
    """One indexed bank file: what it was (hash, format, encoding) and how it was split."""

    file: str
    title: str
    sha256: str
    items: int
    format: str
    encoding: str | None
    layout: str          # the question marker the segmenter used (a key of ``LAYOUTS``)
    forced: str = ""     # the marker chosen by the user (``--layout``, ``layouts.json``), "" for automatic
    doubt: str = ""      # why the split looks doubtful, "" when it does not

    def to_dict(self) -> dict:
        return {"file": self.file, "title": self.title, "sha256": self.sha256, "items": self.items,
                "format": self.format, "encoding": self.encoding, "layout": self.layout, "forced": self.forced,
                "doubt": self.doubt}

    @classmethod
    def from_dict(cls, d: Mapping) -> "FileEntry":
        return cls(file=str(d.get("file", "")), title=str(d.get("title", "")), sha256=str(d.get("sha256", "")),
                   items=int(d.get("items", 0)), format=str(d.get("format", "")), encoding=d.get("encoding"),
                   layout=str(d.get("layout", "")), forced=str(d.get("forced") or ""), doubt=str(d.get("doubt") or ""))


@dataclass(frozen=True)
class RefusedFile:
    """A bank file read and refused by the build: ``qbank serve`` does not rebuild for it until it changes."""

    sha256: str
    reason: str

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping) -> "RefusedFile":
        return cls(sha256=str(d.get("sha256", "")), reason=str(d.get("reason", "")))


@dataclass(frozen=True)
class BuildSpec:
    """What this qbank would record for a build now: an index that differs in any of these is stale."""

    embedding_model: str      # canonical name (:func:`ingest.embed.canonical_name`)
    segmenter_version: str    # :data:`ingest.pipeline.SEGMENTER_VERSION`
    glossary_digest: str      # of ``data/glossary.tsv``
    format_version: int = FORMAT_VERSION


def _frozen(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class Manifest:
    """How an index was built. Mappings are read-only views; :meth:`to_dict` gives the JSON object.

    Attributes:
        format_version: layout of the files (:data:`FORMAT_VERSION`); ``None`` when the manifest has none.
        embedding_model / dim: the embedder (canonical name) and its vector size.
        tokenizer: the keyword analyzer (:attr:`ingest.keyword.Analyzer.name`).
        segmenter_version: :data:`ingest.pipeline.SEGMENTER_VERSION` of the build.
        index_type: ``flat``, ``ivf`` or ``hnsw``.
        items / vectors / entries: Q&A items, distinct embedded texts, embedded texts (see :mod:`ingest.store`).
        glossary_digest: of ``data/glossary.tsv``; glossary: the pairs harvested from the banks beyond it.
        files: indexed bank files by path; refused: files read and refused, by path.
        checksums: CRC-32 of every file of the version (file store), ``None`` for an index written before them.
        version: the store's name for the build (the database store's; not part of the JSON).
    """

    format_version: int | None
    embedding_model: str
    dim: int
    tokenizer: str
    segmenter_version: str
    index_type: str
    items: int
    vectors: int
    entries: int
    glossary_digest: str
    glossary: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, FileEntry] = field(default_factory=dict)
    refused: Mapping[str, RefusedFile] = field(default_factory=dict)
    created: str = ""
    checksums: Mapping[str, str] | None = None
    version: str = ""

    def __post_init__(self):
        object.__setattr__(self, "glossary", _frozen(self.glossary))
        object.__setattr__(self, "files", _frozen(self.files))
        object.__setattr__(self, "refused", _frozen(self.refused))
        if self.checksums is not None:
            object.__setattr__(self, "checksums", _frozen(self.checksums))

    def to_dict(self) -> dict:
        """The JSON object of ``manifest.json`` (the keys and order every qbank since format 2 wrote)."""
        d = {"format_version": self.format_version, "embedding_model": self.embedding_model, "dim": self.dim,
             "tokenizer": self.tokenizer, "segmenter_version": self.segmenter_version,
             "index_type": self.index_type, "items": self.items, "vectors": self.vectors, "entries": self.entries,
             "glossary_digest": self.glossary_digest, "glossary": dict(self.glossary),
             "files": {p: f.to_dict() for p, f in self.files.items()},
             "refused": {p: r.to_dict() for p, r in self.refused.items()}, "created": self.created}
        if self.checksums is not None:
            d["checksums"] = dict(self.checksums)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "Manifest":
        """Read a manifest's JSON object; a missing key gets a value no current build records.

        Raises:
            ValueError: ``d`` is not a JSON object, or a value has the wrong type (a damaged manifest).
        """
        if not isinstance(d, Mapping):
            raise ValueError(f"a manifest is a JSON object, not {type(d).__name__}")
        try:
            checksums = d.get("checksums")
            return cls(
                format_version=d.get("format_version"), embedding_model=str(d.get("embedding_model", "")),
                dim=int(d.get("dim", 0)), tokenizer=str(d.get("tokenizer", "")),
                segmenter_version=str(d.get("segmenter_version", "")), index_type=str(d.get("index_type", "")),
                items=int(d.get("items", -1)), vectors=int(d.get("vectors", -1)), entries=int(d.get("entries", -1)),
                glossary_digest=str(d.get("glossary_digest", "")), glossary=dict(d.get("glossary") or {}),
                files={str(p): FileEntry.from_dict(f) for p, f in (d.get("files") or {}).items()},
                refused={str(p): RefusedFile.from_dict(r) for p, r in (d.get("refused") or {}).items()},
                created=str(d.get("created", "")), checksums=dict(checksums) if checksums is not None else None,
                version=str(d.get("version", "")))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"the manifest is damaged ({type(exc).__name__}: {exc})") from None

    # -- checks ------------------------------------------------------------------------------
    def load_reason(self, embedding_model: str | None, where: str) -> str | None:
        """Why this index cannot be queried by this qbank with ``embedding_model``, or None.

        Args:
            where: how messages name the index (``"index at /home/me/.qbank/index/v-1"``).
        """
        if self.format_version != FORMAT_VERSION:
            return f"{where} has format {self.format_version!r}, this qbank reads {FORMAT_VERSION}; {REBUILD_HINT}"
        if embedding_model and self.embedding_model != embedding_model:
            return (f"index was built with embedding model {self.embedding_model!r} but the setting is "
                    f"{embedding_model!r}; {REBUILD_HINT} (or set QBANK_EMBEDDING_MODEL={self.embedding_model}"
                    f"{'@<base_url>' if self.embedding_model.startswith('openai:') else ''})")
        return None

    def build_reason(self, spec: BuildSpec) -> str | None:
        """Why this index was built differently from what ``spec`` would build, or None.

        Example:
            >>> m = Manifest(2, "use-multilingual", 512, "jieba", "5-a", "flat", 1, 1, 1, "g")
            >>> m.build_reason(BuildSpec("use-multilingual", "5-b", "g"))
            'the index was built by another qbank version (segmentation and embedded texts v5-a, this one uses v5-b)'
        """
        if self.embedding_model != spec.embedding_model:
            return f"the index was built with {self.embedding_model!r}, the setting is {spec.embedding_model!r}"
        if self.format_version != spec.format_version:
            return f"the index has format {self.format_version!r}, this qbank reads {spec.format_version}"
        if self.segmenter_version != spec.segmenter_version:
            return (f"the index was built by another qbank version (segmentation and embedded texts "
                    f"v{self.segmenter_version}, this one uses v{spec.segmenter_version})")
        if self.glossary_digest != spec.glossary_digest:
            return "data/glossary.tsv changed since the index was built"
        return None

    def sources_reason(self, on_disk: Mapping[str, str], forced: Mapping[str, str]) -> str | None:
        """Why the banks on disk are not what this index holds, or None.

        Args:
            on_disk: ``{path: sha256}`` of every bank file found now.
            forced: ``{path: question marker}`` chosen for files (``layouts.json``).

        Example:
            >>> m = Manifest(2, "m", 512, "jieba", "5-a", "flat", 1, 1, 1, "g",
            ...              files={"/b/a.md": FileEntry("a.md", "A", "h1", 1, "md", "utf-8", "heading2")})
            >>> m.sources_reason({"/b/a.md": "h2", "/b/new.md": "h3"}, {})
            'sources differ from the index (new: new.md; changed: a.md)'
        """
        indexed = {path: f.sha256 for path, f in self.files.items()}
        # a file refused as it is now brings nothing new
        on_disk = {p: sha for p, sha in on_disk.items() if p not in self.refused or self.refused[p].sha256 != sha}
        added = sorted(set(on_disk) - set(indexed))
        changed = sorted(p for p in set(on_disk) & set(indexed) if on_disk[p] != indexed[p])
        removed = sorted(set(indexed) - set(on_disk))
        if added or changed or removed:
            parts = [f"{label}: {_names(paths)}" for label, paths in
                     (("new", added), ("changed", changed), ("removed", removed)) if paths]
            return "sources differ from the index (" + "; ".join(parts) + ")"
        relaid = sorted(p for p, f in self.files.items() if f.forced != forced.get(p, ""))
        if relaid:
            return f"the question markers chosen for {_names(relaid)} changed since the index was built (layouts.json)"
        return None

    def stale_reason(self, spec: BuildSpec, on_disk: Mapping[str, str], forced: Mapping[str, str]) -> str | None:
        """Why the index must be rebuilt: built differently (:meth:`build_reason`), or other banks
        (:meth:`sources_reason`); None when it is current."""
        return self.build_reason(spec) or self.sources_reason(on_disk, forced)


def _names(paths: list[str], most: int = 3) -> str:
    return ", ".join(Path(p).name for p in paths[:most]) + (" …" if len(paths) > most else "")
