"""Is the index current? The banks on disk and this qbank's build, against the live index's manifest.

``qbank serve`` (and the MCP server) rebuild the index when :func:`stale_reason` gives a reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MB chunks (the manifest's per-file hash)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def stale_reason(settings) -> str | None:
    """Why the index must be (re)built, or None when it matches this qbank and the banks on disk.

    Stale means: no index, an index built with another embedding model, by a qbank that segments
    or embeds differently, or with another ``data/glossary.tsv``, or source files whose set or
    SHA-256 differs from the manifest's, or whose forced question marker (``layouts.json``) does
    (see :meth:`ingest.manifest.Manifest.stale_reason`).
    """
    from ingest import layout_choices, pipeline
    from ingest.embed import canonical_name
    from ingest.index_store import open_store
    from ingest.keyword import Glossary
    from ingest.load import find_files
    from ingest.manifest import BuildSpec

    target = open_store(settings)
    manifest = target.read_manifest()
    if manifest is None:
        return f"no index at {target.location}"
    spec = BuildSpec(canonical_name(settings.embedding.model), pipeline.SEGMENTER_VERSION, Glossary.load().digest())
    reason = manifest.build_reason(spec)
    if reason:
        return reason
    files, _ = find_files(pipeline.sources(settings), settings.limits.follow_symlinks)
    return manifest.sources_reason({str(f): file_sha256(f) for f in files}, layout_choices.load(settings))
