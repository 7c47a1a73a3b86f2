"""Hybrid retrieval on the bundled corpus: bilingual matching, abstention, duplicates, the eval targets, the CLI."""

from __future__ import annotations

import json

import pytest

from ingest.store import DenseKind
from rag.dense import DenseSearch
from rag.searcher import Searcher
from rag.validate import QueryError, check_query


def top_id(searcher, query, **kw) -> str:
    return searcher.search(query, **kw).hits[0].item.id


def test_english_question_finds_the_chinese_receptive_field_item(searcher):
    res = searcher.search("What is the receptive field of a CNN?")
    assert res.hits[0].item.id == "dl_basics_qa-9"
    assert not res.abstained


@pytest.mark.parametrize("query", ["BN", "批量归一化", "Batch Normalization", "batch norm 解决了什么问题", "BN 作用"])
def test_bn_and_its_names_all_find_batch_normalization(searcher, query):
    res = searcher.search(query)
    assert res.hits[0].item.id == "dl_basics_qa-31"
    assert not res.abstained


@pytest.mark.parametrize("query", ["LoRA 的原理", "红烧肉怎么做", "你好", "What is LoRA?", "今天北京到上海的高铁几点"])
def test_uncovered_questions_abstain_but_still_list_the_nearest(searcher, query):
    res = searcher.search(query, k=3)
    assert res.abstained, (query, res.confidence)
    assert len(res.hits) == 3                       # the nearest related questions are still shown
    assert res.confidence < searcher.settings.search.abstain_threshold


def test_abstention_keeps_related_questions_ordered_by_similarity(searcher):
    res = searcher.search("LoRA 低秩适配为什么能省显存", k=5)
    assert res.abstained
    assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)


def test_duplicate_questions_collapse_into_one_hit(searcher):
    res = searcher.search("什么是迁移学习？如何实现迁移学习？", k=10)
    copies = {"llm_industry_apps_qa-4", "llm_industry_apps_qa-13", "llm_industry_apps_qa-41"}
    listed = [h for h in res.hits if h.item.id in copies]
    assert len(listed) == 1
    assert set(listed[0].also_in) | {listed[0].item.id} == copies
    assert listed[0].public()["also_in"]
    ids = [i for h in res.hits for i in h.ids]
    assert len(ids) == len(set(ids))                # no item twice, however many passages matched


def test_ablations_and_doc_filter(searcher):
    assert top_id(searcher, "批量归一化", keyword_only=True) == "dl_basics_qa-31"
    assert searcher.search("卷积网络的感受野有多大", dense_only=True).hits
    res = searcher.search("过拟合", k=5, doc="dl_basics_qa.txt")
    assert res.hits and all(h.item.file == "dl_basics_qa.txt" for h in res.hits)
    with pytest.raises(ValueError, match="exclude each other"):
        searcher.search("BN", keyword_only=True, dense_only=True)
    with pytest.raises(ValueError, match="k must be at least 1"):
        searcher.search("BN", k=0)


def test_empty_and_absurd_queries_are_refused_clearly(searcher):
    with pytest.raises(QueryError, match="empty"):
        searcher.search("   \n\t ")
    with pytest.raises(QueryError, match="limit is"):
        searcher.search("感受野" * 5000)
    assert check_query("  感受野\x00 ", 100) == "感受野"


def test_public_json_shape(searcher):
    d = searcher.search("感受野").public()
    assert set(d) >= {"query", "abstained", "confidence", "results"}
    assert set(d["results"][0]) >= {"id", "doc", "file", "number", "question", "lines", "score"}


@pytest.mark.integration
def test_eval_targets_hold_and_hybrid_beats_both_ablations(searcher):
    from rag import evaluate as ev

    queries = ev.load_set()
    out = ev.evaluate(searcher, queries)
    m = {mode: ev.summarize(outs) for mode, outs in out.items()}
    h = m["hybrid"]
    assert h.hit1 >= 0.92 and h.hit5 >= 0.98 and h.mrr >= 0.95, h
    assert h.abstention >= 0.9 and h.false_abstention <= 0.03, h
    for ablation in ("keyword", "dense"):
        a = m[ablation]
        assert h.hit1 > a.hit1 and h.mrr > a.mrr and h.hit5 > a.hit5, (ablation, a)
        assert h.abstention - h.false_abstention > a.abstention - a.false_abstention, (ablation, a)
    held = {id(q) for q in ev.split(queries)[1]}
    hold = ev.summarize([o for o, q in zip(out["hybrid"], queries) if id(q) in held])
    assert hold.hit1 >= 0.9 and hold.hit5 >= 0.98 and hold.false_abstention <= 0.05, hold


def test_an_answers_opening_sentence_meets_a_paraphrase_of_it(searcher):
    # 意图识别's answer opens "意图识别，是判断用户要做什么…"; the question shares no word with this query,
    # and the ~400-character passage around that sentence is too diluted for the encoder to find it
    res = searcher.search("How does a chatbot figure out what the user wants to do?", k=5)
    assert "dl_basics_qa-19" in [i for h in res.hits for i in h.ids]


# -- the CLI contract ----------------------------------------------------------------
RESULT_KEYS = {"id", "doc", "file", "number", "question", "lines", "score"}


@pytest.mark.integration
def test_cli_search_json(qbank_cli):
    p = qbank_cli("search", "What is the receptive field of a CNN?", "-k", "3", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["query"] == "What is the receptive field of a CNN?" and d["abstained"] is False
    assert len(d["results"]) == 3 and RESULT_KEYS <= set(d["results"][0])
    assert d["results"][0]["id"] == "dl_basics_qa-9" and d["results"][0]["lines"]


@pytest.mark.integration
def test_cli_search_stdin_prints_one_json_object_per_query(qbank_cli):
    p = qbank_cli("search", "-", "-k", "2", input="BN 作用\n\n红烧肉怎么做\n" + "长" * 5000 + "\n")
    assert p.returncode == 0, p.stderr
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert [x["query"][:6] for x in lines] == ["BN 作用", "红烧肉怎么做", "长" * 6]
    assert lines[0]["abstained"] is False and lines[0]["results"][0]["id"] == "dl_basics_qa-31"
    assert lines[1]["abstained"] is True and len(lines[1]["results"]) == 2
    assert RESULT_KEYS <= set(lines[1]["results"][0])
    assert lines[2]["abstained"] is True and lines[2]["results"] == [] and "limit" in lines[2]["error"]


@pytest.mark.integration
def test_cli_search_text_and_bad_input(qbank_cli):
    p = qbank_cli("search", "LoRA 的原理")
    assert p.returncode == 0 and "题库中没有直接覆盖" in p.stdout and "[1]" in p.stdout
    for args, message in ((["search", ""], "empty"), (["search", "问" * 3000], "limit"), (["search", "BN", "-k", "0"], "k must")):
        p = qbank_cli(*args)
        assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr, p.stderr


@pytest.mark.integration
def test_cli_eval_prints_the_table_for_three_configs(qbank_cli):
    p = qbank_cli("eval")
    assert p.returncode == 0, p.stderr
    for word in ("hit@1", "hit@5", "MRR", "abstain", "false-abst", "hybrid", "keyword", "dense", "holdout", "english"):
        assert word in p.stdout
    p = qbank_cli("eval", "--json")
    rows = json.loads(p.stdout)["rows"]
    assert {r["config"] for r in rows} == {"hybrid", "keyword", "dense"}
    p = qbank_cli("eval", "--set", "/nonexistent.jsonl")
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_approximate_dense_path_agrees_with_the_exact_one(corpus_settings, searcher):
    """Above ``flat_index_max`` the dense index is approximate and only candidates are scored exactly."""
    approx = Searcher(corpus_settings)
    approx._dense = DenseSearch(approx.index, DenseKind.IVF)   # search top rows + reconstruct keyword candidates
    assert approx.dense.vectors is None and searcher.dense.kind is DenseKind.FLAT
    for q in ("What is the receptive field of a CNN?", "BN 作用", "模型训完之后要拿哪些指标来判断好不好"):
        assert approx.search(q).hits[0].item.id == searcher.search(q).hits[0].item.id, q


def test_full_width_query_finds_what_the_plain_one_finds(searcher):
    plain = searcher.search("如何在文本分类任务中使用BERT")
    wide = searcher.search("如何在文本分类任务中使用ＢＥＲＴ")
    assert plain.hits[0].item.id == wide.hits[0].item.id == "ai_product_design_qa-10"
    assert wide.confidence == pytest.approx(plain.confidence)
    assert top_id(searcher, "ＢＥＲＴ", keyword_only=True) == top_id(searcher, "bert", keyword_only=True)
