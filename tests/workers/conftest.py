"""Real RQ worker processes for the worker tests."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(
    database_url: str, redis_url: str, media_dir: str | None = None, **more: str
) -> dict[str, str]:
    """Only the settings a worker process needs (and the API's media folder, when it reads
    uploaded media, and any ``more`` variables)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CLOVER_ENV": "test",
        # The fake networks listen on loopback.
        "CLOVER_CONNECTIONS_ALLOW_PRIVATE": "true",
    }
    if media_dir is not None:
        env["CLOVER_MEDIA_DIR"] = media_dir
    env.update(more)
    return env


def run_worker(
    database_url: str, redis_url: str, *queues: str, media_dir: str | None = None, **more: str
) -> str:
    """`clover worker --burst` in its own process, with only the settings it needs (and
    ``more`` variables). Returns what it wrote on stderr (its log lines)."""
    env = worker_env(database_url, redis_url, media_dir, **more)
    args = [sys.executable, "-m", "workers.cli", "worker", "--burst"]
    for queue in queues:
        args += ["--queue", queue]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr
