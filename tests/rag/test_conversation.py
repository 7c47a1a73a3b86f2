"""Follow-up detection and resolution: pure rules on literals, topic carrying on the real index, LLM condensing."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import Field

from rag.answer import Answerer
from rag.conversation import Conversation, Turn, carry_topic, history_messages, is_follow_up, resolve
from ui.answer_text import answer_body

BN = Turn("什么是批量归一化？", "什么是批量归一化？", "什么是批量归一化？", "批量归一化对每层输入做归一化 [1]")


@pytest.mark.parametrize("question,tokens", [
    ("那它有什么缺点？", ["缺点"]),
    ("举个例子", ["举个"]),
    ("能再详细说说吗", ["能", "再", "详细", "说", "说"]),
    ("为什么？", []),
    ("它和层归一化有什么区别", ["归一化", "层归一化"]),
    ("what about its drawbacks?", ["drawbacks"]),
    ("Give me an example", ["give", "me", "example"]),
])
def test_follow_ups(question, tokens):
    assert is_follow_up(question, tokens)


@pytest.mark.parametrize("question,tokens", [
    ("什么是 dropout？", ["dropout"]),
    ("那 LoRA 呢？", ["低秩适配", "lora"]),                    # a new subject, not a reference back
    ("What is the receptive field of a CNN?", ["receptive", "field", "cnn"]),
    ("Transformer 的自注意力机制中，它的 Q、K、V 分别是怎么计算出来的，为什么要除以根号 d？",
     ["transformer", "自注意力", "q", "k", "v", "计算", "除以", "根号", "d"]),   # long: 它 is internal
])
def test_standalone_questions(question, tokens):
    assert not is_follow_up(question, tokens)


def test_resolve_carries_the_topic_without_an_llm():
    r = resolve("那它有什么缺点？", [BN], ["缺点"])
    assert r.how == "carried" and r.resolved == "什么是批量归一化？ 那它有什么缺点？" and r.topic == BN.topic
    assert resolve("什么是 dropout？", [BN], ["dropout"]).resolved == "什么是 dropout？"
    assert resolve("那它有什么缺点？", [], ["缺点"]).how == "standalone"
    assert carry_topic(" A ", " B ") == "A B"


def test_resolve_condenses_with_an_llm_and_falls_back_when_it_fails():
    seen = []

    def condense(messages, question):
        seen.append((messages, question))
        return "Standalone question: 批量归一化有什么缺点？\n(extra line)"

    r = resolve("那它有什么缺点？", [BN], ["缺点"], condense)
    assert r.how == "condensed" and r.resolved == "批量归一化有什么缺点？" and r.topic == r.resolved
    messages, question = seen[0]
    assert question == "那它有什么缺点？" and isinstance(messages[0], HumanMessage) and isinstance(messages[1], AIMessage)

    def broken(messages, question):
        raise TimeoutError("slow")

    assert resolve("那它有什么缺点？", [BN], ["缺点"], broken).how == "carried"
    assert resolve("那它有什么缺点？", [BN], ["缺点"], lambda m, q: "  \n").how == "carried"


def test_history_messages_cut_long_answers():
    msgs = history_messages([Turn("q", "q", "q", "长" * 2000)], max_answer_chars=50)
    assert [m.type for m in msgs] == ["human", "ai"] and len(msgs[1].content) == 50


@pytest.mark.parametrize("follow_up", ["那它有什么缺点？", "举个例子", "what about its drawbacks?", "详细说说"])
def test_follow_up_keeps_the_previous_item_first(corpus_settings, searcher, follow_up):
    chat = Conversation(Answerer(corpus_settings, searcher=searcher))
    first = chat.ask("什么是批量归一化？")
    second = chat.ask(follow_up)
    assert second.resolved_question == f"什么是批量归一化？ {follow_up}"
    assert second.topic_item == first.citations[0].id == "dl_basics_qa-31"
    if second.abstained:   # the BN item does not discuss its drawbacks: said so, the item offered, not repeated
        assert second.aspect == "cons" and second.related[0].id == "dl_basics_qa-31"
        assert "没有讲到它的缺点" in answer_body(second) or "do not cover drawbacks" in answer_body(second)
        assert answer_body(first)[:40] not in answer_body(second)
    else:
        assert second.citations[0].id == "dl_basics_qa-31"
    third = chat.ask("什么是感受野？")                           # a new subject starts a new topic
    assert third.resolved_question == "什么是感受野？" and third.citations[0].id == "dl_basics_qa-9"
    assert [t.topic for t in chat.turns] == ["什么是批量归一化？"] * 2 + ["什么是感受野？"]


class RecordingChat(FakeListChatModel):
    seen: list = Field(default_factory=list)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        yield from super()._stream(messages, stop, run_manager, **kwargs)


def test_llm_condenses_the_follow_up(corpus_settings, searcher):
    model = RecordingChat(responses=["批量归一化 [1] 稳定训练。", "批量归一化有哪些缺点？", "它依赖批量大小 [1]。"])
    chat = Conversation(Answerer(corpus_settings, searcher=searcher, model=model))
    chat.ask("什么是批量归一化？")
    ans = chat.ask("那它有什么缺点？")
    assert ans.resolved_question == "批量归一化有哪些缺点？" and ans.mode == "llm"
    assert ans.citations[0].id == "dl_basics_qa-31"
    condense_messages = model.seen[1]
    assert condense_messages[0].type == "system" and "standalone" in condense_messages[0].content
    assert [m.content for m in condense_messages[1:]] == ["什么是批量归一化？", "批量归一化 [1] 稳定训练。", "那它有什么缺点？"]
    assert "Question / 问题: 批量归一化有哪些缺点？" in model.seen[2][-1].content


def test_mangled_condensed_question_falls_back_to_the_topic(corpus_settings, searcher):
    model = FakeListChatModel(responses=["批量归一化 [1] 稳定训练。", "红烧肉怎么做", "它依赖批量大小 [1]。"])
    chat = Conversation(Answerer(corpus_settings, searcher=searcher, model=model))
    chat.ask("什么是批量归一化？")
    ans = chat.ask("那它有什么缺点？")
    assert not ans.abstained and ans.resolved_question == "什么是批量归一化？ 那它有什么缺点？"
    assert ans.mode == "llm" and ans.citations[0].id == "dl_basics_qa-31"


def test_fake_backend_conversation(corpus_settings, searcher):
    chat = Conversation(Answerer(corpus_settings.replace(llm_backend="fake"), searcher=searcher))
    first = chat.ask("什么是批量归一化？")
    assert first.mode == "llm" and first.answer.endswith("[1]") and first.citations[0].id == "dl_basics_qa-31"
    second = chat.ask("那它有什么缺点？")
    assert second.resolved_question == "什么是批量归一化？ 那它有什么缺点？"
    chat.reset()
    assert chat.turns == []
