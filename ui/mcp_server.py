"""The question banks as an MCP server (the official ``mcp`` SDK's :class:`MCPServer`), for Claude Desktop,
Cursor, Cherry Studio and other MCP clients.

Tools: ``search``, ``ask`` (cited, with its confidence level), ``get_item``, ``grade_answer`` (the offline
grader, optionally recorded in a profile's history) and ``next_question`` (due or weakest for a profile).
Resources: ``qbank://banks`` (every bank), ``qbank://banks/{file}`` (one bank's questions) and
``qbank://items/{item_id}`` (one item). Every tool returns readable text for the model and the same data
as structured content (the JSON of ``qbank search/ask/grade --json``). Everything goes through
:class:`ui.services.Services`; nothing here searches, answers, grades or schedules by itself.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict

from ui.answer_text import InputError, answer_json, answer_text, check_k, check_text, lang_of, where
from ui.i18n import t
from ui.services import Services

INSTRUCTIONS = (
    "qbank answers AI/ML/LLM interview questions from the user's question banks, with citations "
    "(document, question number, line span). Use `ask` for an answer, `search` for the nearest questions, "
    "`get_item` for a whole reference answer, and `next_question` + `grade_answer` to practise. Quote the "
    "[n] sources the tools give; when `level` is `closest` or `not_covered`, say so instead of inventing an answer.")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class SearchOut(_Out):
    query: str
    level: str
    confidence: float
    abstained: bool
    results: list[dict[str, Any]]


class AskOut(_Out):
    question: str
    answer: str
    level: str
    confidence: float
    mode: str
    citations: list[dict[str, Any]]
    related: list[dict[str, Any]]
    notice: str


class ItemOut(_Out):
    id: str
    doc: str
    file: str
    question: str
    answer: str
    key_points: list[str]
    lines: list[int] | None


class GradeOut(_Out):
    id: str
    score: int
    points: list[dict[str, Any]]
    feedback: str
    reference: dict[str, Any]
    recorded: bool


class NextOut(_Out):
    id: str
    question: str
    doc: str
    file: str
    lines: list[int] | None
    reason: str
    attempts: int
    due_today: int


def _result(text: str, data: dict) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def build_server(services: Services) -> MCPServer:
    """The MCP server over ``services`` (its searcher, answerer, grader and history store)."""
    settings = services.settings
    server = MCPServer("qbank", title="qbank interview question banks", instructions=INSTRUCTIONS, log_level="WARNING")

    def item_or_error(item_id, lang: str):
        item = services.item(item_id) if isinstance(item_id, str) else None
        if item is None:
            raise ToolError(t("api_no_item", lang, id=repr(item_id)))
        return item

    @server.tool(description="Search the question banks. Returns the nearest questions with their document, "
                             "number, line span and score, and how sure the search is (level: answered / closest / "
                             "not_covered).")
    def search(query: str, k: int = 5) -> Annotated[CallToolResult, SearchOut]:
        lang = lang_of(query, settings.ui.language)
        try:
            query, k = check_text(query, "query", settings.search.max_query_chars, lang), check_k(k, lang)
        except InputError as exc:
            raise ToolError(str(exc)) from None
        result = services.searcher.search(query, k=k)
        lines = [f"level: {result.level} (confidence {max(0.0, result.confidence):.2f})"]
        lines += [f"[{n}] {h.score:.3f} {h.item.id}  {h.item.question} — {h.item.doc}, {where(h.item)}"
                  for n, h in enumerate(result.hits, 1)]
        return _result("\n".join(lines), result.public())

    @server.tool(description="Answer an interview question from the banks, with [n] citations (document, number, "
                             "lines) and a confidence level: answered (the banks answer it), closest (only the "
                             "nearest questions, to check) or not_covered. Pass the conversation's earlier questions "
                             "(oldest first) as `history` so that a follow-up such as 那它有什么缺点？ keeps its topic.")
    def ask(question: str, history: list[str] | None = None) -> Annotated[CallToolResult, AskOut]:
        from ui.chat_api import conversation

        lang = lang_of(question, settings.ui.language)
        try:
            question = check_text(question, "question", settings.search.max_query_chars, lang)
        except InputError as exc:
            raise ToolError(str(exc)) from None
        answer = conversation(services, "qbank", [(q, "") for q in history or ()]).ask(question)
        return _result(answer_text(answer, lang), answer_json(answer))

    @server.tool(description="One Q&A item by id (from search, ask or the bank resources): its question, whole "
                             "reference answer, key points, document, file and line span.")
    def get_item(id: str) -> Annotated[CallToolResult, ItemOut]:   # `id`: the name clients see
        item = item_or_error(id, settings.ui.language)
        points = list(services.grader.prepared(item).points)
        data = item.public() | {"answer": item.answer, "key_points": points, "detail": item.detail}
        en = lang_of(item.question, settings.ui.language) == "en"
        text = "\n".join([f"{item.question}  ({item.id} — {item.doc}, {where(item)})", "", item.answer, "",
                          "Key points:" if en else "要点：", *[f"- {p}" for p in points]])
        return _result(text, data)

    @server.tool(description="Grade a candidate's answer to one item against its reference answer, offline: a "
                             "0-100 score and each key point covered / partial / missing / contradicted, with the "
                             "words that are the evidence. With `profile`, the grade is recorded in that profile's "
                             "history and review schedule.")
    def grade_answer(item_id: str, answer: str, profile: str | None = None) -> Annotated[CallToolResult, GradeOut]:
        from ui.cmd_interview import format_grade

        lang = lang_of(answer if isinstance(answer, str) else "", settings.ui.language)
        item = item_or_error(item_id, lang)
        try:
            answer = check_text(answer, "answer", settings.interview.max_answer_chars, lang)
            store = services.store if profile is not None else None
            if store is not None:
                _check_profile(store, profile, lang)
        except InputError as exc:
            raise ToolError(str(exc)) from None
        result = services.grader.grade(item, answer, lang)
        data = result.public()
        if store is not None:
            store.record(profile, item.id, result.score, result.answer, data, topic=item.topic, doc=item.doc)
        return _result(format_grade(result, lang), data | {"recorded": store is not None, "profile": profile})

    @server.tool(description="The next question to practise for a profile: a question due for review first "
                             "(mode due, the default) or the lowest-scored one (mode weakest), then new ones. "
                             "Optionally only from some documents or topics. Answer it with grade_answer.")
    def next_question(profile: str | None = None, mode: str = "due", docs: list[str] | None = None,
                      topics: list[str] | None = None) -> Annotated[CallToolResult, NextOut]:
        from rag.interview.session import SessionConfig, select_items

        lang = settings.ui.language
        profile = settings.interview.profile if profile is None else profile
        if mode not in ("due", "weakest"):
            raise ToolError(t("api_bad_mode", lang, mode=repr(mode)))
        store = services.store
        try:
            _check_profile(store, profile, lang)
            config = SessionConfig(tuple(docs or ()), tuple(topics or ()), 1, mode, profile)
            chosen = select_items(services.searcher.index.items, config, store.cards(profile), store.today())
        except InputError as exc:
            raise ToolError(str(exc)) from None
        except ValueError:   # no question matches the filters
            raise ToolError(t("api_no_questions", lang, docs=list(docs or ()), topics=list(topics or ()))) from None
        item = chosen[0]
        due = {c.item_id for c in store.due(profile)}
        attempts = store.attempts(profile, item.id)
        reason = "due" if item.id in due else ("new" if not attempts else mode)
        data = item.public() | {"detail": item.detail, "reason": reason, "attempts": len(attempts),
                                "last_score": attempts[-1]["score"] if attempts else None, "due_today": len(due),
                                "profile": profile}
        text = (f"{item.question}\n({item.id} — {item.doc}, {where(item)}; reason: {reason}, "
                f"{len(attempts)} attempts, {len(due)} due today for profile {profile})")
        return _result(text, data)

    _add_resources(server, services)
    return server


def _check_profile(store, profile, lang: str) -> None:
    if not isinstance(profile, str) or not profile.strip():
        raise InputError(t("api_bad_profile", lang, profile=repr(profile), reason="empty"), "profile")
    try:
        store.check_profile(profile)
    except ValueError as exc:
        raise InputError(t("api_bad_profile", lang, profile=repr(profile[:40]), reason=str(exc)), "profile") from None


def bank_uri(file: str) -> str:
    return f"qbank://banks/{quote(file, safe='')}"


def _banks(services: Services) -> dict[str, list]:
    banks: dict[str, list] = {}
    for it in services.all_items():
        banks.setdefault(it.file, []).append(it)
    return banks


def _bank_json(file: str, items: list) -> str:
    rows = [{k: v for k, v in it.public().items() if k != "file"} for it in items]
    return json.dumps({"file": file, "doc": items[0].doc, "items": rows}, ensure_ascii=False)


def _add_resources(server: MCPServer, services: Services) -> None:
    lang = services.settings.ui.language

    @server.resource("qbank://banks", name="banks", mime_type="application/json",
                     description="Every question bank: file, title, number of items and its resource URI.")
    def banks() -> str:
        return json.dumps([{"file": f, "doc": items[0].doc, "items": len(items), "uri": bank_uri(f)}
                           for f, items in sorted(_banks(services).items())], ensure_ascii=False)

    @server.resource("qbank://banks/{file}", name="bank", mime_type="application/json",
                     description="One bank's questions: id, number, question, section, topic and line span of each.")
    def bank(file: str) -> str:
        found = _banks(services)
        if file not in found:
            raise ResourceNotFoundError(t("api_no_bank", lang, file=repr(file), files=", ".join(sorted(found))))
        return _bank_json(file, found[file])

    @server.resource("qbank://items/{item_id}", name="item", mime_type="application/json",
                     description="One Q&A item with its whole reference answer.")
    def item(item_id: str) -> str:
        it = services.item(item_id)
        if it is None:
            raise ResourceNotFoundError(t("api_no_item", lang, id=repr(item_id)))
        return json.dumps(it.public() | {"answer": it.answer, "key_points": list(it.key_points)}, ensure_ascii=False)

    def reader(file: str):
        def read() -> str:
            return _bank_json(file, _banks(services)[file])
        return read

    for file, items in sorted(_banks(services).items()):   # each bank listed on its own, for clients' pickers
        server.resource(bank_uri(file), name=file, title=items[0].doc, mime_type="application/json",
                        description=f"{items[0].doc}: {len(items)} questions")(reader(file))
