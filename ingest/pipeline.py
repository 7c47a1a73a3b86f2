"""Ingest: files -> Q&A items -> passages -> embeddings + keyword index -> an atomically switched index.

Only files whose bytes changed are re-embedded: vectors are cached per
(embedding model, file hash, segmenter version, forced layout) under ``$QBANK_HOME/cache``,
and a text that repeats (within or across banks) is embedded once (see ``ingest.embed_jobs``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest import layout_choices
from ingest.atomic import atomic_write
from ingest import store
from ingest.index_store import open_store
from ingest.embed import canonical_name, load_embedder
from ingest.server_embed import is_server
from ingest.filelock import file_lock
from ingest.items import FileSplit, IngestReport, Passage, QAItem, SourceDoc
from ingest.keypoints import key_points
from ingest.keyword import Analyzer, Glossary, KeywordIndex
from ingest.load import Limits, LoadError, ParseCache, find_files, load
from ingest.manifest import FORMAT_VERSION, FileEntry, Manifest, RefusedFile
from ingest.passages import lead_sentences, split_passages
from ingest.segment import Segmentation, normalize, segment
from ingest.settings import BUNDLED_CORPUS, EmbeddingSettings, Settings
from ingest.text.slug import slug
from ingest.topics import topic_of
from ingest.embed_jobs import DenseBuild, default_workers, start_embedding

def _stage_version(*modules: str) -> str:
    """A version that changes whenever the source of the stages that make items and embedded texts changes."""
    import hashlib

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in modules:
        digest.update((here / f"{name}.py").read_bytes())
    return "5-" + digest.hexdigest()[:10]


# segmentation, key points and passage splitting: any change to them invalidates the cache and the index
SEGMENTER_VERSION = _stage_version("markers", "layout", "segment", "keypoints", "passages",
                                   "text/script", "text/grams", "text/markdown", "text/normalize")
TITLES_FILE = "titles.json"   # optional {file name: display title} beside a bank


def sources(settings: Settings) -> list[Path]:
    """The bundled corpus plus every bank added with ``qbank ingest PATH`` or an upload."""
    extra: list[str] = []
    if settings.sources_file.exists():
        try:
            extra = json.loads(settings.sources_file.read_text(encoding="utf-8"))
        except ValueError:
            extra = []
    out = [BUNDLED_CORPUS] + [Path(p) for p in extra if Path(p) != BUNDLED_CORPUS]
    uploads = settings.uploads_dir
    if uploads.is_dir() and uploads.resolve() not in {p.resolve() for p in out}:
        out.append(uploads.resolve())   # always a source: a bank left there (a crash) is never forgotten
    return out


def _save_sources(settings: Settings, paths: list[Path]) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    atomic_write(settings.sources_file,
                 json.dumps([str(p) for p in paths if p != BUNDLED_CORPUS], ensure_ascii=False, indent=1))


def _lock(settings: Settings):
    """Held for a whole ingest: one build of a home at a time."""
    return file_lock(settings.home / "ingest.lock")


def make_items(doc: SourceDoc, slug: str, layout: str | None = None) -> list[QAItem]:
    """Segment a loaded document and give each item its id, citation fields, key points and topic."""
    return split_doc(doc, slug, layout)[1]


def split_doc(doc: SourceDoc, slug: str, layout: str | None = None) -> tuple[Segmentation, list[QAItem]]:
    """:func:`make_items`, with the :class:`~ingest.segment.Segmentation` (its layout and doubt).

    Args:
        layout: force a question marker (a key of ``LAYOUTS``); ``None`` or ``""`` lets the segmenter choose.
    """
    seg = segment(doc.lines, layout or None)
    items = []
    for ordinal, s in enumerate(seg.items, start=1):
        item_id = f"{slug}-{s.number}" if s.kind == "qa" and s.number is not None else f"{slug}-s{ordinal}"
        lines = (s.start + 1, s.end + 1) if doc.has_lines else None
        page = doc.pages[s.start] if doc.pages else None
        items.append(QAItem(
            id=item_id, doc=doc.title, file=doc.file, number=s.number if s.kind == "qa" else None,
            question=s.question, answer=s.answer, lines=lines, page=page, detail=s.detail, kind=s.kind,
            path=doc.path, key_points=_key_points(s.answer), topic=topic_of(s.question + " " + s.detail, s.answer),
            section=s.section))
    # a number used twice (a bank that restarts its numbering) must not give two items one id
    seen: dict[str, int] = {}
    for k, it in enumerate(items):
        if it.id in seen:
            items[k] = _with(it, id=f"{it.id}-{it.lines[0] if it.lines else k}")
        seen[items[k].id] = k
    return seg, items


def file_split(doc: SourceDoc, seg: Segmentation, items: list[QAItem], forced: str = "") -> FileSplit:
    """What a segmentation gave for a file, with its doubt: the segmenter's, or ``only_sections``
    when no question was found (unless the user asked for sections)."""
    doubt = seg.doubt
    if not doubt and items and all(it.kind == "section" for it in items) and forced != "sections":
        doubt = "only_sections"
    return FileSplit(path=doc.path, file=doc.file, layout=seg.layout, forced=forced, doubt=doubt,
                     lines=len(doc.lines), items=tuple(items))


def doubt_message(split: FileSplit) -> str:
    """The doubt about a file's split as one English line (CLI, ``IngestReport.warnings``); "" if none."""
    n, qa = len(split.items), sum(it.kind == "qa" for it in split.items)
    hint = f"check with `qbank ingest --dry-run {split.file}`, fix with --layout NAME"
    if split.doubt == "few_items":
        return f"only {qa} questions from {split.lines} lines: {hint}"
    if split.doubt == "dominant_answer":
        big = max(split.items, key=lambda it: (it.lines[1] - it.lines[0]) if it.lines else len(it.answer))
        where = f" (lines {big.lines[0]}-{big.lines[1]})" if big.lines else ""
        return f"one answer holds most of the file{where}: {hint}"
    if split.doubt == "only_sections":
        return f"no questions found, indexed as {n} heading sections: if it is a question bank, {hint}"
    return f"the split looks doubtful ({split.doubt}): {hint}" if split.doubt else ""


def dry_run(settings: Settings, paths: list[Path] | None = None, layouts: dict[str | Path, str] | None = None
            ) -> list[FileSplit]:
    """How each file would be segmented, touching nothing (no index, ``sources.json`` or ``layouts.json``).

    Args:
        paths: files or folders; none means every source an ingest would read.
        layouts: layouts to force per file or folder (``""``/``auto``: the segmenter chooses),
            over the choices remembered in ``layouts.json``.
    """
    requested = _expand_layouts(layouts)
    files, skipped = find_files([Path(p).expanduser().resolve() for p in paths] if paths else sources(settings),
                                settings.limits.follow_symlinks)
    chosen = {**layout_choices.load(settings), **requested}
    out = [FileSplit(path=str(name), file=Path(str(name)).name, error=reason) for name, reason in skipped]
    titles = _titles(files)
    taken: set[str] = set()
    limits, parsed = Limits.from_settings(settings), parse_cache(settings, write=False)
    for f in files:
        try:
            doc = load_one(f, limits, parsed)
        except LoadError as exc:
            out.append(FileSplit(path=exc.path or str(f), file=Path(exc.path or str(f)).name, error=exc.reason))
            continue
        if doc.file in titles:
            doc = SourceDoc(**{**doc.__dict__, "title": titles[doc.file]})
        forced = chosen.get(doc.path, "")
        seg, items = split_doc(doc, _slug(Path(doc.path), taken), forced)
        out.append(file_split(doc, seg, items, forced))
    return out


def _expand_layouts(layouts: dict[str | Path, str] | None) -> dict[str, str]:
    """``{file or folder: layout}`` -> ``{absolute file path: forced layout or ""}`` (names checked first).

    Raises:
        ValueError: an unknown layout name.
    """
    if not layouts:
        return {}
    checked = {Path(p).expanduser().resolve(): layout_choices.check(name) for p, name in layouts.items()}
    out: dict[str, str] = {}
    for root, name in checked.items():
        files = find_files([root])[0] if root.is_dir() else [root]
        out.update({str(f): name for f in files})
    return out


def parse_cache(settings: Settings, write: bool = True) -> ParseCache:
    """The parse results of every file read before (``$QBANK_HOME/cache/parsed``), by file hash."""
    return ParseCache(settings.cache_dir / "parsed", write=write)


def load_one(path: Path, limits: Limits, cache: ParseCache | None = None) -> SourceDoc:
    """:func:`ingest.load.load`, where anything a file makes go wrong is that file's :class:`LoadError`.

    One hostile file must never stop an ingest (nor, through it, ``qbank serve``): an exception the
    loader did not expect is reported for that file and the rest ingests.
    """
    try:
        return load(path, limits=limits, cache=cache)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - the per-file boundary
        detail = " ".join(str(exc).split())[:200]
        raise LoadError(path, f"could not be read ({type(exc).__name__}: {detail})") from None


@lru_cache(maxsize=4096)   # banks repeat answers word for word; key points are a pure function of the answer
def _key_points(answer: str) -> tuple[str, ...]:
    return key_points(answer)


def _with(item: QAItem, **changes) -> QAItem:
    from dataclasses import replace

    return replace(item, **changes)


def link_duplicates(items: list[QAItem], max_links: int = 20) -> list[QAItem]:
    """Link items whose questions are the same word for word (ignoring punctuation and spaces).

    Each item of a group gets the group's id (``dup_group``: the id of its first item) and, in
    ``duplicates``, the other members, at most ``max_links`` of them (setting ``max_duplicate_links``;
    the first ones of the group): a question asked 12,000 times used to list 11,999 ids on every copy
    (a 1.7 GB ``items.jsonl``).
    """
    groups: dict[str, list[int]] = {}
    for k, it in enumerate(items):
        if it.kind == "qa":
            groups.setdefault(normalize(it.question), []).append(k)
    out = list(items)
    for members in groups.values():
        if len(members) > 1:
            head = [items[m].id for m in members[:max_links + 1]]
            for k in members:
                own = items[k].id
                out[k] = _with(out[k], duplicates=tuple(i for i in head if i != own)[:max_links], dup_group=head[0])
    return out


def _slug(path: Path, taken: set[str]) -> str:
    base = chosen = slug(path.stem)
    if chosen in taken:
        import hashlib

        chosen = f"{base}_{hashlib.sha1(str(path).encode()).hexdigest()[:6]}"
    taken.add(chosen)
    return chosen


def embed_texts(item: QAItem, passages: list[Passage]) -> list[str]:
    """What is embedded for an item: its question, each passage on its own, then the answer's
    first sentences on their own (:func:`~ingest.passages.lead_sentences`).

    Passages are not prefixed with the question: hit@1 on data/eval is the same either way
    (bench/), and a passage that several banks share is then embedded once, not once per question.
    The lead sentences lift hit@5 on spoken and English paraphrases (README, Retrieval quality).
    """
    head = f"{item.question} {item.detail}".strip()
    texts = [head] + [p.text for p in passages]
    seen = {t.strip() for t in texts}
    return texts + [s for s in lead_sentences(item.answer) if s not in seen]   # a one-sentence answer is there already


def bounded_texts(texts: list[str], max_chars: int) -> tuple[list[str], int]:
    """``texts`` with each one longer than ``max_chars`` (setting ``embed_max_chars``) cut into pieces of at most
    that many characters, and how many were cut. The encoder's memory grows with a text's length:
    one unbroken 1 MB paragraph took 5-13 GB."""
    if all(len(t) <= max_chars for t in texts):
        return texts, 0
    out, cut = [], 0
    for t in texts:
        if len(t) <= max_chars:
            out.append(t)
        else:
            cut += 1
            out.extend(t[k:k + max_chars] for k in range(0, len(t), max_chars))
    return out, cut


def cap_item(item: QAItem, max_chars: int) -> tuple[QAItem, int]:
    """``item`` with its question, detail and answer each cut to ``max_chars`` (setting ``max_item_chars``),
    a note at the cut; and the longest original length (0 when nothing was cut)."""
    longest = max(len(item.question), len(item.detail), len(item.answer))
    if longest <= max_chars:
        return item, 0
    note = f" [… cut: over {max_chars:,} characters (setting max_item_chars)]"
    fields = {name: getattr(item, name)[:max_chars] + note for name in ("question", "detail", "answer")
              if len(getattr(item, name)) > max_chars}
    if "answer" in fields:
        fields["key_points"] = _key_points(fields["answer"])
    return _with(item, **fields), longest


def ingest(settings: Settings, paths: list[Path] | None = None, rebuild: bool = False,
           progress: bool | None = None, layouts: dict[str | Path, str] | None = None,
           staged: dict[str | Path, str | Path] | None = None) -> IngestReport:
    """Build or update the index from the bundled corpus, the registered banks and ``paths``.

    Bad files are reported in ``IngestReport.errors`` and skipped; the rest ingests.
    When no file yields an item, the previous index is left untouched. A file whose split looks
    doubtful is indexed and named in ``IngestReport.warnings``.

    Args:
        layouts: ``{file or folder: layout}`` to force the question marker of those files (a key of
            ``ingest.segment.LAYOUTS``; ``""``/``auto`` lets the segmenter choose again). The choice is
            remembered in ``layouts.json`` once the file is indexed, and used by every later ingest.
        staged: ``{final path: staged copy}`` (uploads, see ``rag.uploads``): each copy is read and indexed
            as the file at its final path (inside a source folder), and moved there only once the index
            is written; a copy that is refused or gives no item stays where it is, and the final path
            keeps its earlier file. Errors of a staged file name its final path.

    Raises:
        ValueError: an unknown layout name (before anything is read or written).
    """
    t0 = time.perf_counter()
    report = IngestReport()
    show = sys.stderr.isatty() if progress is None else progress
    requested = _expand_layouts(layouts)
    with _lock(settings):
        target = open_store(settings)     # files under $QBANK_HOME/index, or the database (database_url)
        target.check()                    # a database that is down fails now, not after the embedding
        if is_server(settings.embedding.model):    # so does an embedding server (its first request)
            load_embedder(settings.embedding.model, settings)
        chosen = {**layout_choices.load(settings), **requested}
        roots = sources(settings)
        new_roots: list[Path] = []
        for p in paths or []:
            p = Path(p).expanduser().resolve()
            if not p.exists():
                report.errors.append((str(p), "no such file or folder"))
            elif p not in roots:
                new_roots.append(p)
        files, skipped = find_files(roots + new_roots, settings.limits.follow_symlinks)
        staged = {Path(k).resolve(): Path(v) for k, v in (staged or {}).items()}
        files = _with_staged(files, staged)
        from_staging: set[str] = set()     # final paths read from their staged copy
        report.errors.extend(skipped)
        docs: list[SourceDoc] = []
        limits, parsed = Limits.from_settings(settings), parse_cache(settings)
        for f in files:
            try:
                if f in staged:
                    try:
                        doc = load_one(staged[f], limits, parsed)
                        docs.append(SourceDoc(**{**doc.__dict__, "path": str(f), "file": f.name}))
                        from_staging.add(str(f))
                        continue
                    except LoadError as exc:    # refused: the earlier file of that name, if any, stays indexed
                        report.errors.append((str(f), exc.reason))
                        if not f.exists():
                            continue
                docs.append(load_one(f, limits, parsed))
            except LoadError as exc:
                report.errors.append((exc.path if exc.path else str(f), exc.reason))
        titles = _titles(files, report.warnings)
        taken: set[str] = set()
        items: list[QAItem] = []
        per_doc: list[tuple[SourceDoc, list[QAItem]]] = []
        for doc in docs:
            if doc.file in titles:
                doc = SourceDoc(**{**doc.__dict__, "title": titles[doc.file]})
            forced = chosen.get(doc.path, "")
            seg, doc_items = split_doc(doc, _slug(Path(doc.path), taken), forced)
            if not doc_items:
                report.errors.append((doc.path, "no text to index after segmentation"))
                continue
            capped = [cap_item(it, settings.limits.max_item_chars) for it in doc_items]
            cut = [(it.id, n) for it, n in capped if n]
            if cut:
                doc_items = [it for it, _ in capped]
                report.warnings.append((doc.file, f"{len(cut)} item(s) over {settings.limits.max_item_chars:,} characters "
                                                  f"were cut to that length (setting max_item_chars; longest "
                                                  f"{max(n for _, n in cut):,}, item {cut[0][0]})"))
            split = report.splits[doc.path] = file_split(doc, seg, doc_items, forced)
            if split.doubt:
                report.warnings.append((doc.file, doubt_message(split)))
            per_doc.append((SourceDoc(**{**doc.__dict__, "lines": (), "pages": ()}), doc_items))
            items.extend(doc_items)
        docs.clear()   # the text lives on in the items; a 100k-item ingest must not hold it twice
        if not items:
            report.errors.append(("(all)", "nothing to index; the previous index is unchanged"))
            report.seconds = time.perf_counter() - t0
            return report
        items = link_duplicates(items, settings.limits.max_duplicate_links)
        by_id = {it.id: it for it in items}
        embedder = load_embedder(settings.embedding.model, settings)
        model = canonical_name(settings.embedding.model)
        cache = settings.cache_dir / "embeddings" / re.sub(r"[^\w.-]+", "_", model)
        cache.mkdir(parents=True, exist_ok=True)
        passages: list[Passage] = []
        rows: list[np.ndarray] = []
        pos = {it.id: k for k, it in enumerate(items)}
        plan = []
        for doc, doc_items in per_doc:
            texts, owners, pieces = [], [], 0
            for it in doc_items:
                ps = split_passages(by_id[it.id])
                t, cut = bounded_texts(embed_texts(by_id[it.id], ps), settings.embedding.max_chars)
                pieces += cut
                texts.extend(t)
                owners.extend([pos[it.id]] * len(t))
                passages.extend(ps)
            if pieces:
                report.warnings.append((doc.file, f"{pieces} text(s) over {settings.embedding.max_chars:,} characters were "
                                                  f"embedded in pieces of that length (setting embed_max_chars)"))
            plan.append((doc, texts, owners))
        _clean_cache(cache)
        bar = _bar(sum(len(p[1]) for p in plan), show)
        # a forced layout segments differently: its own cache entry (auto keeps the plain key)
        # (and texts cut at another embed_max_chars than the default are other texts: their own entry too)
        cut = settings.embedding.max_chars
        pieces = "" if cut == EmbeddingSettings.model_fields["max_chars"].default else f"-e{cut}"
        paths = [cache / f"{doc.sha256}-{SEGMENTER_VERSION}{_layout_key(report.splits[doc.path].forced)}{pieces}.npy"
                 for doc, _, _ in plan]
        cached = []
        for path, (doc, texts, _) in zip(paths, plan):
            vecs, problem = (None, "") if rebuild else _cached_vectors(path, (len(texts), embedder.dim))
            if problem:   # a damaged cache file is never used: its vectors are embedded again, and the user told
                report.warnings.append((doc.file, f"its cached vectors ({path.name}) are {problem}; re-embedded"))
            cached.append(vecs)
        # each distinct text is embedded once, however many banks repeat it, while the keyword index is built
        # an embedding server takes embed_concurrency requests of embed_batch_size texts at a time
        chunk = settings.embedding.batch_size * (settings.embedding.concurrency if is_server(settings.embedding.model) else 1)
        # one dense row per distinct text: banks repeat questions and answers, and each entry points at its row
        first: dict[str, int] = {}
        refs = np.fromiter((first.setdefault(t, len(first)) for _, texts, _ in plan for t in texts), dtype=np.int32,
                           count=sum(len(texts) for _, texts, _ in plan))
        del first
        _, first_entry = np.unique(refs, return_index=True)
        pending = start_embedding(embedder, [texts for _, texts, _ in plan], cached, chunk,
                                  bar.update if bar is not None else None,
                                  workers=settings.embedding.workers or default_workers())
        # the dense index is built as soon as the vectors are in, beside the keyword index (a database builds
        # its HNSW graph in the server while this process tokenises)
        building = DenseBuild(pending, first_entry, target.build_dense)
        try:
            analyzer = Analyzer(_harvested_glossary(items))
            keyword = KeywordIndex.build(
                [analyzer.tokens(f"{it.question} {it.detail}") for it in items],
                tokens_by_line(analyzer, [it.answer for it in items]))
            per_file, report.embedded = pending.result()     # views into pending.matrix, one row per text
            dense = building.result()
        except BaseException:
            pending.cancel()    # Ctrl-C or an error: do not wait for the embedding to finish
            building.cancel()
            raise
        try:
            report.reused = sum(len(texts) for _, texts, _ in plan) - report.embedded
            for path, vecs, was_cached, (_, _, owners) in zip(paths, per_file, cached, plan):
                if was_cached is None:
                    try:
                        _save_vectors(path, vecs)
                    except OSError as exc:   # a full disk: the index below says so, this cache is only an optimisation
                        report.warnings.append((path.name, f"could not cache the vectors ({exc.strerror or exc})"))
                rows.append(np.asarray(owners, dtype=np.int32))
            del per_file, cached
            if bar is not None:
                bar.close()
            base = Glossary.load()
            base_glossary = base.canon   # load once: the harvested glossary is saved as a diff
            n_vectors = len(first_entry)
            del pending, first_entry, building
            manifest = Manifest(
                format_version=FORMAT_VERSION, embedding_model=model, dim=int(embedder.dim), tokenizer=analyzer.name,
                segmenter_version=SEGMENTER_VERSION, index_type=target.index_type(dense), items=len(items),
                vectors=n_vectors, entries=int(len(refs)),
                glossary_digest=base.digest(),   # of data/glossary.tsv: `qbank serve` rebuilds when it changes
                glossary={k: v for k, v in analyzer.glossary.canon.items() if k not in base_glossary},
                files={doc.path: FileEntry(doc.file, doc.title, doc.sha256, len(di), doc.fmt, doc.encoding,
                                           report.splits[doc.path].layout, report.splits[doc.path].forced,
                                           report.splits[doc.path].doubt) for doc, di in per_doc},
                # files read and refused, by hash: `qbank serve` does not rebuild for them again until they change
                refused=_refused(files, report.errors),
                created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            target.write(manifest, items, passages, dense, np.concatenate(rows), refs, keyword)
        except BaseException:
            getattr(dense, "abort", lambda: None)()   # a database build still open: roll it back now
            raise
        for final, copy in staged.items():   # an upload replaces the earlier file only now that the index holds it
            if str(final) in from_staging and str(final) in report.splits:
                os.replace(copy, final)
        kept = {path: name for path, name in requested.items() if path in report.splits}
        if kept:   # remembered once indexed, so every later ingest segments these files the same way
            layout_choices.remember(settings, kept)
        used = [r for r in new_roots if any(_under(Path(doc.path), r) for doc, _ in per_doc)]
        if used:   # a path that gave no item (a bad file) is reported, not registered
            _save_sources(settings, roots + used)
        report.items = len(items)
        report.files = len(per_doc)
        parsed.prune()
    report.seconds = time.perf_counter() - t0
    return report


def _refused(files: list[Path], errors: list[tuple[str, str]]) -> dict[str, RefusedFile]:
    """The files found on disk that were refused in this ingest, by path."""
    import hashlib

    listed = {str(f) for f in files}
    out: dict[str, RefusedFile] = {}
    for name, reason in errors:
        if name in listed and name not in out:
            try:
                digest = hashlib.sha256(Path(name).read_bytes()).hexdigest()
            except OSError:
                continue
            out[name] = RefusedFile(digest, reason)
    return out


def _with_staged(files: list[Path], staged: dict[Path, Path]) -> list[Path]:
    """``files`` plus the final paths of staged copies not there yet, each where :func:`find_files` would list it."""
    out = list(files)
    for final in sorted(set(staged) - set(files)):
        k = next((i for i, f in enumerate(out) if f.parent == final.parent and f > final), None)
        if k is None:
            k = max((i + 1 for i, f in enumerate(out) if f.parent == final.parent), default=len(out))
        out.insert(k, final)
    return out


def _layout_key(forced: str) -> str:
    return f"-{forced}" if forced else ""


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _cached_vectors(path: Path, shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """Vectors cached for a file, or None; and what was wrong with the cache file ("" when nothing was).

    Each cache file has a CRC-32 beside it (``<name>.crc32``), checked before the vectors are used: a file
    damaged in place (bytes flipped or zeroed, still the right shape) gave silently wrong search results.
    A file of another shape is stale (other texts), not damaged. A file cached before checksums were
    written is checked for finite values and gets its checksum now.
    """
    import io

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    sidecar = path.with_name(path.name + ".crc32")
    try:
        expected = sidecar.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        expected = None
    except OSError:
        expected = None
    if expected is not None and expected != _crc32(data):
        return None, "damaged (checksum mismatch)"
    try:
        vecs = np.load(io.BytesIO(data))
    except (OSError, ValueError, EOFError):
        return None, "damaged (not a readable array)"
    if vecs.shape != shape:
        return None, ""
    if expected is None:
        if not np.isfinite(vecs).all():
            return None, "damaged (not finite numbers)"
        try:
            atomic_write(sidecar, _crc32(data).encode("ascii"))
        except OSError:
            pass        # checked next time instead
    return vecs, ""


def _crc32(data: bytes) -> str:
    import zlib

    return f"crc32:{zlib.crc32(data):08x}"


def _save_vectors(path: Path, vecs: np.ndarray) -> None:
    """Cache a file's vectors with their checksum (each written to a temp name and renamed into place)."""
    import io

    buf = io.BytesIO()
    np.save(buf, vecs)
    data = buf.getvalue()
    atomic_write(path.with_name(path.name + ".crc32"), _crc32(data).encode("ascii"))
    atomic_write(path, data)


def _clean_cache(cache: Path) -> None:
    """Remove temp files left by an ingest that was killed while writing the cache."""
    for tmp in [*cache.glob("*.tmp*.npy"), *cache.glob("*.tmp*.crc32")]:
        pid = tmp.stem.rsplit(".tmp", 1)[-1]
        if pid.isdigit() and not store._alive(int(pid)):
            tmp.unlink(missing_ok=True)


def tokens_by_line(analyzer: Analyzer, texts: list[str], memo_size: int = 200_000) -> list[list[str]]:
    """``analyzer.tokens`` of each text, cutting each distinct line once.

    Equal to tokenizing each text whole (jieba never joins words across a line break, nor do
    glossary phrases), but banks repeat many lines (labels, list heads, whole answers), and jieba
    is most of ingest time after embedding. The memo is cleared when it holds ``memo_size`` lines.
    """
    memo: dict[str, list[str]] = {}
    out = []
    for text in texts:
        toks: list[str] = []
        for line in text.split("\n"):
            got = memo.get(line)
            if got is None:
                if len(memo) >= memo_size:
                    memo.clear()
                got = memo[line] = analyzer.tokens(line)
            toks.extend(got)
        out.append(toks)
    return out


def _harvested_glossary(items: list[QAItem]) -> Glossary:
    g = Glossary.load()
    seen: set[str] = set()     # a text seen before adds nothing: every pair it holds is known already
    for it in items:
        for text in (it.question, it.answer[:2000]):
            if text not in seen:
                seen.add(text)
                g.harvest(text)
    return g


def _titles(files: list[Path], warnings: list[tuple[str, str]] | None = None) -> dict[str, str]:
    """Display titles from the ``titles.json`` beside the banks: ``{file name: title}``.

    A file that is not such an object (``[1]``, ``{"t2.md": 5}``, broken JSON) is skipped, in whole or for
    the entries that are not text, with a line in ``warnings``; it never stops an ingest.
    """
    out: dict[str, str] = {}
    for folder in sorted({f.parent for f in files}):
        meta = folder / TITLES_FILE
        if not meta.exists():
            continue
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            if warnings is not None:
                warnings.append((str(meta), f"ignored: not readable JSON ({type(exc).__name__}: {exc})"))
            continue
        if not isinstance(data, dict):
            if warnings is not None:
                warnings.append((str(meta), f"ignored: it must be an object {{\"file name\": \"title\"}}, "
                                            f"not a {type(data).__name__}"))
            continue
        bad = sorted(str(k) for k, v in data.items() if not isinstance(v, str) or not v.strip())
        if bad and warnings is not None:
            warnings.append((str(meta), f"ignored the titles of {', '.join(bad[:3])}{' …' if len(bad) > 3 else ''}: "
                                        f"each title must be text"))
        out.update({k: " ".join(v.split())[:200] for k, v in data.items() if isinstance(v, str) and v.strip()})
    return out


def _bar(total: int, show: bool):
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="text", desc="embedding", file=sys.stderr)
