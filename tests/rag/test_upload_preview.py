"""The upload preview (how a chosen file would be split, nothing stored), the layout chosen in it
remembered for the stored file, and sections offered as interview topics."""

from __future__ import annotations

import json

import pytest

from ingest.items import QAItem
from ingest.settings import Settings
from rag.interview.session import SessionConfig, select_items
from rag.uploads import ingest_uploads, preview_uploads, remembered_layout
from tests.support import copy_home

BANK = """# 推荐系统面试题

## 1 召回

### 1.1 什么是协同过滤召回？

协同过滤根据用户与物品的共现关系寻找相似的物品。

1. 基于物品的协同过滤：计算物品之间的相似度。
2. 基于用户的协同过滤：找到兴趣相近的用户。

### 1.2 双塔模型为什么适合做召回？

物品向量可以离线算好并建近邻索引，线上只需计算用户向量。
"""


def test_preview_segments_each_upload_and_stores_nothing(tmp_path):
    settings = Settings.load(home=tmp_path / "home")
    files = [("../推荐.md", BANK.encode()), ("tool.exe", b"MZ"), ("empty.md", b""),
             ("binary.txt", bytes(range(256)) * 40)]
    auto, bad_type, empty, binary = preview_uploads(settings, files)
    assert auto.name == "推荐.md" and auto.split.layout == "heading3" and auto.split.forced == ""
    assert [it.question for it in auto.split.items] == ["什么是协同过滤召回？", "双塔模型为什么适合做召回？"]
    assert auto.split.items[0].section == "1 召回" and auto.split.items[0].lines == (5, 10)
    assert auto.split.path == str((settings.uploads_dir / "推荐.md").resolve())
    assert bad_type.split is None and "not allowed" in bad_type.error
    assert empty.split is None and "empty" in empty.error
    assert binary.split is None and binary.error
    [forced] = preview_uploads(settings, files[:1], {"../推荐.md": "numbered"})
    assert forced.split.forced == "numbered" and len(forced.split.items) == 2
    assert forced.split.items[0].question.startswith("基于物品的协同过滤")
    assert not settings.home.exists()          # nothing stored: no uploads/, no layouts.json
    with pytest.raises(ValueError, match="unknown layout"):
        preview_uploads(settings, files[:1], {"../推荐.md": "headings"})


@pytest.mark.integration
def test_the_layout_chosen_for_an_upload_is_remembered_for_its_stored_file(corpus_home, tmp_path):
    settings = Settings.load(home=copy_home(corpus_home, tmp_path / "home"))
    with pytest.raises(ValueError, match="unknown layout"):
        ingest_uploads(settings, [("recsys.md", BANK.encode())], {"recsys.md": "nope"})
    assert not settings.uploads_dir.exists()                      # refused before anything is stored
    report = ingest_uploads(settings, [("recsys.md", BANK.encode())], {"recsys.md": "numbered"})
    assert report.ok and report.new_items == {"recsys.md": 2}
    split = report.splits["recsys.md"]
    assert split.forced == split.layout == "numbered" and split.doubt == ""
    stored = str((settings.uploads_dir / "recsys.md").resolve())
    assert json.loads(settings.layouts_file.read_text(encoding="utf-8")) == {stored: "numbered"}
    assert remembered_layout(settings, "recsys.md") == "numbered"
    # the same name uploaded again, with no choice: the remembered one is used (and shown in the preview)
    [pv] = preview_uploads(settings, [("recsys.md", BANK.encode())])
    assert pv.split.forced == "numbered"
    report = ingest_uploads(settings, [("recsys.md", BANK.encode())])
    assert report.splits["recsys.md"].forced == "numbered" and report.new_items == {"recsys.md": 2}
    # "auto" forgets it
    report = ingest_uploads(settings, [("recsys.md", BANK.encode())], {"recsys.md": "auto"})
    assert report.splits["recsys.md"].forced == "" and report.splits["recsys.md"].layout == "heading3"
    assert remembered_layout(settings, "recsys.md") == ""


def _item(n: int, topic: str, section: str = "") -> QAItem:
    return QAItem(id=f"b-{n}", doc="B", file="b.md", number=n, question=f"Q{n}?", answer="A.", lines=(n, n),
                  topic=topic, section=section)


def test_a_section_picks_its_questions_like_a_topic():
    items = [_item(1, "NLP", "3.1 基本概念"), _item(2, "NLP", "3.2 训练"), _item(3, "CV", "3.1 基本概念"),
             _item(4, "CV")]
    pick = lambda *topics: sorted(it.id for it in select_items(items, SessionConfig(topics=topics, count=10)))  # noqa: E731
    assert pick("3.1 基本概念") == ["b-1", "b-3"]
    assert pick("CV") == ["b-3", "b-4"]
    assert pick("3.2 训练", "CV") == ["b-2", "b-3", "b-4"]
    with pytest.raises(ValueError):
        pick("3.9 没有")
