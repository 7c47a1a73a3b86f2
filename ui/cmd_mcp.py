"""``qbank mcp``: serve the banks to MCP clients over stdio (default) or streamable HTTP (``--port``)."""

from __future__ import annotations

import contextlib
import sys

from ingest.settings import LLM_BACKENDS
from ui.cli_common import register

LOOPBACK = "127.0.0.1"


@register
def _add(sub) -> None:
    s = sub.add_parser("mcp", help="serve the banks as an MCP server (tools search, ask, get_item, grade_answer, "
                                   "next_question; the banks as resources): stdio, or streamable HTTP with --port")
    s.add_argument("--port", type=int, help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio")
    s.add_argument("--host", default=LOOPBACK, help="address for --port (default 127.0.0.1, this machine only)")
    s.add_argument("--llm", choices=LLM_BACKENDS, help="answer `ask` with this LLM backend (default: setting llm_backend)")
    s.set_defaults(func=cmd_mcp)


def cmd_mcp(args) -> int:
    from ui.cli_common import CliError, _settings
    from ui.cmd_serve import auth_pair, ensure_index, is_loopback

    if args.port is None and args.host != LOOPBACK:
        raise CliError("--host goes with --port (qbank mcp --port 8765 --host 0.0.0.0); stdio has no address")
    if args.port is not None and not 0 < args.port < 65536:
        raise CliError(f"--port must be from 1 to 65535, got {args.port}")
    settings = _settings(args)
    auth = auth_pair(settings) if args.port is not None else None
    # stdout is the protocol's wire on stdio: whatever loading prints goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        ensure_index(settings)
        from ui.mcp_server import build_server
        from ui.services import Services

        services = Services(settings)
        services.warm_up()
        services.store.max_profile_chars = settings.interview.max_profile_chars
        server = build_server(services)
    if args.port is None:
        server.run("stdio")
        return 0
    if not is_loopback(args.host):
        print(f"qbank: warning: MCP on {args.host}, reachable from other machines"
              f"{'' if auth else ' WITHOUT a login (set auth_user and $' + settings.ui.auth_password_env + ')'}",
              file=sys.stderr)
    import uvicorn

    from ui.chat_api import BearerAuth

    app = server.streamable_http_app(host=args.host)
    if auth:
        app = BearerAuth(app, settings, auth[1])
    print(f"qbank: MCP server at http://{args.host}:{args.port}/mcp", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
