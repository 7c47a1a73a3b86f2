"""Loaders: turn a bank file (md, txt, pdf, docx, html) into a :class:`SourceDoc`.

Text files keep their exact lines so citations point into the file the user opens.
DOCX and HTML are rendered to markdown-like lines (headings become ``#``); PDF
keeps its page of each line (see :mod:`ingest.formats`). Every failure is a
:class:`LoadError` naming the file and the reason, never a traceback.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.formats import FormatError, docx_lines, html_lines, pdf_lines, split_lines
from ingest.items import SourceDoc
from ingest.settings import LimitsSettings
from ingest.text.markdown import heading
from ingest.text.normalize import strip_controls
from ingest.text.script import is_cjk

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".html", ".htm"}
MAX_BYTES = 50 * 1024 * 1024
IGNORED_NAMES = {"titles.json"}   # display titles beside a bank, read by the pipeline


def _default(name: str):
    return getattr(LimitsSettings(), name)


@dataclass(frozen=True)
class Limits:
    """What reading one bank file may cost: the fields of the ``limits`` settings that reading uses (their
    defaults are those settings' defaults; the parse cache is keyed by these values)."""

    html_max_depth: int = _default("html_max_depth")
    docx_max_unzipped_mb: float = _default("docx_max_unzipped_mb")
    docx_max_xml_mb: float = _default("docx_max_xml_mb")
    docx_max_entries: int = _default("docx_max_entries")
    max_file_chars: int = _default("max_file_chars")
    parse_timeout: float = _default("parse_timeout")

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        import dataclasses

        return cls(**{f.name: getattr(settings.limits, f.name) for f in dataclasses.fields(cls)})


class LoadError(Exception):
    """A file that cannot be ingested; ``str()`` says which and why."""

    def __init__(self, path: str | Path, reason: str, cacheable: bool = True):
        self.path = str(path)
        self.reason = reason
        self.cacheable = cacheable      # a refusal the file's bytes decide (not a transient failure)
        super().__init__(f"{Path(path).name}: {reason}")


def find_files(paths: list[Path], follow_symlinks: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders into the supported files they hold, sorted.

    Inside a folder, a symbolic link is followed only when its target lies inside that folder too,
    unless ``follow_symlinks`` (setting ``follow_symlinks``, ``qbank ingest --follow-symlinks``): a link
    to ``/etc`` or ``~/.ssh`` placed in a bank folder must not get its target indexed and served.
    A path named directly is read wherever it points.

    Returns:
        The files, and ``(name, reason)`` for paths that are missing, unsupported or links not followed.
    """
    found: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            files, links = _walk(p, follow_symlinks)
            skipped.extend(links)
            for f in files:
                if f.name in IGNORED_NAMES:
                    continue
                if f.suffix.lower() in SUFFIXES:
                    found.append(f)
                else:
                    skipped.append((str(f), _unsupported(f)))
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                found.append(p)
            else:
                skipped.append((str(p), _unsupported(p)))
        else:
            skipped.append((str(p), "no such file or folder"))
    seen, unique = set(), []
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(r)
    return unique, skipped


def _walk(root: Path, follow_symlinks: bool) -> tuple[list[Path], list[tuple[str, str]]]:
    """The regular files under ``root`` (hidden names skipped), sorted, and the links that were not followed."""
    import os

    top = root.resolve()
    files: list[Path] = []
    refused: list[tuple[str, str]] = []
    visited: set[Path] = {top}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        dirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = path.resolve()
                if not target.exists():
                    continue
                if not follow_symlinks and not (target == top or top in target.parents):
                    refused.append((str(path), f"symbolic link to {target}, outside the folder; not followed "
                                               f"(setting follow_symlinks, or qbank ingest --follow-symlinks)"))
                    continue
            try:
                is_dir = entry.is_dir()     # follows a link that is allowed
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                real = path.resolve()
                if real not in visited:    # a link loop, or a folder reached twice
                    visited.add(real)
                    dirs.append(path)
            elif is_file:
                files.append(path)
        stack.extend(reversed(dirs))
    return sorted(files), refused


def _unsupported(path: Path) -> str:
    return f"unsupported file type {path.suffix.lower() or '(none)'!r}; supported: {', '.join(sorted(SUFFIXES))}"


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode bank text: a BOM (UTF-8/16/32), else UTF-8, else GB18030/GBK, else a detected encoding.

    Decoding is strict: no byte is silently replaced. A UTF-8 BOM in front of bytes that are not UTF-8
    (GBK saved by a tool that added the BOM) is detected again without it. Text that is UTF-8 except for
    a few bytes is refused, naming the first one (only a last character cut in half is dropped). GB18030
    decodes almost any byte string, so it is taken first only when the result is mostly common Chinese;
    otherwise charset-normalizer's guess wins (Big5, Shift-JIS, cp1252…).

    Raises:
        LoadError: for binary content, damaged UTF-8, or text in no recognisable encoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return _decode_without_bom(data[3:], path, after_bom=True)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise LoadError(path, f"text starts with a {codec.upper()} byte-order mark but is not valid "
                                      f"{codec.upper()} (byte {exc.start}); save it again as UTF-8") from None
    return _decode_without_bom(data, path)


def _decode_without_bom(data: bytes, path: str | Path, after_bom: bool = False) -> tuple[str, str]:
    utf16 = None if after_bom else _bomless_utf16(data)
    if utf16:
        return utf16
    if b"\x00" in data[:65536]:
        raise LoadError(path, "looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first = exc.start
    for cut in (1, 2, 3):     # a file cut in the middle of its last character: that character is dropped
        if first >= len(data) - cut:
            try:
                return data[:-cut].decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
    invalid = _invalid_utf8_bytes(data)
    if invalid <= max(1, len(data) // 1000):     # UTF-8 with a few damaged bytes: name them, never replace them
        line = data[:first].count(b"\n") + 1
        raise LoadError(path, f"text is UTF-8 except for {invalid} invalid byte sequence(s), the first on line {line} "
                              f"(byte {first}); fix {'it' if invalid == 1 else 'them'} or save the file again as UTF-8")
    gb = _try_decode(data, "gb18030")
    if gb is not None and _plausible(gb) and _common_chinese(gb) >= 0.6:
        return gb, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _plausible(str(best)):
        return str(best), best.encoding
    if gb is not None and _plausible(gb):
        return gb, "gb18030"
    if after_bom:
        raise LoadError(path, "text starts with a UTF-8 byte-order mark but is not UTF-8 (byte "
                              f"{first + 3}), and no other encoding fits; save it again as UTF-8")
    raise LoadError(path, "text is in an unknown encoding (not UTF-8, UTF-16, GBK/GB18030 or any encoding "
                          "charset-normalizer recognises); save it as UTF-8")


def _invalid_utf8_bytes(data: bytes) -> int:
    """How many invalid UTF-8 sequences ``data`` holds (counted on a throw-away decoding; no text kept has any)."""
    return data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: NUL bytes, and one byte order gives ASCII/CJK text."""
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data[:4096]:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        text = _try_decode(data, codec)
        if text is not None and _plausible(text) and _textlike(text) >= 0.9:
            return text, codec
    return None


def _textlike(text: str) -> float:
    """Share of characters that are printable ASCII, whitespace, CJK or CJK punctuation."""
    sample = text[:20000]
    ok = sum(1 for ch in sample if " " <= ch <= "~" or ch in "\t\r\n" or is_cjk(ch)
             or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return ok / max(1, len(sample))


def _common_chinese(text: str) -> float:
    """Share of non-ASCII characters that are GB2312 punctuation or level-1 (common) hanzi."""
    sample = [ch for ch in text[:20000] if ord(ch) > 127]
    if not sample:
        return 1.0
    common = 0
    for ch in sample:
        try:
            lead = ch.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        common += 0xA1 <= lead <= 0xA9 or 0xB0 <= lead <= 0xD7
    return common / len(sample)


def _plausible(text: str) -> bool:
    """True when decoded text is mostly printable (binary decoded as GB18030 is not)."""
    if not text:
        return True
    bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\t\r\n\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / min(len(text), 20000) < 0.01


def load(path: str | Path, max_bytes: int = MAX_BYTES, limits: Limits | None = None,
         cache: "ParseCache | None" = None) -> SourceDoc:
    """Load one bank file.

    Args:
        limits: what the file may cost to read (:class:`Limits`; the settings' defaults when None).
        cache: parse results by file hash (:class:`ParseCache`): an unchanged file is never parsed
            twice, nor is a refusal that came from its bytes (a parse timeout included) worked out again.

    Raises:
        LoadError: unreadable, empty, binary, too large, corrupt or unsupported file, or one over a limit.
    """
    path = Path(path)
    limits = limits or Limits()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LoadError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(sorted(SUFFIXES))}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(path, f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data:
        raise LoadError(path, "file is empty (0 bytes)")
    if not data.strip():
        raise LoadError(path, "file is empty (only whitespace)")
    sha = hashlib.sha256(data).hexdigest()
    key = cache.key(sha, suffix, limits) if cache is not None else ""
    parsed = cache.get(key) if cache is not None else None
    if parsed is None:
        try:
            parsed = _parse(data, path, suffix, limits)
        except LoadError as exc:
            if cache is not None and exc.cacheable:
                cache.put(key, {"error": exc.reason})
            raise
        if cache is not None:
            cache.put(key, parsed)
    if "error" in parsed:
        raise LoadError(path, parsed["error"])
    lines = parsed["lines"]
    return SourceDoc(path=str(path.resolve()), file=path.name, title=doc_title(lines, path.stem),
                     lines=tuple(lines), fmt=parsed["fmt"], has_lines=parsed["has_lines"],
                     pages=tuple(parsed["pages"]), sha256=sha, encoding=parsed["encoding"])


def _parse(data: bytes, path: Path, suffix: str, limits: Limits) -> dict:
    """The lines (and pages, format, encoding) of a file's bytes; a :class:`LoadError` when they cannot be read."""
    import io
    import time

    pages: list[int] = []
    encoding = ""
    has_lines = True
    deadline = time.monotonic() + limits.parse_timeout if limits.parse_timeout > 0 else None
    try:
        if suffix in TEXT_SUFFIXES:
            text, encoding = decode_text(data, path)
            lines = split_lines(text)
            fmt = "txt" if suffix == ".txt" else "md"
        elif suffix == ".pdf":
            lines, pages = pdf_lines(io.BytesIO(data), deadline, limits.parse_timeout)
            fmt, has_lines = "pdf", False
        elif suffix == ".docx":
            lines, fmt, has_lines = docx_lines(io.BytesIO(data), limits.docx_max_unzipped_mb, limits.docx_max_xml_mb,
                                               limits.docx_max_entries, deadline, limits.parse_timeout), "docx", False
        else:
            text, encoding = decode_text(data, path)
            lines, fmt, has_lines = html_lines(text, limits.html_max_depth), "html", False
    except FormatError as exc:
        raise LoadError(path, str(exc)) from None
    except RecursionError:     # a converter that recursed past the guards: still this file's problem, not a crash
        raise LoadError(path, "the file nests too deeply to be read (RecursionError); simplify its structure") from None
    except MemoryError:
        raise LoadError(path, "reading the file ran out of memory; split it into smaller banks",
                        cacheable=False) from None
    chars = sum(map(len, lines))
    if chars > limits.max_file_chars:
        raise LoadError(path, f"text is {chars:,} characters, over the limit of {limits.max_file_chars:,} "
                              f"(setting max_file_chars); split the bank into smaller files")
    lines = [strip_controls(line) for line in lines]    # a bank's ESC sequences never reach a terminal; same length
    if not any(line.strip() for line in lines):
        hint = {".pdf": " (a scanned PDF needs OCR first)"}.get(suffix, " (only whitespace)" if fmt in ("md", "txt") else "")
        raise LoadError(path, "no text found in the file" + hint)
    return {"lines": lines, "pages": pages, "fmt": fmt, "has_lines": has_lines, "encoding": encoding}


def _loader_version() -> str:
    """Changes whenever the code that turns bytes into lines changes: this module, ``formats``, their parsers."""
    global _LOADER_VERSION
    if _LOADER_VERSION is None:
        from importlib import metadata

        digest = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in ("load.py", "formats.py"):
            digest.update((here / name).read_bytes())
        for package in ("python-docx", "pypdf", "beautifulsoup4", "markdownify", "charset-normalizer"):
            try:
                digest.update(f"{package}={metadata.version(package)}".encode())
            except metadata.PackageNotFoundError:
                pass
        _LOADER_VERSION = digest.hexdigest()[:12]
    return _LOADER_VERSION


_LOADER_VERSION: str | None = None


class ParseCache:
    """Loaded lines (or the refusal) of each file, by the hash of its bytes, under ``$QBANK_HOME/cache/parsed``.

    The key also holds the loader's version and every limit, so new code or a changed limit reads the
    file again. Each entry carries a CRC-32 of its content: a damaged entry is a miss (and removed).

    Args:
        folder: where entries live.
        write: False to only read (``qbank ingest --dry-run`` touches nothing).
    """

    MAX_AGE_DAYS = 30   # entries not used for this long are removed by :meth:`prune`

    def __init__(self, folder: Path, write: bool = True):
        self.folder = Path(folder)
        self.write = write

    def key(self, sha: str, suffix: str, limits: Limits) -> str:
        import dataclasses

        knobs = hashlib.sha256(repr(dataclasses.astuple(limits)).encode()).hexdigest()[:8]
        return f"{sha}{suffix}-{_loader_version()}-{knobs}"

    def get(self, key: str) -> dict | None:
        import json
        import os
        import zlib

        path = self.folder / f"{key}.json"
        try:
            head, _, body = path.read_bytes().partition(b"\n")
            if json.loads(head)["crc32"] != zlib.crc32(body):
                raise ValueError("checksum")
            entry = json.loads(body)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            if self.write:
                path.unlink(missing_ok=True)
            return None
        if self.write:
            try:
                os.utime(path)       # in use: kept by prune()
            except OSError:
                pass
        return entry

    def put(self, key: str, entry: dict) -> None:
        """Store an entry (atomically); a cache that cannot be written is skipped, never an error."""
        import json
        import zlib

        if not self.write:
            return
        from ingest.atomic import atomic_write

        body = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / f"{key}.json", json.dumps({"crc32": zlib.crc32(body)}).encode() + b"\n" + body)
        except OSError:
            pass

    def prune(self) -> None:
        """Remove entries unused for :attr:`MAX_AGE_DAYS` days and temp files of killed writers."""
        import time

        if not self.write or not self.folder.is_dir():
            return
        old = time.time() - self.MAX_AGE_DAYS * 86400
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < old or (path.name.startswith(".") and path.stat().st_mtime < time.time() - 3600):
                    path.unlink(missing_ok=True)
            except OSError:
                continue


def doc_title(lines: list[str] | tuple[str, ...], fallback: str) -> str:
    """The first markdown heading that is not a numbered question or a table of contents."""
    in_fence = False
    for line in lines[:200]:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        m = None if in_fence else heading(line)
        if m:
            text = m[1].strip("* ")
            if (re.match(r"^(\d+|[一二三四五六七八九十]+)\s*[.、．]", text) or text in {"目录", "目 录", "Contents"}
                    or text.endswith(("：", ":"))):
                continue
            return text
    return fallback.replace("_", " ")

