"""A real ``qbank serve`` subprocess per test session, and Playwright driving Debian's Chromium against it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import CHROMIUM_ARGS, copy_home, free_port, start_serve, stop_serve


@pytest.fixture(scope="session")
def served_home(corpus_home, tmp_path_factory) -> Path:
    """A private copy of the corpus index (with its embedding cache), so the server does not rebuild."""
    return copy_home(corpus_home, tmp_path_factory.mktemp("served") / "home")


@pytest.fixture()
def served_items(served_home) -> list:
    """The items the running server serves now: the corpus plus the banks earlier tests uploaded to it
    (an interview or the library may show any of them, so tests look questions up here, not in the corpus)."""
    from ingest.settings import Settings
    from rag.library import Library

    return Library(Settings.load(home=served_home)).items()


@pytest.fixture(scope="session")
def server_url(served_home):
    """The URL of a real ``qbank serve --port N`` running for the whole test session."""
    port = free_port()
    proc = start_serve(served_home, port)
    (served_home / "serve.pid").write_text(str(proc.pid))     # for server_stacks()
    yield f"http://127.0.0.1:{port}/"
    stop_serve(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("QBANK_CHROMIUM", "/usr/bin/chromium")
    if not Path(exe).exists():
        pytest.fail(f"Chromium not found at {exe}: apt-get install chromium chromium-driver, or set QBANK_CHROMIUM")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server_url):
    """A fresh browser context (its own Gradio session) on the app, ready to use."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(server_url)
    pg.wait_for_selector("#qb-question textarea")
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots_dir():
    """Where to save screenshots (``QBANK_SCREENSHOTS=docs`` refreshes the README's), or None."""
    d = os.environ.get("QBANK_SCREENSHOTS")
    if not d:
        return None
    path = Path(d)
    path.mkdir(parents=True, exist_ok=True)
    return path
