"""A real ``qbank serve`` subprocess per test session, and Playwright driving Debian's Chromium against it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, env: dict | None = None, timeout: float = 240) -> subprocess.Popen:
    """Start ``qbank serve`` on loopback and wait until it answers HTTP (or fail with its log)."""
    e = dict(os.environ, QBANK_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    e.update(env or {})
    log = open(home / "serve.log", "w")
    exe = Path(sys.executable).parent / "qbank"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=e, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qbank serve exited with {proc.returncode}:\n{(home / 'serve.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"qbank serve did not answer within {timeout}s:\n{(home / 'serve.log').read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def served_home(corpus_home, tmp_path_factory) -> Path:
    """A private copy of the corpus index (with its embedding cache), so the server does not rebuild."""
    home = tmp_path_factory.mktemp("served") / "home"
    shutil.copytree(corpus_home, home, ignore=shutil.ignore_patterns("*.lock", "serve.log"))
    return home


@pytest.fixture(scope="session")
def server_url(served_home):
    """The URL of a real ``qbank serve --port N`` running for the whole test session."""
    port = free_port()
    proc = start_server(served_home, port)
    yield f"http://127.0.0.1:{port}/"
    stop_server(proc)


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
