"""``qbank serve``: build the index if it is missing or stale, then start the Gradio app (loopback by default)."""

from __future__ import annotations

import faulthandler
import ipaddress
import os
import signal
import sys

from ingest.freshness import stale_reason  # noqa: F401  (the check lives in ingest; tests import it here)
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
    if not settings.ui.auth_user:
        return None
    password = os.environ.get(settings.ui.auth_password_env, "")
    if not password:
        raise CliError(f"auth_user is {settings.ui.auth_user!r} but ${settings.ui.auth_password_env} is empty; "
                       f"export {settings.ui.auth_password_env}=... or unset auth_user")
    return settings.ui.auth_user, password


def ensure_index(settings) -> None:
    """Finish or refuse uploads a crash left in staging, then (re)build the index when :func:`stale_reason` says so.

    Messages go to stderr (``qbank mcp`` speaks its protocol on stdout).

    Raises:
        CliError: the index could not be built.
    """
    from ingest.pipeline import ingest
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


def cmd_serve(args) -> int:
    from ui.cli_common import _settings

    settings = _settings(args)
    if hasattr(signal, "SIGUSR1"):      # `kill -USR1 <pid>` prints every thread's stack to stderr: a hung request shows where
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    auth = auth_pair(settings)
    ensure_index(settings)
    if not is_loopback(args.host):
        print(f"qbank: warning: serving on {args.host}, reachable from other machines"
              f"{'' if auth else ' WITHOUT a login (set auth_user and $' + settings.ui.auth_password_env + ')'}",
              file=sys.stderr)
    from ui.app import launch

    launch(settings, host=args.host, port=args.port, auth=auth)
    return 0
