"""Hostile bank files (issue 18, items 6-8, 13, 14): each is refused in one line naming the file, the limit and
the setting, or read within bounded memory and time; one such file never stops an ingest or ``qbank serve``.

Figures (peak RSS and time for each file, the limit that stopped it) are in docs/reliability.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.load import LoadError, load
from ingest.settings import Settings
from tests.reliability import hostile
from tests.support import run_cli, start_serve, stop_serve, free_port

OTHER_BANK = "## 1. 什么是潮汐学习率？\n\n学习率随潮汐周期变化。\n\n## 2. 什么是珊瑚礁采样？\n\n按礁石分层抽样。\n"


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Settings:
    """Settings whose bundled corpus is one two-question bank (real embeddings, just few of them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.md").write_text("# 基础\n\n" + hostile.GOOD_QA, encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.BUNDLED_CORPUS", corpus)
    monkeypatch.setattr("ui.cmd_serve.BUNDLED_CORPUS", corpus, raising=False)
    return Settings.load(home=tmp_path / "home")


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
