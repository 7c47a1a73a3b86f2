"""Read access to the indexed items: list, filter, open one by id (for the CLI and the UI library tab)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ingest import store
from ingest.index_store import open_store
from ingest.items import QAItem
from ingest.settings import Settings


@dataclass
class Library:
    """The items of the index as it was when first read: loaded (and checksum-verified) once per
    ``Library``, so listing and opening items do not re-read the index each time. Make a new one to
    see a newer build (the app does after an upload)."""

    settings: Settings

    @functools.cached_property
    def index(self) -> store.Index:
        return open_store(self.settings).load()

    def items(self, doc: str | None = None, topic: str | None = None) -> list[QAItem]:
        out = self.index.items
        if doc:
            out = [it for it in out if doc in (it.doc, it.file)]
        if topic:
            out = [it for it in out if it.topic == topic]
        return out

    def get(self, item_id: str) -> QAItem:
        try:
            return self.index.by_id[item_id]
        except KeyError:
            raise KeyError(f"no item with id {item_id!r}; see `qbank list`") from None


@dataclass(frozen=True)
class Entry:
    """One distinct question of the library: the item shown, and the other items asking it word for word."""

    item: QAItem
    copies: tuple[QAItem, ...] = ()


def distinct(items: list[QAItem]) -> list[Entry]:
    """One entry per distinct question: items linked as ``duplicates`` (in either direction, or through
    another copy) or sharing a ``dup_group`` are grouped under the first of them in ``items``' order.

    Example:
        >>> from ingest.items import QAItem
        >>> a = QAItem(id="a-1", doc="A", file="a.md", number=1, question="什么是过拟合？", answer="…",
        ...            lines=(1, 3), duplicates=("b-3",))
        >>> b = QAItem(id="b-3", doc="B", file="b.md", number=3, question="什么是过拟合？", answer="…",
        ...            lines=(9, 12))
        >>> [(e.item.id, [c.id for c in e.copies]) for e in distinct([a, b])]
        [('a-1', ['b-3'])]
    """
    by_id = {it.id: it for it in items}
    parent: dict[str, str] = {it.id: it.id for it in items}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = {it.id: k for k, it in enumerate(items)}
    for it in items:
        for other in (*it.duplicates, it.dup_group):
            if other and other in by_id:
                a, b = root(it.id), root(other)
                if a != b:      # the earlier item stays the group's head
                    parent[max(a, b, key=order.__getitem__)] = min(a, b, key=order.__getitem__)
    groups: dict[str, list[QAItem]] = {}
    for it in items:
        groups.setdefault(root(it.id), []).append(it)
    return [Entry(members[0], tuple(members[1:])) for members in groups.values()]
