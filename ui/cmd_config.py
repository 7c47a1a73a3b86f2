"""``qbank config``: show the settings in effect and where each came from; ``set`` / ``unset`` write
``$QBANK_HOME/config.toml`` (its comments and layout kept, the new value checked before anything is written)."""

from __future__ import annotations

import enum
import json
from pathlib import Path

from ui.cli_common import CliError, register


def where(key: str) -> tuple[str, str]:
    """``"llm.model"`` or the flat ``"llm_model"`` -> ``("llm", "model")``; a clear error for anything else."""
    from ingest.settings import FLAT, SECTIONS

    section, dot, name = key.partition(".")
    if dot and section in SECTIONS and name in SECTIONS[section].model_fields:
        return section, name
    if key in FLAT:
        return FLAT[key]
    raise CliError(f"unknown setting {key!r}; known: "
                   + ", ".join(f"{s}.{f}" for s, cls in SECTIONS.items() for f in cls.model_fields))


def _read(path: Path):
    import tomlkit

    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise CliError(f"{path} is not valid TOML: {exc}") from None


def write_settings(home: Path, changes: dict[tuple[str, str], object | None], comment: str = "") -> Path:
    """Apply ``{(section, field): value}`` (None removes the setting) to ``home/config.toml``: nested tables,
    the flat spelling of the same setting removed, checked by loading the result first (nothing is written
    when it is refused). Returns the file."""
    import tomlkit

    from ingest.atomic import atomic_write
    from ingest.settings import SettingError, Settings, FLAT_OF

    path = Path(home) / "config.toml"
    doc = _read(path)
    for (section, name), value in changes.items():
        doc.pop(FLAT_OF[(section, name)], None)        # the flat name earlier versions wrote
        table = doc.get(section)
        if value is None:
            if table is not None:
                table.pop(name, None)
                if not table:
                    doc.pop(section)
            continue
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        table[name] = value.value if isinstance(value, enum.Enum) else value
        if comment:
            table[name].comment(comment)
    text = tomlkit.dumps(doc)
    try:
        Settings(home=home, **tomlkit.parse(text).unwrap())
    except (SettingError, ValueError) as exc:
        raise CliError(f"not written: {exc}") from None
    Path(home).mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return path


def _parse_value(section: str, name: str, raw: str):
    """The command line's text as the field's type (so config.toml gets ``top_k = 3``, not ``"3"``)."""
    from ingest.settings import SettingError, Settings

    try:
        value = getattr(getattr(Settings(**{section: {name: raw}}), section), name)
    except SettingError as exc:
        raise CliError(f"not written: {exc}") from None
    return value.value if isinstance(value, enum.Enum) else value


def cmd_config(args) -> int:
    from ingest.settings import SECTIONS, Settings

    settings = Settings.load()
    if args.action in ("set", "unset"):
        section, name = where(args.key)
        value = None if args.action == "unset" else _parse_value(section, name, args.value)
        path = write_settings(settings.home, {(section, name): value})
        now = getattr(getattr(Settings.load(), section), name)
        now = now.value if isinstance(now, enum.Enum) else now
        print(f"{path}: {section}.{name} " + ("removed" if value is None else f"= {value!r}")
              + f" (in effect: {now!r})")
        return 0
    current = settings.nested()
    if args.json:
        print(json.dumps({"home": str(settings.home), **current}, ensure_ascii=False, default=str))
        return 0
    import os

    from ingest.settings import FLAT_OF

    file_doc = _read(settings.config_file).unwrap() if settings.config_file.exists() else {}
    print(f"# settings in effect (home {settings.home}); change them with `qbank config set <section.name> <value>`")
    for section in SECTIONS:
        print(f"\n[{section}]")
        for name, value in current[section].items():
            flat = FLAT_OF[(section, name)]
            if f"QBANK_{flat.upper()}" in os.environ:
                origin = f"QBANK_{flat.upper()}"
            elif name in file_doc.get(section, {}) or flat in file_doc:
                origin = "config.toml"
            else:
                origin = ""
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else \
                str(value).lower() if isinstance(value, bool) else value
            print(f"{name} = {shown}" + (f"    # from {origin}" if origin else ""))
    return 0


@register
def _add(sub) -> None:
    s = sub.add_parser("config", help="the settings in effect and where they come from; set/unset write config.toml")
    s.add_argument("--json", action="store_true", help="print the settings as one JSON object")
    act = s.add_subparsers(dest="action", metavar="ACTION")
    put = act.add_parser("set", help="write one setting to $QBANK_HOME/config.toml (checked first)")
    put.add_argument("key", help="section.name (llm.model) or the flat name of its QBANK_ variable (llm_model)")
    put.add_argument("value")
    rm = act.add_parser("unset", help="remove one setting from $QBANK_HOME/config.toml (back to its default)")
    rm.add_argument("key")
    s.set_defaults(func=cmd_config, action=None)
