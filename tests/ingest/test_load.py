"""Loaders: fixture banks in every supported format and encoding (generated in tmp_path), and bad files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.load import MAX_BYTES, LoadError, decode_text, find_files, load
from ingest.pipeline import make_items

QUESTIONS = ["什么是过拟合？", "什么是梯度消失？", "如何实现Dropout？"]
ANSWERS = ["模型在训练集上表现好，在测试集上表现差。", "梯度在反向传播中逐层变小，前面的层学不动。", "训练时随机把一部分神经元置零。"]


def bank_text(fmt: str = "### {n}. {q}") -> str:
    """A small bank: a title, three numbered questions, an answer with a numbered list and one with code."""
    parts = ["# 深度学习面试题", ""]
    for n, (q, a) in enumerate(zip(QUESTIONS, ANSWERS), 1):
        parts += [fmt.format(n=n, q=q), "", a, ""]
        if n == 1:
            parts += ["解决方法：", "", "1. 正则化：", "2. 数据增强：", ""]
        if n == 3:
            parts += ["```python", "# 1. build the layer", "layer = torch.nn.Dropout(0.5)", "```", ""]
    return "\n".join(parts)


def summary(path: Path):
    """(number, question, lines, page) of each item of a loaded bank."""
    return [(it.number, it.question, it.lines, it.page) for it in make_items(load(path), path.stem)]


MD_EXPECTED = [(1, QUESTIONS[0], (3, 10), None), (2, QUESTIONS[1], (12, 14), None), (3, QUESTIONS[2], (16, 23), None)]


# -- text formats and encodings ---------------------------------------------------------------

def test_markdown_bank(tmp_path):
    path = tmp_path / "bank.md"
    path.write_text(bank_text(), encoding="utf-8")
    doc = load(path)
    assert (doc.fmt, doc.encoding, doc.title, doc.file, doc.has_lines) == ("md", "utf-8", "深度学习面试题", "bank.md", True)
    assert summary(path) == MD_EXPECTED
    items = make_items(doc, "bank")
    assert [it.id for it in items] == ["bank-1", "bank-2", "bank-3"]
    assert "1. 正则化：\n2. 数据增强：" in items[0].answer
    assert items[2].answer.endswith("```python\n# 1. build the layer\nlayer = torch.nn.Dropout(0.5)\n```")
    # the cited lines are the lines of the file itself
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [lines[it.lines[0] - 1] for it in items] == [f"### {n}. {q}" for n, q in enumerate(QUESTIONS, 1)]


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
    ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32", "utf-32"), ("big5", "big5"),
])
def test_text_bank_encodings(tmp_path, encoding, detected):
    text = bank_text("{n}.{q}").replace("# 深度学习面试题", "深度学习面试题")
    if encoding == "big5":
        text = text.replace("过拟合", "過擬合").replace("梯度消失", "梯度消失").replace("实现", "實現")
        text = text.encode("big5", errors="ignore").decode("big5")
    if encoding == "gb18030":
        text = text.replace("深度学习面试题", "深度学习面试题 𠮷€")   # characters GBK cannot encode
    path = tmp_path / f"bank_{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    doc = load(path)
    assert doc.encoding == detected
    assert list(doc.lines) == text.split("\n")
    assert not doc.lines[0].startswith("\ufeff")
    assert [(n, lines) for n, _q, lines, _p in summary(path)] == [(1, (3, 10)), (2, (12, 14)), (3, (16, 23))]
    assert [q for _n, q, _l, _p in summary(path)] == [line.split(".", 1)[1] for line in
                                                     (text.split("\n")[2], text.split("\n")[11], text.split("\n")[15])]


def test_short_gbk_text_is_not_mistaken_for_another_encoding():
    for text in ["1. 什么是过拟合？\n答：模型", "问：梯度消失\n答：用ReLU", "1、什么是BERT？\n"]:
        assert decode_text(text.encode("gbk")) == (text, "gb18030")


def test_crlf_and_lone_cr_line_ends_number_like_an_editor(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes("## 1. 什么是A？\r\nA。\r\n\r\n## 2. 什么是B？\rB。\x0c还是这一行\r\n".encode())
    assert summary(path) == [(1, "什么是A？", (1, 2), None), (2, "什么是B？", (4, 5), None)]


def test_utf8_with_one_broken_character_still_loads(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes("1. 什么是A？\n答案A。\n2. 什么是B？\n答案B。".encode()[:-2])
    doc = load(path)
    assert doc.encoding == "utf-8" and doc.lines[2] == "2. 什么是B？"


# -- DOCX --------------------------------------------------------------------------------

def test_docx_with_heading_styles(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("深度学习面试题", level=1)
    for n, (q, a) in enumerate(zip(QUESTIONS, ANSWERS), 1):
        d.add_heading(f"{n}. {q}", level=2)
        d.add_paragraph(a)
        if n == 2:
            table = d.add_table(rows=2, cols=2)
            for r, row in enumerate([("激活函数", "问题"), ("sigmoid", "饱和")]):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    path = tmp_path / "bank.docx"
    d.save(path)
    doc = load(path)
    assert (doc.fmt, doc.title, doc.has_lines) == ("docx", "深度学习面试题", False)
    items = make_items(doc, "bank")
    assert [(it.number, it.question, it.answer, it.lines) for it in items] == [
        (1, QUESTIONS[0], ANSWERS[0], None),
        (2, QUESTIONS[1], ANSWERS[1] + "\n\n激活函数 | 问题\nsigmoid | 饱和", None),
        (3, QUESTIONS[2], ANSWERS[2], None)]


def test_docx_with_automatic_numbering(tmp_path):
    """Word's ``List Number`` paragraphs carry no number in their text: the loader writes it out."""
    import docx

    d = docx.Document()
    d.add_paragraph("深度学习面试题", style="Title")
    for q, a in zip(QUESTIONS, ANSWERS):
        d.add_paragraph(q, style="List Number")
        d.add_paragraph(a)
        d.add_paragraph("要点", style="List Bullet")
    path = tmp_path / "numbered.docx"
    d.save(path)
    doc = load(path)
    assert doc.title == "深度学习面试题"
    assert [line for line in doc.lines if line[:1].isdigit()] == [f"{n}. {q}" for n, q in enumerate(QUESTIONS, 1)]
    items = make_items(doc, "numbered")
    assert [(it.number, it.question) for it in items] == list(enumerate(QUESTIONS, 1))
    assert items[0].answer == ANSWERS[0] + "\n\n- 要点"


def test_docx_chinese_numbering_format(tmp_path):
    """A numbering definition with ``chineseCounting`` and ``%1、`` renders as 一、二、三、."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    numbering = d.part.numbering_part.element
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering.append(parse_xml(
        f'<w:abstractNum {ns} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        f'<w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {ns} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for q, a in zip(QUESTIONS, ANSWERS):
        p = d.add_paragraph(q)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {ns}><w:ilvl w:val="0"/><w:numId w:val="90"/></w:numPr>'))
        d.add_paragraph(a)
    path = tmp_path / "cn.docx"
    d.save(path)
    assert [line for line in load(path).lines if line.strip()][::2] == [f"{n}、 {q}" for n, q in zip("一二三", QUESTIONS)]
    assert [(n, q) for n, q, _l, _p in summary(path)] == list(enumerate(QUESTIONS, 1))


# -- PDF ---------------------------------------------------------------------------------

def write_pdf(path: Path, pages: list[list[str]]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    for page in pages:
        c.setFont("STSong-Light", 12)
        for k, line in enumerate(page):
            c.drawString(50, 800 - 20 * k, line)
        c.showPage()
    c.save()


def test_pdf_bank_over_several_pages(tmp_path):
    path = tmp_path / "bank.pdf"
    write_pdf(path, [
        ["深度学习面试题", f"1. {QUESTIONS[0]}", ANSWERS[0], "解决方法：", "1. 正则化：", "2. 数据增强：",
         f"2. {QUESTIONS[1]}", ANSWERS[1]],
        ["(接上页) 可以用 ReLU 缓解。", f"3. {QUESTIONS[2]}", ANSWERS[2]],
        [f"4. 什么是BN？", "批量归一化。"],
    ])
    doc = load(path)
    assert (doc.fmt, doc.has_lines) == ("pdf", False)
    assert set(doc.pages) == {1, 2, 3} and len(doc.pages) == len(doc.lines)
    items = make_items(doc, "bank")
    assert [(it.number, it.question, it.page, it.lines) for it in items] == [
        (1, QUESTIONS[0], 1, None), (2, QUESTIONS[1], 1, None), (3, QUESTIONS[2], 2, None), (4, "什么是BN？", 3, None)]
    assert "1. 正则化：" in items[0].answer
    assert "可以用 ReLU 缓解" in items[1].answer    # an answer runs over the page break
    assert items[2].public()["page"] == 2


def test_pdf_without_text_layer(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 200, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(LoadError, match="no text found.*OCR"):
        load(path)


# -- HTML --------------------------------------------------------------------------------

def test_html_bank(tmp_path):
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>
<style>h2 {{ color: red }}</style><script>var questions = 1;</script></head><body>
<h1>机器学习面试题</h1>
<h2>1. {QUESTIONS[0]}</h2><p>{ANSWERS[0]}</p>
<h3>解决方法</h3><ol><li>正则化</li><li>数据增强</li></ol>
<h2>2. {QUESTIONS[1]}</h2><div>{ANSWERS[1]}</div>
<h2>3. {QUESTIONS[2]}</h2><p>示例：</p>
<pre><code># 2. not a question
import torch

layer = torch.nn.Dropout(0.5)
</code></pre>
</body></html>"""
    path = tmp_path / "bank.html"
    path.write_text(html, encoding="utf-8")
    doc = load(path)
    assert (doc.fmt, doc.title, doc.has_lines) == ("html", "机器学习面试题", False)
    assert not any("var questions" in line or "color: red" in line for line in doc.lines)
    items = make_items(doc, "bank")
    assert [(it.number, it.question) for it in items] == list(enumerate(QUESTIONS, 1))
    assert items[0].answer == f"{ANSWERS[0]}\n\n### 解决方法\n\n1. 正则化\n2. 数据增强"
    assert items[1].answer == ANSWERS[1]
    assert items[2].answer == "示例：\n\n```\n# 2. not a question\nimport torch\n\nlayer = torch.nn.Dropout(0.5)\n```"


def test_gbk_html(tmp_path):
    path = tmp_path / "gbk.htm"
    path.write_bytes(f'<html><meta charset="gbk"><h2>1. {QUESTIONS[0]}</h2><p>{ANSWERS[0]}</p>'
                     f'<h2>2. {QUESTIONS[1]}</h2><p>{ANSWERS[1]}</p></html>'.encode("gbk"))
    assert [(n, q) for n, q, _l, _p in summary(path)] == [(1, QUESTIONS[0]), (2, QUESTIONS[1])]


# -- bad files ---------------------------------------------------------------------------

def _pdf_bytes(tmp_path) -> bytes:
    path = tmp_path / "good.pdf"
    write_pdf(path, [[f"1. {QUESTIONS[0]}", ANSWERS[0]], [f"2. {QUESTIONS[1]}", ANSWERS[1]]])
    return path.read_bytes()


def _docx_bytes(tmp_path) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading(f"1. {QUESTIONS[0]}", level=2)
    d.add_paragraph(ANSWERS[0])
    path = tmp_path / "good.docx"
    d.save(path)
    return path.read_bytes()


BAD_FILES = {
    "binary.txt": (lambda tmp: bytes(range(256)) * 64, r"binary\.txt: looks like a binary file \(NUL bytes\)"),
    "binary_no_nul.md": (lambda tmp: bytes(range(128, 256)) * 40, r"binary_no_nul\.md: text is in an unknown encoding"),
    "empty.md": (lambda tmp: b"", r"empty\.md: file is empty \(0 bytes\)"),
    "blank.txt": (lambda tmp: b" \n\t\r\n  \n", r"blank\.txt: file is empty \(only whitespace\)"),
    "blank16.txt": (lambda tmp: "  \n\n ".encode("utf-16"), r"blank16\.txt: no text found in the file \(only whitespace\)"),
    "bad_utf16.txt": (lambda tmp: "\ufeff1. 什么".encode("utf-16-le")[:-1],
                      r"bad_utf16\.txt: text starts with a UTF-16 byte-order mark but is not valid UTF-16"),
    "truncated.pdf": (lambda tmp: _pdf_bytes(tmp)[:700], r"truncated\.pdf: PDF is corrupt or truncated"),
    "truncated.docx": (lambda tmp: _docx_bytes(tmp)[:3000], r"truncated\.docx: DOCX is corrupt or truncated"),
    "notes.docx": (lambda tmp: "1. 什么是A？ plain text named .docx".encode(), r"notes\.docx: DOCX is corrupt or truncated"),
    "fake.pdf": (lambda tmp: b"%PDF-1.4\n" + os.urandom(500).replace(b"\x00", b"\x01"), r"fake\.pdf: PDF is corrupt or truncated"),
    "bank.doc": (lambda tmp: b"\xd0\xcf\x11\xe0 legacy word", r"bank\.doc: unsupported file type '\.doc'; supported: "),
    "noext": (lambda tmp: b"1. q\nanswer", r"noext: unsupported file type '\(none\)'"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gives_a_clear_load_error(tmp_path, name):
    make, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    with pytest.raises(LoadError, match=message) as info:
        load(path)
    assert info.value.path == str(path) and info.value.reason and "Traceback" not in str(info.value)


def test_truncated_pdf_at_many_points_never_raises_anything_but_load_error(tmp_path):
    data = _pdf_bytes(tmp_path)
    path = tmp_path / "cut.pdf"
    for cut in range(1, len(data), max(1, len(data) // 40)):
        path.write_bytes(data[:cut])
        try:
            load(path)
        except LoadError as exc:
            assert "cut.pdf" in str(exc)


def test_truncated_docx_at_many_points_never_raises_anything_but_load_error(tmp_path):
    data = _docx_bytes(tmp_path)
    path = tmp_path / "cut.docx"
    for cut in range(1, len(data), max(1, len(data) // 25)):
        path.write_bytes(data[:cut])
        with pytest.raises(LoadError, match="cut.docx"):
            load(path)


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.md"
    path.write_text(bank_text(), encoding="utf-8")
    with pytest.raises(LoadError, match=r"big\.md: file is 0\.0 MB, over the 0 MB limit"):
        load(path, max_bytes=100)
    assert len(load(path, max_bytes=10_000).lines) > 3


def test_real_51_mb_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:    # sparse: instant, takes no disk space
        f.truncate(51 * 1024 * 1024)
    assert MAX_BYTES == 50 * 1024 * 1024
    with pytest.raises(LoadError, match=r"huge\.txt: file is 51\.0 MB, over the 50 MB limit"):
        load(path)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(LoadError, match=r"gone\.md: cannot be read"):
        load(tmp_path / "gone.md")
    if os.geteuid() != 0:   # root reads anything
        path = tmp_path / "locked.md"
        path.write_text("1. a\nb", encoding="utf-8")
        path.chmod(0)
        with pytest.raises(LoadError, match=r"locked\.md: cannot be read \(Permission denied\)"):
            load(path)


def test_find_files_reports_unsupported_and_missing_paths(tmp_path):
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.TXT").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "c.pptx").write_bytes(b"x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.md").write_text("x", encoding="utf-8")
    (tmp_path / "titles.json").write_text("{}", encoding="utf-8")
    files, skipped = find_files([tmp_path, tmp_path / "a.md", tmp_path / "nope.md", tmp_path / "sub" / "c.pptx"])
    assert [f.name for f in files] == ["a.md", "b.TXT"]
    reasons = {Path(name).name: reason for name, reason in skipped}
    assert reasons["nope.md"] == "no such file or folder"
    assert reasons["c.pptx"].startswith("unsupported file type '.pptx'")
    assert "titles.json" not in reasons and "d.md" not in reasons
