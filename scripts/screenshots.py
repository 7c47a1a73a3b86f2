"""Re-make the README's screenshots (``docs/*.png``) from a real ``qbank serve`` on the bundled corpus, Chinese UI.

    .venv/bin/python scripts/screenshots.py [--out docs] [--chromium /usr/bin/chromium] [--port 7990]

A fresh ``$QBANK_HOME`` in a temporary folder: the bundled corpus is indexed, the profile ``demo``
gets five past days of practice (so History and Progress have a history to show), then ``qbank
serve`` starts and headless Chromium walks the tabs through Playwright: chat (a cited answer and
its item), interview (a grade card), report (its per-topic plot), history (a past report),
progress (the dashboard), library and settings. Chinese glyphs need a CJK font (``fonts-wqy-microhei``),
the tabs' emoji an emoji font (``fonts-noto-color-emoji``), else they show as boxes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # this checkout's packages, also when qbank is installed from another
QBANK = Path(sys.executable).with_name("qbank")
PROFILE = "demo"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def env(home: Path) -> dict:
    return dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                PYTHONUNBUFFERED="1")


def seed(home: Path, days: int = 5, per_day: int = 3) -> None:
    """``days`` past days of interviews for :data:`PROFILE`, answered with fewer or more of each reference's points."""
    from ingest.settings import Settings
    from rag.interview.grade import Grader
    from rag.interview.session import InterviewSession, SessionConfig
    from rag.interview.sessions import SessionLog
    from rag.interview.store import HistoryStore

    settings = Settings.load(home=home)
    now = [datetime.now()]
    store = HistoryStore(settings.db_path, clock=lambda: now[0])
    log = SessionLog(settings.db_path, clock=lambda: now[0])
    grader = Grader(settings)
    for d in range(days):
        now[0] = datetime.now().replace(hour=20, minute=0) - timedelta(days=days - d)
        config = SessionConfig(count=per_day, profile=PROFILE, seed=d)
        session = InterviewSession.start(grader, store, config, log=log)
        for k in range(per_day):
            points = session.current_item().key_points
            take = min(len(points), 1 + (d + k) % 3 + d // 2)       # later days answer more of the points
            session.answer("；".join(points[:take]) or "不太清楚。")
            session.advance()
        session.finish()


def serve(home: Path, port: int) -> subprocess.Popen:
    with open(home / "serve.log", "w") as log:          # the server keeps its own copy of the handle
        proc = subprocess.Popen([str(QBANK), "serve", "--port", str(port)], env=env(home), stdout=log,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"qbank serve exited ({proc.returncode}); see {home / 'serve.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                if r.status < 500:
                    return proc
        except OSError:
            time.sleep(1)
    proc.terminate()
    raise SystemExit(f"qbank serve did not answer on port {port}; see {home / 'serve.log'}")


def bars(page, selector: str) -> None:
    page.wait_for_function("(s) => document.querySelectorAll(s + ' .qb-bar').length > 0", arg=selector)


def shoot(page, out: Path, name: str, height: int = 1600) -> None:
    """The page from its top, at most ``height`` pixels of it (a whole report would be a scroll of 3,000+)."""
    page.wait_for_timeout(300)
    tall = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(out / name), full_page=True, clip={"x": 0, "y": 0, "width": 1400,
                                                                 "height": min(height, tall)})
    print(f"wrote {out / name}")


def walk(url: str, out: Path, chromium: str, home: Path) -> None:
    from playwright.sync_api import sync_playwright

    from ingest.settings import Settings
    from rag.library import Library

    by_question = {it.question: it for it in Library(Settings.load(home=home)).items()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.wait_for_selector("#qb-question textarea")
        page.wait_for_timeout(1500)                                  # the load events (profile, language)
        # chat: a cited answer, its item opened in the side panel
        page.fill("#qb-question textarea", "什么是感受野？")
        page.click("#qb-send")
        page.wait_for_function("document.querySelectorAll('#qb-chat .qb-mode-tag').length > 0")
        page.locator("#qb-chat a[href*='#qb-cite=']").first.click()
        page.locator("#qb-item-panel").get_by_text("dl_basics_qa.txt").first.wait_for()
        shoot(page, out, "chat.png")
        # interview: the profile with a history, three questions, a grade card, the report and its plot
        page.click("#qb-tab-interview-button")
        page.fill("#qb-iv-profile :is(input, textarea)", PROFILE)
        page.press("#qb-iv-profile :is(input, textarea)", "Tab")
        page.fill("#qb-iv-count input[type=number]", "3")
        page.press("#qb-iv-count input[type=number]", "Enter")
        page.click("#qb-iv-start")
        page.locator("#qb-iv-progress").get_by_text("0/3").wait_for()
        for n, take in ((1, 3), (2, 1), (3, 2)):
            question = page.locator("#qb-iv-question h3").inner_text().strip()
            page.fill("#qb-iv-answer textarea", "；".join(by_question[question].key_points[:take]))
            page.click("#qb-iv-submit")
            page.locator("#qb-iv-progress").get_by_text(f"{n}/3").wait_for()
            page.locator("#qb-grade-card").wait_for()
            if n == 1:
                shoot(page, out, "interview.png")
            if n < 3:
                page.click("#qb-iv-next")
                page.wait_for_function("(q) => !document.querySelector('#qb-iv-question').innerText.includes(q)",
                                       arg=question)
        page.click("#qb-iv-finish")
        page.locator("#qb-iv-report").get_by_text("已答 3/3").wait_for()
        bars(page, "#qb-iv-chart")
        shoot(page, out, "report.png")
        # history: the sessions of the profile, one past report opened with its plot
        page.click("#qb-tab-history-button")
        page.locator("#qb-hi-table").get_by_text("已完成").filter(visible=True).nth(2).click()
        page.locator("#qb-hi-report").get_by_text("模拟面试报告").wait_for()
        bars(page, "#qb-hi-chart")
        shoot(page, out, "history.png")
        # progress: due today, streak, scores per day, weakest topics
        page.click("#qb-tab-dashboard-button")
        page.locator("#qb-db-stats").get_by_text("共作答").wait_for()
        bars(page, "#qb-db-scores")
        bars(page, "#qb-db-topics")
        shoot(page, out, "progress.png")
        # library: filtered as typed, one question opened
        page.click("#qb-tab-library-button")
        page.fill("#qb-lib-text textarea, #qb-lib-text input", "梯度")
        page.locator("#qb-lib-count").get_by_text("共").wait_for()
        page.locator("#qb-lib-table").get_by_text("dl_basics_qa-").filter(visible=True).first.click()
        page.locator("#qb-lib-item").get_by_text("dl_basics_qa.txt").first.wait_for()
        shoot(page, out, "library.png")
        # settings: a dead endpoint gets a one-line reason
        page.click("#qb-tab-settings-button")
        page.click("#qb-set-backend label:has-text('OpenAI')")
        page.fill("#qb-set-model textarea, #qb-set-model input", "gpt-4o-mini")
        page.fill("#qb-set-base-url textarea, #qb-set-base-url input", "http://127.0.0.1:9/v1")
        page.click("#qb-set-apply")
        page.locator("#qb-set-status").get_by_text("✅").wait_for()
        page.click("#qb-set-test")
        page.locator("#qb-set-status").get_by_text("❌").wait_for()
        shoot(page, out, "settings.png")
        browser.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    ap.add_argument("--chromium", default=os.environ.get("QBANK_CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--port", type=int, default=7990)
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        raise SystemExit(f"Chromium not found at {args.chromium}: apt-get install chromium, or pass --chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="qbank-shots-"))
    try:
        subprocess.run([str(QBANK), "ingest"], env=env(home), check=True)
        os.environ.update(QBANK_HOME=str(home), HF_HUB_OFFLINE="1")
        seed(home)
        proc = serve(home, args.port)
        try:
            walk(f"http://127.0.0.1:{args.port}/", args.out, args.chromium, home)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
