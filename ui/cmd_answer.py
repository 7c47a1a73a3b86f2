"""``qbank ask``: cited answers on the command line (``eval`` registers separately)."""

from __future__ import annotations

import sys

from ingest.settings import LLM_BACKENDS
from ui.cli_common import _print_json, _settings, echo, register


# -- ask -----------------------------------------------------------------------------------------
@register
def _add_ask(sub) -> None:
    s = sub.add_parser("ask", help="answer a question from the banks, with citations "
                                   "(QUESTION '-' reads one question per line from stdin as one conversation)")
    s.add_argument("question", metavar="QUESTION")
    s.add_argument("--json", action="store_true", help="print the answer as JSON")
    s.add_argument("--llm", choices=LLM_BACKENDS, help="answer with this LLM backend (default: setting llm_backend)")
    s.add_argument("-k", type=int, default=None, help="number of retrieved items (default: setting top_k)")
    s.set_defaults(func=cmd_ask)


def cmd_ask(args) -> int:
    from rag.answer import Answer, Answerer
    from rag.conversation import Conversation
    from rag.retrieve import QueryError

    settings = _settings(args)
    if args.k is not None:
        settings = settings.replace(top_k=args.k)
    chat = Conversation(Answerer(settings))
    if args.question == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                _print_json(chat.ask(line).public())
            except QueryError as exc:
                _print_json({"question": echo(line), "error": str(exc)})
        return 0
    if args.json:
        _print_json(chat.ask(args.question).public())
        return 0
    streamed = False
    answer: Answer | None = None
    for part in chat.stream(args.question):
        if isinstance(part, str):
            sys.stdout.write(part)
            sys.stdout.flush()
            streamed = True
        else:
            answer = part
    if streamed and answer.mode == "llm":
        sys.stdout.write("\n")
    elif streamed:   # the LLM failed mid-way: the reference answer replaces the partial text
        sys.stdout.write("\n\n----\n" + answer.answer + "\n")
    else:
        print(answer.answer)
    _print_sources(answer)
    return 0


def _print_sources(answer) -> None:
    en = not any("\u4e00" <= ch <= "\u9fff" for ch in answer.question)
    if answer.resolved_question and answer.resolved_question != answer.question:
        print(("(searched: " if en else "（检索：") + answer.resolved_question + (")" if en else "）"))
    level = getattr(answer, "level", "")
    if level:
        words = {"answered": ("answered from the banks", "题库作答"), "closest": ("closest match, please check", "最接近的题目，请核对"),
                 "not_covered": ("not covered by the banks", "题库未覆盖")}[level]
        conf = max(0.0, getattr(answer, "confidence", 0.0))
        print(f"[{level} {conf:.2f}: {words[0]}]" if en else f"【{words[1]} · 置信度 {conf:.2f}】")
    if answer.notice:
        print(("note: " if en else "注意：") + answer.notice)
    if answer.citations:
        print("\nSources:" if en else "\n出处：")
        for c in answer.citations:
            print(f"[{c.n}] {c.question}  — {c.doc}, {_where(c)}")
    if answer.related and not answer.abstained:
        print("\nRelated:" if en else "\n相关问题：")
        for c in answer.related:
            print(f"  {c.question}  — {c.doc}, {_where(c)}")


def _where(c) -> str:
    if c.lines:
        return f"{c.file}:{c.lines[0]}-{c.lines[1]}"
    return f"{c.file} p.{c.page}" if c.page else c.file
