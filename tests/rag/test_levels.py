"""Issue 13: confidence levels, abstention on small talk and other fields, comparisons, aspects, excerpts."""

from __future__ import annotations

import pytest

from ingest.items import QAItem
from rag import aspects, fusion
from rag.answer import Answerer
from rag.extractive import closest_answer, extractive_answer
from rag.llm_answer import retrieval_line
from rag.conversation import Conversation
from rag.results import Hit, SearchResult
from tests.fake_chat import RecordingChat
from ui.answer_text import answer_body, notices_text


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


def test_a_name_no_item_mentions_costs_its_penalty_on_every_kind_of_evidence():
    p = fusion.Params()
    # a strong dense match and the words of a question: what "语音识别里的CTC损失" meets in banks without CTC
    seen = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6)
    never_named = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6, names_unknown=1.0)
    half_named = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6, names_unknown=0.5)
    full = fusion.calibrated("hybrid", seen, p)
    assert full - fusion.calibrated("hybrid", never_named, p) == pytest.approx(p.unknown_name_penalty)
    assert full - fusion.calibrated("hybrid", half_named, p) == pytest.approx(p.unknown_name_penalty / 2)
    assert fusion.calibrated("keyword", never_named, p) == fusion.calibrated("keyword", seen, p)   # ablations unchanged
    with pytest.raises(ValueError, match="unknown_name_penalty"):
        fusion.Params(unknown_name_penalty=-0.1)


def test_unknown_names_are_measured_against_the_whole_corpus(searcher):
    assert searcher.scores("SwiGLU 激活函数是怎么算的").names_unknown == 1.0      # no bank names it
    assert searcher.scores("ReLU 和 SwiGLU 的区别").names_unknown == 0.5
    assert searcher.scores("BN 的作用是什么").names_unknown == 0.0                # BN = 批量归一化, in the banks
    assert searcher.scores("梯度消失怎么办").names_unknown == 0.0                 # names nothing


def test_a_question_about_a_name_no_bank_mentions_is_not_covered(searcher):
    from dataclasses import replace

    raw = searcher.scores("SwiGLU 激活函数是怎么算的")
    res = searcher.rank("SwiGLU 激活函数是怎么算的", raw)
    before = searcher.rank("SwiGLU 激活函数是怎么算的", raw,
                           params=replace(fusion.Params.from_settings(searcher.settings), unknown_name_penalty=0.0))
    assert res.level == "not_covered" and res.abstained
    assert before.level != "not_covered"     # the activation-function items come close without the name test
    assert before.confidence - res.confidence == pytest.approx(fusion.Params().unknown_name_penalty)


def test_comparison_with_a_side_no_bank_names_still_answers_the_other_side(corpus_settings, searcher):
    ans = Answerer(corpus_settings, searcher=searcher).ask("ReLU 和 SwiGLU 的区别")
    assert [side for side, _ in ans.sides] == ["ReLU", "SwiGLU"] and ans.sides[0][1] and not ans.sides[1][1]
    assert ans.level == "closest" and not ans.abstained and "SwiGLU" in notices_text(ans)


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
    assert "题库没有覆盖 LN" in answer_body(ans) and "LN" in notices_text(ans)
    assert ans.public()["compare"] == [{"side": "BN", "covered": True, "id": "dl_basics_qa-31"},
                                       {"side": "LN", "covered": False, "id": None}]


def test_comparison_of_two_covered_sides_cites_both(corpus_settings, searcher):
    ans = Answerer(corpus_settings, searcher=searcher).ask("迁移学习 vs 元学习")
    assert all(i for _, i in ans.sides) and len(ans.citations) == 2 and not notices_text(ans)
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
    assert "节选" in answer_body(ans)


def test_closest_lists_the_nearest_questions_not_one_answer():
    items = [QAItem(f"x-{i}", "库", "x.md", i, f"问题{i}？", f"问题{i}的答案第一句话比较长，足够作为摘要展示。" * 5, (i, i + 1))
             for i in range(1, 6)]
    result = SearchResult("q", tuple(Hit(it, 0.3, 0.3, 0.3) for it in items), False, 0.2, level="closest")
    ans = extractive_answer("这道题怎么答", result)
    assert ans == closest_answer("这道题怎么答", result) and ans.level == "closest" and not ans.abstained
    assert [c.id for c in ans.citations] == ["x-1", "x-2", "x-3"] and [c.id for c in ans.related] == ["x-4", "x-5"]
    assert "最接近" in answer_body(ans) and "[3]" in ans.answer and items[0].answer not in ans.answer


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
    assert final.level == "closest" and "置信度较低" in notices_text(final)


# -- issue 13, third session: a term written in plain words that no bank uses ------------------------------
def test_plain_word_terms_are_found_as_modifier_and_head(searcher):
    qa = searcher.query_analyzer
    assert ("zh", "胶囊", "网络", "胶囊") in qa.subject_terms("胶囊网络里的动态路由是怎么回事")
    assert ("en", "capsule", "networks", "capsule") in qa.subject_terms("What problem do capsule networks solve?")
    assert ("latin", "Mamba", "", "Mamba") in qa.subject_terms("Mamba 模型的选择性机制是什么")
    # a verb or a demonstrative before the head makes no term: "提升模型" is to improve a model
    assert qa.subject_terms("怎么提升模型的泛化能力") == []
    assert qa.subject_terms("这类算法有什么缺点") == []
    assert qa.subject_terms("你好呀，今天过得怎么样") == []
    # grammar is no modifier: numerals and measure words, pronouns, particles, an adverb-led word jieba does not
    # know, a lone verb or adjective before the head (jieba's word classes, not a list of this corpus's words)
    assert qa.subject_terms("同一套模型能不能既做分类又做检测") == []
    assert qa.subject_terms("数据先完整地过一遍网络再算损失") == []
    assert qa.subject_terms("调完学习率、换模型之后效果反而差了") == []
    assert qa.subject_terms("样本里的权重却算模型参数吗") == []
    # ... while a modifier of several words, one-character ones among them, still makes a term
    assert ("zh", "数据集", "蒸馏", "集") in qa.subject_terms("数据集蒸馏能把训练集压到多小") or \
        any(t[2] == "蒸馏" and t[1].startswith("数据") for t in qa.subject_terms("数据集蒸馏能把训练集压到多小"))
    assert any(t[2] == "排序" and t[1] == "快速" for t in qa.subject_terms("快速排序的最坏情况是什么"))


def test_a_term_is_unknown_only_when_no_item_uses_it_whole(searcher):
    assert searcher.scores("凝聚聚类的核心步骤是什么").terms_unknown == 1.0         # 聚类 is everywhere, 凝聚聚类 nowhere
    assert searcher.scores("What problem do capsule networks solve?").terms_unknown == 1.0
    assert searcher.scores("卷积网络的感受野受哪些因素影响").terms_unknown == 0.0   # 卷积网络 is in the banks
    assert searcher.scores("用PyTorch写个对抗网络来生成图片").terms_unknown == 0.0   # 对抗网络, whatever precedes it
    assert searcher.scores("批量归一化有什么作用").terms_unknown == 0.0
    assert searcher.scores("梯度消失怎么办").terms_unknown == 0.0                   # names no term


def test_an_unknown_term_costs_its_penalty_and_nothing_else():
    p = fusion.Params()
    seen = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6)
    unseen = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6, terms_unknown=1.0)
    half = fusion.Evidence(0.5, 1.0, 0.6, question_coverage=1.0, question_dense=0.6, terms_unknown=0.5)
    full = fusion.calibrated("hybrid", seen, p)
    assert full - fusion.calibrated("hybrid", unseen, p) == pytest.approx(p.unknown_term_penalty)
    assert full - fusion.calibrated("hybrid", half, p) == pytest.approx(p.unknown_term_penalty / 2)
    assert fusion.calibrated("dense", unseen, p) == fusion.calibrated("dense", seen, p)   # ablations unchanged
    with pytest.raises(ValueError, match="unknown_term_penalty"):
        fusion.Params(unknown_term_penalty=-0.5)


@pytest.mark.parametrize("question", ["胶囊网络相比卷积神经网络有什么改进", "凝聚聚类的核心步骤是什么",
                                      "How are capsule networks different from CNNs?", "推测解码为什么能让大模型生成变快",
                                      "Mamba 模型的选择性机制是什么"])
def test_a_question_about_a_plain_word_term_no_bank_uses_is_not_covered(searcher, question):
    from dataclasses import replace

    raw = searcher.scores(question)
    res = searcher.rank(question, raw)
    before = searcher.rank(question, raw,
                           params=replace(fusion.Params.from_settings(searcher.settings), unknown_term_penalty=0.0))
    assert res.level == "not_covered" and res.abstained
    assert before.level != "not_covered"     # every word of it is common in the banks: it came near without the test


# -- issue 13, sixth session: terms inside a word, terms made of a noun and a verb, English grammar ----------------
def test_a_head_inside_a_word_takes_the_noun_before_it_as_modifier(searcher):
    qa = searcher.query_analyzer
    # 神经网络 is one word of jieba's: its modifier is the noun before it, not 神经
    assert ("zh", "量子", "神经网络", "量子") in qa.subject_terms("量子神经网络的优势在哪")
    assert searcher.scores("量子神经网络的优势在哪").terms_unknown == 1.0
    # after a verb the word itself is the term (大 + 模型), as before
    assert [t[2:] for t in qa.subject_terms("训大模型要多少显卡")] == [("模型", "大")]
    assert searcher.scores("训大模型要多少显卡").terms_unknown == 0.0


def test_a_noun_and_a_verb_as_the_subject_make_a_term(searcher):
    qa = searcher.query_analyzer
    assert ("zhv", "文本", "纠错", "文本") in qa.subject_terms("文本纠错怎么做")
    assert searcher.scores("文本纠错怎么做").terms_unknown == 1.0         # 文本 and 纠错 never together in the banks
    assert searcher.search("文本纠错怎么做").level == "not_covered"
    # known when an item names the two together, in either order or under the noun's written name (图片 -> 图像)
    assert searcher.scores("梯度计算是怎么回事").terms_unknown == 0.0
    assert searcher.scores("图片生成怎么做").terms_unknown == 0.0
    # a clause is no term: something follows the verb, it carries a complement, or the noun is what is asked for
    # or used as an adverb
    for clause in ("结果解释不清怎么办", "这个模型训过吗", "有什么办法缓解过拟合", "两个特征彼此高度相关怎么办"):
        assert not [t for t in qa.subject_terms(clause) if t[0] == "zhv"], clause


def test_an_english_determiner_is_no_modifier(searcher):
    qa = searcher.query_analyzer
    assert qa.subject_terms("How can one network predict another's weights?") == []
    assert not [t for t in qa.subject_terms("Do other models use each layer differently?") if t[0] == "en"]


def test_a_shape_is_no_name_and_an_inflected_word_is_known_by_its_stem(searcher):
    qa = searcher.query_analyzer
    q = "Reshaping a 3x4 tensor into 2x6 or 12x1: which of them keep the same elements?"
    assert qa.names(q) == []                        # 3x4, 2x6 are sizes, not product names no bank mentions
    assert searcher.scores(q).names_unknown == 0.0
    # "replayed" is rare in general English, but "replay" is a word of the glossary phrase the question names
    q = "In prioritized experience replay, why is a transition with a large TD error replayed sooner?"
    assert searcher.scores(q).terms_unknown == 0.0
    assert qa.in_domain(q)                          # an English glossary phrase is the domain, listed or not
    assert not qa.in_domain("Which wok should I season first, cast iron or carbon steel?")


# -- issue 13, fifth session: the rare words of an English question are its terms -------------------------------
def test_rare_english_words_are_terms_and_everyday_ones_are_not(searcher):
    qa = searcher.query_analyzer
    assert any(t[0] == "latin" and t[1] == "hypernetwork" for t in qa.subject_terms("What is a hypernetwork used for?"))
    assert not [t for t in qa.subject_terms("Why would two servers behave differently after the check?")
                if t[0] == "latin"]
    assert searcher.scores("What is a hypernetwork, and what does it output?").terms_unknown == 1.0
    assert searcher.scores("Why does dropout help against overfitting?").terms_unknown == 0.0   # rare, but known


@pytest.mark.parametrize("question", ["How does a hypernetwork generate the weights of another network?",
                                      "How can a counterfactual explanation justify a loan decision?"])
def test_an_english_question_about_a_method_no_bank_names_is_not_covered(searcher, question):
    res = searcher.search(question)
    assert res.level == "not_covered" and res.abstained, (res.confidence, res.hits[0].item.question)


@pytest.mark.parametrize("question, item", [("卷积网络的感受野受哪些因素影响", "dl_basics_qa-9"),
                                            ("批量归一化有什么作用", "dl_basics_qa-31")])
def test_covered_questions_naming_known_terms_still_answer(searcher, question, item):
    res = searcher.search(question)
    assert res.level == "answered" and not res.abstained and res.hits[0].item.id == item


def test_greetings_stay_not_covered_with_the_term_test(searcher):
    res = searcher.search("你好呀，今天过得怎么样")
    assert res.level == "not_covered" and searcher.scores("你好呀，今天过得怎么样").terms_unknown == 0.0


def test_a_half_covered_comparison_shows_the_covered_sides_confidence(corpus_settings, searcher):
    from ui.answer_text import level_line

    ans = Answerer(corpus_settings, searcher=searcher).ask("dropout 和胶囊网络有什么区别")
    assert [side for side, _ in ans.sides] == ["dropout", "胶囊网络"] and ans.sides[0][1] and not ans.sides[1][1]
    assert ans.confidence > 0 and "0.00" not in level_line(ans, "zh") and "胶囊网络" in notices_text(ans)
    alone = searcher.search("dropout", k=corpus_settings.search.top_k)
    assert ans.confidence == pytest.approx(max(0.0, alone.confidence))   # the covered side's own confidence
    bn = Answerer(corpus_settings, searcher=searcher).ask("BN和LN有什么区别？")
    assert bn.confidence > 0 and "置信度 0.00" not in level_line(bn, "zh")


# -- round 4: English proper nouns, questions about the assistant -------------------------------------------
def test_english_proper_nouns_inside_a_sentence_are_names(searcher):
    qa = searcher.query_analyzer
    assert [w for w, _ in qa.names("How is the Viterbi path found in a hidden Markov chain?")] == ["Viterbi", "Markov"]
    assert qa.names("Dropout is what exactly?") == []            # the first word of a sentence is no name
    # "Then" starts a sentence, "Python" and "Rust" are inside one
    assert [w for w, _ in qa.names("Explain the rules. Then compare Python and Rust")] == ["Python", "Rust"]
    assert "Viterbi" not in [w for w, _ in qa.names("HMM 里的 Viterbi 怎么做")]   # a Chinese question: not this rule
    raw = searcher.scores("Which is harder to learn, Portuguese or Italian?")
    assert raw.names_unknown == 1.0
    assert searcher.search("Which is harder to learn, Portuguese or Italian?").level == "not_covered"


def test_a_known_proper_noun_costs_nothing(searcher):
    assert searcher.scores("What problem does the Transformer architecture solve?").names_unknown == 0.0


@pytest.mark.parametrize("question", ["你平常住哪个城市", "你周末一般干嘛呀", "Do you like cats?"])
def test_questions_about_the_assistant_itself_are_small_talk(searcher, question):
    assert searcher.query_analyzer.small_talk(question)
    assert searcher.search(question).level == "not_covered"


@pytest.mark.parametrize("question", ["你觉得过拟合怎么解决", "Do you know how dropout works?", "你能讲讲注意力机制吗"])
def test_a_machine_learning_question_addressed_to_you_is_not_small_talk(searcher, question):
    assert not searcher.query_analyzer.small_talk(question)
