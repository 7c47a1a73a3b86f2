"""Pure evaluation metrics, calibration and the tuner's plateau choice, on small literal lists."""

from __future__ import annotations

import json
import re

import pytest

from rag.evaluate import (EvalQuery, Outcome, calibrate_threshold, first_relevant, format_table, hit_at, item_id,
                          load_set, margin, mean_reciprocal_rank, report_rows, split, summarize)
from rag.tune import _plateau_center

G = frozenset


def test_item_id_maps_file_and_number_to_the_ingest_id():
    assert item_id("dl_basics_qa.txt#9") == "dl_basics_qa-9"
    assert item_id("llm_industry_apps_qa.md#41") == "llm_industry_apps_qa-41"
    with pytest.raises(ValueError, match="not of the form"):
        item_id("dl_basics_qa.txt")


def test_first_relevant_counts_duplicates_listed_with_a_hit():
    ranked = (("a-1",), ("b-4", "b-13"), ("c-2",))
    assert first_relevant(ranked, G({"b-13"})) == 2
    assert first_relevant(ranked, G({"a-1", "c-2"})) == 1
    assert first_relevant(ranked, G({"z-9"})) is None


def test_hit_at_and_mrr_on_literal_ranks():
    ranks = [1, 2, None, 6]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 5) == 0.5
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 0.5 + 0 + 1 / 6) / 4)
    assert hit_at([], 1) == 0.0 and mean_reciprocal_rank([]) == 0.0


def test_summarize_separates_ranking_from_abstention():
    outs = [
        Outcome("paraphrase", G({"a"}), (("a",), ("b",)), abstained=False),
        Outcome("paraphrase", G({"b"}), (("a",), ("b",)), abstained=True),     # ranked 2nd, falsely abstained
        Outcome("uncovered", G(), (("a",),), abstained=True),
        Outcome("uncovered", G(), (("a",),), abstained=False),
    ]
    m = summarize(outs)
    assert (m.n_covered, m.n_uncovered) == (2, 2)
    assert m.hit1 == 0.5 and m.hit5 == 1.0 and m.mrr == 0.75
    assert m.abstention == 0.5 and m.false_abstention == 0.5


def test_margin_is_clipped_score_gap_of_the_right_answer():
    right_first = Outcome("k", G({"a"}), (("a",), ("b",)), False, scores=(0.9, 0.88))
    wrong_first = Outcome("k", G({"b"}), (("a",), ("b",)), False, scores=(0.9, 0.5))
    missing = Outcome("k", G({"z"}), (("a",),), False, scores=(0.9,))
    assert margin(right_first) == pytest.approx(0.02)
    assert margin(wrong_first) == -0.05
    assert margin(missing) == -0.05


def test_calibrate_threshold_abstains_most_uncovered_within_the_false_budget():
    covered = [0.30, 0.50, 0.60, 0.70]
    uncovered = [0.05, 0.20, 0.55]
    t = calibrate_threshold(covered, uncovered, max_false=0.0)
    assert 0.20 < t <= 0.30            # keeps every covered query, abstains on 0.05 and 0.20
    assert t == pytest.approx(0.25)    # the middle of the gap
    t = calibrate_threshold(covered, uncovered, max_false=0.25)   # one covered query may be lost
    assert 0.30 < t <= 0.50
    with pytest.raises(ValueError):
        calibrate_threshold([], [0.1])


def test_split_is_deterministic_stratified_and_disjoint():
    qs = [EvalQuery(f"q{i}", "paraphrase" if i % 3 else "uncovered", "zh", G({f"x-{i}"}) if i % 3 else G())
          for i in range(30)]
    a1, b1 = split(qs)
    a2, b2 = split(qs)
    assert [q.query for q in a1] == [q.query for q in a2]
    assert {q.query for q in a1}.isdisjoint({q.query for q in b1})
    assert len(a1) + len(b1) == 30
    assert sum(q.kind == "uncovered" for q in a1) == 5


def test_load_set_reads_jsonl_and_names_a_bad_line(tmp_path):
    good = tmp_path / "set.jsonl"
    good.write_text(json.dumps({"query": "BN 作用", "kind": "keyword", "lang": "zh", "gold": ["dl_basics_qa.txt#31"]},
                               ensure_ascii=False) + "\n\n", encoding="utf-8")
    (q,) = load_set(good)
    assert q.gold == G({"dl_basics_qa-31"}) and q.kind == "keyword"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "gold": ["nofile"]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1"):
        load_set(bad)


def test_report_rows_and_table_cover_each_kind_and_half():
    qs = [EvalQuery("a", "keyword", "zh", G({"x"})), EvalQuery("b", "uncovered", "zh", G())]
    outs = {"hybrid": [Outcome("keyword", G({"x"}), (("x",),), False), Outcome("uncovered", G(), (), True)]}
    rows = report_rows(outs, holdout=qs[1:], queries=qs, tune_half=qs[:1])
    names = [r["queries"] for r in rows]
    assert names == ["all", "keyword", "uncovered", "tune", "holdout"]
    table = format_table(rows)
    assert "hit@1" in table and "false-abst" in table and "holdout" in table


def test_plateau_center_averages_the_near_best_points():
    scores = {(0.1, 1.0): 2.0, (0.2, 1.0): 2.0, (0.3, 1.0): 1.99, (0.9, 3.0): 1.0}
    assert _plateau_center(scores, tolerance=0.02) == (0.2, 1.0)
    assert _plateau_center(scores, tolerance=0.0) == (0.15, 1.0)


def test_file_line_labels_resolve_to_the_item_whose_span_holds_the_line(tmp_path):
    from types import SimpleNamespace

    from rag.evaluate import bind, parse_ref

    assert parse_ref("XGBoost.md:137") == ("XGBoost.md", 137) and parse_ref("dl_basics_qa.txt#9") is None
    f = tmp_path / "s.jsonl"
    rows = [{"query": "树的缺失值", "kind": "paraphrase", "gold": ["trees.md:12"]},
            {"query": "两处都对", "kind": "keyword", "gold": ["trees.md:3", "dl_basics_qa.txt#9"]},
            {"query": "被丢掉的一段", "kind": "paraphrase", "gold": ["trees.md:40"]},
            {"query": "Hello there", "kind": "english", "gold": []}]
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    qs = load_set(f, "holdout")
    assert qs[0].refs == ("trees.md:12",) and not qs[0].gold and qs[0].covered and qs[0].split == "holdout"
    item = lambda i, a, b: SimpleNamespace(id=i, file="trees.md", lines=(a, b))
    index = SimpleNamespace(items=[item("trees-1", 1, 10), item("trees-2", 11, 30)])
    bound, unresolved = bind(index, qs)
    assert [q.gold for q in bound] == [G({"trees-2"}), G({"trees-1", "dl_basics_qa-9"}), G()]
    assert [q.query for q in unresolved] == ["被丢掉的一段"]
    assert bound[2].group == "english-ood" and bound[0].group == "paraphrase"   # an uncovered English query has its own row


def test_suites_mark_every_query_tune_holdout_or_fresh_and_keep_the_frozen_files_apart():
    import hashlib

    from rag.evaluate import EVAL_DIR, SUITES, load_suite

    for name in SUITES:
        qs = load_suite(name)
        assert {q.split for q in qs} == {"tune", "holdout", "fresh"}
        halves = [{q.query for q in qs if q.split == h} for h in ("tune", "holdout", "fresh")]
        assert not halves[0] & halves[1]
        seen = {re.sub(r"\W", "", t.lower()) for t in halves[0] | halves[1]}
        assert not [t for t in halves[2] if re.sub(r"\W", "", t.lower()) in seen]   # fresh repeats no earlier query
        tune, hold = split(qs)
        assert all(q.split == "tune" for q in tune) and all(q.split == "holdout" for q in hold)   # fresh: neither
    public = load_suite("public")
    assert sum(q.covered for q in public) >= 100 and sum(not q.covered for q in public) >= 100
    assert sum(q.covered for q in public if q.split == "fresh") == 18
    assert not any(q.covered for q in load_suite("bundled") if q.split == "fresh")
    # the frozen files are the ones whose hashes data/eval/README.md records
    readme = (EVAL_DIR / "README.md").read_text(encoding="utf-8")
    for file in ("retrieval_fresh_holdout.jsonl", "retrieval_public_fresh_holdout.jsonl",
                 "retrieval_ood_holdout.jsonl", "retrieval_public_holdout.jsonl", "retrieval_heldout4.jsonl",
                 "retrieval_heldout5.jsonl", "retrieval_heldout6.jsonl", "retrieval_heldout7.jsonl"):
        assert f"{hashlib.sha256((EVAL_DIR / file).read_bytes()).hexdigest()}  {file}" in readme


def test_calibration_rows_report_the_fresh_set_apart():
    from rag.evaluate import calibration_rows

    qs = [EvalQuery("a", "keyword", "zh", G({"x"}), split="tune"), EvalQuery("b", "uncovered", "zh", G(), split="fresh")]
    outs = [Outcome("keyword", G({"x"}), (("x",),), False, level="answered"),
            Outcome("uncovered", G(), (("x",),), False, level="closest")]
    rows = {(r["queries"], r["level"]): r for r in calibration_rows(outs, qs)}
    assert {h for h, _ in rows} == {"all", "tune", "fresh"}                 # no holdout query: no holdout rows
    assert rows[("fresh", "closest")]["n"] == 1 and rows[("fresh", "closest")]["uncovered"] == 1.0
    assert rows[("tune", "answered")]["top_right"] == 1.0 and rows[("fresh", "answered")]["n"] == 0
    table = report_rows({"hybrid": outs}, holdout=[], queries=qs, tune_half=qs[:1], fresh=qs[1:])
    assert [r["queries"] for r in table][-2:] == ["tune", "fresh"]
