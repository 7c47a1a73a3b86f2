"""End to end through the ``local`` backend with a real (tiny, random) transformers model built here.

No download: a byte-level BPE tokenizer is trained on the bundled corpus, a 2-layer Llama
with random weights is saved to a temp folder, and qbank loads it from that path through
transformers + langchain-huggingface like any local model. Its output is gibberish, so the
answer is either an LLM answer whose citations all point at retrieved items, or a clean
fallback to the extractive answer.
"""

from __future__ import annotations

import re

import pytest

from ingest.settings import BUNDLED_CORPUS
from rag.llm import make_chat_model
from rag.prompts import ANSWER_SYSTEM, CONDENSE_SYSTEM

pytestmark = pytest.mark.integration

CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
                 "{% if add_generation_prompt %}<s>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    text = [p.read_text(encoding="utf-8") for p in sorted(BUNDLED_CORPUS.iterdir())] + [ANSWER_SYSTEM, CONDENSE_SYSTEM]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(text, trainers.BpeTrainer(vocab_size=4000, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture()
def local_settings(corpus_settings, tiny_model):
    return corpus_settings.replace(llm_backend="local", llm_model=str(tiny_model), llm_max_tokens=24,
                                   llm_timeout=60, top_k=2)


def test_local_model_streams_through_the_langchain_wrappers(local_settings):
    from rag.chain import answer_chain

    model = make_chat_model(local_settings)
    assert type(model).__name__ == "ChatHuggingFace" and make_chat_model(local_settings) is model   # loaded once
    chunks = list(answer_chain(model).stream({"context": "<context></context>", "question": "什么是感受野？"}))
    assert all(isinstance(c, str) for c in chunks) and "".join(chunks).strip()


def test_local_backend_end_to_end(local_settings, searcher):
    from rag.answer import Answerer
    from rag.answer_types import Answer
    from ui.answer_text import notices_text
    from rag.conversation import Conversation

    chat = Conversation(Answerer(local_settings, searcher=searcher))
    for question in ("什么是批量归一化？", "那它有什么缺点？"):
        parts = list(chat.stream(question))
        ans = parts[-1]
        print(f"\n{question} -> {ans.mode}: {ans.answer[:80]!r} | {notices_text(ans)}")
        assert isinstance(ans, Answer) and not ans.abstained and ans.resolved_question
        n_hits = len(ans.citations) + len(ans.related)
        assert 1 <= n_hits <= 2
        if ans.mode == "llm":
            assert "".join(parts[:-1]) == ans.answer
            markers = {int(n) for n in re.findall(r"\[(\d+)\]", ans.answer)}
            assert markers and markers == {c.n for c in ans.citations} and markers <= set(range(1, n_hits + 1))
        else:
            assert ans.mode == "extractive" and notices_text(ans).startswith("大模型回答失败")
            assert "[1]" in ans.answer and ans.citations[0].n == 1   # the reference answer, or the nearest questions (a close match)
    assert chat.turns[1].topic in (chat.turns[0].topic, chat.turns[1].resolved)
