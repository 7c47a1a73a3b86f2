"""Hostile bank files (issue 18, items 6-8, 13, 14): each is refused in one line naming the file, the limit and
the setting, or read within bounded memory and time; one such file never stops an ingest or ``qbank serve``.

Figures (peak RSS and time for each file, the limit that stopped it) are in docs/reliability.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.load import LoadError, load
from tests.reliability import hostile
from tests.support import run_cli, start_serve, stop_serve, free_port

OTHER_BANK = "## 1. 什么是潮汐学习率？\n\n学习率随潮汐周期变化。\n\n## 2. 什么是珊瑚礁采样？\n\n按礁石分层抽样。\n"


# -- 6. deep HTML ---------------------------------------------------------------------------------

@pytest.mark.parametrize("build", [lambda p: hostile.nested_html(p, 400, "div"),
                                   lambda p: hostile.unclosed_font_html(p, 200)], ids=["400-divs", "200-fonts"])
def test_deeply_nested_html_is_a_load_error_naming_the_limit(tmp_path, build):
    path = build(tmp_path / "deep.html")
    t0 = time.perf_counter()
    with pytest.raises(LoadError) as info:
        load(path)
    assert time.perf_counter() - t0 < 5
    assert str(info.value).startswith("deep.html: HTML nests tags")
    assert "limit of 120" in str(info.value) and "html_max_depth" in str(info.value)


def test_html_under_the_depth_limit_still_converts(tmp_path):
    doc = load(hostile.nested_html(tmp_path / "ok.html", 60, "div"))
    assert "## 1. 什么是过拟合？" in doc.lines
    font = tmp_path / "font.html"      # font / span wrappers do not count: 300 of them convert
    font.write_text("<h2>1. 什么是过拟合？</h2><p>" + "<font size=2>训练好测试差 " * 300 + "</p>", encoding="utf-8")
    assert any("训练好测试差" in line for line in load(font).lines)


def test_a_deep_html_file_never_stops_later_ingests(tiny, tmp_path):
    from ingest.pipeline import ingest

    banks = tmp_path / "banks"
    banks.mkdir()
    hostile.nested_html(banks / "deep.html", 400)
    hostile.unclosed_font_html(banks / "fonts.html", 200)
    (banks / "good.md").write_text(OTHER_BANK, encoding="utf-8")
    report = ingest(tiny, [banks], progress=False)
    refused = {Path(name).name: reason for name, reason in report.errors}
    assert set(refused) == {"deep.html", "fonts.html"}, report.errors
    assert all("html_max_depth" in r for r in refused.values())
    assert report.items == 4
    (banks / "later.md").write_text("## 1. 什么是蚁群剪枝？\n\n用信息素决定保留哪些连接。\n", encoding="utf-8")
    again = ingest(tiny, progress=False)     # the next ingest (an upload, say) still works
    assert again.items == 5 and {Path(n).name for n, _ in again.errors} == {"deep.html", "fonts.html"}


def test_serve_starts_with_a_deep_html_file_in_a_registered_folder(rel_home, tmp_path):
    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "good.md").write_text(OTHER_BANK, encoding="utf-8")
    assert run_cli(rel_home, "ingest", str(banks)).returncode == 0
    hostile.nested_html(banks / "deep.html", 400)          # added after: serve finds the folder changed
    proc = start_serve(rel_home, free_port())
    try:
        assert proc.poll() is None
    finally:
        stop_serve(proc)
    log = (rel_home / "serve.log").read_text()
    assert "Traceback" not in log and "RecursionError" not in log
    assert "deep.html: HTML nests tags" in log or "deep.html" in log


# -- 7. memory ----------------------------------------------------------------------------------

def peak_rss_ingest(home: Path, path: Path, limit_mb: float = 2048, timeout: float = 600) -> tuple[float, float, str]:
    """Run ``qbank ingest PATH`` and sample its RSS (children included) every 50 ms; kill it past ``limit_mb``.

    Returns ``(peak MB, seconds, stderr)``; a run killed over the limit fails the test at once.
    """
    import os
    import subprocess
    import sys

    import psutil

    env = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1")
    t0 = time.monotonic()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "qbank"), "ingest", str(path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watched, peak = psutil.Process(proc.pid), 0.0
    import threading

    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
        except psutil.Error:
            rss = 0
        peak = max(peak, rss / 2**20)
        if peak > limit_mb:
            proc.kill()
            pytest.fail(f"qbank ingest {path.name} went over {limit_mb} MB (killed)")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail(f"qbank ingest {path.name} took over {timeout} s (killed)")
        time.sleep(0.05)
    reader.join(10)
    return peak, time.monotonic() - t0, "".join(err)


def test_docx_bomb_is_refused_from_its_zip_directory_before_parsing(tmp_path):
    bomb = hostile.docx_bomb(tmp_path / "bomb.docx", 300)
    assert bomb.stat().st_size < 2 * 2**20            # 300 MB of XML in under 2 MB
    t0 = time.perf_counter()
    with pytest.raises(LoadError, match=r"bomb\.docx: DOCX unzips to 300 MB, over the limit of 100 MB "
                                        r"\(setting docx_max_unzipped_mb\)"):
        load(bomb)
    assert time.perf_counter() - t0 < 2
    with pytest.raises(LoadError, match=r"over the limit of 2000 \(setting docx_max_entries\)"):
        load(hostile.docx_many_entries(tmp_path / "entries.docx", 3000))
    with pytest.raises(LoadError, match=r"DOCX text \(XML\) unzips to 60 MB, over the limit of 40 MB "
                                        r"\(setting docx_max_xml_mb\)"):
        from ingest.load import Limits

        load(hostile.docx_bomb(tmp_path / "xml.docx", 60), limits=Limits(docx_max_unzipped_mb=1000))
    assert "1. 什么是过拟合？" in load(hostile.good_docx(tmp_path / "good.docx")).lines


def test_text_over_max_file_chars_is_refused_in_one_line(tmp_path):
    from ingest.load import Limits

    path = hostile.one_line_file(tmp_path / "line.txt", 4)
    with pytest.raises(LoadError, match=r"^line\.txt: text is 4,194,312 characters, over the limit of 3,000,000 "
                                        r"\(setting max_file_chars\)"):
        load(path)
    assert len(load(path, limits=Limits(max_file_chars=5_000_000)).lines) == 1


def test_embedded_texts_and_items_are_bounded_with_a_note(tiny, tmp_path, monkeypatch):
    """A 1 MB paragraph: the item is cut at max_item_chars, each embedded text at embed_max_chars (in pieces)."""
    import ingest.pipeline as pipeline

    seen: list[int] = []
    real = pipeline.start_embedding

    def spy(embedder, texts_per_file, *args, **kwargs):
        seen.extend(len(t) for texts in texts_per_file for t in texts)
        if max(seen) > 8_000:
            raise AssertionError(f"a text of {max(seen)} characters was sent to the embedder")
        return real(embedder, texts_per_file, *args, **kwargs)

    monkeypatch.setattr(pipeline, "start_embedding", spy)
    bank = hostile.long_paragraph_md(tmp_path / "long.md", 1_000_000)
    report = pipeline.ingest(tiny, [bank], progress=False)
    assert report.items == 4 and max(seen) <= 8_000
    notes = " ".join(w for name, w in report.warnings if name == "long.md")
    assert "1 item(s) over 50,000 characters were cut to that length (setting max_item_chars" in notes
    from ingest import store

    index = store.load(tiny.index_root)
    item = next(it for it in index.items if it.file == "long.md" and it.number == 1)
    assert len(item.answer) < 50_100 and item.answer.endswith("(setting max_item_chars)]")
    # below max_item_chars, a passage longer than embed_max_chars is embedded in pieces, with its own note
    small = tiny.replace(embed_max_chars=3_000)
    seen.clear()
    report = pipeline.ingest(small, rebuild=True, progress=False)
    assert max(seen) <= 3_000
    assert any("embedded in pieces of that length (setting embed_max_chars)" in w for _, w in report.warnings)


def test_a_question_repeated_12000_times_links_each_copy_to_a_few_not_all():
    from ingest.items import QAItem
    from ingest.pipeline import link_duplicates

    items = [QAItem(id=f"rep-{k}", doc="d", file="rep.md", number=k, question="什么是过拟合？", answer="训练好测试差。",
                    lines=(k, k)) for k in range(1, 12_001)]
    t0 = time.perf_counter()
    linked = link_duplicates(items)        # max_links: the setting max_duplicate_links, default 20
    assert time.perf_counter() - t0 < 5
    assert all(len(it.duplicates) == 20 and it.id not in it.duplicates for it in linked)
    assert {it.dup_group for it in linked} == {"rep-1"}
    assert linked[0].duplicates == tuple(f"rep-{k}" for k in range(2, 22))
    import json

    size = sum(len(json.dumps(it.to_dict(), ensure_ascii=False)) for it in linked)
    assert size < 10 * 2**20, size            # was 1.7 GB: every copy listed every other copy
    small = link_duplicates(items[:3])        # small groups still list every other member
    assert [it.duplicates for it in small] == [("rep-2", "rep-3"), ("rep-1", "rep-3"), ("rep-1", "rep-2")]
    assert QAItem.from_dict(small[0].to_dict()) == small[0]


def test_duplicates_still_merge_in_search_and_interviews(tiny, tmp_path):
    from ingest.pipeline import ingest
    from rag.searcher import Searcher

    bank = tmp_path / "rep.md"
    hostile.repeated_question_md(bank, 30)
    assert ingest(tiny, [bank], progress=False).items == 32
    searcher = Searcher(tiny)
    result = searcher.search("什么是过拟合？")
    questions = [h.item.question for h in result.hits]
    assert questions.count("什么是过拟合？") <= 2, questions   # the group is one hit (its head links 20 copies)


@pytest.mark.parametrize("name", ["docx-bomb-1GB.docx", "paragraph-1MB.md", "one-line-19MB.txt"])
def test_peak_rss_of_an_ingest_stays_under_2_gb_whatever_the_file(rel_home, tmp_path, name):
    from bench.hostile import FILES

    path = FILES[name](tmp_path / name)
    assert path.stat().st_size <= 20 * 2**20          # within the upload limit
    peak, seconds, err = peak_rss_ingest(rel_home, path)
    assert "Traceback" not in err, err[-2000:]
    assert peak < 2048, (name, peak)
    print(f"{name}: peak {peak:.0f} MB, {seconds:.1f} s")


# -- 8. parse time and the parse cache ------------------------------------------------------------

def test_a_98k_paragraph_docx_parses_in_seconds(tmp_path):
    path = hostile.docx_many_paragraphs(tmp_path / "many.docx", 98_000)
    assert path.stat().st_size < 60_000
    t0 = time.perf_counter()
    doc = load(path)
    seconds = time.perf_counter() - t0
    assert doc.lines[0] == "1. 什么是过拟合？" and len(doc.lines) == 196_000
    assert seconds < 20, seconds        # was 57 s quiet, 144 s on this busy machine


def test_parse_time_is_bounded_by_parse_timeout(tmp_path):
    from ingest.load import Limits

    path = hostile.docx_many_paragraphs(tmp_path / "many.docx", 98_000)
    t0 = time.perf_counter()
    with pytest.raises(LoadError, match=r"^many\.docx: reading the DOCX took over 0\.2 s \(setting parse_timeout\)"):
        load(path, limits=Limits(parse_timeout=0.2))
    assert time.perf_counter() - t0 < 5


def test_an_unchanged_file_is_never_parsed_twice(tiny, tmp_path, monkeypatch):
    import ingest.load as loader
    from ingest.pipeline import ingest

    calls: list[str] = []
    real = loader.docx_lines

    def counting(*args, **kwargs):
        calls.append("docx")
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "docx_lines", counting)
    banks = tmp_path / "banks"
    banks.mkdir()
    hostile.docx_many_paragraphs(banks / "many.docx", 20_000)
    hostile.good_docx(banks / "good.docx")
    first = ingest(tiny, [banks], progress=False)
    assert first.items > 2 and len(calls) == 2
    (banks / "more.md").write_text(OTHER_BANK, encoding="utf-8")
    t0 = time.perf_counter()
    second = ingest(tiny, progress=False)       # another upload: the two DOCX are not parsed again
    assert len(calls) == 2 and second.items == first.items + 2
    assert list((tiny.cache_dir / "parsed").glob("*.json"))
    # a refusal is remembered too: a file over parse_timeout costs its timeout once, not on every ingest
    slow = tiny.replace(parse_timeout=0.05)
    r1 = ingest(slow, progress=False)
    r2 = ingest(slow, progress=False)
    assert [e for e in r1.errors if "many.docx" in e[0]] == [e for e in r2.errors if "many.docx" in e[0]]
    assert any("setting parse_timeout" in reason for _, reason in r2.errors)
    assert len(calls) == 4          # the good one and the slow one once each with the new limit, then never
    # a damaged entry is a miss: the file is parsed again, and the answer is the same
    for entry in (tiny.cache_dir / "parsed").glob("*.json"):
        entry.write_bytes(entry.read_bytes()[:-3] + b"xx}")
    third = ingest(tiny, progress=False)
    assert third.items == second.items and len(calls) == 6


# -- 13. strict decoding ------------------------------------------------------------------------------

def test_gbk_behind_a_utf8_bom_is_detected_again_never_replaced(tiny, tmp_path):
    from ingest.pipeline import ingest

    path = hostile.gbk_behind_utf8_bom(tmp_path / "gbk_bom.md")
    doc = load(path)
    text = "\n".join(doc.lines)
    assert "\ufffd" not in text and "什么是过拟合？" in text and doc.encoding == "gb18030"
    report = ingest(tiny, [path], progress=False)
    questions = [it.question for split in report.splits.values() for it in split.items if it.file == "gbk_bom.md"]
    assert questions == ["什么是过拟合？", "什么是欠拟合？"]


def test_bytes_behind_a_utf8_bom_that_fit_no_encoding_are_refused(tmp_path):
    path = tmp_path / "junk.md"
    path.write_bytes(b"\xef\xbb\xbf" + bytes(range(128, 256)) * 40)
    with pytest.raises(LoadError, match=r"junk\.md: text starts with a UTF-8 byte-order mark but is not UTF-8"):
        load(path)


def test_utf8_with_a_damaged_byte_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "stray.md"
    good = hostile.GOOD_QA.encode("utf-8")
    at = good.index("模型".encode("utf-8"))           # the start of line 3
    path.write_bytes(good[:at] + b"\xff" + good[at:] * 3)
    with pytest.raises(LoadError, match=r"stray\.md: text is UTF-8 except for 1 invalid byte sequence\(s\), "
                                        r"the first on line 3"):
        load(path)
    cut = tmp_path / "cut.md"            # cut in the middle of its last character: that character goes
    cut.write_bytes(good + "题".encode("utf-8")[:2])
    assert "\ufffd" not in "\n".join(load(cut).lines)


# -- 14. six-digit question numbers --------------------------------------------------------------------

@pytest.mark.parametrize("style", ["## {n}. {q}", "{n}. {q}", "{n}、{q}", "**{n}. {q}**"])
def test_question_100000_is_its_own_item(tmp_path, style):
    from ingest.pipeline import make_items

    lines = ["# 大题库", ""]
    for n, q in ((99_998, "什么是过拟合？"), (99_999, "什么是欠拟合？"), (100_000, "什么是梯度消失？"),
                 (100_001, "什么是梯度爆炸？")):
        lines += [style.format(n=n, q=q), "", f"这是第 {n} 题的答案，说明{q[2:-1]}的原因和对策。", ""]
    path = tmp_path / "big.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    items = make_items(load(path), "big")
    by_number = {it.number: it for it in items if it.kind == "qa"}
    assert sorted(by_number) == [99_998, 99_999, 100_000, 100_001], [(it.number, it.question) for it in items]
    assert by_number[100_000].question == "什么是梯度消失？"
    assert "100000" not in by_number[99_999].answer
