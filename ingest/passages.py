"""Split long answers into passages at paragraph boundaries; code blocks stay whole."""

from __future__ import annotations

from ingest.items import Passage, QAItem
from ingest.segment import fence_mask

PASSAGE_CHARS = 400


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
