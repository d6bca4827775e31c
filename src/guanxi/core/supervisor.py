"""One child process kept running: started, reaped when it ends, started again.

``guanxi start`` runs the task worker beside the web server. A worker that dies
(killed, out of memory, a crash) must neither stay a zombie nor leave the
server without a worker: a thread waits on the child (which reaps it), says
what happened, and starts a new one after a pause that doubles while the child
keeps dying young (1 s, 2 s, 4 s … at most a minute) and starts again from one
second once it has run for a minute. Stopping asks the child to finish
(SIGINT), and kills it if it has not within the grace period.

The child is started without ``preexec_fn`` (not safe once threads run); it
arranges to die with this process itself (see ``WORKER_CODE`` in ``start``).
Every child is started from the supervising thread, with SIGINT blocked in
that thread: the child inherits the blocked signal across ``exec`` and unblocks
it once it can handle it, so a Ctrl-C that arrives while a (re)started Python
is still importing its modules ends it quietly instead of with a traceback.
The thread lives as long as its child (``PR_SET_PDEATHSIG`` follows the thread
that started the child, not the process).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

__all__ = ["Supervisor", "exit_description"]


def exit_description(code: int) -> tuple[str, str]:
    """How a child ended, in English and Chinese."""
    if code < 0:
        number = -code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}", f"被信号 {name} 终止"
    return f"exit code {code}", f"退出码 {code}"


class Supervisor:
    """Keep ``argv`` running until :meth:`stop`; report through ``say``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        say: Callable[[str], None],
        first_pause: float = 1.0,
        longest_pause: float = 60.0,
        healthy_after: float = 60.0,
        stop_seconds: float = 15.0,
    ) -> None:
        self.argv = list(argv)
        self.say = say
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.healthy_after = healthy_after
        self.stop_seconds = stop_seconds
        self.restarts = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None else None

    def start(self) -> int:
        """Start the child and its supervising thread; the child's pid."""
        started = threading.Event()
        failed: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._watch,
            args=(started, failed),
            name="worker-supervisor",
            daemon=True,
        )
        self._thread.start()
        started.wait()
        if failed:
            raise failed[0]
        assert self._child is not None
        return self._child.pid

    def _spawn(self) -> subprocess.Popen[bytes]:
        # Its own session: Ctrl-C in the terminal reaches the server only, which
        # then stops the server first and the child second.
        return subprocess.Popen(self.argv, start_new_session=True)

    def _watch(self, started: threading.Event, failed: list[BaseException]) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._child = self._spawn()
        except BaseException as exc:
            failed.append(exc)
            return
        finally:
            started.set()
        pause = self.first_pause
        while True:
            child = self._child
            assert child is not None
            since = time.monotonic()
            code = child.wait()  # reaps it: no zombie
            if self._stopping.is_set():
                return
            if time.monotonic() - since >= self.healthy_after:
                pause = self.first_pause
            english, chinese = exit_description(code)
            self.say(
                f"Task worker stopped (pid {child.pid}, {english}); restarting it in "
                f"{pause:g} s. 任务进程已停止（pid {child.pid}，{chinese}），"
                f"{pause:g} 秒后重启。"
            )
            while True:
                if self._stopping.wait(pause):
                    return
                pause = min(pause * 2, self.longest_pause)
                with self._lock:
                    if self._stopping.is_set():
                        return
                    try:
                        self._child = self._spawn()
                        break
                    except OSError as exc:
                        self.say(
                            f"Task worker could not be started "
                            f"({exc.strerror or exc}); trying again in {pause:g} s. "
                            f"任务进程无法启动，{pause:g} 秒后重试。"
                        )
            self.restarts += 1
            self.say(
                f"Task worker restarted (pid {self._child.pid}). "
                f"任务进程已重启（pid {self._child.pid}）。"
            )

    def stop(self) -> None:
        """Ask the child to finish its tasks; kill it if it does not in time."""
        with self._lock:
            self._stopping.set()
            child = self._child
        if child is not None:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
            try:
                child.wait(self.stop_seconds)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._thread is not None:
            self._thread.join(self.stop_seconds)
