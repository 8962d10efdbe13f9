#!/usr/bin/env python3
"""The one task runner for people and CI. Needs only Python >= 3.11.

    python3 tasks.py demo    install Kundenwert into .venv and run it with demo data
    python3 tasks.py test    install the test dependencies, run the checks and the tests
    python3 tasks.py lint    ruff, import-linter, migrations and OpenAPI drift only

Extra arguments after `test` go to pytest (e.g. `python3 tasks.py test tests/api -x`).
Set DATABASE_URL=postgres://… to run on PostgreSQL instead of the embedded SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("KUNDENWERT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*cmd: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env={**os.environ, **(env or {})})
    if result.returncode:
        sys.exit(result.returncode)


def install(extra: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py runs before the venv exists
        sys.exit("Kundenwert needs Python 3.11 or newer.")
    if not PY.exists():
        print(f"Creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)


def lint() -> None:
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "lint-imports")
    run(BIN / "kundenwert", "makemigrations", "--check", "--dry-run")
    run(BIN / "kundenwert", "openapi", "--check", "--output", "docs/openapi.json")
    # The production settings must pass Django's deployment checklist without a warning.
    run(
        BIN / "kundenwert", "check", "--deploy", "--fail-level", "WARNING",
        env={
            "KUNDENWERT_ENV": "production",
            "SECRET_KEY": "ci-only-" + "x" * 60,
            "ALLOWED_HOSTS": "crm.example.com",
        },
    )  # fmt: skip


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "test", "lint"}:
        sys.exit(__doc__)
    task, rest = argv[0], argv[1:]
    if task == "demo":
        install()
        os.execv(BIN / "kundenwert", [str(BIN / "kundenwert"), "demo", *rest])
    install("test")
    lint()
    if task == "test":
        run(PY, "-m", "pytest", *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
