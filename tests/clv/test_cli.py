"""The command line, run as a separate process like an analyst would."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import DATA, REPO


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "kundenwert.clv", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory) -> Path:
    """Return the raw CDNOW log as a CSV with compact YYYYMMDD dates."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with open(DATA / "CDNOW_sample.txt") as src, open(path, "w", newline="") as dst:
        w = csv.writer(dst)
        w.writerow(["customer", "date", "cds", "amount"])
        for line in src:
            master, _sample, date, cds, amount = line.split()
            w.writerow([master, date, cds, amount])
    return path


def _fit_args(inp: Path, out: Path, *extra: str) -> list[str]:
    return [
        "fit",
        "--input", str(inp),
        "--customer-column", "customer",
        "--date-column", "date",
        "--amount-column", "amount",
        "--output", str(out),
        *extra,
    ]  # fmt: skip


def test_happy_path_cdnow(cdnow_csv, tmp_path):
    out, params = tmp_path / "customers.csv", tmp_path / "params.json"
    proc = run_cli(
        *_fit_args(
            cdnow_csv,
            out,
            "--date-format", "%Y%m%d",
            "--calibration-end", "1997-09-30",
            "--time-unit", "week",
            "--horizon", "39",
            "--discount-rate", "0.001",
            "--margin", "0.3",
            "--params-json", str(params),
        )
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    p = json.loads(params.read_text())
    assert p["n_customers"] == 2357 and p["time_unit"] == "week"
    assert p["zero_value_purchases"] == 8
    bg = p["bgnbd"]
    for name, published in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)]:
        assert abs(bg[name] - published) <= 0.0005
        assert bg["se"][name] > 0
    assert abs(bg["log_likelihood"] - -9582.4) <= 0.1 and bg["converged"]
    gg = p["gamma_gamma"]
    assert abs(gg["p"] - 6.25) <= 0.005 and abs(gg["q"] - 3.74) <= 0.005
    assert abs(gg["gamma"] - 15.44) <= 0.005
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2357
    assert list(rows[0]) == [
        "customer_id", "x", "t_x", "T", "monetary_value",
        "expected_purchases", "p_alive", "expected_spend", "clv",
    ]  # fmt: skip
    first = rows[0]  # master id 00004 is sample customer 1: x = 2, t_x = 30.43, T = 38.86
    assert first["customer_id"] == "00004"
    assert float(first["x"]) == 2 and abs(float(first["t_x"]) - 30.43) < 0.005
    assert abs(float(first["expected_purchases"]) - 1.226) < 0.0005
    # Published 24.66 uses the cent-rounded mean 22.35; the exact mean 22.345 gives 24.654.
    assert abs(float(first["expected_spend"]) - 24.66) < 0.01
    clv = np.array([float(r["clv"]) for r in rows])
    pa = np.array([float(r["p_alive"]) for r in rows])
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0) and np.all((pa >= 0) & (pa <= 1))
    # CLV = margin * spend * discounted purchases <= margin * spend * purchases.
    spend = np.array([float(r["expected_spend"]) for r in rows])
    purchases = np.array([float(r["expected_purchases"]) for r in rows])
    assert np.all(clv <= 0.3 * spend * purchases * (1 + 1e-5) + 1e-9)
    assert "zero-value" in proc.stderr


@pytest.mark.parametrize("model", ["paretonbd", "mbgnbd"])
def test_other_models(cdnow_csv, tmp_path, model):
    out, params = tmp_path / "c.csv", tmp_path / "p.json"
    proc = run_cli(
        *_fit_args(
            cdnow_csv,
            out,
            "--date-format",
            "%Y%m%d",
            "--calibration-end",
            "1997-09-30",
            "--model",
            model,
            "--params-json",
            str(params),
        )
    )
    assert proc.returncode == 0, proc.stderr
    p = json.loads(params.read_text())
    assert p[model]["converged"]
    if model == "paretonbd":
        assert abs(p[model]["log_likelihood"] - -9595.0) <= 0.1
    assert p["horizon"] == 52


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD = "customer,date,amount\n1,2024-01-01,10\n1,2024-02-01,5\n2,2024-01-15,7\n"

BAD_CASES = {
    "missing_column": ("customer,day,amount\n1,2024-01-01,10\n", [], "column 'date' not found"),
    "bad_date": (
        "customer,date,amount\n1,2024-01-01,10\n1,2024-02-30,5\n",
        [],
        "row 2",
    ),
    "negative_amount": ("customer,date,amount\n1,2024-01-01,10\n2,2024-01-02,-5\n", [], "negative"),
    "empty_file": ("", [], "empty"),
    "header_only": ("customer,date,amount\n", [], "no transactions"),
    "calibration_before_data": (GOOD, ["--calibration-end", "2023-12-31"], "before all"),
    "bad_amount": ("customer,date,amount\n1,2024-01-01,ten\n", [], "row 1"),
    "bad_calibration_date": (GOOD, ["--calibration-end", "31.12.2024"], "YYYY-MM-DD"),
    "bad_time_unit": (GOOD, ["--time-unit", "fortnight"], "invalid choice"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_one_line_exit_2_no_output(case, tmp_path):
    text, extra, needle = BAD_CASES[case]
    inp = _write(tmp_path / "tx.csv", text)
    out, params = tmp_path / "out.csv", tmp_path / "params.json"
    proc = run_cli(*_fit_args(inp, out, "--params-json", str(params), *extra))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    assert not out.exists() and not params.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


def test_bad_date_with_format_reports_row(tmp_path):
    inp = _write(tmp_path / "tx.csv", "customer,date,amount\n1,20240101,1\n1,2024013x,1\n")
    proc = run_cli(*_fit_args(inp, tmp_path / "o.csv", "--date-format", "%Y%m%d"))
    assert proc.returncode == 2 and "row 2" in proc.stderr and "2024013x" in proc.stderr


def test_missing_input_file(tmp_path):
    proc = run_cli(*_fit_args(tmp_path / "nope.csv", tmp_path / "o.csv"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_main_callable_in_process(tmp_path, capsys):
    from kundenwert.clv.cli import main

    inp = _write(tmp_path / "tx.csv", "customer,date,amount\n1,2024-01-01,10\n")
    assert main(_fit_args(inp, tmp_path / "o.csv", "--calibration-end", "2023-01-01")) == 2
    assert "before all" in capsys.readouterr().err


def test_no_django_import():
    code = (
        "import kundenwert.clv, kundenwert.clv.cli, kundenwert.clv.io, sys; "
        "bad = [m for m in sys.modules if m.startswith('django') "
        "or (m.startswith('kundenwert') and not m.startswith('kundenwert.clv') "
        "and m != 'kundenwert')]; "
        "assert not bad, bad"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
