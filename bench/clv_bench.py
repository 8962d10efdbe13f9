"""Benchmark the CLV engine end to end against lifetimes on the same synthetic file.

Generates N customers (default 1M, about 2M transactions) from the BG/NBD and Gamma-Gamma
simulators at the CDNOW estimates, runs ``python -m kundenwert.clv fit`` on the CSV and, in the
same run, the same work with lifetimes (transactions -> summary -> BG/NBD -> Gamma-Gamma ->
one-year CLV -> CSV) in a throwaway virtualenv. Prints wall times, fit times, peak memory and
ratios. The CRM never imports lifetimes; only this script installs it, outside the project.

Usage: python bench/clv_bench.py [--customers 1000000] [--workdir /tmp/clv-bench]
       [--lifetimes-venv /tmp/clv-bench-venv] [--skip-lifetimes]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

BGNBD_TRUTH = (0.243, 4.414, 0.793, 2.426)  # weeks, CDNOW estimates
GG_TRUTH = (6.25, 3.74, 15.44)
START = np.datetime64("1997-01-01", "D")
CAL_END = "1997-09-30"
LIFETIMES_PINS = ["lifetimes==0.11.3", "pandas<2.2", "numpy<2", "scipy<1.13"]

LIFETIMES_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data
    src, out, cal_end = sys.argv[1:4]
    t = {}
    s = time.perf_counter()
    df = pd.read_csv(src, dtype={"customer": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    t["read_seconds"] = time.perf_counter() - s
    s = time.perf_counter()
    # Count distinct days, then express in weeks (freq_multiplier=7), like our CLI.
    summ = summary_data_from_transaction_data(
        df, "customer", "date", monetary_value_col="amount",
        observation_period_end=cal_end, freq="D", freq_multiplier=7,
    )
    t["summary_seconds"] = time.perf_counter() - s
    s = time.perf_counter()
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(summ["frequency"], summ["recency"], summ["T"])
    t["purchase_fit_seconds"] = time.perf_counter() - s
    s = time.perf_counter()
    rep = summ[(summ["frequency"] > 0) & (summ["monetary_value"] > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    ggf.fit(rep["frequency"], rep["monetary_value"])
    t["spend_fit_seconds"] = time.perf_counter() - s
    s = time.perf_counter()
    summ["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
        52, summ["frequency"], summ["recency"], summ["T"])
    summ["p_alive"] = bgf.conditional_probability_alive(
        summ["frequency"], summ["recency"], summ["T"])
    summ["expected_spend"] = ggf.conditional_expected_average_profit(
        summ["frequency"], summ["monetary_value"])
    # lifetimes counts CLV time in months and needs the unit of T (weeks) as freq.
    summ["clv"] = ggf.customer_lifetime_value(
        bgf, summ["frequency"], summ["recency"], summ["T"], summ["monetary_value"],
        time=12, discount_rate=0.0, freq="W")
    t["score_seconds"] = time.perf_counter() - s
    s = time.perf_counter()
    summ.to_csv(out)
    t["write_seconds"] = time.perf_counter() - s
    t["total_in_process_seconds"] = time.perf_counter() - t0
    t["params"] = {k: float(v) for k, v in bgf.params_.items()}
    print(json.dumps(t))
    """
)


def generate(path: Path, n_customers: int, seed: int = 42) -> int:
    """Write a synthetic transaction CSV; return the number of rows."""
    sys.path.insert(0, str(REPO))
    from kundenwert.clv import bgnbd, gammagamma

    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, n_customers)  # a 12-week acquisition cohort
    cal_days = int((np.datetime64(CAL_END, "D") - START).astype(int))
    age_weeks = (cal_days - first_day) / 7.0
    x, t_x = bgnbd.simulate(BGNBD_TRUTH, age_weeks, rng)
    cust, times = bgnbd.simulate_purchase_times(x, t_x, rng)
    cust = np.concatenate([np.arange(n_customers), cust])
    days = np.concatenate([first_day, first_day[cust[n_customers:]] + np.floor(times * 7)])
    values = gammagamma.draw_values(GG_TRUTH, cust, n_customers, rng)
    order = np.lexsort((days, cust))
    cust, days, values = cust[order], days[order].astype(np.int64), values[order]
    dates = (START + days).astype(str)
    with open(path, "w") as fh:
        fh.write("customer,date,amount\n")
        step = 500_000
        for i in range(0, cust.size, step):
            sl = slice(i, i + step)
            fh.write(
                "\n".join(
                    f"C{c:07d},{d},{v:.2f}"
                    for c, d, v in zip(
                        cust[sl].tolist(), dates[sl].tolist(), values[sl].tolist(), strict=True
                    )
                )
            )
            fh.write("\n")
    return int(cust.size)


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command with fork/exec so wait4 can report its own peak memory."""
    import tempfile

    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.posix_spawn(
            cmd[0],
            cmd,
            env if env is not None else dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({code}): {stderr.strip()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout


def ensure_lifetimes(venv: Path) -> Path | None:
    """Create the throwaway venv with lifetimes if missing; return its python or None."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import lifetimes, pandas"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    print(f"installing lifetimes into {venv} ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", *LIFETIMES_PINS],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"could not install lifetimes: {proc.stderr.strip()[-1500:]}")
            return None
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:
        return None
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clv-bench"))
    parser.add_argument("--lifetimes-venv", type=Path, default=Path("/tmp/clv-bench-venv"))
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    tx = args.workdir / f"tx_{args.customers}.csv"
    if not tx.exists():
        t0 = time.perf_counter()
        n_rows = generate(tx, args.customers)
        print(f"generated {tx}: {n_rows:,} transactions in {time.perf_counter() - t0:.1f} s")
    else:
        with open(tx) as fh:
            n_rows = sum(1 for _ in fh) - 1
        print(f"reusing {tx}: {n_rows:,} transactions")

    env = dict(os.environ, PYTHONPATH=str(REPO))
    ours_cmd = [
        sys.executable,
        "-m",
        "kundenwert.clv",
        "fit",
        "--input", str(tx),
        "--customer-column", "customer",
        "--date-column", "date",
        "--amount-column", "amount",
        "--calibration-end", CAL_END,
        "--time-unit", "week",
        "--horizon", "52",
        "--output", str(args.workdir / "ours_customers.csv"),
        "--params-json", str(args.workdir / "ours_params.json"),
    ]  # fmt: skip
    wall, peak, _ = run_child(ours_cmd, env)
    params = json.loads((args.workdir / "ours_params.json").read_text())
    timings = params["timings"]
    print("\nkundenwert.clv (python -m kundenwert.clv fit)")
    print(f"  end to end wall time   {wall:8.2f} s")
    for key, value in timings.items():
        print(f"  {key:22s} {value:8.2f} s")
    print(f"  peak memory (ru_maxrss) {peak:7.0f} MB")
    print(
        f"  customers {params['n_customers']:,}; BG/NBD converged: {params['bgnbd']['converged']}"
    )
    fitted = {k: round(params["bgnbd"][k], 4) for k in ("r", "alpha", "a", "b")}
    print(f"  BG/NBD estimates {fitted} (truth {BGNBD_TRUTH})")

    result = {"ours": {"wall": wall, "peak_mb": peak, **timings}}
    lt = None
    if not args.skip_lifetimes:
        python = ensure_lifetimes(args.lifetimes_venv)
        if python is None:
            print("\nlifetimes: could not be installed; no comparison")
        else:
            script = args.workdir / "lifetimes_run.py"
            script.write_text(LIFETIMES_SCRIPT)
            cmd = [str(python), str(script), str(tx), str(args.workdir / "lt_out.csv"), CAL_END]
            lt_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            lt_wall, lt_peak, out = run_child(cmd, lt_env)
            lt = json.loads(out.strip().splitlines()[-1])
            print("\nlifetimes 0.11.3 (same file, same steps)")
            print(f"  end to end wall time   {lt_wall:8.2f} s")
            for key, value in lt.items():
                if key != "params":
                    print(f"  {key:22s} {value:8.2f} s")
            print(f"  peak memory (ru_maxrss) {lt_peak:7.0f} MB")
            print(f"  BG/NBD estimates { ({k: round(v, 4) for k, v in lt['params'].items()}) }")
            result["lifetimes"] = {"wall": lt_wall, "peak_mb": lt_peak, **lt}
            print("\nratios (ours / lifetimes)")
            print(f"  end to end   {wall / lt_wall:6.3f}   (goal <= 0.25)")
            fit_ratio = timings["purchase_fit_seconds"] / lt["purchase_fit_seconds"]
            print(f"  BG/NBD fit   {fit_ratio:6.3f}")
            print(f"  peak memory  {peak / lt_peak:6.3f}")
    print("\ngoals")
    print(f"  BG/NBD fit <= 1 s:        {timings['purchase_fit_seconds']:.2f} s")
    print(f"  peak memory <= 500 MB:    {peak:.0f} MB")
    if lt is not None:
        print(f"  end to end <= 0.25 x lifetimes: {wall / result['lifetimes']['wall']:.3f}")
    (args.workdir / "bench_result.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
