"""The web app, end to end in Debian's Chromium (Playwright), against the CLI's and API's numbers.

The app runs as ``adaptive-pilot app`` in a subprocess on a free loopback port.
Playwright drives the system's Chromium (``executable_path``; no browser is
downloaded). pytest-playwright saves a screenshot of a failing test's page in
``.pytest-artifacts/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html.parser
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

shiny = pytest.importorskip("shiny")

import adaptive_pilot as ap  # noqa: E402
from adaptive_pilot import simon_designs  # noqa: E402
from adaptive_pilot.app.common import single_endpoint_designs  # noqa: E402
from adaptive_pilot.app.form import apply_form, form_values  # noqa: E402
from adaptive_pilot.results import Table  # noqa: E402
from adaptive_pilot.spec import design_from_document, load_design  # noqa: E402
from adaptive_pilot.spec.reading import read_document  # noqa: E402
from conftest import system_binary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "adaptive_pilot" / "examples"
DESIGN = EXAMPLES / "designs" / "motivating_trial.yaml"
PATIENTS = EXAMPLES / "designs" / "motivating_trial_synthetic_patients.csv"
SCENARIOS = EXAMPLES / "simulations" / "motivating_trial.yaml"
AS_OF = "2026-06-30"
TOKEN = "a-long-enough-test-token-0123456789"


# ------------------------------------------------------------------ set-up
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = system_binary("chromium", ("chromium",))
    return {**browser_type_launch_args, "executable_path": chromium, "headless": True}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port, process, why, seconds=60):
    """Until the child listens on ``port``; killed, with ``why()`` raised, if it never does."""
    started = time.perf_counter()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None or time.perf_counter() - started > seconds:
                process.kill()
                process.wait(10)
                raise RuntimeError(why()) from None
            time.sleep(0.05)


#: The log (standard error) of each running app, by its URL.
_LOGS: dict[str, Path] = {}
#: The name a reverse proxy is reached by (browsers resolve *.localhost to this machine).
PROXY_NAME = "dsmb.localhost"


@contextlib.contextmanager
def _running_app(*options, env=None):
    """The app in a subprocess on a free port; its output goes to a file (never a pipe)."""
    import tempfile

    port = _free_port()
    command = [sys.executable, "-m", "adaptive_pilot.cli", "app", "--port", str(port), *options]
    log = Path(tempfile.mkstemp(prefix="ap-app-", suffix=".log")[1])
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_port(port, process, lambda: f"the app did not start: {log.read_text()}")
        _LOGS[url] = log
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait(10)
        _LOGS.pop(url, None)
        log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    audit = tmp_path_factory.mktemp("app") / "audit.sqlite"
    options = ("--audit", str(audit), "--max-upload-mb", "0.05", "--allowed-host", PROXY_NAME)
    with _running_app(*options) as url:
        yield url


def _rows(page, selector):
    return page.eval_on_selector_all(
        f"{selector} tr", "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )


def _shown(table):
    return [table.header(), *table.cells()]


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("#design-boundaries table", timeout=30_000)


def _set_p0(page, value):
    """Type p0 on the Design page and wait until its boundary table has changed."""
    before = _rows(page, "#design-boundaries")
    page.fill("#design-p0", value)
    page.keyboard.press("Tab")
    page.wait_for_function(
        "old => JSON.stringify([...document.querySelectorAll('#design-boundaries tr')]"
        ".map(r => [...r.children].map(c => c.textContent.trim()))) !== old",
        arg=json.dumps(before), timeout=10_000,
    )  # fmt: skip


def _wait_text(page, selector, text):
    page.wait_for_function(
        "([css, text]) => document.querySelector(css)?.textContent.includes(text)",
        arg=[selector, text], timeout=10_000,
    )  # fmt: skip


def _upload(page, name, file):
    page.set_input_files(f"#interim-{name}", str(file))
    page.wait_for_function(
        f"() => document.querySelector('#interim-{name}_progress .progress-bar')"
        "?.textContent.includes('complete')", timeout=10_000,
    )  # fmt: skip


def _set_cut_off(page):
    box = page.locator("#interim-as_of input")
    box.click()
    box.press("Control+a")
    box.type(AS_OF)
    box.press("Enter")


def _decisions(page):
    page.wait_for_selector(".ap-cohort", timeout=30_000)
    return {
        card.get_attribute("data-cohort"): card.locator(".ap-decision").get_attribute(
            "data-decision"
        )
        for card in page.locator(".ap-cohort").all()
    }


def _tab(page, name):
    """Open a page of the app (on a phone, through the collapsed navigation menu)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    page.get_by_role("tab", name=name).click()


def _interim_call(page, file=PATIENTS, analyst="Test analyst"):
    _tab(page, "Interim")
    _upload(page, "data", file)
    _set_cut_off(page)
    page.fill("#interim-analyst", analyst)
    page.click("#interim-run")


def _cli_decisions():
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "interim", str(DESIGN), "--data",
         str(PATIENTS), "--as-of", AS_OF, "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {c["cohort"]: c["decision"] for c in json.loads(done.stdout)["cohorts"]}


# --------------------------------------------------------- without browser
@pytest.mark.parametrize("name", sorted(single_endpoint_designs()))
def test_the_form_keeps_every_shipped_design_as_it_is(name):
    document, _ = read_document(EXAMPLES / "designs" / name, "design file")
    again = design_from_document(apply_form(document, form_values(document)))
    assert again.boundary_table() == load_design(EXAMPLES / "designs" / name).boundary_table()


def test_a_host_off_loopback_needs_a_token():
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "app", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "ADAPTIVE_PILOT_TOKEN"},
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--host: 0.0.0.0 is reachable from other machines" in lines[0]


def test_without_the_token_no_request_gets_data():
    with _running_app(env={"ADAPTIVE_PILOT_TOKEN": TOKEN}) as url:
        with urllib.request.urlopen(url) as response:  # follows the redirect to the sign-in
            page = response.read().decode()
            assert response.url.endswith("/login") and 'name="token"' in page
            assert "Imatinib" not in page and "shiny" not in page.lower()
        for path, method in (("session/x/upload/y", "POST"), ("shared/shiny.js", "GET")):
            request = urllib.request.Request(url + path, method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request)
            assert refused.value.code == 401
        wrong = urllib.request.Request(url + "login", data=b"token=wrong", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong)
        assert refused.value.code == 401 and TOKEN not in refused.value.read().decode()
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        with pytest.raises(InvalidStatus):
            connect(url.replace("http", "ws") + "websocket/", open_timeout=5)
        bearer = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(bearer) as response:
            assert "adaptive_pilot" in response.read().decode()


def test_the_guard_refuses_a_too_large_body_before_the_app_reads_it(app):
    import http.client

    host, port = app.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", "/session/none/upload/none", body=b"x" * 200_000)
    response = connection.getresponse()
    assert response.status == 413
    assert "the limit is 0.05 MB" in response.read().decode()
    connection.close()


def test_the_guard_stops_a_body_without_length_once_it_passes_the_limit():
    import asyncio

    from adaptive_pilot.app.guard import Guard

    seen = []

    async def reader(scope, receive, send):  # an app that reads the whole body
        body = b""
        while True:
            message = await receive()
            seen.append(message["type"])
            body += message.get("body", b"")
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    async def run(chunks):
        queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                 for i, c in enumerate(chunks)]  # fmt: skip
        sent = []

        async def receive():
            return queue.pop(0) if queue else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/session/s/upload/u", "headers": []}
        await Guard(reader, max_upload_bytes=1000)(scope, receive, send)
        return sent

    refused = asyncio.run(run([b"x" * 600, b"x" * 600, b"x" * 600]))
    assert refused[0]["status"] == 413 and b"limit" in refused[1]["body"]
    assert seen == []  # the app never saw the request, so nothing can fail half-read
    accepted = asyncio.run(run([b"x" * 400, b"x" * 400]))
    assert accepted[0]["status"] == 200 and accepted[1]["body"] == b"800"
    assert seen == ["http.request"]  # the whole body, in one message


def _upload_url(base):
    """A real upload URL of a new session (the websocket's uploadInit, as the browser does)."""
    from websockets.sync.client import connect

    with connect(base.replace("http", "ws") + "websocket/", open_timeout=10) as socket_:
        json.loads(socket_.recv(timeout=10))
        socket_.send(json.dumps({"method": "init", "data": {}}))
        files = [{"name": "patients.csv", "size": 10, "type": "text/csv"}]
        socket_.send(json.dumps({"method": "uploadInit", "args": [files], "tag": 1}))
        for _ in range(100):
            message = json.loads(socket_.recv(timeout=10))
            if "response" in message:
                return message["response"]["value"]["uploadUrl"]
    raise AssertionError("no upload URL")


def test_a_chunked_upload_over_the_limit_gets_413_and_no_traceback(app):
    import http.client

    host, port = app.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/" + _upload_url(app))
    connection.putheader("Transfer-Encoding", "chunked")  # no Content-Length to check
    connection.endheaders()
    with contextlib.suppress(OSError):  # the server may answer and close before the end
        for _ in range(20):
            connection.send(b"2710\r\n" + b"x" * 10_000 + b"\r\n")
        connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 413 and "the limit is 0.05 MB" in response.read().decode()
    connection.close()
    time.sleep(0.2)
    log = _LOGS[app].read_text()
    assert "Traceback" not in log and "Exception" not in log


def _status(base, method="GET", path="", headers=None):
    import http.client

    host, port = base.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, "/" + path, body=b"" if method == "POST" else None,
                       headers=headers or {})  # fmt: skip
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def test_requests_naming_another_host_or_from_another_site_get_403(app):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    port = app.rstrip("/").rsplit(":", 1)[1]
    status, body = _status(app, headers={"Host": "attacker.example"})  # DNS rebinding
    assert status == 403 and "Imatinib" not in body and "--allowed-host" in body
    assert _status(app, headers={"Host": f"127.0.0.1:{int(port) + 1}"})[0] == 403
    for own in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert _status(app, headers={"Host": own})[0] == 200
    foreign = {"Origin": "http://attacker.example"}
    upload = "session/none/upload/none"
    assert _status(app, "POST", upload, headers=foreign)[0] == 403
    assert _status(app, "POST", upload, headers={"Origin": "null"})[0] == 403
    socket_url = app.replace("http", "ws") + "websocket/"
    for origin in ("http://attacker.example", f"http://127.0.0.1:{int(port) + 1}", "null"):
        with pytest.raises(InvalidStatus) as refused:
            connect(socket_url, origin=origin, open_timeout=10)
        assert refused.value.response.status_code == 403
    with connect(socket_url, origin=app.rstrip("/"), open_timeout=10) as own_page:
        assert "sessionId" in own_page.recv(timeout=10)


def test_the_documented_reverse_proxy_set_up_still_works(app):
    """What nginx sends with the documented configuration: Host $host, the public Origin."""
    from websockets.sync.client import connect

    public = {"Host": PROXY_NAME, "X-Forwarded-Proto": "https"}
    status, body = _status(app, headers=public)
    assert status == 200 and "adaptive_pilot" in body
    port = int(app.rstrip("/").rsplit(":", 1)[1])
    tunnel = socket.create_connection(("127.0.0.1", port), timeout=10)  # the proxy's hop
    with connect(f"ws://{PROXY_NAME}/websocket/", sock=tunnel, origin=f"https://{PROXY_NAME}",
                 open_timeout=10) as proxied:  # fmt: skip
        assert "sessionId" in proxied.recv(timeout=10)
    assert _status(app, headers={"Host": "other.example.org"})[0] == 403


_NGINX = """daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # the documentation's configuration (docs/guide/app.md), word for word
        location /adaptive-pilot/ {{
            proxy_pass http://127.0.0.1:{app_port}/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 3600s;
            client_max_body_size 10m;
        }}
    }}
}}
"""


def test_the_documented_nginx_reverse_proxy_serves_the_app_to_a_browser(page, app, tmp_path):
    """nginx with the documented location block in front of an app started --allowed-host."""
    nginx = system_binary("nginx", ("nginx-light",))
    port = _free_port()
    app_port = int(app.rstrip("/").rsplit(":", 1)[1])
    config = tmp_path / "nginx.conf"
    config.write_text(_NGINX.format(folder=tmp_path, port=port, app_port=app_port))
    process = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_for_port(port, process, lambda: (tmp_path / "error.log").read_text())
        page.goto(f"http://{PROXY_NAME}:{port}/adaptive-pilot/")
        page.wait_for_selector("#design-boundaries table", timeout=30_000)  # over the websocket
        assert "stop for futility if" in page.inner_text("#design-boundaries")
        # reached by a name the app was not given, the proxy's request is refused
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/adaptive-pilot/", timeout=10)
        assert refused.value.code == 403 and "--allowed-host" in refused.value.read().decode()
    finally:
        process.terminate()
        process.wait(10)


def test_an_allowed_host_that_is_not_a_host_name_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "app", "--allowed-host", "http://x/y"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--allowed-host: 'http://x/y' is not a host name" in lines[0]


# ------------------------------------------------------------ in a browser
def test_signing_in_with_the_token_opens_the_app(page):
    with _running_app(env={"ADAPTIVE_PILOT_TOKEN": TOKEN}) as url:
        page.goto(url)
        page.fill("#token", "not the token")
        page.click("button[type=submit]")
        assert "That token is not right" in page.content()
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_selector("#design-boundaries table", timeout=30_000)
        assert TOKEN not in page.content()


_ATTACK_PAGE = """<!DOCTYPE html><html><body><p id="status">running</p><script>
const target = "%s";
const result = {socket: "pending", post: "pending", read: "pending"};
const ws = new WebSocket(target.replace("http", "ws") + "websocket/");
ws.onopen = () => { result.socket = "opened"; };
ws.onmessage = (event) => { result.socket = "read: " + event.data.slice(0, 40); };
ws.onerror = () => { if (result.socket === "pending") result.socket = "refused"; };
fetch(target + "session/x/upload/y", {method: "POST", mode: "no-cors", body: "analyst=me"})
  .then(() => { result.post = "sent"; }, () => { result.post = "failed"; });
fetch(target).then((r) => r.text()).then((t) => { result.read = "read " + t.length; },
                                         () => { result.read = "blocked"; });
setTimeout(() => { document.getElementById("status").textContent = JSON.stringify(result); },
           3000);
</script></body></html>"""


def test_a_page_from_another_origin_cannot_open_the_websocket_or_read_the_app(page, app):
    """A second local server on another port serves a page that tries to drive the app."""
    import http.server
    import threading

    body = (_ATTACK_PAGE % app).encode()

    class AttackPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function(
            "() => document.getElementById('status').textContent !== 'running'", timeout=20_000
        )
        result = json.loads(page.inner_text("#status"))
    finally:
        server.shutdown()
        server.server_close()
    assert result["socket"] == "refused"  # no session: nothing read, nothing pressed
    assert result["read"] == "blocked"  # no CORS: the page's text never reaches the script
    assert "Traceback" not in _LOGS[app].read_text()


def test_changing_p0_updates_boundaries_and_oc_to_the_api_values(page, app):
    _open(page, app)
    document, _ = read_document(DESIGN, "design file")
    document["hypotheses"]["p0"] = 0.1
    expected = design_from_document(document).evaluate()
    _set_p0(page, "0.1")
    _wait_text(page, "#design-header", expected.provenance.design_hash)
    bounds = Table(expected.table.summary().tables[0].frame)
    assert _rows(page, "#design-boundaries") == _shown(bounds)
    oc = Table(expected.oc.to_frame().drop(columns=["method"]))
    assert _rows(page, "#design-oc") == _shown(oc)
    at0 = expected.oc.at(0.1)
    assert f"P(GO | p0 = 0.1) = {at0['p_go']:.4f}" in page.inner_text("#design-header")
    # how long it takes is measured in benchmarks/run.py --only app, not asserted here


def test_interim_call_equals_the_cli_and_the_closed_report_says_the_same(page, app):
    _open(page, app)
    _interim_call(page)
    shown = _decisions(page)
    assert shown == _cli_decisions()
    with page.expect_download() as download:
        page.click("#interim-closed")
    text = Path(download.value.path()).read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    html.parser.HTMLParser().feed(text)
    from adaptive_pilot.interim.decide import DECISION_LABELS

    for cohort, decision in shown.items():  # the report says each decision in words
        assert cohort in text and DECISION_LABELS[decision] in text


def test_too_large_and_malformed_uploads_are_explained_and_the_app_keeps_working(
    page, app, tmp_path
):
    _open(page, app)
    page.get_by_role("tab", name="Interim").click()
    large = tmp_path / "large.csv"
    large.write_text(PATIENTS.read_text() + "x" * 100_000)
    page.set_input_files("#interim-data", str(large))
    message = page.locator("#interim-data_progress")
    message.wait_for(state="visible", timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('#interim-data_progress').textContent.includes('limit')",
        timeout=10_000,
    )
    assert "the limit is 0.05 MB" in message.inner_text()
    script = tmp_path / "patients.py"
    script.write_text("print('not data')\n")
    page.set_input_files("#interim-data", str(script))
    page.wait_for_function(
        "() => document.querySelector('#interim-data_progress').textContent.includes('accepted')",
        timeout=10_000,
    )
    assert "patients.py: only .csv" in message.inner_text()
    broken = tmp_path / "broken.csv"
    lines = PATIENTS.read_text().splitlines()
    lines[2] = lines[2].replace("2025-07-03", "2025-13-45")
    lines[4] = lines[4].replace(",G12", ",G99")
    broken.write_text("\n".join(lines) + "\n")
    _interim_call(page, file=broken)
    problem = page.locator(".ap-error")
    problem.wait_for(timeout=30_000)
    text = problem.inner_text()
    assert "broken.csv" in text and "row 3" in text and "row 5" in text
    assert "fileupload" not in text  # no path on the server is shown
    _interim_call(page)
    page.wait_for_selector(".ap-cohort", timeout=30_000)
    assert page.locator(".ap-error").count() == 0


@contextlib.contextmanager
def _on_audit_page_after_one_call(page, tmp_path):
    """An app with an audit database, one interim call made, the Audit page open."""
    audit = tmp_path / "audit.sqlite"
    with _running_app("--audit", str(audit)) as url:
        _open(page, url)
        _interim_call(page)
        page.wait_for_selector(".ap-cohort", timeout=30_000)
        page.get_by_role("tab", name="Audit").click()
        page.wait_for_selector(".ap-audit table", timeout=10_000)
        yield audit


def test_audit_page_verifies_the_chain_and_finds_tampering(page, tmp_path):
    with _on_audit_page_after_one_call(page, tmp_path) as audit:
        assert "Test analyst" in page.inner_text(".ap-audit")
        page.click("#audit-verify")
        page.wait_for_selector("#audit-verification .alert-success", timeout=10_000)
        assert "audit chain intact: 1 record(s)" in page.inner_text("#audit-verification")
        connection = sqlite3.connect(audit)
        connection.execute("DROP TRIGGER records_never_updated")
        connection.execute("UPDATE records SET analyst = 'someone else' WHERE id = 1")
        connection.commit()
        connection.close()
        page.click("#audit-verify")
        page.wait_for_selector("#audit-verification .alert-danger", timeout=10_000)
        assert "audit chain broken at record 1" in page.inner_text("#audit-verification")


def test_simulate_page_equals_the_cli_for_the_same_seed(page, app):
    _open(page, app)
    page.get_by_role("tab", name="Simulate").click()
    page.fill("#simulate-n_trials", "400")
    page.fill("#simulate-seed", "3")
    page.click("#simulate-run")
    page.wait_for_selector(".ap-simulation table", timeout=60_000)
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "simulate", str(DESIGN), "--scenarios",
         str(SCENARIOS), "--n-trials", "400", "--seed", "3", "--no-progress", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(done.stdout)["results"]
    cli = {(r["scenario"], r["cohort"], r["metric"]): (r["estimate"], r["mcse"]) for r in rows}
    cards = page.locator(".ap-simulation .card").all()
    heads = [card.locator(".card-header").inner_text() for card in cards]
    tables = [
        card
        for card, head in zip(cards, heads, strict=True)
        if head.startswith("Scenario:") and "Survival" not in head
    ]
    assert (
        len(tables) == 6 and "largest simulated P(false GO)" in heads[-1]
    )  # then the worst per cohort
    assert any("Survival" in head for head in heads)  # the G12C-like scenario's PFS and OS
    for card in tables:
        scenario = card.locator(".card-header").inner_text().split(":")[1].split("(")[0].strip()
        scenario = scenario.split(".")[0].strip()
        body = card.evaluate(
            "c => [...c.querySelectorAll('tr')].map(r => [...r.children].map(x => x.textContent))"
        )
        header, *cells = body
        go = header.index("P(GO)")
        for row in cells:
            estimate, mcse = cli[(scenario, row[0].strip(), "p_go")]
            assert row[go].strip() == f"{estimate:.3f} ({mcse:.3f})"


def test_one_sessions_data_is_not_visible_in_another(browser, app):
    first, second = browser.new_context(), browser.new_context()
    try:
        mine = first.new_page()
        _open(mine, app)
        _interim_call(mine)
        mine.wait_for_selector(".ap-cohort", timeout=30_000)
        other = second.new_page()
        _open(other, app)
        other.get_by_role("tab", name="Interim").click()
        other.wait_for_timeout(1000)
        assert other.locator(".ap-cohort").count() == 0
        assert "SYN-" not in other.content() and "Test analyst" not in other.content()
    finally:
        first.close()
        second.close()


def test_a_new_user_runs_the_shipped_example_with_one_click(page, app):
    _open(page, app)
    page.get_by_role("tab", name="Interim").click()
    plan_hash = load_design(DESIGN).interim_plan().design_hash()
    _wait_text(page, "#interim-design_line", plan_hash)
    page.get_by_text("or use the shipped example").click()
    page.wait_for_selector("#interim-example_note .text-success", timeout=10_000)
    page.wait_for_function(
        f"() => document.querySelector('#interim-as_of input').value === '{AS_OF}'"
    )
    page.click("#interim-run")
    shown = _decisions(page)
    assert shown == _cli_decisions()
    page.get_by_role("tab", name="Simulate").click()
    trial_hash = load_design(DESIGN).trial().design_hash()
    _wait_text(page, "#simulate-design_line", trial_hash)


def test_interim_call_from_adam_files_equals_the_minimal_files(page, app, tmp_path):
    from test_adam import _minimal, adam_frames, write_csv

    paths = write_csv(adam_frames(_minimal()), tmp_path)
    _open(page, app)
    page.get_by_role("tab", name="Interim").click()
    page.get_by_text("CDISC ADaM").click()
    for name in ("adsl", "adrs", "adae", "adtte"):
        _upload(page, name, paths[name])
    page.fill("#interim-cohort_var", "KRASSUB")
    _set_cut_off(page)
    page.click("#interim-run")
    shown = _decisions(page)
    assert shown == _cli_decisions()


def test_an_app_that_never_starts_fails_in_seconds(tmp_path):
    """The start-up wait is bounded: a child that sleeps for a minute instead of listening
    is killed and reported after the wait, and its output read from a file, not a pipe."""
    log = tmp_path / "child.log"
    with log.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(60)"],
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not start: starting"):
        _wait_for_port(_free_port(), child, lambda: f"did not start: {log.read_text()}", 2)
    waited = time.monotonic() - started
    assert child.poll() is not None, "the child is killed, not left running"
    assert waited < 30, f"the wait ran {waited:.0f} s past its 2 s bound"


def test_the_interim_call_uses_only_a_named_plan_never_the_edited_design_silently(page, tmp_path):
    """Editing the Design page does not change what the Interim page decides with: that is
    the plan file chosen there, named with its SHA-256. The edited design becomes the plan
    only through an explicit step that shows the changes, and the audit record says so."""
    import hashlib

    from adaptive_pilot.interim.audit import read_records

    audit = tmp_path / "audit.sqlite"
    shipped = load_design(DESIGN).design_hash()
    with _running_app("--audit", str(audit)) as url:
        _open(page, url)
        _set_p0(page, "0.1")
        page.get_by_role("tab", name="Interim").click()
        _wait_text(page, "#interim-design_line", shipped)  # the plan, not the edited design
        sha = hashlib.sha256(DESIGN.read_bytes()).hexdigest()
        line = page.inner_text("#interim-design_line")
        assert "analysis plan motivating_trial.yaml" in line and sha[:16] in line
        _interim_call(page)
        page.wait_for_selector(".ap-cohort", timeout=30_000)
        _wait_text(page, "#interim-cards", shipped)
        # the explicit hand-over: the changes and the new hash are shown first
        page.get_by_text("or use the Design page's design as the plan").click()
        page.wait_for_selector(".ap-handover", timeout=10_000)
        offer = page.inner_text(".ap-handover")
        assert "hypotheses.p0: 0.05 → 0.1" in offer and "motivating_trial.yaml" in offer
        edited = offer.split("design hash ")[1][:16]
        assert edited != shipped
        page.click("#interim-confirm_handover")
        _wait_text(page, "#interim-design_line", edited)
        assert "from the Design page" in page.inner_text("#interim-design_line")
        page.click("#interim-run")
        _wait_text(page, "#interim-cards", edited)
        assert "Analysis plan: the Design page's design" in page.inner_text("#interim-cards")
    first, second = read_records(audit)
    assert first.design_hash == shipped and "plan_origin" not in first.payload
    payload = second.payload
    assert second.design_hash == edited
    assert "hypotheses.p0: 0.05 → 0.1" in payload["plan_origin"]
    assert payload["inputs"][-1]["file"] == f"design-page-{edited}.yaml"


def test_audit_page_checks_the_chain_against_a_pasted_head(page, tmp_path):
    from adaptive_pilot.interim.audit import read_records

    with _on_audit_page_after_one_call(page, tmp_path) as audit:
        (record,) = read_records(audit)
        page.fill("#audit-head", record.hash)
        page.click("#audit-verify")
        page.wait_for_selector("#audit-verification .alert-success", timeout=10_000)
        page.fill("#audit-head", "0" * 64)  # a head the database does not end in
        page.click("#audit-verify")
        page.wait_for_selector("#audit-verification .alert-danger", timeout=10_000)
        page.fill("#audit-head", "not-a-hash")
        page.click("#audit-verify")
        _wait_text(page, "#audit-verification", "head")
        assert page.locator("#audit-verification .alert-success").count() == 0


def test_closed_report_fits_a_1366_pixel_screen(page, tmp_path):
    """The closed report's widest table (every figure per cohort) is one column per cohort,
    so the page fits 1366 px without scrolling sideways."""
    import datetime as dt

    from adaptive_pilot.dsmb.run import run_interim
    from adaptive_pilot.reports.interim import closed_report

    result = run_interim(DESIGN, data=PATIENTS, as_of=dt.date(2026, 6, 30))
    path = tmp_path / "closed.html"
    path.write_text(closed_report(result))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    text = page.inner_text("body")
    assert "stop for futility" in text and "Every figure per cohort" in text


def test_example_patients_are_offered_only_for_a_plan_with_their_cohorts(page, app):
    _open(page, app)
    page.get_by_role("tab", name="Interim").click()
    page.wait_for_selector("#interim-example", timeout=10_000)  # the motivating trial's plan
    page.select_option("#interim-plan", "bop2_example.yaml")  # one cohort, none of theirs
    _wait_text(page, "#interim-design_line", "bop2_example.yaml")
    page.wait_for_selector("#interim-example", state="detached", timeout=10_000)
    page.select_option("#interim-plan", "motivating_trial.yaml")
    page.wait_for_selector("#interim-example", timeout=10_000)


def test_a_family_switch_resets_its_fields_hides_the_others_and_offers_each_simon_design(page, app):
    """BOP2's lambda 0.83 / gamma 0.3 must not become Simon's alpha / beta (issue 25)."""
    _open(page, app)
    assert page.input_value("#design-threshold_1") == "0.83"
    before = _rows(page, "#design-boundaries")
    page.select_option("#design-family", "simon")
    _wait_text(page, "label[for='design-threshold_1']", "alpha (type I error)")
    page.wait_for_function(
        "old => JSON.stringify([...document.querySelectorAll('#design-boundaries tr')]"
        ".map(r => [...r.children].map(c => c.textContent.trim()))) !== old",
        arg=json.dumps(before), timeout=20_000,
    )  # fmt: skip
    assert page.input_value("#design-threshold_1") == "0.05"  # Simon's defaults
    assert page.input_value("#design-threshold_2") == "0.2"
    for hidden in ("#design-prior_a", "#design-alpha", "#design-every"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible("#design-simon_kind")
    # each Simon design of the search, as the API finds it
    search = simon_designs(0.05, 0.2, 0.05, 0.2, n_max=100)
    shown = {}
    for kind in ("optimal", "minimax", "admissible"):
        page.select_option("#design-simon_kind", kind)
        expected = {"optimal": search.optimal, "minimax": search.minimax,
                    "admissible": search.admissible_at(0.5)}[kind]  # fmt: skip
        _wait_text(page, "#design-words", f"{expected.n1}")
        page.wait_for_function(
            "n => document.querySelector('#design-boundaries')?.textContent.includes(n)",
            arg=str(expected.n), timeout=20_000,
        )  # fmt: skip
        shown[kind] = _rows(page, "#design-boundaries")
    assert shown["optimal"] != shown["minimax"]
    # back to BOP2: the design's own lambda and gamma, and its fields again
    page.select_option("#design-family", "bop2")
    _wait_text(page, "label[for='design-threshold_1']", "lambda")
    page.wait_for_function(
        "() => document.querySelector('#design-threshold_1').value === '0.83'", timeout=10_000
    )
    assert page.input_value("#design-threshold_2") == "0.3"
    assert page.is_visible("#design-prior_a") and not page.is_visible("#design-simon_kind")


def test_the_field_at_fault_is_marked_with_its_message_beside_it(page, app):
    """p1 out of range: the p1 box gets aria-invalid and a red border, the message sits
    under it (not only at the top of the page), the report waits; fixing it clears all."""
    _open(page, app)
    page.fill("#design-p1", "1.2")
    page.keyboard.press("Tab")
    page.wait_for_selector("#design-p1[aria-invalid='true']", timeout=10_000)
    assert "is-invalid" in page.get_attribute("#design-p1", "class")
    note = page.locator("#design-p1-error")
    assert "less than 1" in note.inner_text()
    assert page.get_attribute("#design-p1", "aria-describedby") == "design-p1-error"
    assert page.evaluate(  # the message is just below its field, in the sidebar
        "() => { const f = document.querySelector('#design-p1').getBoundingClientRect();"
        " const m = document.querySelector('#design-p1-error').getBoundingClientRect();"
        " return m.top >= f.bottom - 1 && m.top - f.bottom < 40; }"
    )
    assert page.get_attribute("#design-report", "aria-disabled") == "true"
    # p0 above p1 marks both hypotheses
    page.fill("#design-p1", "0.02")
    page.keyboard.press("Tab")
    page.wait_for_selector("#design-p0[aria-invalid='true']", timeout=10_000)
    assert page.get_attribute("#design-p1", "aria-invalid") == "true"
    assert "greater than p0" in page.inner_text("#design-p0-error")
    page.fill("#design-p1", "0.2")
    page.keyboard.press("Tab")
    page.wait_for_selector("[aria-invalid='true']", state="detached", timeout=10_000)
    assert page.locator(".ap-field-error").count() == 0
    page.wait_for_function(
        "() => !document.querySelector('#design-report').classList.contains('disabled')",
        timeout=10_000,
    )


def test_downloads_wait_for_a_result_and_say_why(page, app):
    _open(page, app)
    page.get_by_role("tab", name="Simulate").click()
    for name in ("results_csv", "results_json", "report"):
        button = f"#simulate-{name}"
        page.wait_for_selector(f"{button}.disabled[aria-disabled='true']", timeout=10_000)
        assert "after the simulation" in page.inner_text(f"{button}-why")
    page.get_by_role("tab", name="Interim").click()
    for name in ("closed", "open"):
        page.wait_for_selector(f"#interim-{name}.disabled[aria-disabled='true']", timeout=10_000)
        assert "after the interim call" in page.inner_text(f"#interim-{name}-why")
    _interim_call(page)
    _decisions(page)
    for name in ("closed", "open"):
        page.wait_for_function(
            "css => !document.querySelector(css).classList.contains('disabled')",
            arg=f"#interim-{name}", timeout=10_000,
        )  # fmt: skip
        assert page.get_attribute(f"#interim-{name}", "aria-disabled") is None
        assert not page.is_visible(f"#interim-{name}-why")


def test_interim_cards_summary_first_plain_words_toxicity_and_text_alternatives(page, app):
    from adaptive_pilot.dsmb.run import run_interim
    from adaptive_pilot.interim.decide import plain_reason

    _open(page, app)
    _interim_call(page)
    decisions = _decisions(page)
    # the summary across cohorts comes before the first card, with decisions in words
    assert page.evaluate(
        "() => { const s = document.querySelector('.ap-overview');"
        " const c = document.querySelector('.ap-cohort');"
        " return !!s && !!(s.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING); }"
    )
    overview = page.inner_text(".ap-overview")
    assert "stop_futility" not in overview and "no_go" not in overview
    result = run_interim(DESIGN, data=PATIENTS, as_of=dt.date.fromisoformat(AS_OF))
    for plan, call in zip(result.plan.cohorts, result.calls, strict=True):
        card = page.locator(f".ap-cohort[data-cohort='{call.cohort}']")
        assert card.locator(".ap-plain").inner_text() == plain_reason(plan, call)
        assert call.reason in card.locator(".ap-reason").inner_text()
        toxicity = card.locator(".ap-toxicity").inner_text()
        assert f"{call.toxicities} of {call.n_toxicity} patient" in toxicity
        assert "limit" in toxicity or f"> {plan.toxicity.threshold:g}" in toxicity
        label = card.locator("svg").first.get_attribute("aria-label")
        assert card.locator("svg").first.get_attribute("role") == "img"
        assert f"Cohort {call.cohort}" in label
        assert decisions[call.cohort] == call.decision


def test_pages_have_a_language_one_h1_text_alternatives_and_a_plain_tab_order(page, app):
    _open(page, app)
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").count() == 1
    page.wait_for_selector("#design-figures_panel svg", timeout=30_000)
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('main svg, .tab-content svg')]"
        ".filter(s => s.closest('.ap-figures, .ap-cohort') && !s.getAttribute('aria-label'))"
        ".length"
    )
    assert unlabelled == 0
    assert page.locator("[tabindex]:not([tabindex='-1']):not([tabindex='0'])").count() == 0
    # Tab walks the sidebar in the order it is read: start, upload, family, p0, p1
    page.focus("#design-start")
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id"))
    wanted = ["design-family", "design-p0", "design-p1"]
    positions = [order.index(name) for name in wanted]
    assert positions == sorted(positions), order
    # the calibration card says what it chooses, in words
    text = page.inner_text("#design-criterion")
    assert "chooses the most powerful design" in text and "at most 0.05" in text


def test_at_390_pixels_nothing_overflows_and_results_are_not_behind_the_sidebar(browser, app):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _open(page, app)

        def width() -> int:
            return page.evaluate("document.documentElement.scrollWidth")

        assert width() <= 390
        # the sidebar starts collapsed on a phone; open it to make the call
        _tab(page, "Interim")
        toggle = page.locator("#interim-sidebar").locator("xpath=..").locator(".collapse-toggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        _interim_call(page)
        _decisions(page)
        page.wait_for_function(
            "() => document.querySelector('#interim-sidebar').closest('.bslib-sidebar-layout')"
            ".querySelector('.collapse-toggle').getAttribute('aria-expanded') === 'false'",
            timeout=10_000,
        )
        assert page.locator(".ap-overview").is_visible()
        assert width() <= 390
        _tab(page, "Audit")
        page.wait_for_selector("#audit-history .ap-audit, #audit-history p", timeout=10_000)
        assert width() <= 390
    finally:
        context.close()


def test_the_downloaded_design_keeps_the_comments_of_its_file(page, app):
    _open(page, app)
    _set_p0(page, "0.07")
    with page.expect_download(timeout=20_000) as info:
        page.click("#design-design_file")
    download = info.value
    assert download.suggested_filename.endswith(".yaml")
    text = Path(download.path()).read_text()
    original = DESIGN.read_text()
    comments = [line.strip() for line in original.splitlines() if line.strip().startswith("#")]
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("#")] == comments
    assert "p0: 0.07" in text and "p0: 0.05" not in text


def test_closed_report_prints_on_a4_portrait(page, tmp_path):
    """Printed (the DSMB's binder), every table and figure fits the A4 portrait page."""
    from adaptive_pilot.dsmb.run import run_interim
    from adaptive_pilot.reports.interim import closed_report

    result = run_interim(DESIGN, data=PATIENTS, as_of=dt.date(2026, 6, 30))
    path = tmp_path / "closed.html"
    path.write_text(closed_report(result))
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    # A4 is 210 mm wide; less the page's 12 mm side margins, 186 mm = 703 CSS pixels
    page.set_viewport_size({"width": 703, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    widest = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('table, figure, svg')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 703
    pdf = tmp_path / "closed.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    assert b"/MediaBox [0 0 594.9" in pdf.read_bytes()  # A4 portrait, 595 x 842 pt


def test_the_design_page_shows_the_prior_and_its_effective_sample_size(page, app):
    from adaptive_pilot.prior_information import describe_prior

    _open(page, app)
    ess = describe_prior(load_design(DESIGN).prior).ess
    line = page.inner_text("#design-header .ap-prior")
    assert line.startswith("Prior Beta(0.05, 0.95): effective sample size (patients)")
    assert "elir not defined" in line and f"moment {ess['ess_moment']:.1f}" in line


def test_the_form_keeps_a_mixture_or_map_prior_it_cannot_show():
    """The form's prior fields are a Beta's a and b: a richer prior in the file is kept."""
    base = {
        "name": "m", "hypotheses": {"p0": 0.1, "p1": 0.3}, "n_max": 30, "looks": {"every": 10},
        "rule": {"type": "bop2", "lambda": 0.8, "gamma": 1.0},
    }  # fmt: skip
    for prior in (
        {"mixture": [{"weight": 0.5, "a": 1, "b": 9}, {"weight": 0.5, "a": 3, "b": 7}]},
        {
            "type": "map",
            "historical": [{"name": "A", "n": 20, "x": 4}],
            "tau": {"half_normal": 0.5},
        },
    ):
        document = {**base, "prior": prior}
        values = {**form_values(document), "p0": 0.12}
        assert apply_form(document, values)["prior"] == prior
    robust = {**base, "prior": {"a": 1, "b": 9, "robust": {"weight": 0.2}}}
    changed = apply_form(robust, {**form_values(robust), "prior_a": 2.0})
    assert changed["prior"] == {"a": 2.0, "b": 9.0, "robust": {"weight": 0.2}}


def test_a_map_prior_design_shows_its_studies_forest_plot_and_bayesian_oc(page, app, tmp_path):
    path = tmp_path / "map_design.yaml"
    path.write_text(
        "name: map-app\nhypotheses: {p0: 0.15, p1: 0.35}\nprior:\n  type: map\n  historical:\n"
        "    - {name: A, n: 40, x: 8}\n    - {name: B, n: 25, x: 7}\n  tau: {half_normal: 0.5}\n"
        "design_prior: {a: 3, b: 7}\nn_max: 30\nlooks: {every: 10}\n"
        "rule: {type: bop2, lambda: 0.9, gamma: 1}\n"
    )
    _open(page, app)
    page.set_input_files("#design-upload", str(path))
    page.wait_for_selector(".ap-map", timeout=60_000)
    resolved = load_design(path)
    card = page.inner_text(".ap-map")
    assert "Prior from historical studies (MAP)" in card and "A" in card and "B" in card
    assert page.get_attribute(".ap-map svg", "aria-label").startswith("Forest plot")
    expected = resolved.design.bayesian_oc()
    line = page.inner_text("#design-header .ap-bayesian")
    assert f"Probability of success (GO) {expected.p_success:.3f}" in line
    assert "ESS" not in line and "effective sample size" in page.inner_text("#design-header")


def test_a_go_consider_nogo_design_edits_its_criteria_and_shows_three_outcomes(page, app):
    """The shipped dual design: its criteria in two text fields (the numeric thresholds
    hidden), the three exact outcome probabilities, an edited criterion recompiled as the
    API does, and a criterion the rule cannot read marked at its field."""
    _open(page, app)
    page.select_option("#design-start", "go_consider_nogo.yaml")
    _wait_text(page, "#design-header", "false NO-GO")
    resolved = load_design(EXAMPLES / "designs" / "go_consider_nogo.yaml")
    oc = resolved.evaluate(joint=False).oc
    at0, at1 = oc.at(resolved.design.p0), oc.at(resolved.design.p1)
    header = page.inner_text("#design-header")
    assert f"P(GO | p0 = 0.15) = {at0['p_go']:.4f}" in header
    assert f"P(NO-GO | p1 = 0.3) = {at1['p_nogo']:.4f}" in header
    assert f"P(CONSIDER) {at0['p_consider']:.4f} at p0" in header
    assert page.is_visible("#design-nogo_text") and not page.is_visible("#design-threshold_1")
    assert page.input_value("#design-nogo_text") == "P(p < TV) > 0.94"
    lo, hi = resolved.design.table.consider_range
    _wait_text(page, "#design-boundaries", f"{lo} <= x <= {hi}")
    # a stricter NO-GO criterion: the boundaries the API compiles for it
    page.fill("#design-nogo_text", "P(p < TV) > 0.99")
    page.keyboard.press("Tab")
    rule = ap.DualRule(resolved.design.prior, 0.15, "P(p > LRV) > 0.95 and P(p > TV) > 0.5",
                       "P(p < TV) > 0.99", tv=0.3)  # fmt: skip
    table = ap.BayesianDesign(rule, (15, 30), efficacy_on=(False, True)).boundary_table
    lo, hi = table.consider_range
    _wait_text(page, "#design-boundaries", f"{lo} <= x <= {hi}")
    # a criterion that cannot be read: one line at its field
    page.fill("#design-go_text", "p > 0.3")
    page.keyboard.press("Tab")
    page.wait_for_selector("#design-go_text[aria-invalid='true']", timeout=10_000)
    assert "cannot read the condition" in page.inner_text("#design-go_text-error").lower()


def test_the_design_page_checks_the_priors_influence_on_request(page, app):
    """Prior sensitivity and drift, computed when asked, equal to the API's."""
    from adaptive_pilot.sensitivity import sensitivity

    _open(page, app)
    assert "Rebuilds this design" in page.inner_text("#design-sensitivity_panel")
    page.click("#design-sensitivity_run")
    page.wait_for_selector(".ap-sensitivity", timeout=60_000)
    expected = sensitivity(load_design(DESIGN))
    text = page.inner_text(".ap-sensitivity")
    assert f"at most {expected.null_range['max_alpha']:.4f}" in text
    assert "Drift" in text and page.locator(".ap-sensitivity svg").count() == 1
    # a changed design hides the stale check until asked again
    _set_p0(page, "0.06")
    page.wait_for_selector(".ap-sensitivity", state="detached", timeout=20_000)


def test_the_endpoints_page_shows_the_exact_oc_of_a_design_on_several_endpoints(page, app):
    """Issue 27: the page shows what `adaptive-pilot design` prints, and recomputes it when
    lambda changes."""
    resolved = load_design(REPO / "designs" / "motivating_trial_endpoints.yaml")
    oc = resolved.evaluate_endpoints().oc
    _open(page, app)
    _tab(page, "Endpoints")
    page.wait_for_selector(".ap-endpoints table", timeout=30_000)
    key = page.inner_text(".ap-endpoints .ap-key")
    assert all(f"P(GO) {p:.4f}" in key for p in oc.p_go)
    assert resolved.design_hash() in page.inner_text("#endpoints-heading")
    bounds = page.inner_text(".ap-endpoints")
    assert "(ORR <= 2 and DCR <= 6) or toxicity >= 8" in bounds
    page.fill("#endpoints-lam", "0.8")
    page.locator("#endpoints-lam").press("Tab")
    page.wait_for_function(
        "p => !document.querySelector('.ap-endpoints .ap-key').textContent.includes(p)",
        arg=f"P(GO) {oc.p_go[-1]:.4f}", timeout=15_000,
    )  # fmt: skip
    changed = resolved.endpoint_design.rule
    from adaptive_pilot.designs.multi_endpoint import MultiEndpointDesign
    from adaptive_pilot.rules.endpoints import with_parameters

    nulls, alternatives = resolved.endpoint_scenarios()
    design = MultiEndpointDesign(
        with_parameters(changed, 0.8, changed.gamma, None), resolved.endpoint_design.looks
    )
    again = design.oc({**nulls, **alternatives})
    key = page.inner_text(".ap-endpoints .ap-key")
    assert all(f"P(GO) {p:.4f}" in key for p in again.p_go), key


def test_a_pfs_monitored_design_gets_its_cards_and_equals_the_cli(page, app, tmp_path):
    """Issue 27, point 3: the time-to-event design's interim call in the browser equals the
    CLI's (same seed), with the posterior figure on each card; the design borrows between
    its cohorts (model averaging), so each card shows P(pooled) too."""
    _open(page, app)
    _tab(page, "Interim")
    page.select_option("#interim-plan", "motivating_trial_pfs_borrowing.yaml")
    _wait_text(page, "#interim-design_line", "motivating_trial_pfs_borrowing.yaml")
    _interim_call(page)
    decisions = _decisions(page)
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "interim",
         str(EXAMPLES / "designs" / "motivating_trial_pfs_borrowing.yaml"), "--data", str(PATIENTS),
         "--as-of", AS_OF, "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    cli = json.loads(done.stdout)["cohorts"]
    assert decisions == {c["cohort"]: c["decision"] for c in cli}
    for call in cli:
        card = page.locator(f".ap-cohort[data-cohort='{call['cohort']}']")
        text = card.inner_text()
        assert f"{call['events']} event" in text
        assert f"{call['prob_better']:.3f}" in text or call["prob_better"] < 0.0005
        assert "S(6 months)" in card.locator("svg").first.get_attribute("aria-label")
        assert "P(pooled)" in text and f"{call['p_pooled']:.4f}" in text, text
    page.screenshot(path=str(tmp_path / "pfs_cards.png"), full_page=True)


def test_the_time_to_event_page_simulates_a_pfs_design_as_the_library_does(page, app):
    """Issue 27, point 3: the Time to event page shows the design's looks and simulates its
    scenarios (the same numbers as the library with the same settings), with a figure per
    scenario, and its results download."""
    _open(page, app)
    _tab(page, "Time to event")
    page.select_option("#survival-start", "motivating_trial_pfs.yaml")
    _wait_text(page, "#survival-heading", "motivating_trial_pfs.yaml")
    assert "PP(max)" in page.inner_text(".ap-survival-design")
    for field, value in (("n_trials", "20"), ("imputations", "20"), ("seed", "5")):
        page.fill(f"#survival-{field}", value)
    page.click("#survival-run")
    page.wait_for_selector(".ap-survival table", timeout=60_000)
    resolved = load_design(REPO / "designs" / "motivating_trial_pfs.yaml")
    cohorts, accrual = resolved.survival_trial()
    from adaptive_pilot.simulation.survival_monitoring import simulate_survival_monitoring

    expected = simulate_survival_monitoring(
        cohorts, accrual, resolved.survival_scenarios(), 20, 5, imputations=20, progress=False
    )
    text = page.inner_text(".ap-survival")
    for scenario in ("goal", "target"):
        for cohort in ("G12D", "G12C"):
            value = expected.estimate(scenario, cohort, "p_go")[0]
            assert f"{value:.4f}" in text or f"{value:.3f}" in text
    assert page.locator(".ap-survival svg").count() == len(expected.scenarios)
    with page.expect_download() as download:
        page.click("#survival-results_json")
    payload = json.loads(Path(download.value.path()).read_text())
    assert payload["results"] == json.loads(json.dumps(expected.to_dict()["results"]))
