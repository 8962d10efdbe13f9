"""The `kundenwert` console command as a newcomer uses it: real processes, a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

KUNDENWERT = str(Path(sys.executable).with_name("kundenwert"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"KUNDENWERT_DATA_DIR": str(tmp_path / "data"), **extra})
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_over_http_with_gunicorn(tmp_path):
    env = _env(tmp_path)
    subprocess.run([KUNDENWERT, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120)
    assert (tmp_path / "data" / "kundenwert.sqlite3").exists()
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
    port = _free_port()
    server = subprocess.Popen(
        [KUNDENWERT, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/organizations", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 401
        assert response.headers["Server"].startswith("gunicorn")
        assert response.json()["code"] == "not_authenticated"
        schema = requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
        assert schema.status_code == 200
        assert "/api/v1/organizations" in schema.json()["paths"]
        docs = requests.get(f"http://127.0.0.1:{port}/api/v1/docs", timeout=5)
        assert docs.status_code == 200
        # The interactive docs load their assets from this server, never from a CDN.
        assert "cdn" not in docs.text.lower()
        asset = requests.get(
            f"http://127.0.0.1:{port}/static/ninja/swagger-ui-bundle.js", timeout=5
        )
        assert asset.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_rejects_a_bad_port_with_one_line(tmp_path):
    result = subprocess.run(
        [KUNDENWERT, "serve", "--port", "70000"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--port must be between 1 and 65535" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    env = _env(
        tmp_path,
        KUNDENWERT_ENV="production",
        SECRET_KEY="test-only-" + "k" * 60,
        ALLOWED_HOSTS="crm.example.com",
    )
    result = subprocess.run(
        [KUNDENWERT, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _env(tmp_path, KUNDENWERT_ENV="production", ALLOWED_HOSTS="crm.example.com")
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [KUNDENWERT, "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()


def test_clv_subcommand_needs_no_database_or_settings(tmp_path):
    env = _env(tmp_path)
    result = subprocess.run(
        [KUNDENWERT, "clv", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "fit" in result.stdout
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("args", [["token", "create", "nobody"], ["token", "revoke", "zzzz"]])
def test_token_command_errors_are_one_line(tmp_path, args):
    env = _env(tmp_path)
    subprocess.run([KUNDENWERT, "migrate", "--verbosity", "0"], env=env, check=True, timeout=120)
    result = subprocess.run(
        [KUNDENWERT, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
