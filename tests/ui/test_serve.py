"""``qbank serve``: stale-index detection, loopback binding, optional login."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import pytest

from ingest.settings import Settings
from tests.support import free_port, start_serve, stop_serve
from ui.cmd_serve import auth_pair, is_loopback, stale_reason
from ui.cli import CliError

EXTRA = "# 额外题库\n\n### 1. 什么是超图神经网络？\n\n超图神经网络在超边上传递消息。\n"


@pytest.fixture()
def home(corpus_home, tmp_path):
    h = tmp_path / "home"
    shutil.copytree(corpus_home, h)
    return h


def test_fresh_index_is_not_stale(home):
    assert stale_reason(Settings.load(home=home)) is None


def test_missing_index_is_stale(tmp_path):
    assert "no index" in stale_reason(Settings.load(home=tmp_path))


def test_new_changed_and_removed_sources_make_it_stale(home, tmp_path):
    settings = Settings.load(home=home)
    extra = tmp_path / "extra.md"
    extra.write_text(EXTRA, encoding="utf-8")
    settings.sources_file.write_text(json.dumps([str(extra)]), encoding="utf-8")
    assert "new: extra.md" in stale_reason(settings)
    from ingest.pipeline import ingest

    assert ingest(settings, progress=False).items == 174
    assert stale_reason(settings) is None
    extra.write_text(EXTRA + "\n补充一句。\n", encoding="utf-8")
    assert "changed: extra.md" in stale_reason(settings)
    extra.unlink()
    assert "removed: extra.md" in stale_reason(settings)


def test_other_embedding_model_makes_it_stale(home):
    assert "built with" in stale_reason(Settings.load(home=home, embedding_model="minilm"))


def test_an_index_from_another_qbank_version_or_glossary_is_stale(home):
    settings = Settings.load(home=home)
    manifest_path = home / "index" / (home / "index" / "CURRENT").read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format_version": 1}), encoding="utf-8")
    assert "format 1" in stale_reason(settings)
    manifest_path.write_text(json.dumps({**manifest, "segmenter_version": "3"}), encoding="utf-8")
    assert "another qbank version" in stale_reason(settings)
    manifest_path.write_text(json.dumps({**manifest, "glossary_digest": "0" * 12}), encoding="utf-8")
    assert "glossary.tsv changed" in stale_reason(settings)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert stale_reason(settings) is None


@pytest.mark.parametrize("host, expected", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_auth_needs_the_password_env_var(tmp_path, monkeypatch):
    monkeypatch.delenv("QBANK_PASSWORD", raising=False)
    assert auth_pair(Settings.load(home=tmp_path)) is None
    settings = Settings.load(home=tmp_path, auth_user="alice")
    with pytest.raises(CliError, match=r"\$QBANK_PASSWORD is empty"):
        auth_pair(settings)
    monkeypatch.setenv("QBANK_PASSWORD", "pw")
    assert auth_pair(settings) == ("alice", "pw")


def test_serve_refuses_a_login_without_password(qbank_cli, home):
    r = qbank_cli("serve", "--port", str(free_port()), home=home, env={"QBANK_AUTH_USER": "alice", "QBANK_PASSWORD": ""})
    assert r.returncode == 2
    assert "QBANK_PASSWORD is empty" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.integration
def test_serve_rebuilds_a_stale_index_binds_loopback_and_asks_for_a_login(home, tmp_path):
    import psutil

    extra = tmp_path / "extra.md"
    extra.write_text(EXTRA, encoding="utf-8")
    (home / "sources.json").write_text(json.dumps([str(extra)]), encoding="utf-8")
    port = free_port()
    proc = start_serve(home, port, env={"QBANK_AUTH_USER": "alice", "QBANK_PASSWORD": "s3cret-pw"})
    try:
        log = (home / "serve.log").read_text()
        assert "building the index first" in log and "new: extra.md" in log
        assert stale_reason(Settings.load(home=home)) is None
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet") if c.status == "LISTEN"]
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
        assert err.value.code == 401
        body = urllib.parse.urlencode({"username": "alice", "password": "s3cret-pw"}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", data=body, timeout=10) as r:
            assert r.status == 200
        assert "s3cret-pw" not in (home / "serve.log").read_text()
    finally:
        stop_serve(proc)
