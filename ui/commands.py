"""Sub-commands beyond ingest/list/search; each lives in its own module and registers itself."""

from __future__ import annotations

import importlib

for _name in ("ui.cmd_ask", "ui.cmd_eval", "ui.cmd_interview", "ui.cmd_serve", "ui.cmd_mcp", "ui.cmd_export",
              "ui.cmd_history", "ui.cmd_config"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a module not written yet
        if exc.name != _name:
            raise
