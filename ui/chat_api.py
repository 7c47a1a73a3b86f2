"""An OpenAI-compatible chat endpoint beside the app: ``POST /v1/chat/completions`` (plain or streamed as
server-sent events) and ``GET /v1/models``, so any chat client can ask the banks.

* The answer is qbank's cited answer: the text carries its ``[n]`` markers and a source list, and the same
  citations come as data in ``choices[0].message.citations`` and a top-level ``citations`` list (with the
  level, confidence and related questions under ``qbank``). Streamed, the final chunk carries them.
* Multi-turn: earlier user messages are replayed offline (the banks-only answerer, no LLM call) to rebuild
  the conversation's topic, so a follow-up (``那它有什么缺点？``) is answered in context, as in the app.
* Models: ``qbank`` answers like the app's default (the server's ``llm_backend``); ``qbank-extractive``
  always from the banks only. System messages are ignored: qbank's own prompt is fixed.
* Login: when the app has one (``auth_user``), every request needs ``Authorization: Bearer <password>``, the
  login password (``$QBANK_PASSWORD``); wrong keys count as failed logins (``ui.login_throttle``).
* Errors come in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, in the language of the
  question (else the setting ``language``), naming the bad value.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from dataclasses import replace

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from ui.answer_text import InputError, answer_text, check_text, lang_of, notices_text, sources_text
from ui.i18n import t
from ui.services import Services, SessionLLM

MODELS = ("qbank", "qbank-extractive")
ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_BODY = 4_000_000     # bytes of one request: a long conversation is well under 1 MB


class ApiError(Exception):
    """An error answered in OpenAI's shape."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


class KeyCheck:
    """``Authorization: Bearer <key>`` against the login password, failures throttled like logins."""

    def __init__(self, settings, key: str, throttle=None):
        from ui.login_throttle import LoginThrottle

        self.settings, self._key = settings, key.encode()
        self.throttle = throttle or LoginThrottle.from_settings(settings)

    def check(self, headers, client: str) -> None:
        """Raises ApiError (401, or 429 while this address or all of them have failed too often)."""
        lang, env = self.settings.ui.language, self.settings.ui.auth_password_env
        seconds, who = self.throttle.wait(client)
        if seconds > 0:
            wait = max(1, int(seconds + 0.999))
            raise ApiError(429, self.throttle.message(seconds, who), "rate_limit_error", code="too_many_failed_keys",
                           headers={"Retry-After": str(wait)})
        scheme, _, given = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, t("api_no_key", lang, env=env), code="missing_api_key")
        if not hmac.compare_digest(given.strip().encode(), self._key):
            self.throttle.failed(client)
            raise ApiError(401, t("api_bad_key", lang, env=env), code="invalid_api_key")


class BearerAuth:
    """ASGI middleware: every HTTP request needs the key of a :class:`KeyCheck` (``qbank mcp --port`` with a login)."""

    def __init__(self, app, settings, key: str, throttle=None):
        self.app, self.keys = app, KeyCheck(settings, key, throttle)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            from starlette.datastructures import Headers

            try:
                self.keys.check(Headers(scope=scope), (scope.get("client") or ("unknown", 0))[0])
            except ApiError as err:
                await err.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _text(content) -> str:
    """A message's text: a string, or the ``text`` parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def parse_request(body, settings) -> tuple[str, list[tuple[str, str]], str, bool, str]:
    """``(model, earlier (question, answer) pairs, question, stream, lang)`` of a chat request.

    Raises:
        ApiError: 400 naming the bad field (404 for an unknown model).
    """
    lang = settings.ui.language
    if not isinstance(body, dict):
        raise ApiError(400, t("api_bad_json", lang, reason=type(body).__name__))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, t("api_no_messages", lang, got=repr(messages)[:80]), param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            raise ApiError(400, t("api_bad_message", lang, i=i, got=repr(m)[:80]), param=f"messages[{i}]")
        if m["role"] not in ROLES:
            raise ApiError(400, t("api_bad_role", lang, i=i, role=repr(m["role"])[:40]), param=f"messages[{i}].role")
    last = messages[-1]
    question_raw = _text(last.get("content"))
    lang = lang_of(question_raw, settings.ui.language)
    if last["role"] != "user":
        raise ApiError(400, t("api_last_not_user", lang, role=repr(last["role"])), param="messages")
    model = body.get("model") or MODELS[0]
    if model not in MODELS:
        raise ApiError(404, t("api_bad_model", lang, model=repr(model)[:80], models=", ".join(MODELS)),
                       param="model", code="model_not_found")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, t("api_bad_stream", lang, got=repr(stream)[:40]), param="stream")
    try:
        question = check_text(question_raw, "question", settings.search.max_query_chars, lang)
    except InputError as exc:
        raise ApiError(400, str(exc), param="messages") from None
    earlier, pending = [], None
    for m in messages[:-1]:
        if m["role"] == "user":
            if pending is not None:
                earlier.append((pending, ""))
            pending = _text(m.get("content"))
        elif m["role"] == "assistant" and pending is not None:
            earlier.append((pending, _text(m.get("content"))))
            pending = None
    if pending is not None:
        earlier.append((pending, ""))
    return model, earlier, question, stream, lang


def conversation(services: Services, model: str, earlier: list[tuple[str, str]]):
    """A :class:`rag.conversation.Conversation` holding ``earlier`` turns, replayed offline (banks only).

    Each earlier question is resolved and answered again by the extractive answerer, which rebuilds the
    topic and item the follow-up logic needs; the turn then keeps the text the client was shown.
    """
    from rag.conversation import MAX_TURNS, Conversation
    from rag.validate import QueryError

    replay = Conversation(services.answerer(SessionLLM()))
    shown = []
    for question, answer in earlier[-MAX_TURNS:]:
        try:
            replay.ask(question)
        except QueryError:
            continue
        shown.append(answer)
    turns = [replace(turn, answer=text or turn.answer) for turn, text in zip(replay.turns, shown)]
    llm = SessionLLM() if model == "qbank-extractive" else SessionLLM.default(services.settings)
    return Conversation(services.answerer(llm), turns)


def _extras(answer) -> dict:
    return {"citations": [c.public() for c in answer.citations],
            "qbank": {"level": answer.level, "confidence": round(max(0.0, float(answer.confidence)), 4),
                      "mode": answer.mode, "abstained": answer.abstained, "notice": notices_text(answer),
                      "resolved_question": answer.resolved_question or answer.question,
                      "related": [c.public() for c in answer.related]}}


def completion(answer, model: str, lang: str) -> dict:
    """The ``chat.completion`` object of an answer."""
    extras = _extras(answer)
    message = {"role": "assistant", "content": answer_text(answer, lang), "citations": extras["citations"]}
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}], **extras}


def stream_events(chat, question: str, model: str, lang: str):
    """Server-sent events of a streamed answer: role, text chunks, sources, then the citations and ``[DONE]``."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    try:
        streamed, answer = False, None
        for part in chat.stream(question):
            if isinstance(part, str):
                streamed = True
                yield event({"content": part})
            else:
                answer = part
        if not streamed:
            tail = answer_text(answer, lang)
        elif answer.mode == "llm":
            tail = "\n\n" + sources_text(answer, lang)
        else:     # the LLM failed mid-way: the reference answer replaces the partial text
            tail = "\n\n----\n" + answer_text(answer, lang)
        yield event({"content": tail})
        extras = _extras(answer)
        yield event({"citations": extras["citations"]}, "stop", **extras)
    except Exception as exc:  # noqa: BLE001 - the stream has begun: the error becomes its last event
        err = ApiError(500, t("api_failed", lang, reason=str(exc)[:300]), "server_error")
        yield f"data: {json.dumps(err.body(), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def api_routes(services: Services, key: str | None = None, throttle=None) -> list[Route]:
    """The routes to add to the app (before Gradio's): ``/v1/chat/completions``, ``/v1/models``, a 404 for the rest.

    Args:
        key: the login password when the app has a login (then every request needs it as a Bearer token).
        throttle: the app's :class:`ui.login_throttle.LoginThrottle`, so wrong keys count as failed logins.
    """
    settings = services.settings
    keys = KeyCheck(settings, key, throttle) if key else None

    def guard(request: Request) -> None:
        if keys is not None:
            keys.check(request.headers, request.client.host if request.client else "unknown")

    async def chat_completions(request: Request):
        try:
            guard(request)
            try:
                body = json.loads(await _read_body(request, settings.ui.language) or b"null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, t("api_bad_json", settings.ui.language, reason=str(exc)[:120])) from None
            model, earlier, question, stream, lang = parse_request(body, settings)
            if stream:
                chat = await run_in_threadpool(conversation, services, model, earlier)
                return StreamingResponse(iterate_in_threadpool(stream_events(chat, question, model, lang)),
                                         media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
            return JSONResponse(await run_in_threadpool(_answer, services, model, earlier, question, lang))
        except ApiError as err:
            return err.response()
        except Exception as exc:  # noqa: BLE001 - the API edge: one clear error, never a traceback
            return ApiError(500, t("api_failed", settings.ui.language, reason=str(exc)[:300]), "server_error").response()

    async def models(request: Request):
        try:
            guard(request)
        except ApiError as err:
            return err.response()
        return JSONResponse({"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "qbank"}
                                                        for m in MODELS]})

    async def not_found(request: Request):
        return ApiError(404, t("api_not_found", settings.ui.language, method=request.method, path=request.url.path),
                        code="unknown_url").response()

    return [Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]


async def _read_body(request: Request, lang: str) -> bytes:
    """The request body, refused (413) once it passes :data:`MAX_BODY` bytes: nothing bigger is buffered."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, t("api_too_big", lang, limit=MAX_BODY // 1_000_000), code="request_too_large")
        parts.append(chunk)
    return b"".join(parts)


def _answer(services: Services, model: str, earlier, question: str, lang: str) -> dict:
    return completion(conversation(services, model, earlier).ask(question), model, lang)
