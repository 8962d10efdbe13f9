"""Helpers shared by the benchmarks: scratch databases and running the `kundenwert` command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KUNDENWERT = str(Path(sys.executable).with_name("kundenwert"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "kundenwert_bench")
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
SQLITE_BENCH_FILE = Path(os.environ.get("BENCH_SQLITE_FILE", "/tmp/kundenwert_bench.sqlite3"))
SQLITE_BENCH_URL = f"sqlite:///{SQLITE_BENCH_FILE}"


def pg_recreate() -> None:
    """Drop and create the scratch PostgreSQL database."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")


def pg_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def sqlite_recreate() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_BENCH_FILE}{suffix}").unlink(missing_ok=True)


def kundenwert(database_url: str, *args: str, capture: bool = False) -> tuple[float, str]:
    """Run `kundenwert ARGS` against `database_url`; return (seconds, stdout)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    started = time.perf_counter()
    done = subprocess.run(
        [KUNDENWERT, *args], env=env, check=True, text=True, stdout=subprocess.PIPE if capture
        else None, cwd=ROOT,
    )  # fmt: skip
    return time.perf_counter() - started, done.stdout or ""
