"""Real processes for fault tests: a Redis of our own that we stop and start, and the app or the job worker
run as deployed (``flask --app wsgi ...``), configured from the environment, that we can kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis

from server.config import PROJECT_ROOT

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    check: Callable[[], T], timeout: float = 30, message: str | Callable[[], str] = "", interval: float = 0.02
) -> T:
    """Poll ``check`` until it answers something true; fail after ``timeout`` seconds.

    ``message`` says what was awaited; a callable is asked only then (a process's output, say).
    """
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for: {message() if callable(message) else message}")
        time.sleep(interval)
    return result


class RedisServer:
    """A redis-server on a free port with its own directory; ``stop()`` kills it as a crash would.

    Every write is synced to its append-only file, so after ``start()`` it holds what it held: the test
    sees the app reconnect to the same data, as after a real restart of a production Redis.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, 20, "redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def answers(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db)


class FlaskProcess:
    """``flask --app wsgi <args>`` in its own process, its output kept in a log file for failure messages."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no cleanup, no finally blocks, no rollback by the process itself."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
