"""Per-file question-marker choices, remembered in ``$QBANK_HOME/layouts.json``.

``qbank ingest --layout NAME PATH`` and the Library's upload preview force a layout (a key of
:data:`ingest.segment.LAYOUTS`) for a file; the choice is kept as ``{absolute path: layout}``
and used by every later ingest of that file, so re-ingests segment it the same way.
``auto`` (or an empty name) forgets the choice: the segmenter chooses from the document again.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.atomic import atomic_write
from ingest.segment import LAYOUTS
from ingest.settings import Settings

AUTO = "auto"


def check(name: str | None) -> str:
    """``name`` as a forced layout: ``""`` for auto (``None``, ``""``, ``auto``), else a key of ``LAYOUTS``.

    Raises:
        ValueError: an unknown layout name (the message lists the known ones).
    """
    name = (name or "").strip()
    if not name or name == AUTO:
        return ""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {name!r}: choose {AUTO} or one of {', '.join(LAYOUTS)}")
    return name


def load(settings: Settings) -> dict[str, str]:
    """The remembered choices ``{absolute path: layout}``; a missing or unreadable file is no choice."""
    try:
        data = json.loads(settings.layouts_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v in LAYOUTS}


def remember(settings: Settings, choices: dict[str | Path, str]) -> dict[str, str]:
    """Merge ``choices`` (``""``/``auto`` forgets a file's choice) into ``layouts.json``, atomically.

    Entries of files that no longer exist are dropped. Callers that may race (ingests) hold
    the ingest lock. Returns the choices now saved.
    """
    saved = load(settings)
    for path, name in choices.items():
        key = str(Path(path).expanduser().resolve())
        forced = check(name)
        if forced:
            saved[key] = forced
        else:
            saved.pop(key, None)
    saved = {k: v for k, v in sorted(saved.items()) if Path(k).exists()}
    settings.home.mkdir(parents=True, exist_ok=True)
    atomic_write(settings.layouts_file, json.dumps(saved, ensure_ascii=False, indent=1))
    return saved
