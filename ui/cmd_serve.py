"""``qbank serve``: build the index if it is missing or stale, then start the Gradio app (loopback by default)."""

from __future__ import annotations


import ipaddress
import os
import sys
from pathlib import Path

from ui.cli_common import CliError, register

LOOPBACK = "127.0.0.1"


@register
def _add(sub) -> None:
    s = sub.add_parser("serve", help="start the web app (chat, mock interview, library, settings)")
    s.add_argument("--host", default=LOOPBACK,
                   help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 exposes it to the network)")
    s.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    s.add_argument("--llm", choices=["none", "openai", "ollama", "local", "fake"], help="default LLM backend")
    s.set_defaults(func=cmd_serve)


def stale_reason(settings) -> str | None:
    """Why the index must be (re)built before serving, or None when it matches the sources on disk.

    Stale means: no index, an index built with another embedding model, by a qbank that segments
    or embeds differently, or with another ``data/glossary.tsv``, or source files whose set or
    SHA-256 differs from the manifest's, or whose forced question marker (``layouts.json``) does.
    """
    from ingest import layout_choices, store
    from ingest.embed import canonical_name
    from ingest.keyword import Glossary
    from ingest.load import find_files
    from ingest.pipeline import SEGMENTER_VERSION, sources

    manifest = store.read_manifest(settings.index_root)
    if manifest is None:
        return f"no index at {settings.index_root}"
    if manifest.get("embedding_model") != canonical_name(settings.embedding_model):
        return f"the index was built with {manifest.get('embedding_model')!r}, the setting is {settings.embedding_model!r}"
    if manifest.get("format_version") != store.FORMAT_VERSION:
        return (f"the index has format {manifest.get('format_version')!r}, this qbank reads {store.FORMAT_VERSION}")
    if manifest.get("segmenter_version") != SEGMENTER_VERSION:
        return (f"the index was built by another qbank version (segmentation and embedded texts "
                f"v{manifest.get('segmenter_version')}, this one uses v{SEGMENTER_VERSION})")
    if manifest.get("glossary_digest") != Glossary.load().digest():
        return "data/glossary.tsv changed since the index was built"
    from rag.uploads import file_sha256

    files, _ = find_files(sources(settings), settings.follow_symlinks)
    indexed = {path: meta.get("sha256") for path, meta in manifest.get("files", {}).items()}
    on_disk = {str(f): file_sha256(f) for f in files}
    refused = {path: meta.get("sha256") for path, meta in manifest.get("refused", {}).items()}
    on_disk = {p: sha for p, sha in on_disk.items() if refused.get(p) != sha}   # refused as they are: nothing new
    added = sorted(set(on_disk) - set(indexed))
    changed = sorted(p for p in set(on_disk) & set(indexed) if on_disk[p] != indexed[p])
    removed = sorted(set(indexed) - set(on_disk))
    if added or changed or removed:
        parts = [f"{label}: {', '.join(Path(p).name for p in paths[:3])}{' …' if len(paths) > 3 else ''}"
                 for label, paths in (("new", added), ("changed", changed), ("removed", removed)) if paths]
        return "sources differ from the index (" + "; ".join(parts) + ")"
    forced = layout_choices.load(settings)
    relaid = sorted(p for p, meta in manifest.get("files", {}).items() if meta.get("forced", "") != forced.get(p, ""))
    if relaid:
        return (f"the question markers chosen for {', '.join(Path(p).name for p in relaid[:3])}"
                f"{' …' if len(relaid) > 3 else ''} changed since the index was built (layouts.json)")
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_pair(settings) -> tuple[str, str] | None:
    """``(user, password)`` for Gradio's login when ``auth_user`` is set; the password comes from an env var.

    Raises:
        CliError: a user is set but the password env var is empty.
    """
    if not settings.auth_user:
        return None
    password = os.environ.get(settings.auth_password_env, "")
    if not password:
        raise CliError(f"auth_user is {settings.auth_user!r} but ${settings.auth_password_env} is empty; "
                       f"export {settings.auth_password_env}=... or unset auth_user")
    return settings.auth_user, password


def cmd_serve(args) -> int:
    from ingest.pipeline import ingest
    from ui.cli_common import _settings

    settings = _settings(args)
    auth = auth_pair(settings)
    from rag.uploads import recover

    for line in recover(settings):      # uploads a crash left in staging: finished or refused first
        print(f"qbank: {line}", file=sys.stderr)
    reason = stale_reason(settings)
    if reason:
        print(f"qbank: building the index first: {reason}", file=sys.stderr)
        report = ingest(settings)
        for name, why in report.errors:
            print(f"qbank: skipped {name}: {why}", file=sys.stderr)
        for name, why in report.warnings:
            print(f"qbank: warning: {name}: {why}", file=sys.stderr)
        if not report.items:
            raise CliError("the index could not be built; see the errors above")
        print(f"qbank: indexed {report.items} items in {report.seconds:.1f}s", file=sys.stderr)
    if not is_loopback(args.host):
        print(f"qbank: warning: serving on {args.host}, reachable from other machines"
              f"{'' if auth else ' WITHOUT a login (set auth_user and $' + settings.auth_password_env + ')'}",
              file=sys.stderr)
    from ui.app import launch

    launch(settings, host=args.host, port=args.port, auth=auth)
    return 0
