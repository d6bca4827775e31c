"""``guanxi start --demo`` as a user runs it: a real server and worker, over HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

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

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.port = _free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        # The embedded default is what `guanxi start` is for: SQLite in a fresh folder.
        env.update(GUANXI_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
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
            env=env,
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
        match = re.search(r"Task worker started \(pid (\d+)\)", self.output)
        assert match, self.output
        return int(match.group(1))

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


def _login(server: Server, username: str, password: str) -> Any:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.url("/login/"), timeout=30) as response:
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
    with opener.open(server.url("/login/"), data=form, timeout=30) as response:
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

    with pytest.raises(CommandError) as err:
        call_command("start", *args)
    assert str(err.value) == message
