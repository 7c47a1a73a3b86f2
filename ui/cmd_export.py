"""``qbank export anki``: the banks' questions (filtered by document, topic, or due for a profile) as an Anki deck."""

from __future__ import annotations

import sys
from pathlib import Path

from ui.cli_common import CliError, _settings, register


@register
def _add(sub) -> None:
    s = sub.add_parser("export", help="export the questions to another tool (anki: an Anki .apkg deck)")
    fmt = s.add_subparsers(dest="format", metavar="FORMAT", required=True)
    a = fmt.add_parser("anki", help="an Anki package: one note per question (answer, key points, source), "
                                    "stable ids so a re-export updates the notes already imported")
    a.add_argument("-o", "--output", type=Path, required=True, help="the .apkg file to write")
    a.add_argument("--docs", "--doc", nargs="+", action="extend", default=[], metavar="DOC",
                   help="only these documents (title or file name)")
    a.add_argument("--topics", "--topic", nargs="+", action="extend", default=[], metavar="TOPIC",
                   help="only these topics or section paths")
    a.add_argument("--due", action="store_true", help="only the questions due for review today (for --profile)")
    a.add_argument("--profile", help="whose review schedule --due reads (default: setting profile)")
    a.add_argument("--deck", default="qbank", help="the top deck's name (default qbank; a sub-deck per document)")
    a.set_defaults(func=cmd_export_anki)


def cmd_export_anki(args) -> int:
    from rag.anki import UnknownFilter, export_apkg, select
    from rag.library import Library

    settings = _settings(args)
    zh = settings.ui.language == "zh"
    ids = None
    if args.due:
        from rag.interview.history import open_history

        profile = args.profile or settings.interview.profile
        store = open_history(settings)
        store.check_profile(profile)
        ids = [c.item_id for c in store.due(profile)]
        if not ids:
            raise CliError(f"档案 {profile!r} 今天没有到期的题目" if zh else f"profile {profile!r} has nothing due today")
    try:
        items = select(Library(settings).items(), args.docs, args.topics, ids)
    except UnknownFilter as exc:
        if zh:
            kind = "文档" if exc.kind == "doc" else "主题"
            raise CliError(f"没有{kind}为 {exc.value!r} 的题目；用 `qbank list` 查看文档和主题") from None
        raise CliError(str(exc)) from None
    if not items:
        raise CliError("没有符合条件的题目可导出" if zh else "no questions match these filters")
    if args.output.suffix.lower() != ".apkg":
        raise CliError(f"{str(args.output)!r} 不是 .apkg 文件；Anki 导入 .apkg（例如 -o deck.apkg）" if zh else
                       f"{str(args.output)!r} does not end in .apkg; Anki imports .apkg files (e.g. -o deck.apkg)")
    done = export_apkg(items, args.output, deck=args.deck)
    print((f"已导出 {done.notes} 题到 {done.path}（{len(done.decks)} 个牌组）；在 Anki 中 文件 → 导入" if zh else
           f"{done.notes} questions written to {done.path} ({len(done.decks)} decks); in Anki: File → Import"),
          file=sys.stderr)
    return 0
