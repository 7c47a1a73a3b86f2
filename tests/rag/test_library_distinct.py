"""One library row per distinct question: word-for-word copies grouped under the first."""

from __future__ import annotations

from ingest.items import QAItem
from rag.library import Library, distinct


def _item(id_, dups=(), group=""):
    return QAItem(id=id_, doc="D", file=f"{id_.split('-')[0]}.md", number=int(id_.split("-")[1]), question="同一个问题？",
                  answer="…", lines=(1, 2), duplicates=tuple(dups), dup_group=group)


def test_copies_linked_in_either_direction_or_through_another_are_one_entry():
    a, b, c, d = _item("a-1", ["b-2"]), _item("b-2"), _item("c-3", ["b-2"]), _item("d-4")
    entries = distinct([a, b, c, d])
    assert [(e.item.id, [x.id for x in e.copies]) for e in entries] == [("a-1", ["b-2", "c-3"]), ("d-4", [])]


def test_dup_group_alone_groups_them_too():
    entries = distinct([_item("a-1", group="a-1"), _item("b-2", group="a-1")])
    assert len(entries) == 1 and entries[0].copies[0].id == "b-2"


def test_the_corpus_lists_each_question_once(corpus_settings):
    items = Library(corpus_settings).items()
    entries = distinct(items)
    assert len(entries) < len(items)
    questions = [e.item.question for e in entries]
    shown = {it.id for e in entries for it in (e.item, *e.copies)}
    assert shown == {it.id for it in items}                       # nothing lost
    for e in entries:
        assert all(c.question == e.item.question for c in e.copies)
    assert len(questions) == len({(e.item.id) for e in entries})
