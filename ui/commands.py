"""Sub-commands beyond ingest/list/search, registered into the parser of ``ui/cli.py``."""

from __future__ import annotations
