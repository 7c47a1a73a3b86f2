"""One nested settings object for the whole app, loaded from env vars and an optional TOML file.

``Settings`` has a section per concern — ``embedding``, ``search``, ``llm``, ``interview``, ``ui``, ``limits``,
``store`` — each a frozen pydantic model that parses and checks its own values (types, ranges, enums), so
``settings.llm.backend`` is an :class:`LLMBackend` and a NaN threshold never reaches the code.

Precedence: explicit keyword arguments > ``QBANK_*`` environment variables > ``$QBANK_HOME/config.toml`` >
defaults, where the defaults of measured values (the fusion weights, the abstention threshold) come from
``data/tuned.toml``. ``config.toml`` takes nested tables (``[llm] model = "deepseek-chat"``) or the flat names
earlier versions wrote (``llm_model = "deepseek-chat"``); every field also has one flat name, the one its
environment variable uses (``QBANK_LLM_MODEL``), accepted wherever a setting is named by keyword
(``Settings.load(llm_model=...)``, ``settings.replace(top_k=3)``). API keys are only ever read from the
environment variable a setting names (``llm.api_key_env``) and never stored: :meth:`LLMSettings.api_key`.

The loader is small and ours (pydantic does the parsing and checking): an error names where the bad value
came from (``QBANK_TOP_K=many: …`` or ``…/config.toml: llm_timeout = -1: …``), which a generic source cannot.
"""

from __future__ import annotations

import enum
import math
import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

CHECKOUT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = CHECKOUT / "data" / "corpus"
DATA_DIR = CHECKOUT / "data"
TUNED_FILE = DATA_DIR / "tuned.toml"
TUNED: dict[str, dict[str, Any]] = tomllib.loads(TUNED_FILE.read_text(encoding="utf-8"))


class LLMBackend(enum.StrEnum):
    NONE = "none"
    OPENAI = "openai"
    OLLAMA = "ollama"
    LOCAL = "local"
    FAKE = "fake"


class Language(enum.StrEnum):
    ZH = "zh"
    EN = "en"


LLM_BACKENDS = tuple(b.value for b in LLMBackend)
LANGUAGES = tuple(lang.value for lang in Language)


class SettingError(ValueError):
    """A setting whose value makes no sense; ``name`` is its flat name, the message says what is wrong."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(message)


def default_home() -> Path:
    """The checkout's git-ignored ``.qbank`` folder when run from a checkout, else ``~/.qbank``."""
    if (CHECKOUT / "pyproject.toml").exists():
        return CHECKOUT / ".qbank"
    return Path.home() / ".qbank"


def _num(default, lo=None, hi=None, doc: str = ""):
    """A numeric field within [lo, hi] (None = unbounded), finite."""
    return Field(default, ge=lo, le=hi, allow_inf_nan=False, description=doc)


class _Section(BaseModel):
    """A frozen group of settings; ``FLAT`` gives a field's flat name when it is not ``PREFIX + field``."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, use_enum_values=False)
    PREFIX: ClassVar[str] = ""
    FLAT: ClassVar[dict[str, str]] = {}

    @classmethod
    def flat_names(cls) -> dict[str, str]:
        """``{flat name: field}`` of this section."""
        return {cls.FLAT.get(f, cls.PREFIX + f): f for f in cls.model_fields}

    @field_validator("*", mode="before")
    @classmethod
    def _empty_bool_is_false(cls, value, info):
        if cls.model_fields[info.field_name].annotation is bool and isinstance(value, str) and not value.strip():
            return False
        return value


class EmbeddingSettings(_Section):
    PREFIX: ClassVar[str] = "embed_"
    FLAT: ClassVar[dict[str, str]] = {"model": "embedding_model"}
    # "use-multilingual" (bundled, offline), any sentence-transformers model name / local path (e.g.
    # "BAAI/bge-small-zh-v1.5" in a warm HF cache), or an OpenAI-compatible /v1/embeddings server:
    # "openai:<model>@<base_url>" (e.g. "openai:multilingual-e5-small-q4@http://127.0.0.1:8000/v1")
    model: str = "use-multilingual"
    batch_size: int = _num(64, 1, doc="texts per embed call (per request to a server)")
    workers: int = _num(0, 0, 64, doc="processes embedding a big ingest; 0 = one per core (max 4), 1 = in-process")
    concurrency: int = _num(4, 1, 64, doc="requests in flight to an embedding server")
    retries: int = _num(3, 0, 20, doc="extra attempts of a failed request (refused, timeout, 429, 5xx), with back-off")
    timeout: float = _num(60.0, 0.001, 3600, doc="seconds per request to an embedding server")
    api_key_env: str = "QBANK_EMBED_API_KEY"     # env var holding the server's key (never stored here)
    input_type: bool = True     # send input_type query/passage (e5-style servers); false for servers refusing it
    max_chars: int = _num(8_000, 100, doc="characters per embedded text; a longer passage is embedded in pieces")

    @field_validator("model")
    @classmethod
    def _server_spec(cls, value: str) -> str:
        if value.startswith("openai:"):
            from ingest.server_embed import parse   # the one parser of the setting (it imports nothing of qbank)

            parse(value)
        return value


_SEARCH = TUNED["search"]


class SearchSettings(_Section):
    top_k: int = _num(5, 1, 100)
    # measured, not chosen: defaults from data/tuned.toml (where they were measured is written there)
    weight_question: float = _num(_SEARCH["weight_question"], 0, 10, doc="BM25 weight of the question field")
    weight_dense: float = _num(_SEARCH["weight_dense"], 0, 1, doc="fusion weight of the dense score")
    weight_coverage: float = _num(_SEARCH["weight_coverage"], 0, 1, doc="fusion weight of the query-term coverage")
    abstain_threshold: float = _num(_SEARCH["abstain_threshold"], 0, 1, doc="abstain below this confidence")
    flat_index_max: int = _num(50_000, 0, doc="above this many vectors, an HNSW index is built")
    max_query_chars: int = _num(2_000, 1)


class LLMSettings(_Section):
    PREFIX: ClassVar[str] = "llm_"
    backend: LLMBackend = LLMBackend.NONE
    model: str = ""
    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = _num(30.0, 0, 3600)
    temperature: float = _num(0.2, 0, 2)
    max_tokens: int = _num(512, 1, doc="longest LLM reply (tokens)")

    def api_key(self) -> SecretStr | None:
        """The key from the environment variable ``api_key_env`` names (None when unset); never stored."""
        value = os.environ.get(self.api_key_env) if self.api_key_env else None
        return SecretStr(value) if value else None


class InterviewSettings(_Section):
    max_answer_chars: int = _num(4_000, 1)
    profile: str = "default"
    max_profile_chars: int = _num(64, 1, 10_000, doc="characters of a profile name (stored on every history row)")

    @model_validator(mode="after")
    def _profile_fits(self) -> "InterviewSettings":
        if not self.profile.strip() or len(self.profile) > self.max_profile_chars:
            raise ValueError(f"profile must be a name of 1 to {self.max_profile_chars} characters "
                             f"(setting max_profile_chars), got {len(self.profile)} characters.")
        return self


class UISettings(_Section):
    language: Language = Language.ZH
    upload_max_mb: int = _num(20, 1, 1024)
    auth_user: str = ""
    auth_password_env: str = "QBANK_PASSWORD"
    tmp_max_age_s: float = _num(3600, 1, doc="files under $QBANK_HOME/tmp older than this are removed")
    ui_concurrency: int = _num(8, 1, 256, doc="app events run at once (the rest queue)")
    login_max_failures: int = _num(5, 1, doc="failed logins one address may make within login_window_s ...")
    login_global_max_failures: int = _num(50, 1, doc="... and all addresses together; then logins wait (429)")
    login_window_s: float = _num(60, 0.001)


class LimitsSettings(_Section):
    """What one bank file may cost (README, "Limits"); a file over a limit is refused in one line."""

    html_max_depth: int = _num(120, 1, 600, doc="tags nested inside each other in an HTML bank")
    docx_max_unzipped_mb: float = _num(100, 0.001, doc="a DOCX's declared unzipped size, all parts")
    docx_max_xml_mb: float = _num(40, 0.001, doc="... of its XML parts (parsed as trees of ~15x their size)")
    docx_max_entries: int = _num(2000, 1, doc="files inside a DOCX package")
    max_file_chars: int = _num(3_000_000, 1, doc="characters of text in one bank file")
    parse_timeout: float = _num(60, 0, doc="seconds to read one PDF/DOCX")
    max_item_chars: int = _num(50_000, 100, doc="characters of one answer; a longer one is cut, with a note")
    follow_symlinks: bool = False     # follow links in a bank folder to files outside it
    max_duplicate_links: int = _num(20, 0, doc="word-for-word duplicates listed on each item")


class StoreSettings(_Section):
    # "" keeps the index under $QBANK_HOME/index; postgresql://user:pass@host/db puts it in PostgreSQL + pgvector
    database_url: str = ""

    @field_validator("database_url")
    @classmethod
    def _postgres(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("database_url must be empty (files under $QBANK_HOME) or a postgresql://user:password"
                             f"@host:port/dbname URL, got {value.split('://')[0]!r}://….")
        return value


SECTIONS: dict[str, type[_Section]] = {
    "embedding": EmbeddingSettings, "search": SearchSettings, "llm": LLMSettings, "interview": InterviewSettings,
    "ui": UISettings, "limits": LimitsSettings, "store": StoreSettings}
# flat name -> (section, field): the names of QBANK_* variables, keyword overrides and flat config.toml keys
FLAT: dict[str, tuple[str, str]] = {flat: (section, name) for section, cls in SECTIONS.items()
                                    for flat, name in cls.flat_names().items()}
FLAT_OF: dict[tuple[str, str], str] = {where: flat for flat, where in FLAT.items()}     # (section, field) -> flat


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """Fold flat names (``llm_model``) and section tables (``llm = {...}``) into ``{section: {field: value}}``;
    ``home`` stays on top. Raises ``ValueError`` naming unknown keys."""
    out: dict[str, Any] = {}
    unknown = []
    for key, value in values.items():
        if key == "home":
            out["home"] = value
        elif key in SECTIONS:
            if isinstance(value, BaseModel):
                value = value.model_dump()
            if not isinstance(value, dict):
                raise ValueError(f"setting [{key}] must be a table of settings, got {value!r}")
            for name, v in value.items():
                if name in SECTIONS[key].model_fields:
                    out.setdefault(key, {})[name] = v
                elif name in FLAT and FLAT[name][0] == key:
                    out.setdefault(key, {})[FLAT[name][1]] = v
                else:
                    unknown.append(f"{key}.{name}")
        elif key in FLAT:
            section, name = FLAT[key]
            out.setdefault(section, {})[name] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: "
                         f"{sorted(f'{s}.{f}' for s, c in SECTIONS.items() for f in c.model_fields)}")
    return out


class Settings(BaseModel):
    """Every tunable of qbank, in sections. Frozen: derive a changed copy with :meth:`replace`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    home: Path = Field(default_factory=default_home)
    embedding: EmbeddingSettings = EmbeddingSettings()
    search: SearchSettings = SearchSettings()
    llm: LLMSettings = LLMSettings()
    interview: InterviewSettings = InterviewSettings()
    ui: UISettings = UISettings()
    limits: LimitsSettings = LimitsSettings()
    store: StoreSettings = StoreSettings()

    def __init__(self, **values: Any) -> None:
        """Takes sections (``llm={...}``) and flat names (``llm_model=...``); a bad value raises
        :class:`SettingError` naming the setting."""
        try:
            super().__init__(**nest(values))
        except ValidationError as exc:
            raise _setting_error(exc) from None

    @field_validator("home", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

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

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    def nested(self) -> dict[str, Any]:
        """``{section: {field: value}}`` of every setting, as plain TOML-able values (``home`` left out)."""
        return {name: {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in getattr(self, name)}
                for name in SECTIONS}

    def replace(self, **changes) -> "Settings":
        """A copy with ``changes`` (flat names or sections) applied, checked like a new object."""
        values: dict[str, Any] = {"home": self.home, **self.nested()}
        for section, fields in nest(changes).items():
            if section == "home":
                values["home"] = fields
            else:
                values[section] = {**values[section], **fields}
        return Settings(**values)

    @classmethod
    def load(cls, **overrides) -> "Settings":
        """Build settings from defaults, ``config.toml``, ``QBANK_*`` env vars and ``overrides``."""
        home = Path(overrides.get("home") or os.environ.get("QBANK_HOME") or default_home()).expanduser()
        config = home / "config.toml"
        layers: list[tuple[str, dict]] = []      # lowest first: (how a user finds it, {section: {field: value}})
        if config.exists():
            try:
                layers.append((str(config), nest(tomllib.loads(config.read_text(encoding="utf-8")))))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{config} is not valid TOML: {exc}") from exc
        env = {flat: os.environ[f"QBANK_{flat.upper()}"] for flat in FLAT if f"QBANK_{flat.upper()}" in os.environ}
        layers.append(("env", nest(env)))
        layers.append(("override", nest({k: v for k, v in overrides.items() if v is not None and k != "home"})))
        merged: dict[str, dict] = {}
        origin: dict[str, str] = {}
        for where, layer in layers:
            for section, fields in layer.items():
                for name, value in fields.items():
                    merged.setdefault(section, {})[name] = value
                    flat = FLAT_OF[(section, name)]
                    origin[flat] = (f"{flat}={value!r}" if where == "override" else
                                    f"QBANK_{flat.upper()}={value}" if where == "env" else
                                    f"{where}: {flat} = {value!r}")
        try:
            return cls(home=home, **merged)
        except SettingError as exc:
            if exc.name not in origin:       # a default that depends on another value (profile, max_profile_chars)
                raise
            raise SettingError(exc.name, f"{origin[exc.name]}: {exc}") from None


def _setting_error(exc: ValidationError) -> SettingError:
    """The first error of a validation, in the words the rest of qbank uses, named by its flat setting."""
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"]]
    section = loc[0] if loc and loc[0] in SECTIONS else None
    field = SECTIONS[section].model_fields.get(loc[1]) if section and len(loc) > 1 else None
    if field is not None:
        name = FLAT_OF[(section, loc[1])]
    elif section == "interview":
        name = "profile"                 # the section's own check: the profile name against max_profile_chars
    else:
        name = ".".join(loc) or "settings"
    value, kind = err.get("input"), err["type"]
    if kind == "finite_number":
        return SettingError(name, f"{name} must be a finite number, got {_as_number(value)!r}.")
    if kind in ("greater_than_equal", "less_than_equal") and field is not None:
        lo = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
        hi = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
        span = f"within [{lo:g}, {hi:g}]" if lo is not None and hi is not None else f">= {lo:g}" if lo is not None \
            else f"<= {hi:g}"
        return SettingError(name, f"{name} must be {span}, got {_as_number(value)!r}.")
    if kind in ("int_parsing", "int_from_float", "float_parsing", "bool_parsing", "int_type", "float_type"):
        want = {"int": "int", "float": "float", "bool": "bool"}[kind.split("_")[0]]
        return SettingError(name, f"setting {name} must be {want}, got {value!r}")
    if kind == "enum" and name == "llm_backend":
        return SettingError(name, f"llm_backend {value!r} is not supported; use one of {', '.join(LLM_BACKENDS)}.")
    if kind == "enum" and name == "language":
        return SettingError(name, f"language must be one of {', '.join(LANGUAGES)}, got {value!r}.")
    message = err["msg"].removeprefix("Value error, ")
    return SettingError(name, message)


def _as_number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if math.isfinite(number) and number == int(number) and not isinstance(value, float) else number
