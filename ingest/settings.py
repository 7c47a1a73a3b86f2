"""One settings object for the whole app, loaded from env vars and an optional TOML file.

Precedence: explicit keyword arguments > ``QBANK_*`` environment variables >
``$QBANK_HOME/config.toml`` > defaults. API keys are only ever read from the
environment variable named by ``llm_api_key_env`` and are never stored here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = CHECKOUT / "data" / "corpus"
DATA_DIR = CHECKOUT / "data"

LLM_BACKENDS = ("none", "openai", "ollama", "local", "fake")
LANGUAGES = ("zh", "en")

# the range of every numeric setting (inclusive; None = unbounded); every float must also be finite
RANGES: dict[str, tuple[float | None, float | None]] = {
    "embed_batch_size": (1, None), "embed_workers": (0, 64), "top_k": (1, 100),
    "embed_concurrency": (1, 64), "embed_retries": (0, 20), "embed_timeout": (0.001, 3600),
    "weight_question": (0, 10), "weight_dense": (0, 1), "weight_coverage": (0, 1), "abstain_threshold": (0, 1),
    "flat_index_max": (0, None), "max_query_chars": (1, None), "llm_timeout": (0, 3600),
    "llm_temperature": (0, 2), "llm_max_tokens": (1, None), "max_answer_chars": (1, None),
    "max_profile_chars": (1, 10_000), "upload_max_mb": (1, 1024), "ui_concurrency": (1, 256),
    "tmp_max_age_s": (1, None), "login_max_failures": (1, None), "login_global_max_failures": (1, None),
    "login_window_s": (0.001, None), "html_max_depth": (1, 600), "docx_max_unzipped_mb": (0.001, None),
    "docx_max_xml_mb": (0.001, None), "docx_max_entries": (1, None), "max_file_chars": (1, None),
    "parse_timeout": (0, None), "max_item_chars": (100, None), "embed_max_chars": (100, None),
    "max_duplicate_links": (0, None),
}


class SettingError(ValueError):
    """A setting whose value makes no sense; ``name`` is the field, the message says what is wrong."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(message)


def default_home() -> Path:
    """The checkout's git-ignored ``.qbank`` folder when run from a checkout, else ``~/.qbank``."""
    if (CHECKOUT / "pyproject.toml").exists():
        return CHECKOUT / ".qbank"
    return Path.home() / ".qbank"


@dataclass(frozen=True)
class Settings:
    """Every tunable of qbank. Frozen: derive a changed copy with :meth:`replace`."""

    home: Path = field(default_factory=default_home)
    # embedding: "use-multilingual" (bundled, offline), any sentence-transformers model name / local path
    # (e.g. "BAAI/bge-small-zh-v1.5" in a warm HF cache), or an OpenAI-compatible /v1/embeddings server:
    # "openai:<model>@<base_url>" (e.g. "openai:multilingual-e5-small-q4@http://127.0.0.1:8000/v1")
    embedding_model: str = "use-multilingual"
    embed_batch_size: int = 64     # texts per embed call (per request to a server)
    embed_workers: int = 0         # processes embedding a big ingest; 0 = one per core (max 4), 1 = in-process
    embed_concurrency: int = 4     # requests in flight to an embedding server
    embed_retries: int = 3         # extra attempts of a failed request (refused, timeout, 429, 5xx), with back-off
    embed_timeout: float = 60.0    # seconds per request to an embedding server
    embed_api_key_env: str = "QBANK_EMBED_API_KEY"   # env var holding the server's key (never stored here)
    embed_input_type: bool = True  # send input_type query/passage (e5-style servers); false for servers refusing it
    # retrieval
    top_k: int = 5
    # retrieval weights and threshold: measured on the tuning half of data/eval (`qbank eval --tune`, README)
    weight_question: float = 0.45      # BM25 weight of the question field vs the answer field
    weight_dense: float = 0.181        # fusion weight of the dense score
    weight_coverage: float = 0.113     # fusion weight of the share of query terms the item contains
    abstain_threshold: float = 0.0867  # abstain when the top hit's confidence is below this
    flat_index_max: int = 50_000   # above this many vectors, an HNSW index is built
    max_query_chars: int = 2_000
    # answers / LLM
    llm_backend: str = "none"      # none | openai | ollama | local | fake
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_timeout: float = 30.0
    llm_temperature: float = 0.2
    llm_max_tokens: int = 512      # longest LLM reply (tokens)
    # interview
    max_answer_chars: int = 4_000
    profile: str = "default"
    max_profile_chars: int = 64    # characters of a profile name (stored on every row of the history)
    # ui
    language: str = "zh"
    upload_max_mb: int = 20
    auth_user: str = ""
    auth_password_env: str = "QBANK_PASSWORD"
    tmp_max_age_s: float = 3600    # files under $QBANK_HOME/tmp (reports, received uploads) older than this are removed
    ui_concurrency: int = 8        # app events run at once (the rest queue); 20+ chat sessions share them
    login_max_failures: int = 5    # failed logins one address may make within login_window_s ...
    login_global_max_failures: int = 50   # ... and all addresses together; then logins wait (429, "try again in N s")
    login_window_s: float = 60
    # limits on what one bank file may cost (README, "Limits"); a file over a limit is refused in one line
    html_max_depth: int = 120      # tags nested inside each other in an HTML bank (font/span do not count)
    docx_max_unzipped_mb: float = 100   # a DOCX's declared unzipped size, all parts (checked before parsing)
    docx_max_xml_mb: float = 40    # ... of its XML parts (parsed as trees of ~15x their size)
    docx_max_entries: int = 2000   # files inside a DOCX package
    max_file_chars: int = 3_000_000    # characters of text in one bank file
    parse_timeout: float = 60      # seconds to read one PDF/DOCX (a file over it is refused until it changes)
    max_item_chars: int = 50_000   # characters of one answer; a longer one is cut, with a note
    embed_max_chars: int = 8_000   # characters per embedded text; a longer passage is embedded in pieces
    follow_symlinks: bool = False  # follow links in a bank folder to files outside it (qbank ingest --follow-symlinks)
    max_duplicate_links: int = 20  # word-for-word duplicates listed on each item (the group id is stored too)
    # store: "" keeps the index under $QBANK_HOME/index; postgresql://user:pass@host/db puts it in PostgreSQL + pgvector
    database_url: str = ""

    def __post_init__(self) -> None:
        """Every value checked where it is made: a NaN threshold or a negative timeout never reaches the code."""
        if self.llm_backend not in LLM_BACKENDS:
            raise SettingError("llm_backend",
                               f"llm_backend {self.llm_backend!r} is not supported; use one of {', '.join(LLM_BACKENDS)}.")
        if self.language not in LANGUAGES:
            raise SettingError("language", f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}.")
        for name, (lo, hi) in RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SettingError(name, f"{name} must be a number, got {value!r}.")
            if isinstance(value, float) and not math.isfinite(value):
                raise SettingError(name, f"{name} must be a finite number, got {value!r}.")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                span = f"within [{lo:g}, {hi:g}]" if lo is not None and hi is not None else f">= {lo:g}"
                raise SettingError(name, f"{name} must be {span}, got {value!r}.")
        if self.embedding_model.startswith("openai:"):
            from ingest.server_embed import parse   # the one parser of the setting (it imports nothing of qbank)

            try:
                parse(self.embedding_model)
            except ValueError as exc:
                raise SettingError("embedding_model", str(exc)) from None
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise SettingError("database_url", "database_url must be empty (files under $QBANK_HOME) or a "
                                               "postgresql://user:password@host:port/dbname URL, got "
                                               f"{self.database_url.split('://')[0]!r}://….")
        if not self.profile.strip() or len(self.profile) > self.max_profile_chars:
            raise SettingError("profile", f"profile must be a name of 1 to {self.max_profile_chars} characters "
                                          f"(setting max_profile_chars), got {len(self.profile)} characters.")

    # -- derived paths -------------------------------------------------
    @property
    def index_root(self) -> Path:
        return self.home / "index"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def sources_file(self) -> Path:
        return self.home / "sources.json"

    @property
    def layouts_file(self) -> Path:
        return self.home / "layouts.json"

    @property
    def db_path(self) -> Path:
        return self.home / "interview.sqlite3"

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, **overrides) -> "Settings":
        """Build settings from defaults, ``config.toml``, ``QBANK_*`` env vars and ``overrides``."""
        home = Path(overrides.get("home") or os.environ.get("QBANK_HOME") or default_home()).expanduser()
        values: dict = {}
        config = home / "config.toml"
        if config.exists():
            try:
                values.update(tomllib.loads(config.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{config} is not valid TOML: {exc}") from exc
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, f in fields.items():
            env = os.environ.get(f"QBANK_{name.upper()}")
            if env is not None and name != "home":
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(fields)
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(fields)}")
        values["home"] = home
        env_names = {name for name in fields if name != "home" and f"QBANK_{name.upper()}" in os.environ}

        def source(name: str) -> str:
            """Where a value came from, as the user would look for it."""
            if name in overrides and overrides[name] is not None:
                return f"{name}={values[name]!r}"
            if name in env_names:
                return f"QBANK_{name.upper()}={os.environ[f'QBANK_{name.upper()}']}"
            return f"{config}: {name} = {values.get(name)!r}"

        try:
            return cls(**{k: _coerce(fields[k], v) for k, v in values.items()})
        except SettingError as exc:
            if exc.name not in values:      # a default that depends on another value (profile, max_profile_chars)
                raise
            raise SettingError(exc.name, f"{source(exc.name)}: {exc}") from None


def _coerce(f: dataclasses.Field, value):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "Path":
            return Path(value).expanduser()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word in ("1", "true", "yes", "on"):
                return True
            if word in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(word)
    except (TypeError, ValueError) as exc:
        raise SettingError(f.name, f"setting {f.name} must be {kind}, got {value!r}") from exc
    return value
