"""``guanxi start``: migrate, optionally fill demo data, then serve with the task worker.

The web server is waitress (threads, pure Python, no build step); the Huey
consumer runs beside it as a child process, supervised: a worker that dies is
reaped, reported and started again (:mod:`guanxi.core.supervisor`). Ctrl-C (or
SIGTERM to this process) stops the server, then the worker; the worker also
dies with this process if it is killed outright (Linux ``PR_SET_PDEATHSIG``,
set by the worker itself).

The server answers to the addresses it listens on: with ``--host 0.0.0.0`` (or
``::``) that is every address and name of this machine, printed as the URLs to
open from other computers; other names go in ``GUANXI_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.core.addresses import Listening
from guanxi.core.addresses import listening as addresses_listening
from guanxi.core.errors import DomainError
from guanxi.core.supervisor import Supervisor
from guanxi.customers.services import customers_exist
from guanxi.demo.services import (
    demo_fill,
    demo_logins_table,
    demo_users_ensure,
    whole_number,
)
from guanxi.ingest.services import import_jobs_sweep, import_uploads_purge
from guanxi.insights.services import score_run

WORKER_STOP_SECONDS = 15
# The Huey consumer, run as `guanxi worker` (the same worker as in a
# terminal; it first sends what a dead worker left). It asks the kernel for
# SIGTERM when its parent dies (PR_SET_PDEATHSIG), then checks the parent is
# still the one that started it (it may have died in between). It starts with
# SIGINT blocked (see guanxi.core.supervisor) and unblocks it where a Ctrl-C
# ends it quietly. Quiet: warnings and errors only (every run of the
# per-minute job sweep logged 3 lines).
WORKER_CODE = (
    "import os, signal, sys\n"
    "if sys.platform.startswith('linux'):\n"
    "    import ctypes\n"
    "    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(0)\n"
    "try:\n"
    "    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
    "    from guanxi.cli import main\n"
    "    main(['worker'])\n"
    "except KeyboardInterrupt:\n"
    "    sys.exit(130)\n"
)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


class Command(BaseCommand):
    help = _(
        "Run Guanxi: migrate the database, fill demo data on the first run (--demo), "
        "serve the web app and run the task worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help=_("fill demo data on the first run and create the demo users"),
        )
        parser.add_argument(
            "--demo-customers",
            type=whole_number(1),
            default=2000,
            help=_("demo customers to add on the first run (default 2000)"),
        )
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help=_(
                "the address to listen on (default 127.0.0.1; 0.0.0.0: every "
                "address, for other computers)"
            ),
        )
        parser.add_argument(
            "--port",
            type=whole_number(1, 65535),
            default=8000,
            help=_("the port to listen on (default 8000)"),
        )
        parser.add_argument(
            "--workers",
            type=whole_number(1),
            default=8,
            help=_("web server threads (default 8)"),
        )
        parser.add_argument(
            "--no-worker", action="store_true", help=_("do not run the task worker")
        )

    def _score_demo(self) -> None:
        """Score the new demo customers at once, so the dashboard, segments,
        customer pages and the day's care tasks show something on the first
        visit (otherwise only after the nightly run or an admin's click).

        As of yesterday, as the nightly run scores: a warning's task is due
        the day after its run, so a run as of today left *Today* empty."""
        out = self.stdout
        out.write("Scoring the demo customers… 正在为演示客户评分…")
        try:
            run = score_run(as_of=timezone.localdate() - dt.timedelta(days=1))
        except DomainError as error:
            out.write(f"Scoring skipped 未评分: {error.message}")
            return
        summary = run.summary
        out.write(
            f"Scores: {summary['customers']} customers as of {summary['as_of']} "
            f"in {summary['seconds']:.1f} s. 评分完成。"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout
        self._probe(options["host"], options["port"])  # fail before slow work
        call_command("migrate", interactive=False, verbosity=0)
        self._tidy()
        logins = []
        if options["demo"]:
            logins = demo_users_ensure()
            if customers_exist():
                out.write(
                    "Demo data: the database already has customers, nothing added. "
                    "演示数据：数据库中已有客户，未再添加。"
                )
            else:
                managers = [
                    login.user_id
                    for login in logins
                    if login.role == Role.ACCOUNT_MANAGER
                ]
                result = demo_fill(
                    customers=options["demo_customers"], seed=0, managers=managers
                )
                out.write(
                    f"Demo data: {result.customers} customers, {result.orders} orders "
                    f"in {result.seconds:.1f} s. 演示数据已生成。"
                )
                self._score_demo()
        # whitenoise serves from the finders; an empty root keeps it quiet.
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        host, port = options["host"], options["port"]
        listening = self._allow(host, port)

        lock = threading.Lock()

        def say(line: str) -> None:  # from the supervisor's thread too
            with lock:
                out.write(line)
                out.flush()

        worker = None
        if not options["no_worker"]:
            worker = Supervisor(
                [sys.executable, "-c", WORKER_CODE, str(os.getpid())],
                say=say,
                stop_seconds=WORKER_STOP_SECONDS,
            )
            worker.start()
        try:
            server = self._server(options)
        except BaseException:
            if worker is not None:
                worker.stop()
            raise
        with lock:
            out.write("")
            out.write(
                f"Guanxi is running at {listening.local_url}   "
                f"关系已启动：{listening.local_url}"
            )
            if listening.other_urls:
                out.write(
                    "From other computers 其他电脑访问: "
                    + "  ".join(listening.other_urls)
                )
                out.write(
                    "For any other name of this server, set GUANXI_ALLOWED_HOSTS "
                    "(comma-separated). 其他名称请设置 GUANXI_ALLOWED_HOSTS（逗号分隔）。"
                )
            out.write(f"Data folder 数据目录: {settings.DATA_DIR}")
            if logins:
                out.write("")
                out.write("Demo logins 演示账号:")
                out.write(demo_logins_table(logins))
            if worker is not None:
                out.write(f"Task worker started (pid {worker.pid}). 任务进程已启动。")
            out.write("Press Ctrl-C to stop. 按 Ctrl-C 停止。")
            out.flush()
        previous = signal.signal(signal.SIGTERM, _raise_exit)
        try:
            server.run()  # returns on Ctrl-C or SIGTERM
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.close()
            if worker is not None:
                worker.stop()
            say("Guanxi stopped. 关系已停止。")

    def _tidy(self) -> None:
        """Imports cut short by a worker that died before this start are failed
        (they can be run again); uploads nothing needs any more are deleted."""
        failed = import_jobs_sweep()
        if failed:
            self.stdout.write(
                f"Imports whose task worker had stopped: {failed}, marked failed "
                f"(they can be run again). 任务进程中断的导入：{failed} 个，已标记为失败"
                f"（可重新运行）。"
            )
        purged = import_uploads_purge()
        if purged:
            self.stdout.write(
                f"Deleted {purged} leftover uploaded files. "
                f"已删除 {purged} 个遗留的上传文件。"
            )

    def _allow(self, host: str, port: int) -> Listening:
        """Answer to the addresses this server listens on, besides the names
        GUANXI_ALLOWED_HOSTS gives (Django refuses any other Host with a 400)."""
        listening = addresses_listening(host, port)
        allowed = settings.ALLOWED_HOSTS
        allowed.extend(h for h in listening.hosts if h not in allowed)
        return listening

    def _probe(self, host: str, port: int) -> None:
        import socket

        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            family, kind, proto, _canonname, address = infos[0]
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
        except OSError as exc:
            raise CommandError(
                _("cannot listen on %(address)s: %(reason)s")
                % {"address": f"{host}:{port}", "reason": exc.strerror or exc}
            ) from None

    def _server(self, options: dict[str, Any]) -> Any:
        from django.core.wsgi import get_wsgi_application
        from waitress.server import create_server

        try:
            return create_server(
                get_wsgi_application(),
                host=options["host"],
                port=options["port"],
                threads=options["workers"],
                ident="guanxi",
            )
        except OSError as exc:
            raise CommandError(
                _("cannot listen on %(address)s: %(reason)s")
                % {
                    "address": f"{options['host']}:{options['port']}",
                    "reason": exc.strerror or exc,
                }
            ) from None
