"""Chat-model backends (settings ``llm_*``), a deadline around streaming, and short failure reasons.

Backends:

* ``openai``: ``langchain_openai.ChatOpenAI`` on any OpenAI-compatible API (OpenAI, DeepSeek,
  Qwen, vLLM, llama.cpp, Ollama's ``/v1``): ``llm_model``, optional ``llm_base_url``, key from
  the environment variable named by ``llm_api_key_env`` (never from a file, never logged).
* ``ollama``: ``langchain_ollama.ChatOllama`` (``llm_base_url`` default ``http://127.0.0.1:11434``).
* ``local``: a Hugging Face model folder (or ``.gguf`` file) through a transformers pipeline,
  wrapped as ``HuggingFacePipeline`` + ``ChatHuggingFace``; loaded once per process.
* ``fake``: :class:`EchoChatModel`, deterministic, for tests and demos.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable

from ingest.settings import Settings
from rag.answer_types import LLMError, LLMErrorKind

_PACKAGES = {"openai": "langchain-openai", "ollama": "langchain-ollama", "local": "langchain-huggingface transformers"}
_LOCAL_CACHE: dict[tuple, BaseChatModel] = {}
_LOCAL_LOCK = threading.Lock()
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


class LLMConfigError(ValueError):
    """The LLM settings are incomplete or wrong; the message names the setting to fix."""


class LLMTimeout(TimeoutError):
    """The model sent nothing for longer than ``llm_timeout`` seconds."""


def check_llm_settings(settings: Settings, api_key: str | None = None) -> None:
    """Fail fast, before any model loads or request goes out, when settings are incomplete.

    Raises:
        LLMConfigError: a required setting is missing.
    """
    backend = settings.llm.backend
    if backend in ("none", "fake"):
        return
    if not settings.llm.model:
        hint = {"openai": "a model name, e.g. deepseek-chat or qwen2.5:7b",
                "ollama": "an Ollama model, e.g. qwen2.5:7b",
                "local": "a local model folder (config.json + tokenizer) or a .gguf file"}[backend]
        raise LLMConfigError(f"llm_backend is {backend!r} but llm_model is empty: set QBANK_LLM_MODEL to {hint}.")
    if settings.llm.timeout <= 0:
        raise LLMConfigError(f"llm_timeout must be > 0 seconds, got {settings.llm.timeout!r}.")
    if backend == "openai" and not settings.llm.base_url and not (api_key or settings.llm.api_key()):
        raise LLMConfigError(
            f"llm_backend 'openai' needs an API key in the environment variable {settings.llm.api_key_env} "
            f"(setting llm_api_key_env), or llm_base_url pointing at a local OpenAI-compatible server.")


def make_chat_model(settings: Settings, api_key: str | None = None) -> BaseChatModel:
    """Build the chat model the settings describe (``llm_backend`` must not be ``none``).

    ``api_key`` (openai backend) replaces the key from the environment: the app passes a key a
    user typed for their browser session only.

    Raises:
        LLMConfigError: incomplete settings or a local model that cannot be loaded.
        ImportError: the backend's package is not installed (the message says which).
    """
    check_llm_settings(settings, api_key)
    backend = settings.llm.backend
    if backend == "none":
        raise LLMConfigError("llm_backend is 'none': set QBANK_LLM_BACKEND (openai, ollama, local) or pass --llm.")
    if backend == "fake":
        return EchoChatModel()
    try:
        if backend == "openai":
            return _openai(settings, api_key)
        if backend == "ollama":
            return _ollama(settings)
        return _local(settings)
    except ModuleNotFoundError as exc:
        raise ImportError(f"llm_backend {backend!r} needs the package {exc.name!r}: "
                          f"pip install {_PACKAGES[backend]}") from None


def _openai(settings: Settings, api_key: str | None = None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    # local servers (vLLM, llama.cpp, Ollama /v1) accept any key
    secret = settings.llm.api_key()
    key = api_key or (secret.get_secret_value() if secret else "") or "not-needed"
    return ChatOpenAI(model=settings.llm.model, base_url=settings.llm.base_url or None, api_key=key,
                      timeout=settings.llm.timeout, max_retries=0, temperature=settings.llm.temperature,
                      max_tokens=settings.llm.max_tokens, use_responses_api=False)


def _ollama(settings: Settings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(model=settings.llm.model, base_url=settings.llm.base_url or None,
                      temperature=settings.llm.temperature, num_predict=settings.llm.max_tokens,
                      client_kwargs={"timeout": settings.llm.timeout})


def _local(settings: Settings) -> BaseChatModel:
    key = (settings.llm.model, settings.llm.max_tokens)
    with _LOCAL_LOCK:
        if key not in _LOCAL_CACHE:
            _LOCAL_CACHE[key] = _load_local(settings.llm.model, settings.llm.max_tokens)
        return _LOCAL_CACHE[key]


def _load_local(name: str, max_tokens: int) -> BaseChatModel:
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    path = Path(name).expanduser()
    where, extra = (str(path.parent), {"gguf_file": path.name}) if path.suffix == ".gguf" else (name, {})
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **extra)
        model = AutoModelForCausalLM.from_pretrained(where, **extra)
    except (OSError, ValueError) as exc:
        raise LLMConfigError(
            f"cannot load the local model {name!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
            f"Set QBANK_LLM_MODEL to a folder with config.json and tokenizer files, or a .gguf file; "
            f"models are never downloaded.") from None
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, max_new_tokens=max_tokens,
                    do_sample=False, return_full_text=False)
    return ChatHuggingFace(llm=HuggingFacePipeline(pipeline=pipe, model_id=name), tokenizer=tokenizer, model_id=name)


def stream_with_deadline(runnable: Runnable, inputs: Any, timeout: float) -> Iterator[Any]:
    """``runnable.stream(inputs)``, but raise :class:`LLMTimeout` when no chunk arrives for ``timeout`` s.

    The model runs in a daemon thread, so a hung connection or a stuck local model cannot
    block the caller past the deadline (the first chunk and every gap between chunks).
    Errors of the model are re-raised here.
    """
    q: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in runnable.stream(inputs):
                if stop.is_set():
                    return
                q.put(("chunk", chunk))
            q.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            q.put(("error", exc))

    threading.Thread(target=work, daemon=True, name="qbank-llm").start()
    try:
        while True:
            try:
                kind, value = q.get(timeout=timeout)
            except queue.Empty:
                raise LLMTimeout(f"no reply within {timeout:g}s") from None
            if kind == "chunk":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()


def describe_failure(exc: BaseException, settings: Settings) -> LLMError:
    """A short, key-free account of a failed LLM call, for the user's notice (worded by ``ui``) and the log."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    where = settings.llm.base_url or settings.llm.backend
    secret = settings.llm.api_key()
    if secret:
        where = where.replace(secret.get_secret_value(), "***")
    if isinstance(exc, LLMTimeout) or "Timeout" in name:
        return LLMError(LLMErrorKind.TIMEOUT, f"{settings.llm.timeout:g}", where)
    if isinstance(status, int) and status > 0:
        return LLMError(LLMErrorKind.HTTP, str(status), where)
    if "Connect" in name or isinstance(exc, ConnectionError):
        return LLMError(LLMErrorKind.CONNECT, "", where)
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):
        return LLMError(LLMErrorKind.MALFORMED, name, where)
    key = secret.get_secret_value() if secret else ""
    return LLMError(LLMErrorKind.OTHER, name.replace(key, "***") if key else name, where)


class EchoChatModel(BaseChatModel):
    """The ``fake`` backend: answers from the first context item with a ``[1]`` citation.

    Deterministic and offline. For a condense-question prompt (no ``<context>``) it joins
    the previous user question and the follow-up.
    """

    chunk_chars: int = 8

    @property
    def _llm_type(self) -> str:
        return "qbank-echo"

    @staticmethod
    def reply(messages: list[BaseMessage]) -> str:
        humans = [m.content for m in messages if isinstance(m, HumanMessage) and isinstance(m.content, str)]
        last = humans[-1] if humans else ""
        m = re.search(r'<item n="1"[^>]*>\s*问题: (.*?)\n答案: (.*?)\n</item>', last, re.S)
        if m:
            body = " ".join(m.group(2).split())[:160]
            first = body[: body.find("。") + 1] if "。" in body else body
            return f"{first} [1]"
        if "<context>" in last:
            return "题库中没有相关内容。"
        return f"{humans[-2]} {last}" if len(humans) >= 2 else last

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply(messages)))])

    def _stream(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        text = self.reply(messages)
        for i in range(0, len(text), self.chunk_chars):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text[i:i + self.chunk_chars]))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
