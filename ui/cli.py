"""The ``qbank`` command line: ingest, list, search, ask, eval, grade, interview, serve.

Heavy modules are imported inside each command so ``qbank --help`` starts instantly.
Every expected failure prints ``qbank: error: ...`` and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ui.cli_common import _EXTRA_COMMANDS, CliError, _print_json, _settings, echo, register  # noqa: F401


def _where(settings) -> str:
    """Where the index was written: its folder, or the database (password masked)."""
    from ingest.index_store import open_store

    return open_store(settings).location


def cmd_ingest(args) -> int:
    from ingest.pipeline import ingest

    settings = _settings(args)
    if args.follow_symlinks:
        settings = settings.replace(follow_symlinks=True)
    if args.json and not args.dry_run:
        raise CliError("--json goes with --dry-run (qbank ingest --dry-run --json PATH)")
    layouts = None
    if args.layout is not None:
        if not args.paths:
            raise CliError("--layout needs the files it applies to: qbank ingest --layout NAME PATH")
        from ingest.layout_choices import check

        check(args.layout)      # an unknown name is one clear error before anything is read
        layouts = {p: args.layout for p in args.paths}
    if args.dry_run:
        return _dry_run(settings, args, layouts)
    report = ingest(settings, [Path(p) for p in args.paths], rebuild=args.rebuild, layouts=layouts)
    for name, reason in report.errors:
        print(f"qbank: skipped {name}: {reason}", file=sys.stderr)
    for name, reason in report.warnings:
        print(f"qbank: warning: {name}: {reason}", file=sys.stderr)
    if report.items:
        print(f"indexed {report.items} items from {report.files} files in {report.seconds:.1f}s "
              f"({report.embedded} texts embedded, {report.reused} reused: cached or repeated) -> {_where(settings)}")
    return 0 if report.items and not report.errors else (1 if report.items else 2)


def _dry_run(settings, args, layouts) -> int:
    """``qbank ingest --dry-run``: how each file would be split; nothing is written."""
    from ingest.pipeline import doubt_message, dry_run
    from ingest.segment import LAYOUTS

    splits = dry_run(settings, [Path(p) for p in args.paths], layouts)
    if args.json:
        _print_json({"files": [_split_json(s) for s in splits]})
    for s in splits:
        if s.error:
            print(f"qbank: skipped {s.path}: {s.error}", file=sys.stderr)
            continue
        if args.json:
            continue
        forced = ", forced" if s.forced else ""
        print(f"{s.path}: {len(s.items)} items · layout {s.layout} ({LAYOUTS.get(s.layout, '?')}{forced})")
        if s.doubt:
            print(f"  ! doubtful split ({s.doubt}): {doubt_message(s)}")
        for it in s.items:
            number = f"#{it.number}" if it.number is not None else "§"
            where = f"L{it.lines[0]}-{it.lines[1]}" if it.lines else (f"p.{it.page}" if it.page else "")
            section = f"[{it.section}] " if it.section else ""
            print(f"  {number:<6} {where:<12} {len(it.answer):>6} chars  {section}{it.question[:80]}")
    good = [s for s in splits if not s.error]
    return 0 if good and len(good) == len(splits) else (1 if good else 2)


def _split_json(s) -> dict:
    if s.error:
        return {"path": s.path, "error": s.error}
    items = []
    for it in s.items:
        d = {"id": it.id, "number": it.number, "question": it.question, "section": it.section,
             "lines": list(it.lines) if it.lines else None, "answer_chars": len(it.answer), "kind": it.kind}
        if it.page is not None:
            d["page"] = it.page
        items.append(d)
    return {"path": s.path, "layout": s.layout, "forced": s.forced, "doubt": s.doubt, "lines": s.lines,
            "items": items}


def cmd_list(args) -> int:
    from rag.library import Library

    lib = Library(_settings(args))
    items = lib.items(doc=args.doc, topic=args.topic)
    if args.json:
        _print_json([it.public() for it in items])
        return 0
    for it in items:
        where = f"{it.file}:{it.lines[0]}-{it.lines[1]}" if it.lines else (f"{it.file} p.{it.page}" if it.page else it.file)
        print(f"{it.id:<32} {it.question[:60]:<60} {where}")
    print(f"{len(items)} items", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    from rag.searcher import Searcher
    from rag.validate import QueryError

    searcher = Searcher(_settings(args))
    if args.query == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                _print_json(searcher.search(line, k=args.k).public())
            except QueryError as exc:
                _print_json({"query": echo(line), "error": str(exc), "abstained": True, "results": []})
        return 0
    result = searcher.search(args.query, k=args.k)
    if args.json:
        _print_json(result.public())
        return 0
    from ingest.text.script import has_cjk
    from ui.cmd_ask import level_line

    en = not has_cjk(args.query)
    print(level_line(result.level, result.confidence, en))
    if result.abstained:
        print("The banks do not cover this question. The nearest questions:" if en
              else "题库中没有直接覆盖这个问题。最接近的问题：")
    for n, hit in enumerate(result.hits, 1):
        it = hit.item
        where = f"{it.file}:{it.lines[0]}-{it.lines[1]}" if it.lines else it.file
        also = f"  (also {', '.join(hit.also_in)})" if hit.also_in else ""
        print(f"[{n}] {hit.score:.3f} {it.id}  {it.question}  ({it.doc}, {where}){also}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qbank", description="Cited answers and mock interviews from AI/ML interview question banks.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="index the bundled corpus, plus banks at PATH (files or folders)")
    s.add_argument("paths", nargs="*", metavar="PATH")
    s.add_argument("--rebuild", action="store_true", help="re-embed everything, ignoring the cache")
    s.add_argument("--dry-run", action="store_true",
                   help="print the items each file would give (layout, doubt, number, question, section, lines, "
                        "answer length) without touching the index, sources.json or layouts.json")
    s.add_argument("--json", action="store_true", help="with --dry-run: one JSON object {files: [...]}")
    s.add_argument("--layout", metavar="NAME",
                   help="force the question marker of the files at PATH, remembered for later ingests: auto "
                        "(qbank chooses), heading1..heading6, bold, numbered, list, qa or sections")
    s.add_argument("--follow-symlinks", action="store_true",
                   help="follow symbolic links in a bank folder to files outside it (setting follow_symlinks; "
                        "by default they are skipped and named)")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("list", help="list every indexed question")
    s.add_argument("--json", action="store_true")
    s.add_argument("--doc", help="only this document (title or file name)")
    s.add_argument("--topic", help="only this topic")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("search", help="search the banks (QUERY '-' reads one query per line from stdin)")
    s.add_argument("query", metavar="QUERY")
    s.add_argument("-k", type=int, default=None, help="number of results")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from ui import commands  # noqa: F401  (registers ask/eval/grade/interview/serve)

    parser = build_parser()
    args = parser.parse_args(argv)
    _home_tmp()
    if args.command != "ingest":
        # One BLAS thread for queries: their matrix products are small, and on a busy machine BLAS
        # threads waiting for each other made a search 10x slower (bench/). Ingest uses processes.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("qbank: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the CLI edge: one clear line, never a traceback
        from ingest.server_embed import EmbeddingServerError
        from ingest.store import IndexUnavailable
        from rag.validate import QueryError

        if isinstance(exc, EmbeddingServerError):      # in the user's language (setting language)
            try:
                lang = _settings(args).ui.language
            except Exception:  # noqa: BLE001 - the message matters more than its language
                lang = "en"
            print(f"qbank: error: {exc.localized(lang)}", file=sys.stderr)
            return 2
        if isinstance(exc, (CliError, QueryError, IndexUnavailable, ValueError, ImportError, OSError)):
            print(f"qbank: error: {exc}", file=sys.stderr)
            return 2
        import sqlite3

        if isinstance(exc, sqlite3.DatabaseError):   # only the interview history is SQLite
            try:
                where = _settings(argparse.Namespace()).db_path
            except Exception:  # noqa: BLE001 - the message matters more than the path
                where = "interview.sqlite3"
            if "locked" in str(exc) or "busy" in str(exc):
                print(f"qbank: error: the interview history {where} is busy ({exc}); another qbank is writing "
                      f"it: try again in a moment", file=sys.stderr)
            else:
                print(f"qbank: error: the interview history {where} cannot be used ({exc}); if it is damaged "
                      f"(qbank says so when it is), move it aside to start a new history", file=sys.stderr)
            return 2
        raise


def _home_tmp() -> None:
    """Temporary files of this command (and of Gradio, and of worker processes) under ``$QBANK_HOME/tmp``.

    Only when the home exists: a command that only reads (``--dry-run``) or stops at a bad argument must not
    create one. ``qbank serve`` (ui/app.py) makes its own home's tmp folder in any case.
    """
    try:
        from ingest.settings import Settings
        from ui.tmpfiles import use_home_tmp

        home = Settings.load().home
        if home.is_dir():
            use_home_tmp(home)
    except Exception:  # noqa: BLE001 - a bad config or a read-only home is reported by the command itself
        pass


if __name__ == "__main__":
    # run through the imported module, whose registry the sub-command modules fill (`python -m ui.cli`)
    from ui.cli import main as _main

    sys.exit(_main())
