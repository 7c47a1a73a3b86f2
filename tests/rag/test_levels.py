"""Issue 13: confidence levels, abstention on small talk and other fields, comparisons, aspects, excerpts."""

from __future__ import annotations

import pytest

from ingest.items import QAItem
from rag import aspects, fusion
from rag.answer import Answerer, closest_answer, extractive_answer, retrieval_line
from rag.conversation import Conversation
from rag.retrieve import Hit, SearchResult
from tests.fake_chat import RecordingChat


# -- pure pieces ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("question,sides", [
    ("BN和LN有什么区别？", ("BN", "LN")), ("请问 L1 与 L2 正则的差异", ("L1", "L2 正则")),
    ("Adam跟SGD比起来哪个好", ("Adam", "SGD")), ("ResNet vs VGG", ("ResNet", "VGG")),
    ("What's the difference between bagging and boosting?", ("bagging", "boosting")),
    ("Compare GRU with LSTM", ("GRU", "LSTM")), ("什么是批量归一化？", None), ("dropout 怎么用", None)])
def test_comparison_sides(question, sides):
    assert aspects.comparison(question) == sides


@pytest.mark.parametrize("question,want", [
    ("那它有什么缺点？", "cons"), ("有啥好处", "pros"), ("这个损失怎么计算", "compute"), ("一般用在什么场景", "apps"),
    ("能举个例子吗", "example"), ("为啥要这么做", "why"), ("what are its drawbacks?", "cons"),
    ("any examples?", "example"), ("给我讲讲它", None)])
def test_aspect_of_a_question(question, want):
    assert aspects.aspect(question) == want


def _item(answer: str, lines=None) -> QAItem:
    return QAItem("t-1", "测试", "t.md", 1, "混合精度是什么？", answer, lines)


def test_sections_follow_labels_and_the_aspect_picks_its_own():
    answer = ("混合精度同时用 FP16 和 FP32。\n\n优点：\n\n1. 省显存\n2. 更快\n\n缺点：\n\n1. 数值溢出\n2. 舍入误差\n\n"
              "总结：\n\n需要损失缩放。")
    item = _item(answer)
    assert [s.title for s in aspects.sections(item)] == ["混合精度同时用 FP16 和 FP32。", "优点：", "缺点：", "总结："]
    chosen, whole = aspects.select(item, "那它的缺点呢", want="cons")
    assert [s.title for s in chosen] == ["缺点："] and not whole
    assert "数值溢出" in aspects.excerpt(chosen) and "省显存" not in aspects.excerpt(chosen)
    assert aspects.select(item, "它能用在哪些场景", want="apps") == ([], False)   # says nothing about applications


def test_a_section_found_in_the_bank_file_carries_its_lines(tmp_path):
    bank = tmp_path / "bank.md"
    bank.write_text("### 1. 混合精度是什么？\n\n混合精度同时用 FP16 和 FP32。\n\n缺点：\n\n1. 数值溢出\n", encoding="utf-8")
    item = QAItem("t-1", "测试", "bank.md", 1, "混合精度是什么？", "混合精度同时用 FP16 和 FP32。\n\n缺点：\n\n1. 数值溢出",
                  (1, 7), path=str(bank))
    chosen, _ = aspects.select(item, "缺点", want="cons")
    assert aspects.span(chosen) == (5, 7)


def test_support_caps_a_match_made_of_answer_words_only():
    p = fusion.Params()
    # "今天天气怎么样" meets a list of stop words: every word found, but only in an answer, and nothing from ML
    words_only = fusion.Evidence(fused=0.5, coverage=1.0, dense=0.0, question_coverage=0.0, question_dense=0.0)
    off_topic = fusion.Evidence(fused=0.5, coverage=1.0, dense=0.0, question_coverage=0.0, question_dense=0.0,
                                in_domain=False)
    asked_as_written = fusion.Evidence(fused=0.5, coverage=1.0, dense=0.6, question_coverage=1.0, question_dense=0.6)
    assert fusion.calibrated("hybrid", words_only, p) < fusion.calibrated("hybrid", asked_as_written, p)
    assert fusion.calibrated("hybrid", off_topic, p) < p.abstain_threshold < fusion.calibrated("hybrid", words_only, p)
    conf = fusion.calibrated("hybrid", words_only, p)
    assert fusion.level("hybrid", conf, 0.5, p, words_only) == "closest"      # never "answered" on answer words alone
    unknown_name = fusion.Evidence(0.5, 1.0, 0.6, unknown=1.0, question_coverage=1.0, question_dense=0.6, names_missing=True,
                                   concepts_missing=1.0)
    small_talk = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6, in_domain=False, small_talk=True)
    assert fusion.calibrated("hybrid", unknown_name, p) < fusion.calibrated("hybrid", asked_as_written, p)
    assert fusion.level("hybrid", 0.9, 0.2, p, unknown_name) == "closest"    # the top item does not name it
    assert fusion.calibrated("hybrid", small_talk, p) < fusion.calibrated("hybrid", asked_as_written, p)
    assert fusion.level("hybrid", 0.9, 0.2, p) == "answered"
    assert fusion.level("hybrid", 0.9, 0.0, p) == "closest"           # two items neck and neck: let the user pick
    assert fusion.level("hybrid", p.abstain_threshold - 0.01, 0.2, p) == "not_covered"


def test_domain_and_small_talk_tests(searcher):
    qa = searcher.query_analyzer
    assert not qa.in_domain("周末去哪儿爬山比较好") and not qa.in_domain("Nginx 反向代理怎么配置")
    assert qa.in_domain("梯度消失怎么办") and qa.in_domain("How does batch normalization help training?")
    assert qa.small_talk("嗨，你是谁呀") and qa.small_talk("Thanks, you are great") and qa.small_talk("你是GPT吗")
    assert not qa.small_talk("谢谢！那 dropout 呢？") and not qa.small_talk("你怎么理解过拟合")


# -- searches and answers over the bundled corpus ---------------------------------------------------------
@pytest.mark.parametrize("question", ["嗨，你是谁呀", "hello, who are you?", "帮我写一首关于春天的诗", "Nginx 反向代理怎么配置",
                                      "How do I reset my router password?", "周末去哪儿爬山比较好"])
def test_small_talk_other_fields_and_everyday_life_are_not_covered(searcher, question):
    res = searcher.search(question)
    assert res.level == "not_covered" and res.abstained
    assert res.public()["level"] == "not_covered" and 0 <= res.public()["confidence"] <= 1


def test_a_question_asked_as_written_is_answered(searcher):
    res = searcher.search("什么是感受野？")
    assert res.level == "answered" and not res.abstained and res.public()["confidence"] > 0.25


def test_comparison_with_an_uncovered_side_says_which(corpus_settings, searcher):
    ans = Answerer(corpus_settings, searcher=searcher).ask("BN和LN有什么区别？")
    assert ans.sides == (("BN", "dl_basics_qa-31"), ("LN", ""))
    assert [c.id for c in ans.citations] == ["dl_basics_qa-31"] and ans.level == "closest" and not ans.abstained
    assert "题库没有覆盖 LN" in ans.answer and "LN" in ans.notice
    assert ans.public()["compare"] == [{"side": "BN", "covered": True, "id": "dl_basics_qa-31"},
                                       {"side": "LN", "covered": False, "id": None}]


def test_comparison_of_two_covered_sides_cites_both(corpus_settings, searcher):
    ans = Answerer(corpus_settings, searcher=searcher).ask("迁移学习 vs 元学习")
    assert all(i for _, i in ans.sides) and len(ans.citations) == 2 and not ans.notice
    assert "[1]" in ans.answer and "[2]" in ans.answer


def test_follow_up_on_drawbacks_quotes_the_drawbacks_with_their_lines(corpus_settings, searcher):
    chat = Conversation(Answerer(corpus_settings, searcher=searcher))
    first = chat.ask("混合精度训练是什么")
    second = chat.ask("那它有什么缺点？")
    item = searcher.index.by_id["dl_basics_qa-17"]
    assert first.citations[0].id == second.citations[0].id == item.id and second.aspect == "cons"
    assert second.answer.startswith("缺点") and "舍入误差" in second.answer and "减少内存占用" not in second.answer
    lo, hi = second.citations[0].excerpt_lines
    assert item.lines[0] < lo <= hi <= item.lines[1]
    assert second.public()["citations"][0]["excerpt_lines"] == [lo, hi]
    third = chat.ask("优点呢")
    assert "减少内存占用" in third.answer and "舍入误差" not in third.answer


def test_a_standalone_aspect_question_gets_that_part(corpus_settings, searcher):
    ans = Answerer(corpus_settings, searcher=searcher).ask("混合精度训练有什么缺点")
    assert ans.level == "answered" and "舍入误差" in ans.answer and "加快训练速度" not in ans.answer
    assert "节选" in ans.answer


def test_closest_lists_the_nearest_questions_not_one_answer():
    items = [QAItem(f"x-{i}", "库", "x.md", i, f"问题{i}？", f"问题{i}的答案第一句话比较长，足够作为摘要展示。" * 5, (i, i + 1))
             for i in range(1, 6)]
    result = SearchResult("q", tuple(Hit(it, 0.3, 0.3, 0.3) for it in items), False, 0.2, level="closest")
    ans = extractive_answer("这道题怎么答", result)
    assert ans == closest_answer("这道题怎么答", result) and ans.level == "closest" and not ans.abstained
    assert [c.id for c in ans.citations] == ["x-1", "x-2", "x-3"] and [c.id for c in ans.related] == ["x-4", "x-5"]
    assert "最接近" in ans.answer and "[3]" in ans.answer and items[0].answer not in ans.answer


def test_llm_prompt_carries_the_level(corpus_settings, searcher):
    model = RecordingChat(responses=["感受野是输入区域 [1]"])
    ans = Answerer(corpus_settings, searcher=searcher, model=model).ask("什么是感受野？")
    assert ans.mode == "llm" and ans.level == "answered"
    human = model.seen[0][-1].content
    assert '<retrieval level="answered"' in human and human.index("</context>") < human.index("<retrieval")
    closest = SearchResult("q", searcher.search("什么是感受野？").hits, False, 0.2, level="closest")
    assert retrieval_line(closest, "题库没有覆盖 LN。") == '<retrieval level="closest" confidence="0.20" note="题库没有覆盖 LN。"/>'
    model = RecordingChat(responses=["最接近的是感受野 [1]"])
    _, *rest = list(Answerer(corpus_settings, searcher=searcher, model=model).stream_result("q", closest))
    final = rest[-1] if rest else _
    assert final.level == "closest" and "置信度较低" in final.notice
