"""What every surface shares: the words of an answer's notices (one place, both languages), the answer as JSON,
input checks that answer in the user's language, and an answer as plain text with its sources (for chat clients
and assistants, which show text, not the app's side panel).

Nothing here searches or answers: it formats :class:`rag.answer_types.Answer` and checks arguments.
"""

from __future__ import annotations

from enum import Enum

from ingest.text.script import has_cjk, is_english
from rag.answer_types import LLMError, Notice
from ui.i18n import t

LEVEL_WORDS = {"answered": ("题库作答", "answered from the banks"),
               "closest": ("最接近的题目，请核对", "closest match, please check"),
               "not_covered": ("题库未覆盖", "not covered by the banks")}


def answer_lang(answer) -> str:
    """The language an answer's own messages are in: the question's (``en`` for an English question, else ``zh``)."""
    return "en" if is_english(answer.question) else "zh"


def llm_error_text(error: LLMError | str, lang: str) -> str:
    """A failed LLM call (:class:`rag.llm.LLMError`) in ``lang``; a plain string is shown as it is.

    Example:
        >>> from rag.llm import LLMErrorKind
        >>> llm_error_text(LLMError(LLMErrorKind.CONNECT, "", "http://127.0.0.1:9/v1"), "zh")
        '无法连接 http://127.0.0.1:9/v1'
    """
    if not isinstance(error, LLMError):
        return str(error)
    return t(f"llm_error_{error.kind.value}", lang, detail=error.detail, where=error.where)


def notice_text(notice: Notice, lang: str) -> str:
    """One notice in ``lang``: the text ``notice_<code>`` of :mod:`ui.i18n` with its parameters worded.

    Example:
        >>> from rag.answer_types import NoticeCode
        >>> notice_text(Notice.of(NoticeCode.HALF_COMPARISON, missing=("LN", "BN")), "zh")
        '题库没有覆盖 LN、BN：这只是一半的答案。'
    """
    fmt = {}
    for name, value in notice.params:
        if name == "numbers":
            value = "".join(f"[{n}]" for n in value)
        elif name == "missing":
            value = ", ".join(value) if lang == "en" else "、".join(value)
        elif name == "kind":
            name, value = "reason", t(f"llm_failure_{value.value}", lang)
        elif name == "reason" and isinstance(value, LLMError):
            value = llm_error_text(value, lang)
        elif name == "aspect":
            value = t(f"aspect_{value}", lang)
        elif name == "lines":
            name, value = "where", t("excerpt_lines", lang, a=value[0], b=value[1]) if value else ""
        elif name == "nearest":
            value = (t("nearest_head", lang) + "".join(t("nearest_row", lang, question=q, doc=d) for q, d in value)
                     if value else "")
        elif isinstance(value, Enum):
            value = value.value
        fmt[name] = value
    return t(f"notice_{notice.code.value}", lang, **fmt)


def notices_text(answer, lang: str | None = None) -> str:
    """All of an answer's notices on one line ("" when there is none), in ``lang`` (default :func:`answer_lang`)."""
    lang = lang or answer_lang(answer)
    return " ".join(notice_text(n, lang) for n in answer.notices)


def answer_body(answer, lang: str | None = None) -> str:
    """The whole answer text (its ``body``: bank text and the sentences around it), in ``lang``
    (default :func:`answer_lang`); the answer's ``answer`` when it has no such sentences."""
    body = getattr(answer, "body", ())     # like ui.render, any object with an ``answer`` text renders
    if not body:
        return answer.answer
    lang = lang or answer_lang(answer)
    return "".join(b if isinstance(b, str) else notice_text(b, lang) for b in body)


def answer_json(answer) -> dict:
    """``answer.public()`` worded: the whole ``answer`` and its notices as ``notice`` (``qbank ask --json``, MCP)."""
    out = {}
    for key, value in answer.public().items():
        if key == "notices":
            out["notice"] = notices_text(answer)
        out[key] = answer_body(answer) if key == "answer" else value
    return out


class InputError(ValueError):
    """An argument the caller must fix; ``param`` names it, the message (in the caller's language) says how."""

    def __init__(self, message: str, param: str = ""):
        super().__init__(message)
        self.param = param


def lang_of(text: str | None, default: str) -> str:
    """``zh`` when ``text`` has Chinese characters, ``en`` when it has Latin words and none, else ``default``.

    Example:
        >>> lang_of("什么是感受野？", "en"), lang_of("What is dropout?", "zh"), lang_of("???", "zh")
        ('zh', 'en', 'zh')
    """
    text = text or ""
    if has_cjk(text):
        return "zh"
    return "en" if is_english(text) else default


def check_text(text, what: str, limit: int, lang: str) -> str:
    """``text`` cleaned (``rag.validate.check_query``: control characters and escapes out, stripped).

    Args:
        what: the parameter's name, quoted in the message (``question``, ``query``, ``answer``).
        limit: most characters accepted.

    Raises:
        InputError: ``text`` is not a string, is empty once cleaned, or is longer than ``limit``.
    """
    from rag.validate import QueryError, check_query

    if text is not None and not isinstance(text, str):
        raise InputError(t("api_not_text", lang, what=what, kind=type(text).__name__), what)
    try:
        cleaned = check_query(text, 10 ** 12)     # only the cleaning and the empty check: the limit is ours
    except QueryError:
        raise InputError(t("api_empty", lang, what=what), what) from None
    if len(cleaned) > limit:
        raise InputError(t("api_too_long", lang, what=what, n=len(cleaned), limit=limit), what)
    return cleaned


def check_k(k, lang: str, most: int = 50) -> int:
    """A result count from 1 to ``most``. Raises InputError naming the value otherwise."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= most:
        raise InputError(t("api_bad_k", lang, k=repr(k), most=most), "k")
    return k


def where(c) -> str:
    """``dl_basics_qa.txt:1002-1020`` (or ``x.pdf p.3``) for a citation, item or reference."""
    if c.lines:
        return f"{c.file}:{c.lines[0]}-{c.lines[1]}"
    return f"{c.file} p.{c.page}" if getattr(c, "page", None) else c.file


def level_line(answer, lang: str) -> str:
    """``【题库作答 · 置信度 0.83】`` / ``[answered 0.83: answered from the banks]``."""
    return level_words(answer.level, answer.confidence, lang)


def level_words(level: str, confidence: float, lang: str) -> str:
    """:func:`level_line` of a level and a confidence (``qbank search`` has no answer)."""
    zh, en = LEVEL_WORDS.get(level, (level, level))
    conf = max(0.0, float(confidence))
    return f"[{level} {conf:.2f}: {en}]" if lang == "en" else f"【{zh} · 置信度 {conf:.2f}】"


def sources_text(answer, lang: str) -> str:
    """The lines shown under an answer: what was searched, the level, the notice, the sources, related questions."""
    en = lang == "en"
    out = []
    if answer.resolved_question and answer.resolved_question != answer.question:
        out.append(f"(searched: {answer.resolved_question})" if en else f"（检索：{answer.resolved_question}）")
    out.append(level_line(answer, lang))
    notice = notices_text(answer)
    if notice:
        out.append(("note: " if en else "注意：") + notice)
    if answer.citations:
        out.append("")
        out.append("Sources:" if en else "出处：")
        out.extend(f"[{c.n}] {c.question} — {c.doc}, {where(c)}" for c in answer.citations)
    if answer.related and not answer.citations:
        out.append("")
        out.append("Nearest questions:" if en else "最接近的问题：")
        out.extend(f"- {c.question} — {c.doc}, {where(c)}" for c in answer.related)
    return "\n".join(out)


def answer_text(answer, lang: str) -> str:
    """The answer with its ``[n]`` markers, then :func:`sources_text`."""
    return f"{answer_body(answer).rstrip()}\n\n{sources_text(answer, lang)}"
