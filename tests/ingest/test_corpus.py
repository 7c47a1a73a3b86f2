"""The bundled corpus: exact item counts, heading lines, questions, code fences and duplicates.

``qbank ingest && qbank list --json`` runs through the real console script on a fresh $QBANK_HOME.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingest.load import load
from ingest.segment import fence_mask, segment
from ingest.settings import BUNDLED_CORPUS
from tests.support import run_cli

COUNTS = {"dl_basics_qa.txt": 33, "ai_product_design_qa.md": 30, "llm_principles_qa.md": 30,
          "llm_industry_apps_qa.md": 50, "ai_tech_applications_qa.md": 30}


def file_lines(name: str) -> list[str]:
    return (BUNDLED_CORPUS / name).read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("fresh_home")
    done = run_cli(home, "ingest", timeout=600)
    assert done.returncode == 0, done.stderr
    assert "indexed 173 items from 5 files" in done.stdout
    assert "Traceback" not in done.stderr
    return home


@pytest.fixture(scope="module")
def listed(cli_home) -> list[dict]:
    done = run_cli(cli_home, "list", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def by_id(listed) -> dict[str, dict]:
    return {it["id"]: it for it in listed}


@pytest.fixture(scope="module")
def full_items(cli_home):
    """Items with answers (``list --json`` shows no answers), from the index the CLI built."""
    from ingest import store
    from ingest.settings import Settings

    return {it.id: it for it in store.load(Settings.load(home=cli_home).index_root).items}


# -- pure segmentation of each file -------------------------------------------------------

@pytest.mark.parametrize("name", sorted(COUNTS))
def test_each_bank_segments_into_its_exact_item_count(name):
    doc = load(BUNDLED_CORPUS / name)
    seg = segment(doc.lines)
    assert len(seg.items) == COUNTS[name]
    assert [s.number for s in seg.items] == list(range(1, COUNTS[name] + 1))
    assert all(s.kind == "qa" and s.question and s.answer for s in seg.items)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_items_never_start_or_end_inside_a_code_fence_and_keep_fences_whole(name):
    lines = file_lines(name)
    fenced = fence_mask(lines)
    for s in segment(lines).items:
        assert not fenced[s.start], (name, s.number)
        span = lines[s.start:s.end + 1]
        inside = fence_mask(span)
        assert not inside[-1] or span[-1].lstrip().startswith(("```", "~~~")), (name, s.number)
        # every fenced block of the span is in the answer character for character
        block: list[str] = []
        for line, f in zip(span, inside):
            if f:
                block.append(line)
            elif block:
                assert "\n".join(block) in s.answer, (name, s.number)
                block = []
        if block:
            assert "\n".join(block) in s.answer


# -- the real CLI ----------------------------------------------------------------------------

@pytest.mark.integration
def test_ingest_then_list_json_gives_the_173_items(listed):
    assert len(listed) == 173
    counts: dict[str, int] = {}
    for it in listed:
        assert {"id", "doc", "file", "number", "question", "lines"} <= set(it)
        counts[it["file"]] = counts.get(it["file"], 0) + 1
        first, last = it["lines"]
        assert 1 <= first <= last <= len(file_lines(it["file"]))
        assert it["id"] == f"{Path(it['file']).stem}-{it['number']}"
        assert "page" not in it
    assert counts == COUNTS
    assert len({it["id"] for it in listed}) == 173


@pytest.mark.integration
def test_every_item_cites_its_own_heading_line(listed):
    for it in listed:
        heading = file_lines(it["file"])[it["lines"][0] - 1]
        assert heading.lstrip("# ").startswith(f"{it['number']}."), (it["id"], heading)
        assert it["question"].replace(" ", "")[:6] in heading.replace(" ", ""), (it["id"], heading)


@pytest.mark.integration
def test_display_titles(by_id):
    assert by_id["dl_basics_qa-1"]["doc"] == "深度学习基础面试题 33 问"
    assert by_id["ai_tech_applications_qa-1"]["doc"] == "AI 大模型技术应用面试题"
    assert by_id["llm_industry_apps_qa-1"]["doc"] == "大模型在AI产业中的应用：从模型到应用的面试题库及答案解析"


# (id, [first, last] lines, heading line text in the file, question)
SAMPLES = [
    ("dl_basics_qa-1", [39, 99], "1.反向传播算法（BP）的概念及简单推导", "反向传播算法（BP）的概念及简单推导"),
    ("dl_basics_qa-3", [137, 175], "3.什么是模型微调(fine-tuning)?", "什么是模型微调(fine-tuning)?"),
    ("dl_basics_qa-11", [338, 351], "11. 有哪些常见的深度学习问题类型？", "有哪些常见的深度学习问题类型？"),
    ("dl_basics_qa-31", [1002, 1020], "31. 解释批量归一化的概念，它解决了什么问题？", "解释批量归一化的概念，它解决了什么问题？"),
    ("dl_basics_qa-33", [1047, 1140], "33.如何设置随机种子让AI模型的推理结果可以复现？", "如何设置随机种子让AI模型的推理结果可以复现？"),
    ("ai_product_design_qa-1", [5, 25], "#### 1. 如何评估一个AI模型的效果？", "如何评估一个AI模型的效果？"),
    ("ai_product_design_qa-15", [272, 335], "#### 15. 如何使用BERT进行文本分类？", "如何使用BERT进行文本分类？"),
    ("ai_product_design_qa-30", [1196, 1259], "#### 30. 如何在文本分类任务中使用BERT？", "如何在文本分类任务中使用BERT？"),
    ("llm_principles_qa-1", [9, 38], "### 1. 语言模型的基本原理是什么？", "语言模型的基本原理是什么？"),
    ("llm_principles_qa-9", [243, 338], "### 9. 什么是生成对抗网络（GAN）？", "什么是生成对抗网络（GAN）？"),
    ("llm_principles_qa-14", [594, 683], "### 14. 什么是Transformer模型？", "什么是Transformer模型？"),
    ("llm_principles_qa-30", [1156, 1167], "### 30. 如何使用深度学习进行推荐系统？", "如何使用深度学习进行推荐系统？"),
    ("llm_industry_apps_qa-4", [32, 37], "#### 4. 什么是迁移学习？如何实现迁移学习？", "什么是迁移学习？如何实现迁移学习？"),
    ("llm_industry_apps_qa-13", [104, 109], "#### 13. 什么是迁移学习？如何实现迁移学习？", "什么是迁移学习？如何实现迁移学习？"),
    ("llm_industry_apps_qa-41", [327, 332], "#### 41. 什么是迁移学习？如何实现迁移学习？", "什么是迁移学习？如何实现迁移学习？"),
    ("llm_industry_apps_qa-50", [395, 401], "#### 50. 什么是数据增强？如何实现数据增强？", "什么是数据增强？如何实现数据增强？"),
    ("ai_tech_applications_qa-1", [3, 53], "### 1. 机器学习模型压缩技术", "机器学习模型压缩技术"),
    ("ai_tech_applications_qa-2", [55, 114], "### 2. 主动学习技术在 AI 大模型中的应用", "主动学习技术在 AI 大模型中的应用"),
    ("ai_tech_applications_qa-30", [1837, 1911], "### 30. 自然语言处理中的预训练语言模型", "自然语言处理中的预训练语言模型"),
]


@pytest.mark.integration
@pytest.mark.parametrize("item_id, lines, heading, question", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_items(by_id, item_id, lines, heading, question):
    it = by_id[item_id]
    assert it["lines"] == lines
    assert it["question"] == question
    assert file_lines(it["file"])[lines[0] - 1] == heading
    # the item ends on its last line of text: the next non-blank line starts the next question (or the file ends)
    rest = [line for line in file_lines(it["file"])[lines[1]:] if line.strip()]
    assert not rest or rest[0].lstrip("# ").split(".")[0].isdigit() or rest[0] == "### 总结"   # the closing section


@pytest.mark.integration
def test_numbered_lists_in_answers_stay_in_their_item(full_items):
    micro = full_items["dl_basics_qa-3"].answer
    for step in ["1. 选择预训练模型：", "2. 初始化：", "3. 修改模型结构：", "4. 重新训练：", "5. 调整学习率："]:
        assert step in micro
    assert micro.rstrip().endswith("特别适用于数据资源有限的场景。")
    assert full_items["dl_basics_qa-4"].question == "简要介绍一下FLOPs"
    assert "1. **准确率" in full_items["ai_product_design_qa-1"].answer or "准确率" in full_items["ai_product_design_qa-1"].answer


@pytest.mark.integration
def test_code_fences_with_hash_comments_stay_whole(full_items):
    gan = full_items["llm_principles_qa-9"].answer
    lines = file_lines("llm_principles_qa.md")
    start = lines.index("```python", 242)
    end = next(k for k in range(start + 1, len(lines)) if lines[k] == "```")
    assert "\n".join(lines[start:end + 1]) in gan
    assert "# 生成器模型\nclass Generator(nn.Module):" in gan and "# 判别器模型" in gan
    assert gan.count("```") % 2 == 0


@pytest.mark.integration
def test_sub_headings_and_timu_in_ai_tech_applications(full_items):
    first = full_items["ai_tech_applications_qa-1"]
    assert first.detail == "描述几种常见的机器学习模型压缩技术，并说明其优缺点。"
    assert first.answer.startswith("#### 技术介绍：")
    assert "#### 优点和缺点：" in first.answer and "```python" in first.answer
    assert first.answer.rstrip().endswith("```")
    assert full_items["ai_tech_applications_qa-2"].detail == "主动学习技术在 AI 大模型训练中如何应用？请举例说明。"
    for it in full_items.values():
        assert not it.question.endswith("：")   # no 技术介绍： / 应用场景： became a question


@pytest.mark.integration
def test_word_for_word_duplicates_are_linked(by_id):
    assert set(by_id["llm_industry_apps_qa-4"]["duplicates"]) == {"llm_industry_apps_qa-13", "llm_industry_apps_qa-41"}
    assert set(by_id["llm_industry_apps_qa-13"]["duplicates"]) == {"llm_industry_apps_qa-4", "llm_industry_apps_qa-41"}
    assert set(by_id["llm_industry_apps_qa-39"]["duplicates"]) == {"llm_industry_apps_qa-50"}
    assert "duplicates" not in by_id["llm_industry_apps_qa-5"]    # 如何*使用*数据增强: not word for word
    # across banks
    assert "llm_principles_qa-9" in by_id["llm_principles_qa-18"]["duplicates"]
    assert set(by_id["ai_product_design_qa-10"]["duplicates"]) == {"ai_product_design_qa-30"}
    assert set(by_id["llm_principles_qa-11"]["duplicates"]) >= {"llm_principles_qa-17", "llm_principles_qa-28"}
    # the link is symmetric, and every linked pair really has the same question
    for it in by_id.values():
        for other in it.get("duplicates", []):
            assert it["id"] in by_id[other]["duplicates"]
            assert it["question"].rstrip("?？。") == by_id[other]["question"].rstrip("?？。")
    assert sum(1 for it in by_id.values() if it.get("duplicates")) >= 20


@pytest.mark.integration
def test_ids_are_stable_across_ingests(cli_home, listed, corpus_home):
    again = run_cli(cli_home, "ingest", timeout=600)
    assert again.returncode == 0, again.stderr
    assert re.search(r"indexed 173 items from 5 files in .*\(0 \w+ embedded", again.stdout), again.stdout
    relisted = json.loads(run_cli(cli_home, "list", "--json").stdout)
    assert relisted == listed
    # an index built by another process (the session fixture) gives the same ids and lines
    other = json.loads(run_cli(corpus_home, "list", "--json").stdout)
    assert [(it["id"], it["lines"], it["question"]) for it in other] == [
        (it["id"], it["lines"], it["question"]) for it in listed]
