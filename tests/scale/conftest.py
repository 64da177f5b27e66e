"""Fixtures of the distributed-ingest tests: a PostgreSQL schema of their own, a Redis database of
their own, and Celery workers started as real processes (``vidmem worker``) with the settings of
the test. Skips with the reason when PostgreSQL or Redis does not answer on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DB = 7
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
VIDMEM = str(Path(sys.executable).with_name("vidmem"))

#: Settings shared by the workers and the in-process reference run (small segments so a job has
#: several; short timeouts so recovery happens within a test).
COMMON_ENV = {
    # the reference run and the workers must hear the same: one ASR profile for both (tests run tiny.en)
    "VIDMEM_MODELS__ASR": os.environ.get("VIDMEM_MODELS__ASR", "fast"),
    "VIDMEM_MODELS__FACES": "none",
    "VIDMEM_MODELS__OCR": "none",
    "VIDMEM_INGEST__ASR_CHUNK_CLIPS": "1",
    "VIDMEM_CELERY__SEGMENT_CLIPS": "1",
    "VIDMEM_CELERY__VISIBILITY_TIMEOUT_S": "20",
    "VIDMEM_CELERY__STALE_AFTER_S": "8",
    "VIDMEM_CELERY__RECONCILE_EVERY_S": "3",
    "VIDMEM_CELERY__LOCK_WAIT_S": "2",
    "VIDMEM_CELERY__BROKER_URL": BROKER,
    "VIDMEM_ENVIRONMENT": "test",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


def redis_client():
    import redis

    return redis.Redis.from_url(BROKER, socket_connect_timeout=2, socket_timeout=5)


@pytest.fixture
def broker() -> Iterator[str]:
    try:
        r = redis_client()
        r.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"Redis at 127.0.0.1:6379 did not answer ({type(exc).__name__}: {exc})")
    r.flushdb()
    yield BROKER
    try:
        redis_client().flushdb()
    except Exception:  # noqa: BLE001 - a test may have left Redis restarting
        pass


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
            schema = f"vs_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 did not answer within 2 s ({type(exc).__name__}: {exc})")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Worker:
    """A ``vidmem worker`` process (its own process group, so SIGKILL takes its children too)."""

    def __init__(self, name: str, queues: str, env: dict, log: Path, beat: bool = False) -> None:
        self.name = name
        self.log = log
        args = [VIDMEM, "worker", "--queues", queues, "--concurrency", "1", "--name", f"{name}@%h"]
        if beat:
            args.append("--beat")
        self._fh = open(log, "ab")
        self.proc = subprocess.Popen(args, env=env, stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if " ready." in self.text():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker {self.name} exited {self.proc.returncode}:\n{self.text()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} not ready in {timeout_s} s:\n{self.text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        self._fh.close()


@pytest.fixture
def workers(tmp_path, pg_url, broker) -> Iterator:
    """A factory ``start(name, queues, beat=False) -> Worker`` over one VIDMEM_HOME and database;
    every worker is stopped at the end. ``start.env`` is the environment they run with."""
    env = {**os.environ, **COMMON_ENV, "VIDMEM_HOME": str(tmp_path / "home"), "VIDMEM_DATABASE_URL": pg_url}
    env.pop("VIDMEM_VECTOR__BACKEND", None)
    started: list[Worker] = []

    def start(name: str, queues: str, beat: bool = False) -> Worker:
        w = Worker(name, queues, env, tmp_path / f"{name}.log", beat=beat)
        started.append(w)
        return w

    start.env = env
    yield start
    for w in started:
        w.stop()


def redis_restart_command() -> list[str] | None:
    """How this machine's Redis was started (the image's documented command), if we can run it."""
    exe = shutil.which("redis-server")
    if exe is None:
        return None
    folder = "/var/lib/redis" if os.access("/var/lib/redis", os.W_OK) else "/tmp"
    logfile = "/var/log/redis/ci.log" if os.access("/var/log/redis", os.W_OK) else "/tmp/vidmem-redis.log"
    return [exe, "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
            "--appendonly", "no", "--dir", folder, "--logfile", logfile]
