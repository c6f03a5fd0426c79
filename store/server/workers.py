"""Serving with several worker processes made by fork, sharing one listening socket.

uvicorn's own supervisor starts workers with spawn, so each one imports SQLAlchemy and the app
again before it answers (seconds on a busy host, where its health check may then kill it).
Forked workers inherit the loaded app and answer at once; each opens its own Engine at startup.
"""

import logging
import os
import signal
import socket
import time
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")
RESTART_PAUSE_SECONDS = 1.0


class Workers:
    """The parent: starts `count` workers, restarts one that dies, and stops them on a signal."""

    def __init__(self, config: uvicorn.Config, count: int, sock: socket.socket) -> None:
        self.config = config
        self.socket = sock
        self.count = count
        self.children: set[int] = set()
        self.stopping = False
        self.failed = False

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit status for the command."""
        self.config.load()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        log.info("Started parent process [%d] with %d workers", os.getpid(), self.count)
        for _ in range(self.count):
            self._fork()
        while self.children:
            pid, status = os.wait()
            self.children.discard(pid)
            self._reap(pid, status)
        return 1 if self.failed else 0

    def _fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            code = 0
            try:
                uvicorn.Server(self.config).run(sockets=[self.socket])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                os._exit(code)
        self.children.add(pid)

    def _reap(self, pid: int, status: int) -> None:
        if self.stopping:
            return
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == STARTUP_FAILURE:
            log.error("Worker [%d] could not start; stopping the server.", pid)
            self.failed = True
            self._stop(signal.SIGTERM, None)
            return
        log.warning("Worker [%d] ended (status %d); starting another.", pid, status)
        time.sleep(RESTART_PAUSE_SECONDS)
        self._fork()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for pid in self.children:
            os.kill(pid, signal.SIGTERM)
