"""16 processes write to one SQLite file at once: no "database is locked", nothing lost."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.core.sandbox import migrated

WORKERS = 16
WRITES = 25

WORKER = """
import sys, time
from pathlib import Path
import django
django.setup()
from kundenwert.contacts.services import organization_create
from kundenwert.identity.models import User

worker, gate = sys.argv[1], Path(sys.argv[2])
user = User.objects.get(username="writer")
(gate.parent / f"ready-{worker}").touch()
while not gate.exists():
    time.sleep(0.005)
failures = 0
for i in range(int(sys.argv[3])):
    try:
        organization_create(actor=user, data={"name": f"W{worker}-{i}", "tags": [f"w{worker}"]})
    except Exception as exc:  # count every failure, the locked ones included
        failures += 1
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
print(failures)
"""

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="about SQLite's single-writer lock",
)


def test_sixteen_concurrent_writers_lose_nothing(tmp_path):
    data_dir = tmp_path / "data"
    env = migrated(data_dir, "writer")
    gate = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n), str(gate), str(WRITES)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    deadline = time.monotonic() + 40
    while len(list(tmp_path.glob("ready-*"))) < WORKERS:
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.05)
    gate.touch()  # all at once
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * WORKERS, [err for _out, err in results]
    errors = "".join(err for _out, err in results)
    assert "database is locked" not in errors
    assert [out.strip() for out, _err in results] == ["0"] * WORKERS, errors

    db = sqlite3.connect(data_dir / "kundenwert.sqlite3")
    try:
        count = db.execute("SELECT COUNT(*) FROM contacts_organization").fetchone()[0]
        distinct = db.execute("SELECT COUNT(DISTINCT name) FROM contacts_organization").fetchone()[
            0
        ]
        creates = db.execute(
            "SELECT COUNT(*) FROM audit_auditevent WHERE verb = 'create' "
            "AND target_type = 'organization'"
        ).fetchone()[0]
        other = db.execute(
            "SELECT COUNT(*) FROM audit_auditevent WHERE verb != 'create'"
        ).fetchone()[0]
        tags = db.execute("SELECT COUNT(*) FROM contacts_tag").fetchone()[0]
        tagged = db.execute("SELECT COUNT(*) FROM contacts_organization_tags").fetchone()[0]
        indexed = db.execute(
            "SELECT COUNT(*) FROM contacts_organization_fts WHERE contacts_organization_fts "
            "MATCH '\"w15-\"'"
        ).fetchone()[0]
    finally:
        db.close()
    assert count == distinct == creates == WORKERS * WRITES
    assert other == 0
    assert (tags, tagged) == (WORKERS, WORKERS * WRITES)
    assert indexed == WRITES
