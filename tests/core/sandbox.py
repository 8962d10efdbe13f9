"""Run `kundenwert` and small Python scripts in separate processes on a private SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KUNDENWERT = Path(sys.executable).with_name("kundenwert")


def sandbox_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh embedded installation in `data_dir` (never the test DB)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "KUNDENWERT_TEST_SQLITE", "KUNDENWERT_ENV"}
    }
    env["KUNDENWERT_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "kundenwert.config.settings"
    env["LANGUAGE_CODE"] = "en"  # messages asserted in English
    return env


def run_cli(env: dict[str, str], *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(KUNDENWERT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def run_python(env: dict[str, str], code: str, *args: str, timeout: int = 60):
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SETUP = """
import django
django.setup()
from kundenwert.identity.models import User
from kundenwert.org.models import Role
import sys
for name in sys.argv[1:]:
    user = User.objects.create_user(username=name, password="x")
    Role.objects.get(key="administrator").users.add(user)
"""


def migrated(data_dir: Path, *usernames: str) -> dict[str, str]:
    """Migrate a fresh data directory, add administrator users, and return its environment."""
    env = sandbox_env(data_dir)
    done = run_cli(env, "migrate", "--no-input", "-v", "0")
    assert done.returncode == 0, done.stderr
    if usernames:
        made = run_python(env, SETUP, *usernames)
        assert made.returncode == 0, made.stderr
    return env
