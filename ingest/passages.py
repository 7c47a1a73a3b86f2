"""Split long answers into passages at paragraph boundaries; code blocks stay whole."""

from __future__ import annotations

import re

from ingest.items import Passage, QAItem
from ingest.segment import fence_mask

PASSAGE_CHARS = 400
LEAD_SENTENCES = 2      # leading answer sentences embedded on their own (measured on data/eval, README)
MIN_SENTENCE_CHARS = 8  # shorter "sentences" are labels ("定义", "答案：")
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_MARKUP = re.compile(r"[*`#>|]+")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; a fenced code block is one paragraph however many blank lines it has."""
    lines = text.split("\n")
    fenced = fence_mask(lines)
    out: list[str] = []
    buf: list[str] = []
    for line, in_fence in zip(lines, fenced):
        if not line.strip() and not in_fence:
            if buf:
                out.append("\n".join(buf))
                buf = []
            continue
        buf.append(line)
    if buf:
        out.append("\n".join(buf))
    return out


def split_passages(item: QAItem, max_chars: int = PASSAGE_CHARS) -> list[Passage]:
    """Group an item's answer paragraphs into passages of about ``max_chars`` characters.

    A paragraph is never cut, so a code block or a list stays whole even when longer.
    """
    if max_chars < 50:
        raise ValueError(f"max_chars must be at least 50, got {max_chars!r}.")
    chunks: list[str] = []
    buf = ""
    for para in paragraphs(item.answer):
        if buf and len(buf) + len(para) + 2 > max_chars:
            chunks.append(buf)
            buf = para
        else:
            buf = f"{buf}\n\n{para}" if buf else para
    if buf:
        chunks.append(buf)
    return [Passage(item_id=item.id, index=i, text=t) for i, t in enumerate(chunks)]


def lead_sentences(answer: str, n: int = LEAD_SENTENCES) -> list[str]:
    """The first ``n`` prose sentences of an answer, markup stripped; code, headings and labels skipped.

    An answer usually opens with its definition ("意图识别，是判断用户要做什么…", "过拟合发生时，模型在训练数据
    上表现良好，但在未见过的数据上表现较差"). Embedded on its own, that sentence meets a paraphrase
    the ~400-character passage around it is too diluted to meet.
    """
    if n <= 0:
        return []
    lines = answer.split("\n")
    out: list[str] = []
    for line, in_fence in zip(lines, fence_mask(lines)):
        line = line.strip()
        if in_fence or not line or line.startswith(("#", "```", "~~~")):
            continue
        line = _MARKUP.sub("", line).strip(" -+")
        for sentence in _SENTENCE.findall(line):
            sentence = sentence.strip()
            if len(sentence) >= MIN_SENTENCE_CHARS:
                out.append(sentence)
                if len(out) == n:
                    return out
    return out
