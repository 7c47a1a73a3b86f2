"""``qbank history copy --to-database``: an existing SQLite interview history into the PostgreSQL database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ui.cli_common import CliError, _settings, register


@register
def _add(sub) -> None:
    s = sub.add_parser("history", help="the interview history itself (copy: from interview.sqlite3 into the database)")
    act = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = act.add_parser("copy", help="copy the SQLite history (attempts, FSRS cards, parameters, sessions, "
                                    "conversations) into the database of database_url; running it again copies "
                                    "nothing twice")
    c.add_argument("--to-database", action="store_true", required=True,
                   help="into the database named by database_url (QBANK_DATABASE_URL)")
    c.add_argument("--from", dest="source", type=Path, metavar="FILE",
                   help="the SQLite history to copy (default: $QBANK_HOME/interview.sqlite3)")
    c.add_argument("--json", action="store_true", help="print what was copied as one JSON object")
    c.set_defaults(func=cmd_history_copy)


def cmd_history_copy(args) -> int:
    from rag.interview.history_copy import copy_to_database

    settings = _settings(args)
    if not settings.store.database_url:
        raise CliError("no database to copy into: set database_url (QBANK_DATABASE_URL=postgresql://…) and run "
                       "`qbank history copy --to-database` again")
    source = args.source or settings.db_path
    if not Path(source).is_file():
        raise CliError(f"no interview history at {source} to copy (it is $QBANK_HOME/interview.sqlite3; "
                       f"name another file with --from)")
    report = copy_to_database(source, settings.store.database_url)
    if args.json:
        print(json.dumps(report.public(), ensure_ascii=False))
        return 0
    copied = ", ".join(f"{n} {name}" for name, n in report.copied.items())
    present = sum(report.present.values())
    print(f"copied {copied} from {report.source} to {report.target}"
          + (f"; {present} row(s) were there already and kept" if present else "")
          + (f"; {report.replayed} card(s) replayed with the file's attempts" if report.replayed else ""),
          file=sys.stderr)
    return 0
