"""Key points of a reference answer: its bullets and sentences, code and boilerplate left out."""

from __future__ import annotations

import re

from ingest.segment import fence_mask

MIN_POINTS, MAX_POINTS = 3, 8
_BOILER = re.compile(r"^\s*\**\s*(解析|答案|源代码实例|代码示例|代码实例|示例代码|举例|总结|注意|示例|代码)\s*[:：]?\s*\**\s*[:：]?\s*")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.、)）]|[（(]\d{1,3}[)）])\s+|^\s*\d{1,3}[.、](?!\d)")
_SENT = re.compile(r"(?<=[。！？；!?;])")
_MD = re.compile(r"\*\*|__|`|^#+\s*")


def clean(text: str) -> str:
    text = _MD.sub("", text)
    text = re.sub(r"\$\$?[^$]*\$\$?", "", text)
    return re.sub(r"\s+", " ", text).strip(" ：:;；，,")


def key_points(answer: str) -> tuple[str, ...]:
    """3–8 key points: bullet items when the answer has enough of them, else its informative sentences."""
    lines = answer.split("\n")
    fenced = fence_mask(lines)
    bullets: list[str] = []
    prose: list[str] = []
    for line, code in zip(lines, fenced):
        if code or not line.strip() or line.lstrip().startswith(("#", "|", "$$", ">")):
            continue
        if _BOILER.match(line) and not _BOILER.sub("", line).strip():
            continue
        line = _BOILER.sub("", line)
        if _BULLET.match(line):
            point = clean(_BULLET.sub("", line, count=1))
            if len(point) >= 4:
                bullets.append(point)
        else:
            prose.extend(s for s in (clean(x) for x in _SENT.split(line)) if len(s) >= 8)
    points = bullets if len(bullets) >= MIN_POINTS else bullets + prose
    seen, out = set(), []
    for p in points:
        key = p[:40]
        if key not in seen:
            seen.add(key)
            out.append(p[:160])
    if len(out) > MAX_POINTS:
        # keep the longest (most informative) points in their original order
        keep = set(sorted(range(len(out)), key=lambda i: -len(out[i]))[:MAX_POINTS])
        out = [p for i, p in enumerate(out) if i in keep]
    return tuple(out)
