"""Hostile bank files for the reliability tests and for docs/reliability.md's figures (issue 18).

Each builder writes one file and returns its path. They are small on disk (the point of most of them:
a few KB or MB that would cost gigabytes or minutes to read without limits).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

GOOD_QA = "## 1. 什么是过拟合？\n\n模型在训练集上表现好、在测试集上表现差。\n\n## 2. 什么是欠拟合？\n\n模型在训练集上也表现差。\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')
_DOC_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_DOC_TAIL = '</w:body></w:document>'


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def write_docx(path: Path, body_chunks, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal DOCX whose ``word/document.xml`` is the concatenation of ``body_chunks`` (streamed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(_DOC_HEAD.encode())
            for chunk in body_chunks:
                f.write(chunk.encode())
            f.write(_DOC_TAIL.encode())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def good_docx(path: Path) -> Path:
    return write_docx(path, [_para("1. 什么是过拟合？"), _para("模型在训练集上表现好、在测试集上表现差。"),
                             _para("2. 什么是欠拟合？"), _para("模型在训练集上也表现差。")])


def docx_bomb(path: Path, mb: int = 1000) -> Path:
    """A DOCX whose document.xml unzips to ``mb`` MB of empty paragraphs (a few MB on disk)."""
    unit = _para("") * 1000
    repeat = mb * 2**20 // len(unit)
    return write_docx(path, (unit for _ in range(repeat)))


def docx_many_entries(path: Path, n: int = 20_000) -> Path:
    """A valid DOCX carrying ``n`` tiny extra zip entries."""
    return write_docx(path, [_para("1. 什么是过拟合？"), _para("答案。")],
                      extra={f"customXml/item{k}.xml": b"<a/>" for k in range(n)})


def docx_many_paragraphs(path: Path, n: int = 98_000) -> Path:
    """A DOCX of ``n`` short paragraphs (two questions, then filler): ~55 KB on disk."""
    head = [_para("1. 什么是过拟合？"), _para("模型在训练集上表现好、在测试集上表现差。"),
            _para("2. 什么是欠拟合？"), _para("模型在训练集上也表现差。")]
    return write_docx(path, head + [_para("备注") for _ in range(n - 4)])


def nested_html(path: Path, depth: int = 400, tag: str = "div") -> Path:
    text = ("<html><body>" + f"<{tag}>" * depth + "<h2>1. 什么是过拟合？</h2><p>训练好测试差。</p>"
            + f"</{tag}>" * depth + "</body></html>")
    path.write_text(text, encoding="utf-8")
    return path


def unclosed_font_html(path: Path, count: int = 200) -> Path:
    """200 unclosed ``<font><b>`` pairs: html.parser nests every one inside the one before."""
    text = "<html><body><h2>1. 什么是过拟合？</h2><p>" + "<font size=2><b>训练好测试差 " * count + "</p></body></html>"
    path.write_text(text, encoding="utf-8")
    return path


def long_paragraph_md(path: Path, chars: int = 1_000_000) -> Path:
    """A bank whose first answer is one paragraph of ``chars`` characters (no line break)."""
    sentence = "过拟合是指模型在训练集上表现很好但在测试集上表现很差的现象，"
    body = (sentence * (chars // len(sentence) + 1))[:chars]
    path.write_text(f"# 面试题\n\n## 1. 什么是过拟合？\n\n{body}\n\n## 2. 什么是欠拟合？\n\n训练集上也差。\n",
                    encoding="utf-8")
    return path


def one_line_file(path: Path, mb: int = 19) -> Path:
    """A single line of ``mb`` MB (ASCII words, no line break at all)."""
    word = b"overfitting "
    with open(path, "wb") as f:
        f.write(b"1. What is overfitting? ")
        block = word * (2**20 // len(word))
        for _ in range(mb):
            f.write(block)
    return path


def repeated_question_md(path: Path, copies: int = 12_000) -> Path:
    """One question asked ``copies`` times (numbered 1..copies, the same words each time)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("# 重复题库\n\n")
        for k in range(1, copies + 1):
            f.write(f"## {k}. 什么是过拟合？\n\n模型在训练集上表现好、在测试集上表现差。\n\n")
    return path


def gbk_behind_utf8_bom(path: Path) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_QA.encode("gbk"))
    return path
