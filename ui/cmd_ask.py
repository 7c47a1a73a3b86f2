"""``qbank ask``: cited answers on the command line (``eval`` registers separately)."""

from __future__ import annotations

import sys

from ingest.settings import LLM_BACKENDS
from ingest.text.script import has_cjk
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
    from rag.answer import Answerer
    from rag.answer_types import Answer
    from rag.conversation import Conversation
    from rag.validate import QueryError
    from ui.answer_text import answer_body, answer_json

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
                _print_json(answer_json(chat.ask(line)))
            except QueryError as exc:
                _print_json({"question": echo(line), "error": str(exc)})
        return 0
    if args.json:
        _print_json(answer_json(chat.ask(args.question)))
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
        sys.stdout.write("\n\n----\n" + answer_body(answer) + "\n")
    else:
        print(answer_body(answer))
    _print_sources(answer)
    return 0


def level_line(level: str, confidence: float, en: bool) -> str:
    """The one-line confidence level shown by ``qbank ask`` and ``qbank search`` ('' when there is none).

    >>> level_line("closest", 0.41, False)
    '【最接近的题目，请核对 · 置信度 0.41】'
    >>> level_line("answered", 0.9, True)
    '[answered 0.90: answered from the banks]'
    """
    from ui.answer_text import LEVEL_WORDS, level_words

    return level_words(level, confidence, "en" if en else "zh") if level in LEVEL_WORDS else ""


def _print_sources(answer) -> None:
    from ui.answer_text import notices_text, where

    en = not has_cjk(answer.question)
    if answer.resolved_question and answer.resolved_question != answer.question:
        print(("(searched: " if en else "（检索：") + answer.resolved_question + (")" if en else "）"))
    line = level_line(getattr(answer, "level", ""), getattr(answer, "confidence", 0.0), en)
    if line:
        print(line)
    notice = notices_text(answer)
    if notice:
        print(("note: " if en else "注意：") + notice)
    if answer.citations:
        print("\nSources:" if en else "\n出处：")
        for c in answer.citations:
            print(f"[{c.n}] {c.question}  — {c.doc}, {where(c)}")
    if answer.related and not answer.abstained:
        print("\nRelated:" if en else "\n相关问题：")
        for c in answer.related:
            print(f"  {c.question}  — {c.doc}, {where(c)}")

