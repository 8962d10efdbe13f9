"""Command line: ``kundenwert clv fit`` turns a transaction CSV into a customer-value table."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from .io import InputError, read_transactions
from .summary import UNIT_DAYS, Summary, summarize
from .value import MODELS, CustomerValue, customer_value

__all__ = ["main"]

EXIT_BAD_INPUT = 2
_DEFAULT_HORIZON = {"day": 365.0, "week": 52.0, "month": 12.0}
_COLUMNS = (
    "customer_id",
    "x",
    "t_x",
    "T",
    "monetary_value",
    "expected_purchases",
    "p_alive",
    "expected_spend",
    "clv",
)


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line, like all other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"kundenwert clv: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kundenwert clv", description="Customer lifetime value models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fit = sub.add_parser("fit", help="fit a model to a transaction CSV and score all customers")
    fit.add_argument("--input", required=True, type=Path, help="transaction CSV with a header")
    fit.add_argument("--customer-column", required=True)
    fit.add_argument("--date-column", required=True)
    fit.add_argument("--amount-column", required=True)
    fit.add_argument("--date-format", help="strptime format, e.g. %%Y%%m%%d (default: ISO dates)")
    fit.add_argument(
        "--calibration-end", help="last day of the calibration period, YYYY-MM-DD (default: last)"
    )
    fit.add_argument("--time-unit", choices=tuple(UNIT_DAYS), default="week")
    fit.add_argument("--model", choices=tuple(MODELS), default="bgnbd")
    fit.add_argument(
        "--horizon", type=float, help="prediction horizon in time units (default: one year)"
    )
    fit.add_argument(
        "--discount-rate", type=float, default=0.0, help="discount rate per time unit (default 0)"
    )
    fit.add_argument("--margin", type=float, default=1.0, help="profit margin on spend (default 1)")
    fit.add_argument("--output", required=True, type=Path, help="customer table to write (CSV)")
    fit.add_argument("--params-json", type=Path, help="fitted parameters to write (JSON)")
    return parser


class _Table:
    """The customer table, written in chunks so memory stays flat for millions of rows."""

    # Fixed-point formats print about twice as fast as %g.
    _ROW = "%s,%d,%.4f,%.4f,%.4f,%.6f,%.6f,%.4f,%.4f\n"
    _CHUNK = 100_000

    def __init__(self, summary: Summary, cv: CustomerValue) -> None:
        self.ids = summary.customer_ids
        self.columns = (
            summary.x.astype(np.int64),
            summary.t_x,
            summary.T,
            summary.monetary_value,
            cv.expected_purchases,
            cv.p_alive,
            cv.expected_spend,
            cv.clv,
        )

    def write(self, fh: TextIO) -> None:
        """Write header and rows as CSV."""
        fh.write(",".join(_COLUMNS) + "\n")
        for start in range(0, self.ids.size, self._CHUNK):
            sl = slice(start, start + self._CHUNK)
            ids = [str(c) for c in self.ids[sl].tolist()]
            # Ids with separators or quotes need CSV quoting; plain ids take the fast path.
            if any(any(ch in c for ch in ',"\r\n') for c in ids):
                ids = [_quote(c) for c in ids]
            cols = [ids, *(c[sl].tolist() for c in self.columns)]
            fh.write("".join([self._ROW % row for row in zip(*cols, strict=True)]))


def _quote(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write via a temporary file in the target directory, so failures leave nothing behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        # mkstemp creates 0600 files; give the result the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run_fit(args: argparse.Namespace) -> int:
    progress = sys.stderr.isatty()
    if args.calibration_end is not None:
        try:
            cal_end = np.datetime64(args.calibration_end, "D")
            if len(args.calibration_end.strip()) != 10:
                raise ValueError
        except ValueError:
            raise InputError(
                f"--calibration-end {args.calibration_end!r} is not a YYYY-MM-DD date"
            ) from None
    else:
        cal_end = None
    horizon = _DEFAULT_HORIZON[args.time_unit] if args.horizon is None else args.horizon
    if not (horizon > 0 and args.discount_rate >= 0 and args.margin >= 0):
        raise InputError("need --horizon > 0, --discount-rate >= 0 and --margin >= 0")
    for target in (args.output, args.params_json):
        if target is not None and not (target.parent if str(target.parent) else Path(".")).is_dir():
            raise InputError(f"directory of {target} does not exist")

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tx = read_transactions(
        args.input,
        args.customer_column,
        args.date_column,
        args.amount_column,
        args.date_format,
        progress=progress,
    )
    timings["read_seconds"] = time.perf_counter() - t0
    if cal_end is not None and int(cal_end.astype(np.int64)) < int(tx.days.min().astype(np.int64)):
        raise InputError(
            f"calibration end {args.calibration_end} is before all transactions "
            f"(first: {tx.days.min()})"
        )
    t0 = time.perf_counter()
    try:
        summary = summarize(
            None,
            tx.days,
            tx.amounts,
            time_unit=args.time_unit,
            calibration_end=cal_end,
            customer_codes=(tx.customer_codes, tx.customer_ids),
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    timings["summary_seconds"] = time.perf_counter() - t0
    n_transactions = tx.n_rows
    del tx  # the summary is all that is needed from here on; free the log early
    t0 = time.perf_counter()
    from .value import fit_purchase_model, fit_spend_model

    purchase_fit = fit_purchase_model(summary, args.model)
    timings["purchase_fit_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    spend_fit = fit_spend_model(summary)
    timings["spend_fit_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cv = customer_value(
        summary,
        args.model,
        horizon,
        args.discount_rate,
        args.margin,
        purchase_fit=purchase_fit,
        spend_fit=spend_fit,
    )
    timings["score_seconds"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    table = _Table(summary, cv)
    params: dict[str, object] = {args.model: purchase_fit.to_dict()}
    if spend_fit is not None:
        params["gamma_gamma"] = spend_fit.to_dict()
    params.update(
        {
            "n_customers": summary.n_customers,
            "n_transactions": n_transactions,
            "time_unit": summary.time_unit,
            "unit_days": UNIT_DAYS[summary.time_unit],
            "calibration_end": str(summary.calibration_end),
            "horizon": horizon,
            "discount_rate": args.discount_rate,
            "margin": args.margin,
            "zero_value_purchases": summary.n_zero_value_purchases,
            "customers_after_calibration": summary.n_customers_after_calibration,
            "population": cv.population(),
        }
    )
    _atomic_write(args.output, table.write)
    timings["write_seconds"] = time.perf_counter() - t0
    params["timings"] = timings
    if args.params_json is not None:
        _atomic_write(args.params_json, lambda fh: json.dump(params, fh, indent=2))
    for fit in (purchase_fit, spend_fit):
        if fit is not None and not fit.converged:
            print(
                f"kundenwert clv: warning: {fit.model} fit did not converge: {fit.message}",
                file=sys.stderr,
            )
    if summary.n_zero_value_purchases:
        print(
            f"kundenwert clv: note: {summary.n_zero_value_purchases} zero-value purchase days "
            "counted as purchases but left out of the spend model",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.command == "fit":
            return _run_fit(args)
    except InputError as exc:
        msg = " ".join(str(exc).split())
        print(f"kundenwert clv: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT
