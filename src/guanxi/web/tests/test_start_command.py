"""``guanxi start --demo`` as a user runs it: a real server and worker, over HTTP."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="guanxi start runs the embedded SQLite default; tested in the SQLite pass",
    ),
]
STARTUP_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``guanxi start`` in a subprocess, its output collected line by line."""

    def __init__(
        self, data_dir: Path, *extra: str, env: dict[str, str] | None = None
    ) -> None:
        self.port = _free_port()
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        # The embedded default is what `guanxi start` is for: SQLite in a fresh folder.
        environ.update(GUANXI_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        environ.update(env or {})
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "guanxi.cli",
                "start",
                "--port",
                str(self.port),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environ,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"guanxi start exited early:\n{self.output}")
            if "Press Ctrl-C to stop" in self.output:
                try:
                    with urllib.request.urlopen(self.url("/login/"), timeout=5) as r:
                        if r.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.3)
        pytest.fail(f"guanxi start did not answer in time:\n{self.output}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pid(self) -> int:
        """The worker running now: the last one started or restarted."""
        pids = re.findall(
            r"Task worker (?:started|restarted) \(pid (\d+)\)", self.output
        )
        assert pids, self.output
        return int(pids[-1])

    def password(self, username: str) -> str:
        match = re.search(rf"{username}\s+(\S+)\s*$", self.output, re.MULTILINE)
        assert match, self.output
        return match.group(1)

    def stop(self, sig: int, *, group: bool) -> None:
        if group:
            os.killpg(self.proc.pid, sig)  # what Ctrl-C in a terminal does
        else:
            self.proc.send_signal(sig)
        self.proc.wait(30)
        self._reader.join(5)


def _ended(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie has ended; only its entry remains


def _wait_ended(pid: int) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _ended(pid):
            return True
        time.sleep(0.2)
    return False


def _login(server: Server, username: str, password: str, base: str = "") -> Any:
    """Log in as a browser does, at ``base`` (default the server's 127.0.0.1
    URL); the form is posted with the Origin header a browser sends."""
    base = base or server.url("/")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "login/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
        }
    ).encode()
    post = urllib.request.Request(
        base + "login/", data=form, headers={"Origin": base.rstrip("/")}
    )
    with opener.open(post, timeout=30) as response:
        assert response.status == 200
        assert not response.geturl().endswith("/login/"), "login refused"
    return opener


def test_start_demo_serves_logs_in_and_stops_both_processes(tmp_path: Path) -> None:
    server = Server(tmp_path, "--demo", "--demo-customers", "120", "--workers", "4")
    try:
        server.wait_until_ready()
        worker = server.worker_pid()
        assert not _ended(worker)
        out = server.output
        assert f"Guanxi is running at http://127.0.0.1:{server.port}/" in out
        assert "Demo data: 120 customers" in out
        assert "Demo logins 演示账号:" in out

        opener = _login(server, "demo_admin", server.password("demo_admin"))
        with opener.open(server.url("/customers/"), timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        assert len(set(re.findall(r'href="/customers/(\d+)/"', page))) >= 20

        # The demo is scored at start: the dashboard shows the score charts,
        # not the "after the first scoring run" notice.
        assert re.search(r"Scores: 120 customers as of \d{4}-\d{2}-\d{2} in ", out), out
        with opener.open(server.url("/"), timeout=30) as response:
            dashboard = response.read().decode()
        assert 'id="dashboard-scores-data"' in dashboard
        assert 'id="scores-pending"' not in dashboard
        # As of yesterday, as the nightly run scores: the warnings' tasks are
        # due the day after the run, so the day's care tasks are today's.
        zone = ZoneInfo(os.environ.get("GUANXI_TIME_ZONE", "Asia/Shanghai"))
        yesterday = dt.datetime.now(zone).date() - dt.timedelta(days=1)
        assert f"as of {yesterday.isoformat()} in " in out, out
        service = _login(server, "demo_service", server.password("demo_service"))
        deadline = time.monotonic() + 90  # the worker runs the run's follow-ups
        today = ""
        while time.monotonic() < deadline:
            with service.open(server.url("/care/today/"), timeout=30) as response:
                today = response.read().decode()
            if "Nothing due today" not in today and "今天没有到期" not in today:
                break
            time.sleep(1)
        assert "/care/tasks/" in today, today

        # A wrong password is refused (the form comes back).
        with pytest.raises(AssertionError, match="login refused"):
            _login(server, "demo_admin", "not-the-password")
    finally:
        server.stop(signal.SIGTERM, group=False)
    assert server.proc.returncode == 0, server.output
    assert _wait_ended(worker), f"worker {worker} still running"
    assert "Guanxi stopped." in server.output
    assert "Traceback" not in server.output, server.output

    # Second start in the same folder: no new demo data, same logins; Ctrl-C stops.
    again = Server(tmp_path, "--demo", "--no-worker")
    try:
        again.wait_until_ready()
        assert "the database already has customers, nothing added" in again.output
        assert again.password("demo_ops") == server.password("demo_ops")
        assert "Task worker started" not in again.output
    finally:
        again.stop(signal.SIGINT, group=True)
    assert "Guanxi stopped." in again.output
    assert "Traceback" not in again.output, again.output


def test_start_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["GUANXI_DATA_DIR"] = str(tmp_path)
        result = subprocess.run(
            [sys.executable, "-m", "guanxi.cli", "start", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=STARTUP_SECONDS,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"CommandError: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "Error: argument --port: must be at most 65535: 70000"),
        (["--port", "http"], "Error: argument --port: not a whole number: 'http'"),
        (["--workers", "0"], "Error: argument --workers: must be at least 1: 0"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(
    args: list[str], message: str
) -> None:
    from django.core.management import CommandError, call_command
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError) as err:
        call_command("start", *args)
    assert str(err.value) == message
    with translation.override("zh-hans"), pytest.raises(CommandError) as err:
        call_command("start", "--port", "70000")
    assert str(err.value) == "Error: argument --port: 不能大于 65535：70000"


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_start_on_every_address_answers_them_and_refuses_other_hosts(
    tmp_path: Path,
) -> None:
    server = Server(
        tmp_path, "--host", "0.0.0.0", "--no-worker", "--demo", "--demo-customers", "5"
    )
    try:
        server.wait_until_ready()
        assert f"Guanxi is running at http://127.0.0.1:{server.port}/" in server.output
        others = re.search(
            r"^From other computers 其他电脑访问: (.+)$", server.output, re.M
        )
        assert others, server.output
        urls = others.group(1).split()
        assert urls
        assert all(
            u.startswith("http://") and u.endswith(f":{server.port}/") for u in urls
        )
        assert "set GUANXI_ALLOWED_HOSTS" in server.output
        for url in urls:  # each printed address, connected to for real
            status, page = _get(url + "login/", **{"Accept-Language": "en"})
            assert (url, status) == (url, 200)
            assert "Log in to Guanxi" in page
        # A browser on another computer logs in (CSRF checks its Origin).
        opener = _login(server, "demo_admin", server.password("demo_admin"), urls[0])
        with opener.open(urls[0] + "customers/", timeout=30) as response:
            assert response.status == 200

        status, page = _get(
            server.url("/login/"), Host="evil.example", **{"Accept-Language": "en"}
        )
        assert status == 400
        assert '<header class="topbar">' in page
        assert "请求无效" in page and "Bad request" in page
        assert "GUANXI_ALLOWED_HOSTS" in page
        status, page = _get(
            server.url("/"), Host="evil.example", **{"Accept-Language": "zh-hans"}
        )
        assert status == 400
        assert "此服务器不响应浏览器中的这个地址" in page
    finally:
        server.stop(signal.SIGTERM, group=False)
    refused = [line for line in server.lines if "Refused a request for host" in line]
    assert (
        refused
        == [
            "Refused a request for host 'evil.example': not among the allowed hosts. If "
            "it is this server's name or address, add it to GUANXI_ALLOWED_HOSTS. "
            "已拒绝对主机 'evil.example' 的请求：它不在允许的主机中。"
        ]
        * 2
    )
    assert "Traceback" not in server.output, server.output
    assert "Bad Request" not in server.output, server.output


def test_a_named_host_is_allowed_and_nothing_else(tmp_path: Path) -> None:
    from guanxi.core.addresses import listening

    assert listening("127.0.0.1", 8000).hosts == ("127.0.0.1", "localhost")
    assert listening("::1", 8000).hosts == ("[::1]", "localhost")
    assert listening("crm.example", 8000).hosts == ("crm.example",)
    assert listening("crm.example", 8000).local_url == "http://crm.example:8000/"
    everywhere = listening("0.0.0.0", 8000)
    assert "127.0.0.1" in everywhere.hosts
    assert "localhost" in everywhere.hosts
    assert not any(h.startswith("fe80") for h in everywhere.hosts)


def _reaped(pid: int) -> bool:
    """Gone entirely: not running and not a zombie waiting to be reaped."""
    return not Path(f"/proc/{pid}").exists()


def test_a_killed_worker_is_reaped_and_restarted(tmp_path: Path) -> None:
    server = Server(tmp_path)
    try:
        server.wait_until_ready()
        first = server.worker_pid()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while "Task worker restarted" not in server.output:
            assert time.monotonic() < deadline, server.output
            time.sleep(0.2)
        assert (
            f"Task worker stopped (pid {first}, killed by SIGKILL); restarting it in "
            f"1 s. 任务进程已停止（pid {first}，被信号 SIGKILL 终止），1 秒后重启。"
        ) in server.lines
        assert _reaped(first), f"worker {first} left as a zombie"
        match = re.search(r"Task worker restarted \(pid (\d+)\)", server.output)
        assert match
        second = int(match.group(1))
        assert second != first
        assert not _ended(second)
        # Killed again while young: the pause doubles.
        os.kill(second, signal.SIGKILL)
        while "restarting it in 2 s" not in server.output:
            assert time.monotonic() < deadline + 60, server.output
            time.sleep(0.2)
        while server.output.count("Task worker restarted") < 2:
            assert time.monotonic() < deadline + 60, server.output
            time.sleep(0.2)
        assert _reaped(second)
        third = int(
            re.findall(r"Task worker restarted \(pid (\d+)\)", server.output)[-1]
        )
    finally:
        server.stop(signal.SIGTERM, group=False)
    assert server.proc.returncode == 0, server.output
    assert _wait_ended(third), f"worker {third} still running"
    assert "Guanxi stopped." in server.output
    assert "Traceback" not in server.output, server.output


KILLED_IMPORT_ROWS = 100_000  # seconds of work: time to see it running and kill it


def _csrf(opener: Any, server: Server) -> str:
    jar = next(
        h for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)
    ).cookiejar
    return next(c.value for c in jar if c.name == "csrftoken")  # type: ignore[return-value]


def _upload_customers(opener: Any, server: Server, text: str) -> int:
    boundary = "guanxi-test-boundary"
    fields = {"kind": "customers", "preset": "generic", "source": ""}
    fields["csrfmiddlewaretoken"] = _csrf(opener, server)
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        ).encode()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="people.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    body += text.encode() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        server.url("/imports/"),
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with opener.open(request, timeout=120) as response:
        landed = response.geturl()
    match = re.search(r"/imports/(\d+)/mapping/$", landed)
    assert match, landed
    return int(match.group(1))


def _confirm(opener: Any, server: Server, job: int) -> None:
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": _csrf(opener, server)})
    with opener.open(
        server.url(f"/imports/{job}/confirm/"), data=form.encode(), timeout=60
    ) as response:
        assert response.status == 200


def _job_panel(opener: Any, server: Server, job: int) -> tuple[str, str]:
    with opener.open(server.url(f"/imports/{job}/progress/"), timeout=60) as response:
        html = response.read().decode()
    status = re.search(r'data-status="(\w+)"', html)
    assert status, html
    return status.group(1), html


def _wait_for_status(
    opener: Any, server: Server, job: int, wanted: set[str], seconds: float = 180
) -> tuple[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        status, html = _job_panel(opener, server, job)
        if status in wanted:
            return status, html
        assert time.monotonic() < deadline, (status, server.output)
        time.sleep(0.1)


def _customers(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{data_dir / 'guanxi.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM customers_customer").fetchone()[0])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_import_whose_worker_is_killed_fails_and_runs_again(tmp_path: Path) -> None:
    rows = "\n".join(f"139{i:08d},客户{i},上海" for i in range(KILLED_IMPORT_ROWS))
    server = Server(
        tmp_path,
        "--demo",
        "--demo-customers",
        "20",
        env={"GUANXI_JOB_LEASE_SECONDS": "6", "LANG": "C.UTF-8"},
    )
    try:
        server.wait_until_ready()
        opener = _login(server, "demo_admin", server.password("demo_admin"))
        opener.addheaders = [("Accept-Language", "en")]
        job = _upload_customers(opener, server, f"手机号,姓名,城市\n{rows}\n")
        before = _customers(tmp_path)
        uploads = list((tmp_path / "uploads" / "imports").rglob("*.csv"))
        assert len(uploads) == 1
        _confirm(opener, server, job)
        status, _html = _wait_for_status(opener, server, job, {"running", "done"})
        assert status == "running", "the import ended before it could be killed"
        killed = server.worker_pid()
        os.kill(killed, signal.SIGKILL)

        status, html = _wait_for_status(opener, server, job, {"failed", "done"})
        assert status == "failed"
        assert (
            "The task worker stopped while this import was running (it was killed or "
            "the server was restarted). Nothing was written. You can run the import "
            "again."
        ) in html
        assert _customers(tmp_path) == before  # all or nothing: nothing
        assert _reaped(killed)

        # Files at rest: all private; the upload is kept for the new run.
        assert _mode(tmp_path) == 0o700
        for name in ("guanxi.sqlite3", "guanxi.sqlite3-wal", "guanxi.sqlite3-shm",
                     "huey.sqlite3", "keys.json"):  # fmt: skip
            assert (name, _mode(tmp_path / name)) == (name, 0o600)
        assert _mode(uploads[0]) == 0o600
        folder = uploads[0].parent
        while folder != tmp_path:
            assert (folder.name, _mode(folder)) == (folder.name, 0o700)
            folder = folder.parent

        # Run it again with the worker the supervisor started.
        deadline = time.monotonic() + 60
        while "Task worker restarted" not in server.output:
            assert time.monotonic() < deadline, server.output
            time.sleep(0.2)
        _confirm(opener, server, job)
        status, html = _wait_for_status(opener, server, job, {"done", "failed"}, 600)
        assert status == "done", html
        assert (
            f"Imported: {KILLED_IMPORT_ROWS:,} created" in html.replace("\u202f", ",")
            or f"Imported: {KILLED_IMPORT_ROWS} created" in html
        )
        assert _customers(tmp_path) == before + KILLED_IMPORT_ROWS
        assert not uploads[0].exists()  # the job ended: the upload is gone
    finally:
        server.stop(signal.SIGTERM, group=False)
    assert "Traceback" not in server.output, server.output
