"""The nested settings: sections, the three sources and their order, enums, and ``qbank config`` writing back."""

from __future__ import annotations

import tomllib

import pytest

from ingest.settings import FLAT, SECTIONS, TUNED, Language, LLMBackend, SettingError, Settings
from rag import fusion
from tests.support import run_cli


def test_nested_tables_and_the_flat_names_of_earlier_config_files_both_load(tmp_path, monkeypatch):
    for flat in FLAT:
        monkeypatch.delenv(f"QBANK_{flat.upper()}", raising=False)
    (tmp_path / "config.toml").write_text('top_k = 3\n[llm]\nbackend = "ollama"\nmodel = "qwen2.5:7b"\n'
                                          '[ui]\nlanguage = "en"\n', encoding="utf-8")
    s = Settings.load(home=tmp_path)
    assert (s.search.top_k, s.llm.model) == (3, "qwen2.5:7b")
    assert s.llm.backend is LLMBackend.OLLAMA and s.ui.language is Language.EN
    assert {"zh": 1, "en": 2}[s.ui.language] == 2            # the enum is the string: it keys dicts as one


def test_precedence_is_override_then_environment_then_file_then_default(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("[llm]\ntimeout = 11\nmax_tokens = 100\n", encoding="utf-8")
    monkeypatch.setenv("QBANK_LLM_TIMEOUT", "22")
    monkeypatch.setenv("QBANK_LLM_MAX_TOKENS", "200")
    s = Settings.load(home=tmp_path, llm_max_tokens=300)
    assert (s.llm.timeout, s.llm.max_tokens, s.llm.temperature) == (22.0, 300, 0.2)


def test_a_bad_value_in_a_table_names_the_file_and_the_setting(tmp_path, monkeypatch):
    monkeypatch.delenv("QBANK_TOP_K", raising=False)
    (tmp_path / "config.toml").write_text("[search]\ntop_k = 0\n", encoding="utf-8")
    with pytest.raises(SettingError, match=r"config.toml: top_k = 0: top_k must be within \[1, 100\]"):
        Settings.load(home=tmp_path)
    (tmp_path / "config.toml").write_text("[search]\ntopk = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting.*search.topk"):
        Settings.load(home=tmp_path)


def test_replace_checks_the_copy_like_a_new_object_and_leaves_the_original():
    s = Settings()
    t = s.replace(top_k=9, llm={"model": "deepseek-chat"})
    assert (t.search.top_k, t.llm.model, s.search.top_k, s.llm.model) == (9, "deepseek-chat", 5, "")
    with pytest.raises(SettingError, match="weight_dense must be within"):
        s.replace(weight_dense=2)
    with pytest.raises(SettingError, match="llm_backend 'gpt' is not supported"):
        s.replace(llm_backend="gpt")


def test_every_field_has_one_flat_name_and_the_tuned_defaults_are_read_from_one_file():
    fields = [(s, f) for s, cls in SECTIONS.items() for f in cls.model_fields]
    assert sorted(FLAT.values()) == sorted(fields)             # one flat name per field, none shared
    search = Settings().search
    for name, value in TUNED["search"].items():
        assert getattr(search, name) == value == getattr(fusion.Params(), name)


def test_every_tuned_number_is_read_by_its_module_and_none_is_left_in_code():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for section, module in (("fusion", "rag/fusion.py"), ("grading", "rag/interview/grade.py")):
        source = (root / module).read_text(encoding="utf-8")
        unread = [key for key in TUNED[section] if f'"{key}"' not in source]
        assert not unread, f"{module} does not read {unread} of data/tuned.toml [{section}]"
        literals = [node.targets[0] for node in ast.parse(source).body      # NAME = <float literal> at module level
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, float)]
        assert not literals, f"{module} keeps tuned numbers in code: {[ast.unparse(t) for t in literals]}"


def test_qbank_config_set_writes_a_checked_table_and_keeps_the_users_comments(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("# mine: keep me\nllm_model = \"old\"\n", encoding="utf-8")
    done = run_cli(home, "config", "set", "llm.model", "deepseek-chat")
    assert done.returncode == 0, done.stderr
    done = run_cli(home, "config", "set", "top_k", "7")
    assert done.returncode == 0, done.stderr
    text = (home / "config.toml").read_text(encoding="utf-8")
    assert "# mine: keep me" in text and "llm_model" not in text           # the flat spelling is replaced
    assert tomllib.loads(text) == {"llm": {"model": "deepseek-chat"}, "search": {"top_k": 7}}
    refused = run_cli(home, "config", "set", "search.abstain_threshold", "nan")
    assert refused.returncode != 0 and "abstain_threshold must be a finite number" in refused.stderr
    assert (home / "config.toml").read_text(encoding="utf-8") == text      # nothing written
    assert run_cli(home, "config", "unset", "search.top_k").returncode == 0
    assert tomllib.loads((home / "config.toml").read_text(encoding="utf-8")) == {"llm": {"model": "deepseek-chat"}}
    shown = run_cli(home, "config", env={"QBANK_LLM_TIMEOUT": "9"})
    assert 'model = "deepseek-chat"    # from config.toml' in shown.stdout
    assert "timeout = 9.0    # from QBANK_LLM_TIMEOUT" in shown.stdout


def test_eval_save_without_tune_is_refused_before_anything_runs(tmp_path):
    done = run_cli(tmp_path / "home", "eval", "--save")
    assert done.returncode == 2 and "--save writes what --tune chose" in done.stderr
    assert not (tmp_path / "home" / "config.toml").exists()
