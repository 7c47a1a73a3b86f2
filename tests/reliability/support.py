"""Helpers of the reliability tests: private copies of the corpus index, the real CLI, clean-error checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

QBANK = Path(sys.executable).parent / "qbank"


def copy_home(src: Path, dest: Path) -> Path:
    """A private $QBANK_HOME holding a copy of ``src``'s index and embedding cache."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.lock", "serve.log", "interview.sqlite3*"))
    return dest


def run_cli(home: Path, *args: str, input: str | bytes | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real ``qbank`` console script with ``QBANK_HOME=home``; text in and out (UTF-8)."""
    e = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    e.update(env or {})
    return subprocess.run([str(QBANK), *args], input=input, capture_output=True, env=e, timeout=timeout,
                          text=not isinstance(input, bytes), encoding=None if isinstance(input, bytes) else "utf-8")


def assert_clean_error(r: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit code 2, one ``qbank: error: ...`` line on stderr naming every fragment, no traceback."""
    err = r.stderr if isinstance(r.stderr, str) else r.stderr.decode("utf-8", "replace")
    assert r.returncode == 2, (r.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qbank: error: "), err[-2000:]
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def no_terminal_escapes(text: str) -> bool:
    """True when ``text`` holds no C0/C1 control character a terminal would act on (tab and newline aside)."""
    return not any((ord(ch) < 32 and ch not in "\t\n\r") or 0x7f <= ord(ch) <= 0x9f for ch in text)
