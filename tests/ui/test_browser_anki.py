"""The Library's ⬇ Anki button in Chromium against a real ``qbank serve``: the filtered questions download as an .apkg."""

from __future__ import annotations

import sqlite3
import zipfile

import pytest

pytestmark = pytest.mark.browser


def test_library_downloads_the_filtered_questions_as_an_anki_deck(page, corpus_settings, tmp_path):
    from rag.library import Library

    want = {it.id for it in Library(corpus_settings).items()
            if it.kind == "qa" and ("lstm" in it.question.lower() or "lstm" in it.id.lower())}
    assert want
    page.click("#qb-tab-library-button")
    page.fill("#qb-lib-text textarea, #qb-lib-text input", "LSTM")
    page.press("#qb-lib-text textarea, #qb-lib-text input", "Enter")
    page.click("#qb-lib-anki")
    link = page.locator("#qb-lib-anki-file a").first
    link.wait_for(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "deck.apkg"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as conn:
        ids = {flds.split("\x1f")[4] for (flds,) in conn.execute("SELECT flds FROM notes")}
    assert ids == want
