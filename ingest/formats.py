"""Render PDF, DOCX and HTML banks into markdown-like lines the segmenter reads.

* PDF: the text of each page (pypdf), with the page of every line.
* DOCX: paragraphs and tables in document order; ``Heading N`` styles become ``#``
  headings, and Word's automatic numbering is written out (``1.``, ``一、``, ``（1）``)
  because the numbers are not part of the paragraph text.
* HTML: converted to markdown with markdownify (headings, lists, ``<pre>`` as fences).

Every failure raises :class:`FormatError` with a reason; :mod:`ingest.load` adds the file name.
"""

from __future__ import annotations

import logging
import re
import time
import zipfile
from pathlib import Path

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "零一二三四五六七八九"


class FormatError(Exception):
    """The file's content cannot be rendered; ``str()`` is the reason."""


def split_lines(text: str) -> list[str]:
    """Split on line ends the way editors number lines (not ``str.splitlines``, which also splits on \\x0c)."""
    return _LINE_SPLIT.split(text)


# -- PDF ----------------------------------------------------------------------

def pdf_lines(path, deadline: float | None = None, timeout: float = 0) -> tuple[list[str], list[int]]:
    """Lines of a PDF's text layer (a path or a binary file) and the 1-based page of each line.

    ``deadline``: ``time.monotonic()`` past which reading stops with a :class:`FormatError` naming ``timeout``
    (setting ``parse_timeout``).
    """
    from pypdf import PdfReader

    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)   # pypdf warns on stderr about every damaged xref
    lines: list[str] = []
    pages: list[int] = []
    try:
        reader = PdfReader(path if hasattr(path, "read") else str(path))
        if reader.is_encrypted:
            raise FormatError("PDF is encrypted; save an unencrypted copy")
        for number, page in enumerate(reader.pages, start=1):
            if deadline is not None and time.monotonic() > deadline:
                raise FormatError(f"reading the PDF took over {timeout:g} s (setting parse_timeout); split it")
            for line in split_lines(page.extract_text() or ""):
                lines.append(line)
                pages.append(number)
    except FormatError:
        raise
    except RecursionError:
        raise FormatError("PDF is corrupt (its object tree is circular)") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise FormatError(f"PDF is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    finally:
        quiet.setLevel(level)
    return lines, pages


# -- DOCX ---------------------------------------------------------------------

def check_zip(path, max_unzipped_mb: float = 100, max_xml_mb: float = 40, max_entries: int = 2000) -> None:
    """Refuse a DOCX package before parsing it when its zip directory promises too much.

    ``zipfile`` never inflates an entry past the size its directory declares (it stops there and the
    CRC check fails), so the declared sizes bound what python-docx can load: every part whole
    (``docx_max_unzipped_mb``), the XML parts as trees about 15x their size (``docx_max_xml_mb``).

    Raises:
        FormatError: one line naming the limit and its setting.
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(f"DOCX is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    if len(infos) > max_entries:
        raise FormatError(f"DOCX package holds {len(infos)} files, over the limit of {max_entries} "
                          f"(setting docx_max_entries)")
    total = sum(i.file_size for i in infos)
    if total > max_unzipped_mb * 2**20:
        raise FormatError(f"DOCX unzips to {total / 2**20:.0f} MB, over the limit of {max_unzipped_mb:g} MB "
                          f"(setting docx_max_unzipped_mb): a zip bomb, or embedded media to remove")
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    if xml > max_xml_mb * 2**20:
        raise FormatError(f"DOCX text (XML) unzips to {xml / 2**20:.0f} MB, over the limit of {max_xml_mb:g} MB "
                          f"(setting docx_max_xml_mb); split the document")


def docx_lines(path, max_unzipped_mb: float = 100, max_xml_mb: float = 40, max_entries: int = 2000,
               deadline: float | None = None, timeout: float = 0) -> list[str]:
    """Paragraphs (headings as ``#``, numbered lists written out) and tables of a DOCX, in order.

    Args:
        max_unzipped_mb, max_xml_mb, max_entries: see :func:`check_zip`.
        deadline: ``time.monotonic()`` past which reading stops with a :class:`FormatError` naming
            ``timeout`` (setting ``parse_timeout``).
    """
    if not zipfile.is_zipfile(path):
        raise FormatError("DOCX is corrupt or truncated (not a valid zip package)")
    check_zip(path, max_unzipped_mb, max_xml_mb, max_entries)
    try:
        import docx
        from docx.enum.style import WD_STYLE_TYPE
        from docx.table import Table

        document = docx.Document(path if hasattr(path, "read") else str(path))
        numbering = _Numbering(document)
        styles: dict[str | None, tuple[str, object]] = {}   # style id -> (name, numPr of its style chain)

        def style_of(block) -> tuple[str, object]:
            style_id = block._p.style
            got = styles.get(style_id)
            if got is None:     # looked up once per style id: python-docx scans every style on each lookup
                style = document.part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
                got = styles[style_id] = ((style.name if style is not None else "") or "", _style_num_pr(style))
            return got

        lines: list[str] = []
        for n, block in enumerate(document.iter_inner_content()):
            if deadline is not None and n % 512 == 0 and time.monotonic() > deadline:
                raise FormatError(f"reading the DOCX took over {timeout:g} s (setting parse_timeout); split it")
            if isinstance(block, Table):
                for row in block.rows:
                    lines.append(" | ".join(" ".join(cell.text.split()) for cell in row.cells))
                lines.append("")
                continue
            text = _para_text(block._p).strip()
            if not text:
                continue
            style, style_num = style_of(block)
            label = numbering.label(block, style_num)
            text = f"{label} {text}" if label else text
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if m:
                lines.append("#" * min(int(m.group(1)), 6) + " " + text)
            elif style.lower() == "title":
                lines.append("# " + text)
            elif label is None and "List" in style:
                lines.append("- " + text)
            else:
                lines.extend(split_lines(text))
            lines.append("")
    except FormatError:
        raise
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FormatError(f"DOCX is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    except MemoryError:
        raise FormatError("DOCX is too large to read in memory; split the document") from None
    except Exception as exc:  # python-docx raises assorted errors on damaged packages
        if type(exc).__module__.startswith("lxml"):    # XPathEvalError: unknown error, XMLSyntaxError...
            raise FormatError(f"DOCX's XML cannot be read ({type(exc).__name__}: {exc or 'no detail'}): the file is "
                              f"damaged or too large; open it in Word and save it again") from None
        raise FormatError(f"DOCX cannot be opened ({type(exc).__name__}: {exc})") from None
    return lines


_RUN = f"{_W}r"
_LINK = f"{_W}hyperlink"
_RUN_TEXT = {f"{_W}{name}" for name in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab")}


def _para_text(p) -> str:
    """``Paragraph.text`` (its runs and hyperlinks' runs) without an XPath query per paragraph and per run:
    those made a 98k-paragraph DOCX take minutes."""
    parts: list[str] = []
    for child in p:
        if child.tag == _RUN:
            parts.extend(str(e) for e in child if e.tag in _RUN_TEXT)
        elif child.tag == _LINK:
            for run in child:
                if run.tag == _RUN:
                    parts.extend(str(e) for e in run if e.tag in _RUN_TEXT)
    return "".join(parts)


class _Numbering:
    """Word's automatic paragraph numbering, replayed: ``numId``/``ilvl`` -> ``"1."``, ``"一、"``, ``"-"``."""

    def __init__(self, document):
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}   # (numId, ilvl) -> (fmt, lvlText, start)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in root.iter(f"{_W}abstractNum")}
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = abstract.get(ref.get(f"{_W}val")) if ref is not None else None
            for lvl in levels.iter(f"{_W}lvl") if levels is not None else ():
                fmt, text, start = lvl.find(f"{_W}numFmt"), lvl.find(f"{_W}lvlText"), lvl.find(f"{_W}start")
                self.formats[(num.get(f"{_W}numId"), int(lvl.get(f"{_W}ilvl", "0")))] = (
                    fmt.get(f"{_W}val") if fmt is not None else "decimal",
                    text.get(f"{_W}val") if text is not None else f"%{int(lvl.get(f'{_W}ilvl', '0')) + 1}.",
                    int(start.get(f"{_W}val")) if start is not None else 1)

    def label(self, para, style_num_pr=None) -> str | None:
        """The number Word shows before ``para`` (``"-"`` for bullets), or None when it is not numbered.

        ``style_num_pr``: the numbering its style chain gives (:func:`_style_num_pr`), used when the
        paragraph has none of its own.
        """
        ppr = para._p.pPr
        num_pr = ppr.numPr if ppr is not None and ppr.numPr is not None else style_num_pr
        if num_pr is None:
            return None
        num_id = num_pr.find(f"{_W}numId")
        ilvl = num_pr.find(f"{_W}ilvl")
        num_id = num_id.get(f"{_W}val") if num_id is not None else None
        level = int(ilvl.get(f"{_W}val")) if ilvl is not None else 0
        if not num_id or num_id == "0" or (num_id, level) not in self.formats:
            return None
        fmt, _text, _start = self.formats[(num_id, level)]
        if fmt in ("bullet", "none"):
            return "-"
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[level] = (counts[level] or self.formats[(num_id, level)][2] - 1) + 1
        for deeper in range(level + 1, 9):
            counts[deeper] = 0
        return re.sub(r"%(\d)", lambda m: self._format(num_id, int(m.group(1)) - 1, counts), _text).strip()

    def _format(self, num_id: str, level: int, counts: list[int]) -> str:
        fmt = self.formats.get((num_id, level), ("decimal", "", 1))[0]
        n = counts[level] or self.formats.get((num_id, level), ("", "", 1))[2]
        if fmt.startswith(("chinese", "ideograph", "japaneseCounting", "taiwaneseCounting")):
            return _chinese(n)
        if fmt in ("lowerLetter", "upperLetter"):
            letter = chr(ord("a") + (n - 1) % 26)
            return letter.upper() if fmt == "upperLetter" else letter
        return str(n)


def _style_num_pr(style):
    """The numbering a paragraph style gives (``List Number``), inherited from its base styles, or None."""
    while style is not None:   # numbering inherited from the style (``List Number``) or its base styles
        sppr = style.element.pPr
        if sppr is not None and sppr.numPr is not None:
            return sppr.numPr
        style = style.base_style
    return None


def _chinese(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十, 105 -> 一百零五 (enough for question numbers)."""
    if n < 10:
        return _CN[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    tail = "" if not rest else ("零" + _CN[rest] if rest < 10 else ("一" if rest < 20 else "") + _chinese(rest))
    return _CN[hundreds % 10] + "百" + tail


# -- HTML ---------------------------------------------------------------------

# presentational wrappers with no markdown meaning: dropped before parsing (200 unclosed ``<font>`` nest 200 deep)
_TRANSPARENT = re.compile(r"</?(?:font|span|o:p)\b[^<>]*>", re.IGNORECASE)


def html_lines(text: str, max_depth: int = 120) -> list[str]:
    """Markdown lines of an HTML page: headings as ``#``, lists, tables, ``<pre>`` as code fences.

    The converter recurses once per nested tag, so a page nesting tags deeper than ``max_depth``
    (setting ``html_max_depth``) is refused before converting, with a :class:`FormatError`.
    """
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(_TRANSPARENT.sub("", text), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    depth = tag_depth(soup)
    if depth > max_depth:
        raise FormatError(f"HTML nests tags {depth} deep, over the limit of {max_depth} (setting html_max_depth)")
    converter = MarkdownConverter(heading_style="ATX", bullets="-", escape_asterisks=False,
                                  escape_underscores=False, escape_misc=False)
    try:
        markdown = converter.convert_soup(soup)
    except RecursionError:
        raise FormatError(f"HTML nests tags too deeply to convert (limit {max_depth}, setting html_max_depth)") from None
    return [line.rstrip() for line in split_lines(markdown.strip("\n"))]


def tag_depth(soup) -> int:
    """How deep tags nest below ``soup`` (iterative: safe on any depth)."""
    from bs4 import Tag

    deepest, stack = 0, [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return deepest
