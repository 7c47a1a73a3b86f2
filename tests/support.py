"""Helpers shared by the tests: private copies of the corpus index, the real CLI and ``qbank serve``, clean-error
checks, and the chat sessions the concurrency tests replay through the server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

QBANK = Path(sys.executable).parent / "qbank"
EVAL = Path(__file__).resolve().parent.parent / "data" / "eval" / "retrieval.jsonl"
FOLLOW_UP = "那它有什么缺点？"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def copy_home(src: Path, dest: Path) -> Path:
    """A private $QBANK_HOME holding a copy of ``src``'s index and embedding cache."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.lock", "serve.log", "interview.sqlite3*"))
    return dest


def run_cli(home: Path, *args: str, input: str | bytes | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real ``qbank`` console script with ``QBANK_HOME=home``; text in and out (UTF-8)."""
    e = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    e.update(env or {})
    return subprocess.run([str(QBANK), *args], input=input, capture_output=True, env=e, timeout=timeout,
                          text=not isinstance(input, bytes), encoding=None if isinstance(input, bytes) else "utf-8")


def assert_clean_error(r: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit code 2, one ``qbank: error: ...`` line on stderr naming every fragment, no traceback."""
    err = r.stderr if isinstance(r.stderr, str) else r.stderr.decode("utf-8", "replace")
    assert r.returncode == 2, (r.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qbank: error: "), err[-2000:]
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def no_terminal_escapes(text: str) -> bool:
    """True when ``text`` holds no C0/C1 control character a terminal would act on (tab and newline aside)."""
    return not any((ord(ch) < 32 and ch not in "\t\n\r") or 0x7f <= ord(ch) <= 0x9f for ch in text)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on (just now): for a server to start, or to be refused."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_stacks(home: Path) -> str:
    """Every thread's stack in the ``qbank serve`` of ``home`` (SIGUSR1: ``faulthandler``), from its log: what a hung
    request waits on."""
    import signal

    log = home / "serve.log"
    before = log.stat().st_size if log.exists() else 0
    try:
        os.kill(int((home / "serve.pid").read_text()), signal.SIGUSR1)
    except (OSError, ValueError) as exc:
        return f"(no stacks: {exc})"
    time.sleep(1.5)
    with open(log, "rb") as f:
        f.seek(before)
        return f.read().decode("utf-8", "replace")[-12000:]


def start_serve(home: Path, port: int, host: str | None = None, env: dict | None = None,
                timeout: float = 240) -> subprocess.Popen:
    """Start the real ``qbank serve`` (``--host`` only when given) and wait until it is up.

    Up means ``/`` answers with a status below 500: 200 for the app or its login page, 401/403 where a
    login is asked for first. A 5xx (a server still starting) or no answer keeps it waiting. Its stdout
    and stderr go to ``home/serve.log``; when it exits or stays silent, the error quotes that log.
    """
    e = dict(os.environ, QBANK_HOME=str(home), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
             PYTHONUNBUFFERED="1")
    e.update(env or {})
    args = [str(QBANK), "serve", "--port", str(port)] + (["--host", host] if host else [])
    log = open(home / "serve.log", "w")
    proc = subprocess.Popen(args, env=e, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{host or '127.0.0.1'}:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qbank serve exited with {proc.returncode}:\n{(home / 'serve.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except urllib.error.HTTPError as err:
            if err.code < 500:
                return proc
            time.sleep(0.5)
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"qbank serve did not answer within {timeout}s:\n{(home / 'serve.log').read_text()[-3000:]}")


def stop_serve(proc: subprocess.Popen) -> None:
    """Terminate a ``start_serve`` process (kill it when it does not stop within 20 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))]


def cited(history: list) -> list[str]:
    """Item ids linked from the last assistant message of a chatbot value."""
    content = history[-1]["content"]
    text = content if isinstance(content, str) else "".join(part.get("text", "") for part in content)
    return list(dict.fromkeys(chunk.split(")", 1)[0] for chunk in text.split("#qb-cite=")[1:]))


def conversation_plan(answerer, n: int) -> list[tuple[str, list[str], list[str]]]:
    """Up to ``n`` Chinese eval questions on ``n`` different first-cited items, each as
    ``(question, ids cited, ids cited for FOLLOW_UP)`` by ``answerer`` in its own conversation."""
    from rag.conversation import Conversation

    plan, seen = [], set()
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("lang") != "zh" or not row.get("gold") or row.get("kind") == "uncovered":
            continue
        chat = Conversation(answerer)
        first = chat.ask(row["query"])
        if first.abstained or not first.citations or first.citations[0].id in seen:
            continue
        second = chat.ask(FOLLOW_UP)
        seen.add(first.citations[0].id)
        plan.append((row["query"], [c.id for c in first.citations], [c.id for c in second.citations]))
        if len(plan) == n:
            break
    return plan
