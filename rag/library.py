"""Read access to the indexed items: list, filter, open one by id (for the CLI and the UI library tab)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest import store
from ingest.items import QAItem
from ingest.settings import Settings


@dataclass
class Library:
    settings: Settings

    def _index(self) -> store.Index:
        return store.load(self.settings.index_root)

    def items(self, doc: str | None = None, topic: str | None = None) -> list[QAItem]:
        out = self._index().items
        if doc:
            out = [it for it in out if doc in (it.doc, it.file)]
        if topic:
            out = [it for it in out if it.topic == topic]
        return out

    def get(self, item_id: str) -> QAItem:
        try:
            return self._index().by_id[item_id]
        except KeyError:
            raise KeyError(f"no item with id {item_id!r}; see `qbank list`") from None
