"""What the app's handlers call: one shared searcher and answerers, per-session LLM settings, uploads.

Everything here delegates to ``rag/`` and ``ingest/``; nothing searches, answers or grades
by itself. Per-session state (chat turns, the session's LLM settings, an API key) lives
in ``gr.State`` values built from the plain dataclasses below, never on the server object.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field, replace

from cachetools import LRUCache

from ingest.items import QAItem
from ingest.settings import LLMSettings, Settings

MAX_ANSWERERS = 16
TEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class SessionLLM:
    """One browser session's LLM: the server's ``llm`` section with this session's choices, and a key.

    ``llm`` is an :class:`~ingest.settings.LLMSettings`, validated like the config file's (a bad backend
    is refused by the same rule), so there is one definition of what an LLM setting is. ``api_key`` is
    kept in memory only and never shown or logged.
    """

    llm: LLMSettings = field(default_factory=LLMSettings)
    api_key: str = field(default="", repr=False)

    @classmethod
    def default(cls, settings: Settings) -> "SessionLLM":
        """The server's own LLM (its settings, its environment's key)."""
        return cls(settings.llm)

    @classmethod
    def chosen(cls, backend: str = "none", model: str = "", base_url: str = "", api_key: str = "",
               base: LLMSettings | None = None) -> "SessionLLM":
        """``base`` (timeouts, temperature ...) with a session's backend, model and endpoint."""
        base = base or LLMSettings()
        return cls(LLMSettings(**{**base.model_dump(), "backend": backend or "none", "model": model,
                                  "base_url": base_url}), api_key)

    @property
    def backend(self) -> str:
        return self.llm.backend.value

    @property
    def model(self) -> str:
        return self.llm.model

    @property
    def base_url(self) -> str:
        return self.llm.base_url

    def key_id(self) -> str:
        """A short hash standing for the key (cache keys, logs): never the key itself."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:12] if self.api_key else ""


@dataclass
class ChatState:
    """One session's conversation: finished turns (``rag.conversation.Turn``) and the last answer's sources."""

    turns: list = field(default_factory=list)
    cited: list[tuple[int, str]] = field(default_factory=list)     # (n, item id) of the last answer
    related: list[str] = field(default_factory=list)               # questions suggested after it


class Services:
    """The server's shared objects: settings, the searcher (swapped after an upload) and answerers."""

    def __init__(self, settings: Settings):
        from rag.searcher import Searcher

        self.settings = settings
        self._lock = threading.Lock()
        self._searcher = Searcher(settings)
        self._answerers: LRUCache[tuple, object] = LRUCache(maxsize=MAX_ANSWERERS)    # under _lock
        self._library_cache: tuple[str, list[QAItem]] | None = None
        self._grader = None
        self._store = None
        self._log = None

    def warm_up(self) -> None:
        """Load the index, the embedding model, the answer layer and the grader before the first user arrives."""
        self._searcher.warm_up()
        self.grader.warm_up()
        try:        # the history opened (and migrated) now, not inside a user's first event
            _ = self.store, self.log
        except OSError:
            pass    # a damaged or unwritable history: the app still serves; the interview tabs say what is wrong
        if self.settings.llm.backend == "none":     # an LLM default would send a request: not at start-up
            self.answerer(SessionLLM.default(self.settings)).ask("什么是过拟合？")

    @property
    def grader(self):
        """The offline grader (``rag.interview.grade.Grader``) on the live index."""
        from rag.interview.grade import Grader

        with self._lock:
            if self._grader is None or self._grader.searcher is not self._searcher:
                self._grader = Grader(self.settings, self._searcher)
            return self._grader

    @property
    def store(self):
        """Interview history and spaced repetition (SQLite under $QBANK_HOME, or the database: ``database_url``)."""
        from rag.interview.history import open_history

        with self._lock:
            if self._store is None:
                self._store = open_history(self.settings)
            return self._store

    @property
    def log(self):
        """Practice sessions and conversations per profile (``rag.interview.sessions.SessionLog``, beside the history)."""
        from rag.interview.history import open_session_log

        with self._lock:
            if self._log is None:
                self._log = open_session_log(self.settings)
            return self._log

    @property
    def searcher(self):
        return self._searcher

    def grader_for(self, llm: SessionLLM):
        """The grader for a session: the shared offline grader, plus the session's chat model if it has one.

        The LLM grader shares the offline grader's index, prepared items and cache; only its
        ``llm`` differs (the chat model of this session's answerer, so a session API key is used).

        Returns:
            ``(grader, reason)``: ``reason`` is a short, key-free message when the session's LLM
            cannot be set up (then the grader is the offline one), else ``""``.
        """
        grader = self.grader
        if llm.backend == "none":
            return grader, ""
        try:
            model = self.answerer(llm).model
        except (ValueError, ImportError) as exc:      # LLMConfigError, a missing package or a bad local model
            reason = str(exc)
            return grader, reason.replace(llm.api_key, "***") if llm.api_key else reason
        return replace(grader, settings=self.settings_for(llm), llm=model), ""

    def settings_for(self, llm: SessionLLM) -> Settings:
        return self.settings.replace(llm=llm.llm)

    def answerer(self, llm: SessionLLM):
        """The answerer for a session's LLM settings (shared by sessions with the same settings).

        Raises:
            LLMConfigError: incomplete LLM settings (e.g. backend without a model).
        """
        from rag.answer import Answerer

        key = (id(self._searcher), llm.backend, llm.model, llm.base_url, llm.key_id())
        with self._lock:
            found = self._answerers.get(key)
            if found is not None:
                return found
        settings = self.settings_for(llm)
        model = make_model(settings, llm.api_key) if llm.api_key and llm.backend == "openai" else None
        answerer = Answerer(settings, self._searcher, model=model)
        with self._lock:
            self._answerers[key] = answerer
        return answerer

    # -- library -------------------------------------------------------------
    def all_items(self) -> list[QAItem]:
        """Every indexed item (cached per index version)."""
        from rag.library import Library

        self._searcher.refresh()     # another replica's upload (database store)
        folder = str(self._searcher.index.folder)
        cache = self._library_cache
        if cache is None or cache[0] != folder:
            cache = self._library_cache = (folder, Library(self.settings).items())
        return cache[1]

    def items(self, doc: str | None = None, topic: str | None = None) -> list[QAItem]:
        return [it for it in self.all_items() if (not doc or doc in (it.doc, it.file)) and (not topic or it.topic == topic)]

    def item(self, item_id: str) -> QAItem | None:
        return self._searcher.index.by_id.get(item_id)

    def docs(self) -> list[str]:
        return sorted({it.doc for it in self.all_items()})

    def topics(self) -> list[str]:
        return sorted({it.topic for it in self.all_items() if it.topic})

    def sections(self) -> list[str]:
        """The section paths of the questions (``3.1 基本概念``), offered as topics in the interview set-up.

        A section that is only the document's title adds nothing to the document filter and is left out.
        """
        return sorted({it.section for it in self.all_items()
                       if it.section and it.kind == "qa" and it.section != it.doc})

    def topic_choices(self) -> list[tuple[str, str]]:
        """The interview's topic choices: every topic, then every section path (``§ 3.1 基本概念``)."""
        topics = self.topics()
        return [(tp, tp) for tp in topics] + [(f"§ {s}", s) for s in self.sections() if s not in topics]

    # -- uploads -------------------------------------------------------------
    def preview(self, files: list[tuple[str, str]], layouts: dict[str, str] | None = None):
        """How chosen files would be split (``rag.uploads.preview_uploads``); nothing is stored or indexed."""
        from rag.uploads import preview_uploads

        return preview_uploads(self.settings, files, layouts)

    def remembered_layout(self, name: str) -> str:
        from rag.uploads import remembered_layout

        return remembered_layout(self.settings, name)

    def upload(self, files: list[tuple[str, str]], layouts: dict[str, str] | None = None, owner: str = ""):
        """Stage, index and store uploaded banks (``rag.uploads.ingest_uploads``), then switch every session
        to the new index.

        A fresh searcher is built and warmed before the switch, so searches already running
        finish on the old index and the next ones see the upload.

        Args:
            layouts: ``{name as sent: layout}`` chosen in the preview (remembered for the stored file).
            owner: who uploads (a browser's token or a session id): only the same owner replaces a bank of
                the same name; another's upload of that name is stored beside it under a new name.
        """
        from rag.searcher import Searcher
        from rag.uploads import ingest_uploads

        report = ingest_uploads(self.settings, files, layouts, owner=owner)
        if report.added:
            fresh = Searcher(self.settings)
            fresh.warm_up()
            with self._lock:
                self._searcher = fresh
                self._answerers.clear()
            self.grader.warm_up()
        return report


def make_model(settings: Settings, api_key: str):
    """A chat model for ``settings`` that uses a session's own API key instead of the environment's."""
    from rag.llm import make_chat_model

    return make_chat_model(settings, api_key=api_key)


def test_connection(services: Services, llm: SessionLLM) -> tuple[bool, str, int]:
    """Send one tiny prompt to the session's LLM.

    Returns:
        ``(ok, the reply or why it failed, milliseconds)``: the reason is a setting's message (str) or a
        key-free :class:`rag.llm.LLMError` (``ui.answer_text.llm_error_text`` words it).
    """
    from langchain_core.messages import HumanMessage

    from rag.answer_types import LLMError
    from rag.llm import describe_failure, make_chat_model, stream_with_deadline

    settings = services.settings_for(llm)
    timeout = min(settings.llm.timeout, TEST_TIMEOUT)
    t0 = time.perf_counter()
    try:
        model = make_model(settings, llm.api_key) if llm.api_key and llm.backend == "openai" else make_chat_model(settings)
        parts = []
        for chunk in stream_with_deadline(model, [HumanMessage("Reply with the single word: pong")], timeout):
            parts.append(getattr(chunk, "content", "") if not isinstance(chunk, str) else chunk)
            if sum(len(p) for p in parts) > 40:
                break
        reply = "".join(str(p) for p in parts).strip() or "(empty reply)"
        ok = True
    except (ValueError, ImportError) as exc:      # LLMConfigError is a ValueError: a setting to fix
        reply, ok = str(exc), False
    except Exception as exc:  # noqa: BLE001 - any transport failure becomes a short, key-free reason
        reply, ok = describe_failure(exc, settings.replace(llm_timeout=timeout)), False
    if isinstance(reply, LLMError):
        if llm.api_key:
            reply = replace(reply, detail=reply.detail.replace(llm.api_key, "***"), where=reply.where.replace(llm.api_key, "***"))
        return ok, reply, int((time.perf_counter() - t0) * 1000)
    if llm.api_key:
        reply = reply.replace(llm.api_key, "***")
    return ok, reply[:200], int((time.perf_counter() - t0) * 1000)
