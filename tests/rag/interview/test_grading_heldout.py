"""The frozen held-out grading set parses; the alignment baseline orders a good answer above an off-topic one."""

from __future__ import annotations

from collections import defaultdict

from ingest.settings import BUNDLED_CORPUS, Settings
from rag.interview.evaluate import CLASSES, SETS, alignment_baseline, load_examples

# llm_industry_apps_qa.md #6, word for word (it is in grading.jsonl, not in the held-out set)
DISTILL_REF = """**答案：** 模型蒸馏是一种将复杂模型的知识迁移到较小模型的方法。实现模型蒸馏的方法包括：

- **教师-学生模型蒸馏：** 使用一个大型模型（教师模型）训练一个较小模型（学生模型），学生模型学习教师模型的输出概率分布。
- **软标签：** 在训练过程中，教师模型的输出作为软标签，指导学生模型的学习。"""


def test_heldout_set_has_at_least_20_questions_with_five_classes_each():
    examples = load_examples(SETS["heldout"])
    by_ref = defaultdict(list)
    for e in examples:
        by_ref[e.ref].append(e.cls)
    assert len(by_ref) >= 20
    # one answer per class; a wrong answer may be in English (class wrong_en)
    assert all(sorted(c.replace("wrong_en", "wrong") for c in v) == sorted(set(CLASSES) - {"wrong_en"})
               for v in by_ref.values()), by_ref
    assert not set(by_ref) & {e.ref for e in load_examples(SETS["old"])}


def test_baseline_puts_a_good_answer_above_an_offtopic_one(tmp_path):
    from ingest.embed import load_embedder

    assert DISTILL_REF in (BUNDLED_CORPUS / "llm_industry_apps_qa.md").read_text(encoding="utf-8")
    embed = load_embedder(Settings.load(home=tmp_path).embedding.model)
    good = ("蒸馏就是让一个小的学生网络去模仿大的老师网络，老师训好以后，"
            "学生不光学真实标签，还去拟合老师输出的那个概率分布，也就是 soft label，这样小模型也能学到大模型的知识。")
    offtopic = "数据库加索引可以加快查询，但是写入会变慢，联合索引要按最左前缀来用。"
    g, o = alignment_baseline(DISTILL_REF, good, embed), alignment_baseline(DISTILL_REF, offtopic, embed)
    assert 0 <= o < g <= 100, (g, o)
    assert alignment_baseline(DISTILL_REF, "", embed) == 0.0
