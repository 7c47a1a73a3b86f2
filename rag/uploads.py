"""Uploaded banks: check the type, size and name, stage them under ``$QBANK_HOME``, index them, then store them.

Whatever name a browser sends (``../../x.md``, ``/etc/passwd``, ``C:\\evil.md``,
names with NUL or control characters), the file can only ever be written as a
plain file directly inside ``settings.uploads_dir``.

An upload is a transaction (:func:`ingest_uploads`):

1. a stored name is chosen for each file, unique for this upload: a name that is another
   uploader's bank, that another file of the same upload took (``a?.md`` and ``a*.md`` are both
   ``a_.md`` once cleaned), or that would share question ids with another bank gets `` (2)``,
   `` (3)``... and the summary says so. Only the same uploader (``owner``) replaces a bank;
2. the file is copied into ``$QBANK_HOME/staging/<id>/`` (with ``txn.json``: who, what, which process);
3. it is checked and indexed from there (``ingest.pipeline.ingest(staged=...)``), and moved into
   ``uploads/`` only once the index holds it. A refused file goes to ``uploads/.rejected/``
   and the earlier bank of that name, if any, stays in place and indexed.

Results are matched to uploads by path. After a crash (``kill -9`` of ``qbank serve``),
:func:`recover` (run at serve start) finishes what the crash left in staging: a file the index
already holds is moved into place; the others are checked and indexed again, once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.filelock import file_lock
from ingest.freshness import file_sha256
from ingest.items import FileSplit
from ingest.manifest import FileEntry
from ingest.settings import Settings
from ingest.text.script import CJK
from ingest.text.slug import slug

ALLOWED_SUFFIXES = (".md", ".txt", ".pdf", ".docx", ".html")
MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200        # file systems allow 255 bytes (60 CJK characters is 180): room for " (12)" and temp names
MAX_COPIES = 999            # " (2)" ... " (999)": then the upload is refused
STAGING = "staging"         # $QBANK_HOME/staging/<transaction id>/<stored name> + txn.json
OWNERS = "upload_owners.json"   # $QBANK_HOME/upload_owners.json: {stored name: owner digest}
RECOVERY_ATTEMPTS = 2       # the upload itself, then one try at serve start; a file that crashes twice is refused
_UNSAFE = re.compile(rf"[^\w{CJK}.\- ()（）]+")


class UploadError(ValueError):
    """An upload that is refused; the message names the file and says what to do."""


@dataclass(frozen=True)
class Saved:
    """An upload accepted and stored: the name the user sent and where it now lives.

    ``wanted`` is the cleaned name it asked for when it is stored under another one (that name
    was another bank's, or taken by another file of the same upload); "" when it got its name.
    """

    original: str
    path: Path
    wanted: str = ""


@dataclass
class UploadReport:
    """What happened to each uploaded file, plus the size of the index afterwards."""

    added: list[Saved] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)   # (name as sent, reason)
    items: int = 0        # items in the whole index after the ingest (0 when nothing was indexed)
    new_items: dict[str, int] = field(default_factory=dict)       # stored file name -> its items
    splits: dict[str, FileSplit] = field(default_factory=dict)    # stored file name -> how it was split
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.added) and not self.errors


def _cut(stem: str, suffix: str, tag: str = "") -> str:
    """``stem + tag + suffix`` within :data:`MAX_NAME_CHARS` characters and :data:`MAX_NAME_BYTES` UTF-8 bytes."""
    stem = stem[: MAX_NAME_CHARS - len(suffix) - len(tag)]
    room = MAX_NAME_BYTES - len((tag + suffix).encode("utf-8"))
    while len(stem.encode("utf-8")) > room:
        stem = stem[:-1]
    return stem.rstrip(" .") + tag + suffix


def safe_name(name: str) -> str:
    """Turn a browser-supplied file name into a plain, safe file name (no folders), or raise.

    Args:
        name: the name as sent (may hold folders, ``..``, a drive letter, NUL...).

    Returns:
        A name like ``my_bank.md``: the last path component, NFC-normalised, with
        characters outside letters, digits, CJK, ``. - _ ( )`` and spaces replaced by ``_``,
        cut to 120 characters and 200 bytes (a file system's limit is 255 bytes).

    Raises:
        UploadError: a NUL or control character, no usable name, or a type not on the allow-list.
    """
    if name is None:
        raise UploadError("the upload has no file name; rename the file and upload it again")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UploadError(f"file name {name!r} contains a NUL or control character; rename the file and upload it again")
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = re.sub(r"^[A-Za-z]:", "", base)          # a bare drive prefix such as "C:x.md"
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base or set(base) <= {"_", "."}:
        raise UploadError(f"file name {name!r} has no usable name; rename the file and upload it again")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip(" ._"):
        raise UploadError(f"{name!r} has no file extension; allowed types: {', '.join(ALLOWED_SUFFIXES)}")
    suffix = "." + suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadError(f"{name!r}: file type {suffix!r} is not allowed; allowed types: {', '.join(ALLOWED_SUFFIXES)}")
    return _cut(stem, suffix)


def target_path(settings: Settings, name: str) -> Path:
    """Where an upload called ``name`` is stored: always a direct child of ``settings.uploads_dir``.

    Raises:
        UploadError: the name is unsafe (see :func:`safe_name`).
    """
    folder = settings.uploads_dir.resolve()
    target = (folder / safe_name(name)).resolve()
    if target.parent != folder:      # belt and braces: safe_name never yields a separator
        raise UploadError(f"file name {name!r} would be stored outside {folder}; rename the file")
    return target


def _size(settings: Settings, name: str, source: str | Path | bytes) -> int:
    """The size of an upload, checked against ``upload_max_mb`` and emptiness.

    Raises:
        UploadError: too large, empty or unreadable.
    """
    if isinstance(source, (bytes, bytearray)):
        size = len(source)
    else:
        try:
            size = Path(source).stat().st_size
        except OSError as exc:
            raise UploadError(f"{name!r} could not be read ({exc.strerror or exc}); upload it again") from None
    if size > settings.ui.upload_max_mb * 1024 * 1024:
        raise UploadError(f"{name!r} is {size / 1024 / 1024:.1f} MB, over the {settings.ui.upload_max_mb} MB upload limit; "
                          f"split the bank or raise upload_max_mb")
    if size == 0:
        raise UploadError(f"{name!r} is empty; upload a bank with some text in it")
    return size


def _copy(settings: Settings, name: str, source: str | Path | bytes, target: Path) -> None:
    """Copy an upload to ``target`` through a temporary dot-file (never indexed), so no half-written file exists.

    Raises:
        UploadError: the source grew over the limit while it was copied, or could not be read.
    """
    limit = settings.ui.upload_max_mb * 1024 * 1024
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".upload-{uuid.uuid4().hex}.part"     # dot-files are never indexed
    try:
        if isinstance(source, (bytes, bytearray)):
            tmp.write_bytes(bytes(source))
        else:
            try:
                with open(source, "rb") as src, open(tmp, "wb") as dst:
                    copied = 0
                    while chunk := src.read(1 << 20):
                        copied += len(chunk)
                        if copied > limit:      # the file grew after stat()
                            raise UploadError(f"{name!r} is over the {settings.ui.upload_max_mb} MB upload limit")
                        dst.write(chunk)
            except OSError as exc:
                raise UploadError(f"{name!r} could not be read ({exc.strerror or exc}); upload it again") from None
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())       # a crash after this point leaves the whole file, never a part of it
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def save(settings: Settings, name: str, source: str | Path | bytes) -> Saved:
    """Check one upload and store it under ``uploads_dir`` directly (replacing a file of the same name).

    The building block of the name and size checks; the app's uploads go through :func:`ingest_uploads`,
    which stages, indexes and only then stores, and never replaces another uploader's bank.

    Args:
        settings: gives ``uploads_dir`` and ``upload_max_mb``.
        name: the file name as the browser sent it.
        source: a path to the received temporary file, or its bytes.

    Raises:
        UploadError: wrong type, too large, empty, or unsafe name.
    """
    target = target_path(settings, name)
    _size(settings, name, source)
    _copy(settings, name, source, target)
    return Saved(name, target)


# -- names and owners -----------------------------------------------------------------------
def owner_digest(owner: str) -> str:
    """What is stored for an uploader: a digest of its token (a browser's secret, a session id), "" for local."""
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:24] if owner else ""


def _uploads_lock(settings: Settings):
    """Held while names are chosen and staging is inspected (short: never across an ingest)."""
    return file_lock(settings.home / "uploads.lock")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _owners(settings: Settings) -> dict[str, str]:
    return {str(k): str(v) for k, v in _read_json(settings.home / OWNERS).items()}


def _proc_start(pid: int) -> str:
    """The start time of process ``pid`` (Linux ``/proc``), so a reused pid is not taken for the uploader; "" if unknown."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _live(meta: dict) -> bool:
    """True when the process that wrote a staging ``txn.json`` is still running (its upload is in progress)."""
    from ingest.store import _alive

    pid = meta.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return False
    start = _proc_start(pid)
    return not (start and meta.get("start") and start != meta.get("start"))   # the same pid, another process


def _staging(settings: Settings) -> Path:
    return settings.home / STAGING


def _transactions(settings: Settings) -> list[tuple[Path, dict]]:
    root = _staging(settings)
    if not root.is_dir():
        return []
    return [(d, _read_json(d / "txn.json")) for d in sorted(root.iterdir()) if d.is_dir()]


def _choose(wanted: str, owner: str, taken: set[str], owners: dict[str, str], existing: set[str],
            slugs: dict[str, set[str]]) -> str:
    """The stored name for an upload that asked for ``wanted``: ``wanted`` itself when it is free (or this
    owner's own bank), else ``stem (2).suffix``, ``stem (3)``... .

    Args:
        taken: names reserved by this upload's other files and by uploads in progress.
        owners: {stored name: owner digest} (a file with none belongs to the local user, "").
        existing: names of the files in ``uploads/``.
        slugs: {id prefix: names of the files that have it} over every indexed or uploaded bank.

    Raises:
        UploadError: no free name (after :data:`MAX_COPIES`).
    """
    stem, suffix = wanted[: -len(Path(wanted).suffix)], Path(wanted).suffix
    for k in range(1, MAX_COPIES + 1):
        name = wanted if k == 1 else _cut(stem, suffix, f" ({k})")
        if name in taken:
            continue
        if name in existing:
            if owners.get(name, "") == owner:
                return name            # this uploader's own bank: replaced (once the new one is indexed)
            continue
        if slugs.get(slug(Path(name).stem), set()) - {name}:
            continue                   # would share question ids with another bank
        return name
    raise UploadError(f"{wanted!r}: {MAX_COPIES} banks are called that already; rename the file and upload it again")


# -- the transaction ------------------------------------------------------------------------
@dataclass
class _Entry:
    original: str
    name: str         # the stored name
    wanted: str       # the cleaned name asked for
    layout: str | None = None


def _reserve(settings: Settings, files: list[tuple[str, str | Path | bytes]], owner: str,
             layouts: dict[str, str], report: UploadReport) -> tuple[Path, list[tuple[_Entry, object]]]:
    """Check names and sizes, choose unique stored names and write the transaction's ``txn.json``, under the lock."""
    from ingest.index_store import open_store

    uploads = settings.uploads_dir
    with _uploads_lock(settings):
        owners = _owners(settings)
        existing = {p.name for p in uploads.iterdir() if p.is_file()} if uploads.is_dir() else set()
        live = [meta for _, meta in _transactions(settings) if _live(meta)]
        taken = {e.get("name") for meta in live for e in meta.get("files", []) if isinstance(e, dict)}
        slugs: dict[str, set[str]] = {}
        manifest = open_store(settings).read_manifest()
        indexed = manifest.files if manifest else {}
        folder = str(uploads.resolve())
        for path in list(indexed) + [str(uploads.resolve() / n) for n in existing | taken if n]:
            name = Path(path).name if str(Path(path).parent) == folder else path   # another folder's file: never ours
            slugs.setdefault(slug(Path(path).stem), set()).add(name)
        chosen: list[tuple[_Entry, object]] = []
        for original, source in files:
            try:
                wanted = safe_name(original)
                _size(settings, original, source)
                name = _choose(wanted, owner, taken, owners, existing, slugs)
            except UploadError as exc:
                report.errors.append((original, str(exc)))
                continue
            taken.add(name)
            slugs.setdefault(slug(Path(name).stem), set()).add(name)
            owners[name] = owner
            chosen.append((_Entry(original, name, wanted if name != wanted else "", layouts.get(original)), source))
        txn = _staging(settings) / uuid.uuid4().hex[:16]
        if chosen:
            _write_json(txn / "txn.json", {"pid": os.getpid(), "start": _proc_start(os.getpid()), "attempts": 1,
                                           "owner": owner, "files": [e.__dict__ for e, _ in chosen]})
            keep = existing | taken
            _write_json(settings.home / OWNERS, {k: v for k, v in sorted(owners.items()) if v and k in keep})
    return txn, chosen


def _index_staged(settings: Settings, txn: Path, entries: list[_Entry], report: UploadReport) -> None:
    """Index the staged copies of ``entries`` (each as its final path); fill ``report`` from the result by path."""
    from ingest.pipeline import ingest

    uploads = settings.uploads_dir.resolve()
    finals = {e.name: uploads / e.name for e in entries}
    chosen = {finals[e.name]: e.layout for e in entries if e.layout is not None}
    uploads.mkdir(parents=True, exist_ok=True)
    result = ingest(settings, [uploads], progress=False, layouts=chosen,
                    staged={finals[e.name]: txn / e.name for e in entries})
    report.seconds += result.seconds
    errors = dict(result.errors)           # keyed by path: another folder's notes.md is not this upload
    dropped = [f for f in finals.values() if str(f) not in result.splits and f.exists()]
    if dropped and result.items and not all(str(f) in _indexed_files(settings) for f in dropped):
        # a refused copy that took its earlier bank out of the index with it: index the earlier one again
        again = ingest(settings, progress=False)
        result.items, report.seconds = again.items, report.seconds + again.seconds
    files_meta = _indexed_files(settings) if result.items else {}
    for e in entries:
        final = finals[e.name]
        if str(final) in result.splits and str(final) not in errors and not (txn / e.name).exists():  # moved in
            report.added.append(Saved(e.original, final, e.wanted))
            entry = files_meta.get(str(final))
            report.new_items[e.name] = entry.items if entry else 0
            report.splits[e.name] = result.splits[str(final)]
        else:
            reason = errors.get(str(final)) or errors.get("(all)") or "was not indexed; upload it again"
            report.errors.append((e.original, reason))
    report.items = result.items


def _indexed_files(settings: Settings) -> Mapping[str, FileEntry]:
    from ingest.index_store import open_store

    manifest = open_store(settings).read_manifest()
    return manifest.files if manifest else {}


def _settle_indexed(settings: Settings, txn: Path) -> list[tuple[str, str]]:
    """The part of :func:`_settle` that finishes moves: staged files the index already holds go into place."""
    indexed = _indexed_files(settings)
    uploads = settings.uploads_dir.resolve()
    out = []
    for path in sorted(txn.iterdir()) if txn.is_dir() else []:
        if path.is_file() and path.name != "txn.json" and not path.name.startswith("."):
            final = uploads / path.name
            entry = indexed.get(str(final))
            if entry is not None and entry.sha256 == file_sha256(path):
                uploads.mkdir(parents=True, exist_ok=True)
                os.replace(path, final)
                out.append((path.name, "indexed"))
    return out


def _settle(settings: Settings, txn: Path) -> list[tuple[str, str]]:
    """Close a transaction: a staged file the index holds is moved into place, any other is refused
    (moved to ``uploads/.rejected``); then the staging folder goes. Returns ``(stored name, "indexed"|"refused")``."""
    out = _settle_indexed(settings, txn)
    for path in sorted(txn.iterdir()) if txn.is_dir() else []:
        if path.is_file() and path.name != "txn.json" and not path.name.startswith("."):
            _reject(settings, path)
            out.append((path.name, "refused"))
    shutil.rmtree(txn, ignore_errors=True)
    return out


def ingest_uploads(settings: Settings, files: list[tuple[str, str | Path | bytes]],
                   layouts: dict[str, str] | None = None, owner: str = "") -> UploadReport:
    """Stage each ``(name, source)`` upload, index them all in one ingest, and store those indexed.

    Files refused by the checks or by the loader (binary, truncated, no text) are reported per
    file and kept in ``uploads/.rejected``; an earlier bank of the same name stays in place and
    indexed. The rest is indexed and searchable once this returns (call ``Searcher.reload()``).

    Args:
        layouts: ``{name as sent: layout}``, the question marker chosen in the preview (``auto`` or a
            key of ``ingest.segment.LAYOUTS``); remembered in ``layouts.json`` for the stored file.
            A file not named keeps the choice remembered for its stored name, if any.
        owner: who uploads (a browser's token, a session id; "" for the local user): a bank is only
            ever replaced by an upload of the same owner; any other upload of that name is stored
            under a new one (``Saved.wanted`` says which it asked for).

    Raises:
        ValueError: an unknown layout name (nothing is stored).
    """
    from ingest.layout_choices import check

    for name in (layouts or {}).values():
        check(name)
    report = UploadReport()
    txn, chosen = _reserve(settings, files, owner_digest(owner), layouts or {}, report)
    if not chosen:
        return report
    try:
        entries = []
        for entry, source in chosen:
            try:
                _copy(settings, entry.original, source, txn / entry.name)
                entries.append(entry)
            except UploadError as exc:
                report.errors.append((entry.original, str(exc)))
        if entries:
            _index_staged(settings, txn, entries, report)
    finally:
        _settle(settings, txn)
    order = {name: k for k, (name, _) in enumerate(files)}
    report.errors.sort(key=lambda e: order.get(e[0], len(order)))
    return report


def recover(settings: Settings) -> list[str]:
    """Finish the uploads a crash left in staging (``qbank serve`` runs this before it checks the index).

    A staged file the index already holds is moved into place; the others are checked and indexed
    again from staging (once: a file whose upload crashed twice is refused into ``uploads/.rejected``).
    Uploads still in progress in a live process are left alone.

    Returns:
        One line per file for the log (empty when there was nothing to recover).
    """
    with _uploads_lock(settings):
        leftovers = []
        for txn, meta in _transactions(settings):
            if meta and _live(meta):
                continue
            if meta:                # take it over: from now on it is this process's upload
                meta = dict(meta, pid=os.getpid(), start=_proc_start(os.getpid()),
                            attempts=int(meta.get("attempts", 1)) + 1)
                _write_json(txn / "txn.json", meta)
            leftovers.append((txn, meta))
    lines = []
    for txn, meta in leftovers:
        entries = [_Entry(**{k: e.get(k) for k in ("original", "name", "wanted", "layout")})
                   for e in meta.get("files", []) if isinstance(e, dict) and isinstance(e.get("name"), str)]
        entries = [e for e in entries if (txn / e.name).is_file()]
        finished = dict(_settle_indexed(settings, txn))
        pending = [e for e in entries if e.name not in finished]
        for name in finished:
            lines.append(f"upload {name} was indexed before a crash; stored in {settings.uploads_dir}")
        if pending and int(meta.get("attempts", RECOVERY_ATTEMPTS + 1)) <= RECOVERY_ATTEMPTS:
            report = UploadReport()
            try:
                _index_staged(settings, txn, pending, report)
            except Exception as exc:  # noqa: BLE001 - serve must start; the file is refused below
                report.errors = [(e.name, f"{type(exc).__name__}: {exc}"[:200]) for e in pending]
            finally:
                _settle(settings, txn)
            lines += [f"upload {s.path.name} interrupted by a crash: recovered and indexed "
                      f"({report.new_items.get(s.path.name, 0)} items)" for s in report.added]
            lines += [f"upload {name} interrupted by a crash was refused: {reason}" for name, reason in report.errors]
        else:
            for name, status in _settle(settings, txn):
                if status == "refused":
                    lines.append(f"upload {name} was interrupted by a crash more than once; moved to "
                                 f"{settings.uploads_dir / '.rejected'} (upload it again)")
    return lines


@dataclass(frozen=True)
class UploadPreview:
    """How a chosen file would be split if indexed now (nothing is stored): for the Library's preview.

    Attributes:
        original: the name as sent.
        name: the name it would be stored under ("" when the name is refused).
        split: the segmentation (layout, doubt, items), or None when the file is refused.
        error: why the file would be refused ("" when it would not).
    """

    original: str
    name: str = ""
    split: FileSplit | None = None
    error: str = ""


def remembered_layout(settings: Settings, name: str) -> str:
    """The layout remembered for an upload called ``name`` (its stored path), or ``""`` for automatic."""
    from ingest.layout_choices import load

    try:
        return load(settings).get(str(target_path(settings, name)), "")
    except UploadError:
        return ""


def preview_uploads(settings: Settings, files: list[tuple[str, str | Path | bytes]],
                    layouts: dict[str, str] | None = None) -> list[UploadPreview]:
    """Check and segment each ``(name, source)`` upload as :func:`ingest_uploads` would, storing nothing.

    Args:
        layouts: ``{name as sent: layout}`` to force (``auto``: the segmenter chooses); a file not
            named uses the layout remembered for its stored name.

    Raises:
        ValueError: an unknown layout name.
    """
    import tempfile

    from ingest.layout_choices import check
    from ingest.load import LoadError, load
    from ingest.pipeline import file_split, split_doc

    out = []
    for original, source in files:
        try:
            name = safe_name(original)
            forced = check(layouts[original]) if original in (layouts or {}) else remembered_layout(settings, original)
            size = len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size
            if size > settings.ui.upload_max_mb * 1024 * 1024:
                raise UploadError(f"{original!r} is {size / 1024 / 1024:.1f} MB, over the {settings.ui.upload_max_mb} MB "
                                  f"upload limit; split the bank or raise upload_max_mb")
            if size == 0:
                raise UploadError(f"{original!r} is empty; upload a bank with some text in it")
        except UploadError as exc:
            out.append(UploadPreview(original, error=str(exc)))
            continue
        except OSError as exc:
            out.append(UploadPreview(original, error=f"{original!r} could not be read ({exc.strerror or exc}); "
                                                     f"upload it again"))
            continue
        try:
            with tempfile.TemporaryDirectory(prefix="qbank-preview-") as tmp:
                path = Path(tmp) / name       # the stored name: the loader reads the type from it
                if isinstance(source, (bytes, bytearray)):
                    path.write_bytes(bytes(source))
                else:
                    shutil.copyfile(source, path)
                doc = load(path)
        except LoadError as exc:
            out.append(UploadPreview(original, name, error=exc.reason))
            continue
        doc = type(doc)(**{**doc.__dict__, "path": str(target_path(settings, original)), "file": name})
        seg, items = split_doc(doc, Path(name).stem, forced)
        out.append(UploadPreview(original, name, file_split(doc, seg, items, forced)))
    return out


def _reject(settings: Settings, path: Path) -> None:
    """Move a refused upload (its staged copy) to ``uploads/.rejected``, outside what is indexed, for inspection."""
    rejected = settings.uploads_dir / ".rejected"
    rejected.mkdir(parents=True, exist_ok=True)
    try:
        shutil.move(str(path), rejected / path.name)
    except OSError:
        path.unlink(missing_ok=True)
