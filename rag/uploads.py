"""Uploaded banks: check the type, size and name, store them under ``$QBANK_HOME/uploads``, then index them.

Whatever name a browser sends (``../../x.md``, ``/etc/passwd``, ``C:\\evil.md``,
names with NUL or control characters), the file can only ever be written as a
plain file directly inside ``settings.uploads_dir``. Files are copied to a
temporary name first and renamed into place, so a half-written upload is never
indexed.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ingest.items import FileSplit
from ingest.settings import Settings

ALLOWED_SUFFIXES = (".md", ".txt", ".pdf", ".docx", ".html")
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w\u4e00-\u9fff.\- ()（）]+")


class UploadError(ValueError):
    """An upload that is refused; the message names the file and says what to do."""


@dataclass(frozen=True)
class Saved:
    """An upload accepted and stored: the name the user sent and where it now lives."""

    original: str
    path: Path


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


def safe_name(name: str) -> str:
    """Turn a browser-supplied file name into a plain, safe file name (no folders), or raise.

    Args:
        name: the name as sent (may hold folders, ``..``, a drive letter, NUL...).

    Returns:
        A name like ``my_bank.md``: the last path component, NFC-normalised, with
        characters outside letters, digits, CJK, ``. - _ ( )`` and spaces replaced by ``_``.

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
    stem = stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .")
    return stem + suffix


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


def save(settings: Settings, name: str, source: str | Path | bytes) -> Saved:
    """Check one upload and store it under ``uploads_dir`` (replacing an earlier upload of the same name).

    Args:
        settings: gives ``uploads_dir`` and ``upload_max_mb``.
        name: the file name as the browser sent it.
        source: a path to the received temporary file, or its bytes.

    Raises:
        UploadError: wrong type, too large, empty, or unsafe name.
    """
    target = target_path(settings, name)
    limit = settings.upload_max_mb * 1024 * 1024
    if isinstance(source, (bytes, bytearray)):
        size = len(source)
    else:
        try:
            size = Path(source).stat().st_size
        except OSError as exc:
            raise UploadError(f"{name!r} could not be read ({exc.strerror or exc}); upload it again") from None
    if size > limit:
        raise UploadError(f"{name!r} is {size / 1024 / 1024:.1f} MB, over the {settings.upload_max_mb} MB upload limit; "
                          f"split the bank or raise upload_max_mb")
    if size == 0:
        raise UploadError(f"{name!r} is empty; upload a bank with some text in it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".upload-{uuid.uuid4().hex}.part"     # dot-files are never indexed
    try:
        if isinstance(source, (bytes, bytearray)):
            tmp.write_bytes(bytes(source))
        else:
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                copied = 0
                while chunk := src.read(1 << 20):
                    copied += len(chunk)
                    if copied > limit:      # the file grew after stat()
                        raise UploadError(f"{name!r} is over the {settings.upload_max_mb} MB upload limit")
                    dst.write(chunk)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return Saved(name, target)


def ingest_uploads(settings: Settings, files: list[tuple[str, str | Path | bytes]],
                   layouts: dict[str, str] | None = None) -> UploadReport:
    """Store each ``(name, source)`` upload, then index them all in one ingest.

    Files refused by the checks or by the loader (binary, truncated, no text) are
    reported per file and removed from ``uploads_dir``; the rest is indexed and
    searchable once this returns (call ``Searcher.reload()``).

    Args:
        layouts: ``{name as sent: layout}``, the question marker chosen in the preview (``auto`` or a
            key of ``ingest.segment.LAYOUTS``); remembered in ``layouts.json`` for the stored file.
            A file not named keeps the choice remembered for its stored name, if any.

    Raises:
        ValueError: an unknown layout name (nothing is stored).
    """
    from ingest.layout_choices import check
    from ingest.pipeline import ingest

    for name in (layouts or {}).values():
        check(name)
    report = UploadReport()
    for name, source in files:
        try:
            report.added.append(save(settings, name, source))
        except UploadError as exc:
            report.errors.append((name, str(exc)))
    if not report.added:
        return report
    chosen = {s.path: layouts[s.original] for s in report.added if s.original in (layouts or {})}
    result = ingest(settings, [settings.uploads_dir], progress=False, layouts=chosen)
    report.seconds = result.seconds
    by_path = {str(s.path): s for s in report.added}
    by_file = {s.path.name: s for s in report.added}
    failed: set[Path] = set()
    for where, reason in result.errors:
        saved = by_path.get(str(where)) or by_file.get(Path(str(where)).name)
        if saved is not None:
            report.errors.append((saved.original, reason))
            failed.add(saved.path)
    for path in failed:
        _reject(settings, path)
    report.added = [s for s in report.added if s.path not in failed]
    report.items = result.items
    if result.items:
        from ingest import store

        files_meta = (store.read_manifest(settings.index_root) or {}).get("files", {})
        for s in report.added:
            meta = files_meta.get(str(s.path))
            report.new_items[s.path.name] = int(meta["items"]) if meta else 0
            if str(s.path) in result.splits:
                report.splits[s.path.name] = result.splits[str(s.path)]
    return report


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
            if size > settings.upload_max_mb * 1024 * 1024:
                raise UploadError(f"{original!r} is {size / 1024 / 1024:.1f} MB, over the {settings.upload_max_mb} MB "
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
    """Move a file the loader refused out of the indexed folder (kept in ``uploads/.rejected`` for inspection)."""
    rejected = settings.uploads_dir / ".rejected"
    rejected.mkdir(parents=True, exist_ok=True)
    try:
        shutil.move(str(path), rejected / path.name)
    except OSError:
        path.unlink(missing_ok=True)
