"""``qbank grade`` (one answer, optionally JSON) and ``qbank interview`` (a terminal mock interview).

``qbank interview`` reads answers from standard input, so it works typed or piped: an
answer is one or more lines ended by an empty line (or the end of input). A line that is
only ``:skip`` skips the question, ``:quit`` ends the session (the report is still shown).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.settings import LLM_BACKENDS
from ui.cli_common import CliError, _print_json, _settings, register

MARK = {"covered": "✓", "partial": "◐", "missing": "✗", "contradicted": "⚠"}
STATUS_ZH = {"covered": "覆盖", "partial": "部分", "missing": "遗漏", "contradicted": "矛盾"}


@register
def _add(sub) -> None:
    s = sub.add_parser("grade", help="grade one answer against a question's reference answer")
    s.add_argument("--id", required=True, help="the question's id (see `qbank list`)")
    s.add_argument("--answer", required=True, help="the answer text, or '-' to read it from standard input")
    s.add_argument("--json", action="store_true", help="print the grade as JSON")
    s.add_argument("--llm", choices=LLM_BACKENDS, help="also grade with this LLM backend (default: setting llm_backend)")
    s.set_defaults(func=cmd_grade)

    s = sub.add_parser("interview", help="a mock interview in the terminal (answers end at an empty line)")
    s.add_argument("--topic", action="append", default=[], help="only this topic (repeatable)")
    s.add_argument("--doc", action="append", default=[], help="only this document, title or file name (repeatable)")
    s.add_argument("--count", type=int, default=5, help="number of questions (default 5)")
    s.add_argument("--profile", help="whose history and review schedule (default: setting profile)")
    order = s.add_mutually_exclusive_group()
    order.add_argument("--due", action="store_true", help="questions due for review first, then new ones")
    order.add_argument("--weakest", action="store_true", help="lowest-scored questions first, then new ones")
    s.add_argument("--seed", type=int, help="fix the random order (for scripts and tests)")
    s.add_argument("--report", type=Path, help="also write the session report to this Markdown file")
    s.add_argument("--stats", action="store_true", help="show what is due today and the weak topics, then exit")
    s.add_argument("--fit", action="store_true",
                   help="fit the profile's own FSRS parameters to its review log (needs 512 later-day reviews), "
                        "reschedule its questions, then exit")
    s.add_argument("--llm", choices=LLM_BACKENDS, help="also grade with this LLM backend (default: setting llm_backend)")
    s.set_defaults(func=cmd_interview)


def _grader(settings):
    from rag.interview.grade import Grader

    llm = None
    if settings.llm.backend != "none":
        from rag.llm import make_chat_model

        llm = make_chat_model(settings)
    return Grader(settings, llm=llm)


def cmd_grade(args) -> int:
    settings = _settings(args)
    answer = sys.stdin.read() if args.answer == "-" else args.answer
    grader = _grader(settings)
    try:
        item = grader.item(args.id)
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    result = grader.grade(item, answer)
    if args.json:
        _print_json(result.public())
    else:
        print(format_grade(result, settings.ui.language))
    return 0


def format_grade(result, lang: str = "zh") -> str:
    """A grade as terminal text: score, each point with its evidence, feedback, follow-up, citation."""
    zh = lang == "zh"
    ref = result.reference
    lines = [f"{'得分' if zh else 'Score'}: {result.score}/100" + (f"   (LLM: {result.llm.score})" if result.llm else "")
             + ("   ⚠ " + ("不确定" if zh else "uncertain") if result.uncertain else "")]
    for note in result.notices:
        lines.append(f"  ! {note}")
    for p in result.points:
        status = STATUS_ZH[p.status] if zh else p.status
        lines.append(f"  {MARK[p.status]} [{status}] {p.text}")
        if p.evidence:
            lines.append(f"      ↳ 「{p.evidence}」" + (f"  ({p.reason})" if p.reason else ""))
    lines.append(("反馈：" if zh else "Feedback: ") + result.feedback)
    if result.follow_up:
        lines.append(("追问：" if zh else "Follow-up: ") + result.follow_up)
    where = f"{ref.file}:{ref.lines[0]}-{ref.lines[1]}" if ref.lines else ref.file
    lines.append(("参考答案：" if zh else "Reference: ") + f"{ref.question} — {ref.doc} ({where}, {ref.id})")
    return "\n".join(lines)


def read_answer(stream) -> str | None:
    """Lines up to an empty line (or the end of input); ``None`` at the end of input with nothing read."""
    lines: list[str] = []
    while True:
        line = stream.readline()
        if not line:
            return "\n".join(lines) if lines else None
        line = line.rstrip("\r\n")
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue        # blank lines before an answer are ignored
        lines.append(line)
        if len(lines) == 1 and line.strip() in (":skip", ":quit", ":q"):
            return line.strip()


def cmd_interview(args) -> int:
    from rag.interview.session import InterviewSession, SessionConfig
    from rag.interview.history import open_history
    from rag.interview.text import sanitize

    settings = _settings(args)
    profile = args.profile or settings.interview.profile
    store = open_history(settings)
    store.check_profile(profile)
    zh = settings.ui.language == "zh"
    if args.stats:
        return _stats(store, profile, zh)
    if args.fit:
        return _fit(store, profile, zh)
    mode = "due" if args.due else "weakest" if args.weakest else "random"
    config = SessionConfig(tuple(args.doc), tuple(args.topic), args.count, mode, profile, args.seed, settings.ui.language)
    session = InterviewSession.start(_grader(settings), store, config)
    out = sys.stdout
    while (q := session.next_question()) is not None:
        out.write(f"\n[{q.n}/{q.total}] {q.question}\n")
        if q.detail and q.detail != q.question:
            out.write(f"      {q.detail}\n")
        out.write(f"      ({q.doc} · {q.id} · {q.topic})\n")
        out.write(("你的回答（空行结束；:skip 跳过，:quit 结束）：\n" if zh else
                   "Your answer (end with an empty line; :skip, :quit):\n"))
        out.flush()
        answer = read_answer(sys.stdin)
        if answer is None or answer in (":quit", ":q"):
            break
        if answer == ":skip":
            session.skip()
            continue
        if not sanitize(answer):    # only control / invisible characters: ask again, record nothing
            out.write("回答为空：请先作答。\n" if zh else "The answer is empty: type an answer first.\n")
            continue
        result = session.submit(answer)
        out.write(format_grade(result, settings.ui.language) + "\n")
        out.flush()
    report = session.finish()
    text = report.to_markdown()
    out.write("\n" + text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text, encoding="utf-8")
        print(f"report written to {args.report}", file=sys.stderr)
    return 0


def _stats(store, profile: str, zh: bool) -> int:
    from rag.interview.schedule import MIN_FIT_REVIEWS, later_day_reviews

    due = store.due(profile)
    print((f"档案 {profile}：今天到期 {len(due)} 题" if zh else f"profile {profile}: {len(due)} due today"))
    for c in due[:20]:
        recall = f"{c.retrievability:.0%}" if c.retrievability is not None else "-"
        print(f"  {c.item_id:<32} {'上次' if zh else 'last'} {c.last_score}  {'到期' if zh else 'due'} {c.due}  "
              f"{'记住概率' if zh else 'recall'} {recall}")
    reviews = later_day_reviews(store.histories(profile))
    if store.parameters(profile) is not None:
        line = (f"FSRS：本档案拟合的参数（{reviews} 次隔天复习）" if zh else
                f"FSRS: this profile's fitted parameters ({reviews} later-day reviews)")
    else:
        line = (f"FSRS：默认参数；{reviews}/{MIN_FIT_REVIEWS} 次隔天复习" if zh else
                f"FSRS: default parameters; {reviews}/{MIN_FIT_REVIEWS} later-day reviews")
        if reviews >= MIN_FIT_REVIEWS:
            line += "，可用 --fit 拟合本档案的参数" if zh else "; --fit fits this profile's own"
    print(line)
    stats = store.topic_stats(profile)
    if stats:
        print("薄弱主题（平均分从低到高）：" if zh else "weak topics (lowest mean first):")
        for s in stats:
            print(f"  {s.topic:<12} {s.mean_score:5.1f}  ({s.attempts} {'次' if zh else 'attempts'}, "
                  f"{s.due} {'题到期' if zh else 'due'})")
    return 0


def _fit(store, profile: str, zh: bool) -> int:
    """``qbank interview --fit``: the profile's own FSRS parameters (fsrs's Optimizer) and its cards rescheduled."""
    from rag.interview.schedule import NotEnoughReviews

    try:
        report = store.fit(profile)
    except NotEnoughReviews as exc:
        raise CliError(f"档案 {profile!r} 只有 {exc.reviews} 次隔天复习，拟合 FSRS 参数至少需要 {exc.needed} 次；"
                       f"在此之前使用默认参数" if zh else f"profile {profile!r}: {exc}") from None
    if zh:
        print(f"档案 {profile}：用 {report.reviews} 次隔天复习拟合 FSRS 参数；对数损失 默认 {report.loss_default:.4f} → "
              f"拟合 {report.loss_fitted:.4f}；" + ("已采用" if report.kept else "没有更好，仍用默认参数") +
              f"；重新安排 {report.cards} 题")
    else:
        print(f"profile {profile}: FSRS parameters fitted to {report.reviews} later-day reviews; log loss default "
              f"{report.loss_default:.4f} -> fitted {report.loss_fitted:.4f}; " +
              ("now in use" if report.kept else "no better, the defaults stay") + f"; {report.cards} questions rescheduled")
    print("parameters: " + " ".join(f"{x:.4f}" for x in report.parameters))
    return 0
