"""What every ``qbank`` sub-command module shares: the error type, settings from the arguments, JSON output,
and the registry through which ``ui/cmd_*.py`` add their sub-commands.

It imports nothing of ``ui``, so ``ui.cli -> ui.commands -> ui.cmd_* -> ui.cli_common`` has no cycle.
"""

from __future__ import annotations

import json
import sys


class CliError(Exception):
    """An error to show the user as one clear line."""


def _settings(args):
    from ingest.settings import Settings

    overrides = {}
    if getattr(args, "llm", None):
        overrides["llm_backend"] = args.llm
    return Settings.load(**overrides)


def echo(text: str, limit: int = 200) -> str:
    """A rejected input as echoed back in an error record: its start, never 200k characters."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


_EXTRA_COMMANDS: list = []


def register(fn):
    """Let other modules of the ``ui`` package add sub-commands (see ``ui/commands.py``)."""
    _EXTRA_COMMANDS.append(fn)
    return fn


