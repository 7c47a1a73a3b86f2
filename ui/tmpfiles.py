"""Temporary files under ``$QBANK_HOME/tmp``, cleaned: nothing qbank writes is left in the system's ``/tmp``.

The ``qbank`` command points Python's :mod:`tempfile` (and ``TMPDIR`` for its worker processes, and
Gradio's ``GRADIO_TEMP_DIR`` for files received and served by the app) at ``$QBANK_HOME/tmp``. Interview
reports offered for download, upload previews, banks received by the app (refused ones included) and the
tokenizer's dictionary snapshot therefore live there. :func:`clean` removes what is older than
``tmp_max_age_s``; ``qbank serve`` runs it at start and then every ``tmp_max_age_s / 4`` seconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

KEEP_PREFIXES = ("qbank-jieba-",)     # caches, not temp files: rebuilt on demand, kept for 30 days
KEEP_DAYS = 30


def use_home_tmp(home: Path) -> Path:
    """Make ``home/tmp`` the temporary folder of this process and of the processes it starts; returns it."""
    folder = Path(home) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(folder / "gradio"))
    return folder


def clean(folder: Path, max_age_s: float, now: float | None = None) -> list[str]:
    """Remove entries of ``folder`` (files, or folders with everything in them) not modified for ``max_age_s``.

    Inside Gradio's folder (``gradio/``), each upload or download folder is judged on its own. Returns the
    names removed.
    """
    now = time.time() if now is None else now
    removed: list[str] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in list(folder.iterdir()):
        if entry.name == "gradio" and entry.is_dir():
            removed += [f"gradio/{name}" for name in clean(entry, max_age_s, now)]
            continue
        age = max_age_s if not entry.name.startswith(KEEP_PREFIXES) else KEEP_DAYS * 86400
        try:
            if now - _newest_mtime(entry) < age:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
        except OSError:
            continue
    return removed


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for sub in path.rglob("*"):
            try:
                newest = max(newest, sub.lstat().st_mtime)
            except OSError:
                continue
    return newest


def start_janitor(folder: Path, max_age_s: float) -> threading.Thread:
    """Clean ``folder`` now, then every ``max_age_s / 4`` seconds (at least 10 s) in a daemon thread."""
    clean(folder, max_age_s)

    def loop() -> None:
        while True:
            time.sleep(max(10.0, max_age_s / 4))
            try:
                clean(folder, max_age_s)
            except Exception:  # noqa: BLE001 - cleaning must never take the server down
                pass

    thread = threading.Thread(target=loop, name="qbank-tmp-janitor", daemon=True)
    thread.start()
    return thread
