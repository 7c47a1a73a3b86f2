"""The server edge: the address it binds, the login, API keys, and what an upload can reach.

Covered elsewhere and not repeated: upload names, types and sizes as a unit
(``tests/rag/test_uploads.py``: ``../``, absolute and drive-letter names, NUL, over-size);
``qbank serve`` without ``--host`` listening on 127.0.0.1 only and refusing ``/config``
without a login (``tests/ui/test_serve.py``); a key typed in the settings tab never shown in
the page (``tests/ui/test_browser.py``).

Here one real ``qbank serve --host 127.0.0.2`` with a login, an LLM backend whose key is in
the environment, and a second key typed into the settings of one session. Both keys are
really sent to a local server speaking the OpenAI protocol (it answers HTTP 500, so the
answers fall back) and must then appear nowhere: not in any response, not in the server's
stdout/stderr, not in any file under $QBANK_HOME (Gradio's temp folder is put there too).
Raw uploads with hostile names, and a request naming a file on the server, stay harmless.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.openai_stub import serve_stub
from tests.support import CHROMIUM_ARGS, copy_home, free_port, start_serve, stop_serve

pytestmark = pytest.mark.integration

HOST = "127.0.0.2"                  # a loopback address that is not the default: proves --host is honoured
USER, PASSWORD = "alice", "pw-rel-7f2c9b1e"
ENV_KEY = "sk-env-rel-0c4f6a2b9e71d3"
TYPED_KEY = "sk-typed-rel-5b8d1e0a3c96f7"
SECRETS = (ENV_KEY, TYPED_KEY, PASSWORD)
XSS_BANK = """# 跨站脚本审计题库

## 1. 什么是跨站脚本审计题<img src=x onerror="window.__qbXss='question'">（可靠性）？
答案里有脚本<script>window.__qbXss='script'</script>和图片<img src=x onerror="window.__qbXss='answer'">，
还有链接<a href="javascript:window.__qbXss='link'">点我</a>和 <svg onload="window.__qbXss='svg'"></svg> 矢量图。
"""


@pytest.fixture(scope="module")
def llm_stub():
    with serve_stub() as srv:
        yield srv


@pytest.fixture(scope="module")
def server(corpus_home, tmp_path_factory, llm_stub):
    from ingest.pipeline import ingest
    from ingest.settings import Settings

    home = copy_home(corpus_home, tmp_path_factory.mktemp("secure") / "home")
    bank = home.parent / "xss_bank.md"
    bank.write_text(XSS_BANK, encoding="utf-8")
    assert ingest(Settings.load(home=home), [bank], progress=False).items == 174
    port = free_port(HOST)
    env = {"QBANK_AUTH_USER": USER, "QBANK_PASSWORD": PASSWORD, "QBANK_LLM_BACKEND": "openai",
           "QBANK_LLM_MODEL": "err500", "QBANK_LLM_BASE_URL": f"http://127.0.0.1:{llm_stub.server_address[1]}/v1",
           "OPENAI_API_KEY": ENV_KEY, "QBANK_LLM_TIMEOUT": "5", "GRADIO_TEMP_DIR": str(home / "gradio_tmp")}
    proc = start_serve(home, port, host=HOST, env=env)
    state = {"proc": proc, "home": home, "url": f"http://{HOST}:{port}/", "port": port}
    yield state
    if proc.poll() is None:
        stop_serve(proc)


def _client(server, auth=(USER, PASSWORD)):
    from gradio_client import Client

    return Client(server["url"], auth=auth, verbose=False)


def _call_by_element(client, elem_id: str, *args, event: str = "click"):
    """Call the handler wired to ``#elem_id`` the way the browser does, by its index (it has no API name)."""
    comps = {c["id"]: c for c in client.config["components"]}
    for i, dep in enumerate(client.config["dependencies"]):
        for target, ev in dep["targets"]:
            if ev == event and comps.get(target, {}).get("props", {}).get("elem_id") == elem_id:
                fn = dep.get("id", i)
                client.endpoints[fn].is_valid = True
                return client.submit(*args, fn_index=fn).result(timeout=120)
    raise LookupError(elem_id)


def test_binds_only_the_host_it_was_given(server):
    import psutil

    listening = {(c.laddr.ip, c.laddr.port) for c in psutil.Process(server["proc"].pid).net_connections(kind="inet")
                 if c.status == "LISTEN"}
    assert listening == {(HOST, server["port"])}
    with pytest.raises(OSError):                     # not on 127.0.0.1, not on every interface
        urllib.request.urlopen(f"http://127.0.0.1:{server['port']}/", timeout=5)


def test_login_is_required(server):
    from gradio_client import Client

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server["url"] + "config", timeout=10)
    assert err.value.code == 401
    with pytest.raises(Exception):
        Client(server["url"], verbose=False)                       # no login
    with pytest.raises(Exception):
        Client(server["url"], auth=(USER, "wrong"), verbose=False)
    history = _client(server).predict("什么是感受野？", [], api_name="/ask")[0]
    assert "dl_basics_qa-9" in json.dumps(history[-1], ensure_ascii=False)


def test_api_keys_are_used_but_never_shown(server, llm_stub):
    client = _client(server)
    out = client.predict("什么是批量归一化？", [], api_name="/ask")          # the server-wide key, from the env
    assert llm_stub.requests[-1][1]["authorization"] == f"Bearer {ENV_KEY}"
    notice = out[3]
    assert "大模型回答失败" in notice and "返回 HTTP 500" in notice and "dl_basics_qa-31" in json.dumps(out[0][-1], ensure_ascii=False)
    key_box, status = _call_by_element(client, "qb-set-apply", "openai", "err500",
                                       f"http://127.0.0.1:{llm_stub.server_address[1]}/v1", TYPED_KEY)
    assert (key_box.get("value") if isinstance(key_box, dict) else key_box) in ("", None)   # never sent back
    out2 = client.predict("什么是批量归一化？", [], api_name="/ask")          # this session's own key
    assert llm_stub.requests[-1][1]["authorization"] == f"Bearer {TYPED_KEY}"
    tested = _call_by_element(client, "qb-set-test", "openai", "err500",
                              f"http://127.0.0.1:{llm_stub.server_address[1]}/v1", "")
    assert "500" in str(tested)
    other = _client(server).predict("什么是批量归一化？", [], api_name="/ask")   # another session: the env key again
    assert llm_stub.requests[-1][1]["authorization"] == f"Bearer {ENV_KEY}"
    shown = json.dumps([out, key_box, status, out2, tested, other], ensure_ascii=False, default=str)
    assert not [s for s in SECRETS if s in shown]


def _login(server):
    import httpx

    h = httpx.Client(base_url=server["url"].rstrip("/"), timeout=60)
    r = h.post("/login", data={"username": USER, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return h


def _run(h, fn_index: int, data: list) -> dict:
    """One event through Gradio's queue, as the browser sends it."""
    session = uuid.uuid4().hex[:12]
    r = h.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                "event_data": None, "trigger_id": None})
    assert r.status_code == 200, r.text
    with h.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return msg
    raise AssertionError("no process_completed message")


def test_uploads_cannot_write_outside_or_read_server_files(server, tmp_path):
    home = server["home"]
    h = _login(server)
    upload_fn = next(d.get("id", i) for i, d in enumerate(h.get("/config").json()["dependencies"])
                     if d.get("api_name") == "upload")
    bank = "## 1. 什么是越权上传测试题（可靠性）？\n上传的文件只能留在 uploads 里。\n".encode()
    outside = tmp_path / "outside"
    names = ["../../../escape_rel.md", str(outside / "abs_rel.md"), "..\\..\\win_rel.md"]
    files = []
    for name in names:
        r = h.post("/gradio_api/upload", files={"files": (name, bank, "text/markdown")})
        assert r.status_code == 200, r.text
        files.append({"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}})
    done = _run(h, upload_fn, [files, None, None, "", "zh"])
    assert done["success"], done
    stored = sorted(p.name for p in (home / "uploads").iterdir())
    assert stored == ["abs_rel.md", "escape_rel.md", "win_rel.md"], stored     # plain names, inside uploads/
    for folder in (home, home.parent, home.parent.parent, home / "index", Path("/"), Path("/tmp"), Path.cwd()):
        leaked = [n for n in ("escape_rel.md", "abs_rel.md", "win_rel.md") if (folder / n).exists()]
        assert not leaked, (folder, leaked)
    assert not outside.exists()
    # a request naming a file on the server (not uploaded by this user) is refused and nothing is indexed
    secret = tmp_path / "server_secret.md"
    secret.write_text("## 1. 什么是服务器绝密口令（可靠性）？\n口令是 hunter2-rel。\n", encoding="utf-8")
    done = _run(h, upload_fn, [[{"path": str(secret), "meta": {"_type": "gradio.FileData"}}], None, None, "", "zh"])
    assert not done["success"] and "not uploaded by a user" in json.dumps(done)
    history = _client(server).predict("服务器绝密口令是什么？", [], api_name="/ask")[0]
    assert "hunter2-rel" not in json.dumps(history, ensure_ascii=False)


@pytest.mark.browser
def test_markup_in_a_bank_is_shown_as_text_never_run(server):
    """A bank's <script>, onerror= and javascript: links, rendered by Chromium in the chat, the citation panel
    and the library: nothing runs."""
    from playwright.sync_api import sync_playwright

    h = _login(server)
    cookies = [{"name": c.name, "value": c.value, "domain": HOST, "path": "/"} for c in h.cookies.jar]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server["url"])
        page.wait_for_selector("#qb-question textarea")
        page.fill("#qb-question textarea", "什么是跨站脚本审计题（可靠性）？")
        page.click("#qb-send")
        page.wait_for_selector("#qb-chat .qb-mode-tag")
        page.locator("#qb-chat a[href*='#qb-cite=xss_bank-1']").first.click()
        page.locator("#qb-item-panel").get_by_text("矢量图").wait_for()
        page.click("#qb-tab-library-button")
        page.fill("#qb-lib-text textarea, #qb-lib-text input", "跨站脚本审计")
        page.press("#qb-lib-text textarea, #qb-lib-text input", "Enter")
        page.locator("#qb-lib-table").get_by_text("xss_bank-1").filter(visible=True).first.wait_for()
        page.locator("#qb-lib-table").get_by_text("什么是跨站脚本审计题").filter(visible=True).first.click()
        page.locator("#qb-lib-item").get_by_text("矢量图").wait_for()
        page.wait_for_timeout(500)
        assert page.evaluate("window.__qbXss") is None
        assert page.evaluate("document.querySelectorAll('#qb-chat [onerror], #qb-chat [onload], #qb-item-panel "
                             "[onerror], #qb-item-panel script, #qb-lib-item [onerror], a[href^=\"javascript:\"]')"
                             ".length") == 0
        browser.close()


def test_no_secret_in_logs_or_files(server):
    """Runs last: stop the server, then look for the keys and the password everywhere it could have written."""
    stop_serve(server["proc"])
    home = server["home"]
    log = (home / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Running on" in log and "LLM answer failed (HTTP 500" in log, log[-3000:]   # the LLM path really ran
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [(str(path), s) for s in SECRETS if s.encode() in data]
    assert not found, found
