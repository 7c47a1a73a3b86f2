"""Synthetic question banks of any size, recombined from the bundled corpus, in the corpus's own formats.

How an item is made (item ``k`` of a bank set made with seed ``s``):

* its **question** is the question of bundled item ``k mod 173`` with a variant tag
  ``（变体 k）`` put before the final question mark, so every question is distinct;
* its **answer** is the whole answer of another bundled item (a donor, drawn at random);
  with probability ``mix`` one of the donor's paragraphs is swapped for a paragraph
  of a third item, which gives a combination of paragraphs found nowhere else;
* items are written 250 to a file, files rotating through four layouts taken from
  the corpus: ``#### N. 标题`` + ``**答案：**`` markdown, ``### N. 标题`` markdown,
  ``### N. 标题`` + ``**题目：**`` markdown, and plain ``N.标题`` text with a ``目录``.

So questions never repeat, while answers are made of the corpus's ~1,300 paragraphs
and repeat a lot: the bench reports how many of the texts to embed are distinct.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.items import QAItem
from ingest.settings import BUNDLED_CORPUS

PER_FILE = 250
_FENCE = re.compile(r"^\s{0,3}(?:`{3,}|~{3,})", re.M)
LAYOUTS = ("md_h4", "md_h3", "md_detail", "txt_toc")


@dataclass(frozen=True)
class SynthBank:
    """What :func:`make_banks` wrote: where, how many items and files, and the bytes of text."""

    folder: Path
    items: int
    files: int
    chars: int


def corpus_items(corpus: Path = BUNDLED_CORPUS) -> list[QAItem]:
    """The bundled corpus segmented by qbank's own loader and segmenter (no embedding)."""
    from ingest.load import find_files, load
    from ingest.pipeline import make_items

    files, _ = find_files([corpus])
    items: list[QAItem] = []
    for n, f in enumerate(files):
        items.extend(make_items(load(f), f"c{n}"))
    return [it for it in items if it.kind == "qa"]


def variant(question: str, k: int) -> str:
    """``什么是感受野？`` -> ``什么是感受野（变体 7）？``; a question without ``？`` gets the tag at the end."""
    q = question.strip()
    for mark in ("？", "?"):
        if q.endswith(mark):
            return f"{q[:-1].rstrip()}（变体 {k}）{mark}"
    return f"{q}（变体 {k}）"


def _paragraphs(answer: str) -> list[str]:
    from ingest.passages import paragraphs

    return [p for p in paragraphs(answer) if p.strip()]


def synth_items(n: int, seed: int = 0, mix: float = 0.3, source: list[QAItem] | None = None) -> list[tuple[str, str, str]]:
    """``n`` distinct (question, detail, answer) triples recombined from the corpus (see the module doc)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}.")
    src = source or corpus_items()
    paras = [_paragraphs(it.answer) for it in src]
    rng = random.Random(seed)
    out = []
    for k in range(n):
        base = src[k % len(src)]
        donor = rng.randrange(len(src))
        if donor == k % len(src):
            donor = (donor + 1) % len(src)
        answer = list(paras[donor]) or [src[donor].answer]
        if rng.random() < mix:
            other = paras[rng.randrange(len(src))]
            if other:
                answer[rng.randrange(len(answer))] = rng.choice(other)
        text = "\n\n".join(answer)
        if len(_FENCE.findall(text)) % 2:      # a swapped paragraph may hold one half of a code fence
            text += "\n```"
        question = variant(base.question, k + 1)
        detail = variant(base.detail, k + 1) if base.detail else ""
        out.append((question, detail, text))
    return out


def render(layout: str, title: str, triples: list[tuple[str, str, str]], start: int = 1) -> str:
    """One bank file in one of :data:`LAYOUTS`, numbered from ``start``."""
    parts: list[str] = []
    if layout == "txt_toc":
        parts.append(f"{title}\n\n目录\n")
        parts.extend(f"- {start + i}.{q}" for i, (q, _, _) in enumerate(triples))
        parts.append("")
        for i, (q, _, a) in enumerate(triples):
            parts.append(f"{start + i}.{q}\n\n{a}\n")
    elif layout == "md_h4":
        parts.append(f"### {title}\n")
        for i, (q, d, a) in enumerate(triples):
            head = f"#### {start + i}. {q}\n\n" + (f"**面试题：** {d}\n\n" if d else "")
            parts.append(f"{head}**答案：** \n\n{a}\n")
    elif layout == "md_h3":
        parts.append(f"# {title}\n")
        for i, (q, _, a) in enumerate(triples):
            inline = not _FENCE.match(a) and not a.startswith(("#", "-", "|", "$$"))
            parts.append(f"### {start + i}. {q}\n\n**答案：**{' ' if inline else chr(10) * 2}{a}\n")
    elif layout == "md_detail":
        parts.append(f"# {title}\n")
        for i, (q, d, a) in enumerate(triples):
            parts.append(f"### {start + i}. {q}\n\n**题目：** {d or q}\n\n**答案：**\n\n{a}\n")
    else:
        raise ValueError(f"layout {layout!r} is unknown; use one of {', '.join(LAYOUTS)}")
    return "\n".join(parts) + "\n"


def make_banks(n: int, folder: Path, seed: int = 0, mix: float = 0.3, per_file: int = PER_FILE) -> SynthBank:
    """Write ``n`` synthetic items into ``folder`` as bank files of ``per_file`` items each."""
    folder.mkdir(parents=True, exist_ok=True)
    triples = synth_items(n, seed=seed, mix=mix)
    files = chars = 0
    for f, lo in enumerate(range(0, n, per_file)):
        layout = LAYOUTS[f % len(LAYOUTS)]
        chunk = triples[lo:lo + per_file]
        title = f"合成面试题库 {f + 1:04d}（{layout}，{len(chunk)} 题）"
        text = render(layout, title, chunk)
        suffix = ".txt" if layout == "txt_toc" else ".md"
        (folder / f"synth_{f + 1:04d}_{layout}{suffix}").write_text(text, encoding="utf-8")
        files += 1
        chars += len(text)
    return SynthBank(folder, n, files, chars)
