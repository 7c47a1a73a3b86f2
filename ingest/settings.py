"""One settings object for the whole app, loaded from env vars and an optional TOML file.

Precedence: explicit keyword arguments > ``QBANK_*`` environment variables >
``$QBANK_HOME/config.toml`` > defaults. API keys are only ever read from the
environment variable named by ``llm_api_key_env`` and are never stored here.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = CHECKOUT / "data" / "corpus"
DATA_DIR = CHECKOUT / "data"

LLM_BACKENDS = ("none", "openai", "ollama", "local", "fake")


def default_home() -> Path:
    """The checkout's git-ignored ``.qbank`` folder when run from a checkout, else ``~/.qbank``."""
    if (CHECKOUT / "pyproject.toml").exists():
        return CHECKOUT / ".qbank"
    return Path.home() / ".qbank"


@dataclass(frozen=True)
class Settings:
    """Every tunable of qbank. Frozen: derive a changed copy with :meth:`replace`."""

    home: Path = field(default_factory=default_home)
    # embedding: "use-multilingual" (bundled, offline), or any sentence-transformers
    # model name / local path (e.g. "BAAI/bge-small-zh-v1.5" in a warm HF cache).
    embedding_model: str = "use-multilingual"
    embed_batch_size: int = 64
    embed_workers: int = 0         # processes embedding a big ingest; 0 = one per core (max 4), 1 = in-process
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

    def __post_init__(self) -> None:
        if self.llm_backend not in LLM_BACKENDS:
            raise ValueError(
                f"llm_backend {self.llm_backend!r} is not supported; use one of {', '.join(LLM_BACKENDS)}."
            )
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k!r}.")
        if not 0.0 <= self.weight_dense <= 1.0:
            raise ValueError(f"weight_dense must be within [0, 1], got {self.weight_dense!r}.")

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
        return cls(**{k: _coerce(fields[k], v) for k, v in values.items()})


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
        raise ValueError(f"setting {f.name} must be {kind}, got {value!r}") from exc
    return value
