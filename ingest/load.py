"""Loaders: turn a bank file (md, txt, pdf, docx, html) into a :class:`SourceDoc`.

Text files keep their exact lines so citations point into the file the user opens.
DOCX and HTML are rendered to markdown-like lines (headings become ``#``); PDF
keeps its page of each line. Every failure is a :class:`LoadError` naming the
file and the reason, never a traceback.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest.items import SourceDoc

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".html", ".htm"}
MAX_BYTES = 50 * 1024 * 1024
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


class LoadError(Exception):
    """A file that cannot be ingested; ``str()`` says which and why."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(path).name}: {reason}")


def find_files(paths: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders into the supported files they hold, sorted.

    Returns:
        The files, and ``(name, reason)`` for paths that are missing or unsupported.
    """
    found: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES
                         and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                found.append(p)
            else:
                skipped.append((p.name, f"unsupported file type {p.suffix or '(none)'!r}; "
                                        f"supported: {', '.join(sorted(SUFFIXES))}"))
        else:
            skipped.append((str(p), "no such file or folder"))
    seen, unique = set(), []
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(r)
    return unique, skipped


def decode_text(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode bank text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030/GBK or a detected one.

    Raises:
        LoadError: for binary content or text in no recognisable encoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    sample = data[:65536]
    if b"\x00" in sample:
        raise LoadError(path, "looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _plausible(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _plausible(str(best)):
        return str(best), best.encoding
    raise LoadError(path, "text is in no encoding qbank recognises (tried UTF-8, GB18030 and detection); "
                          "save it as UTF-8")


def _plausible(text: str) -> bool:
    """True when decoded text is mostly printable (binary decoded as GB18030 is not)."""
    if not text:
        return True
    bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\t\r\n\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / min(len(text), 20000) < 0.01


def split_lines(text: str) -> list[str]:
    """Split on line ends the way editors number lines (not ``str.splitlines``, which also splits on \\x0c)."""
    return _LINE_SPLIT.split(text)


def load(path: str | Path, max_bytes: int = MAX_BYTES) -> SourceDoc:
    """Load one bank file.

    Raises:
        LoadError: unreadable, empty, binary, too large, corrupt or unsupported file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LoadError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(sorted(SUFFIXES))}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(path, f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise LoadError(path, "file is empty")
    sha = hashlib.sha256(data).hexdigest()
    pages: tuple[int, ...] = ()
    encoding = ""
    has_lines = True
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data, path)
        lines = split_lines(text)
        fmt = "txt" if suffix == ".txt" else "md"
    elif suffix == ".pdf":
        lines, page_list = _pdf_lines(path)
        pages, fmt, has_lines = tuple(page_list), "pdf", False
    elif suffix == ".docx":
        lines, fmt, has_lines = _docx_lines(path), "docx", False
    else:
        text, encoding = decode_text(data, path)
        lines, fmt, has_lines = _html_lines(text), "html", False
    if not any(line.strip() for line in lines):
        raise LoadError(path, "no text found in the file" + (" (a scanned PDF needs OCR first)" if suffix == ".pdf" else ""))
    return SourceDoc(path=str(path.resolve()), file=path.name, title=doc_title(lines, path.stem),
                     lines=tuple(lines), fmt=fmt, has_lines=has_lines, pages=pages, sha256=sha, encoding=encoding)


def doc_title(lines: list[str] | tuple[str, ...], fallback: str) -> str:
    """The first markdown heading that is not a numbered question or a table of contents."""
    in_fence = False
    for line in lines[:200]:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        m = None if in_fence else _HEADING.match(line)
        if m:
            text = m.group(2).strip("* ")
            if (re.match(r"^(\d+|[一二三四五六七八九十]+)\s*[.、．]", text) or text in {"目录", "目 录", "Contents"}
                    or text.endswith(("：", ":"))):
                continue
            return text
    return fallback.replace("_", " ")


def _pdf_lines(path: Path) -> tuple[list[str], list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        lines: list[str] = []
        pages: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            for line in split_lines(page.extract_text() or ""):
                lines.append(line)
                pages.append(number)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"PDF is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    return lines, pages


def _docx_lines(path: Path) -> list[str]:
    import zipfile

    try:
        import docx

        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(path, f"DOCX is corrupt or truncated ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises assorted errors on damaged packages
        raise LoadError(path, f"DOCX cannot be opened ({type(exc).__name__}: {exc})") from None
    lines: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        m = re.match(r"(?:Heading|标题)\s*(\d)", style)
        if m:
            lines.append("#" * min(int(m.group(1)), 6) + " " + text)
        elif style.lower() == "title":
            lines.append("# " + text)
        elif "List" in style:
            lines.append("- " + text)
        else:
            lines.append(text)
        lines.append("")
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
        lines.append("")
    return lines


def _html_lines(text: str) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    root = soup.body or soup
    lines: list[str] = []
    blocks = root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "dt", "dd", "tr", "blockquote"])
    for el in blocks:
        if el.find_parent(["pre", "li", "blockquote"]) is not None and el.name != "li":
            continue
        if el.name == "pre":
            lines += ["```"] + split_lines(el.get_text().rstrip("\n")) + ["```", ""]
            continue
        if el.name == "li" and el.find(["p"]):
            continue
        content = " ".join(el.get_text(" ").split())
        if not content:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            lines += ["#" * int(el.name[1]) + " " + content, ""]
        elif el.name == "li":
            lines.append("- " + content)
        elif el.name == "tr":
            lines.append(" | ".join(" ".join(c.get_text(" ").split()) for c in el.find_all(["td", "th"])))
        else:
            lines += [content, ""]
    if not lines:
        lines = [ln for ln in split_lines(root.get_text("\n"))]
    return lines
