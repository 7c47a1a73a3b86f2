"""The answer modules of rag/ return data, not localised prose: ``ui/`` words notices in the user's language.

Fails when a zh/en choice (``_t(en, …)``, ``… if en else …``) or a Chinese string literal (UI prose) comes
back into one of them. Docstrings and the arguments of ``re`` calls (cue patterns: data) are not prose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ingest.text.script import has_cjk

ROOT = Path(__file__).resolve().parents[2]
CHECKED = sorted({str(p.relative_to(ROOT)) for p in (ROOT / "rag").glob("answer*.py")}
                 | {"rag/llm_answer.py", "rag/extractive.py", "rag/compare.py", "rag/aspect_answer.py"})


def prose(path: Path) -> list[str]:
    """Where ``path`` chooses between languages or holds a Chinese string literal: ``["12: _t(", …]``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))                     # a docstring
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
            skip |= {id(n) for a in node.args for n in ast.walk(a)}     # a cue pattern
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_t":
            found.append(f"{node.lineno}: _t(")
        elif isinstance(node, ast.IfExp) and isinstance(node.test, ast.Name) and node.test.id in ("en", "zh"):
            found.append(f"{node.lineno}: … if {node.test.id} else …")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                and has_cjk(node.value):
            found.append(f"{node.lineno}: {node.value[:30]!r}")
    return found


@pytest.mark.parametrize("module", CHECKED)
def test_answer_modules_hold_no_ui_prose(module):
    assert prose(ROOT / module) == []


def test_the_check_sees_a_ternary_and_chinese_prose(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""文档。"""\nimport re\nCUE = re.compile("缺点")\n'
                   'def f(en):\n    return _t(en, "题库没有覆盖", "not covered") + ("x" if en else "好")\n', encoding="utf-8")
    assert [f.split(":")[0] for f in prose(bad)] == ["5", "5", "5", "5"]
