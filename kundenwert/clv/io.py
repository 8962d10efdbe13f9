"""Fast reading of transaction CSV files (csv module + vectorised numpy conversion)."""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

__all__ = ["InputError", "Transactions", "read_transactions"]

_CHUNK = 200_000


class InputError(ValueError):
    """Bad input that the user has to fix; the message is one line."""


@dataclass(frozen=True)
class Transactions:
    """Transaction log with customers already factorised."""

    customer_codes: np.ndarray
    customer_ids: np.ndarray
    days: np.ndarray
    amounts: np.ndarray

    @property
    def n_rows(self) -> int:
        """Return the number of transactions."""
        return int(self.days.size)


def _parse_dates_iso(values: list[str], first_row: int, column: str) -> np.ndarray:
    try:
        return np.array(values, dtype="datetime64[D]")
    except ValueError:
        pass
    try:
        # Timestamps such as "2024-01-05 13:45:00": keep the calendar day.
        return np.array(values, dtype="datetime64[s]").astype("datetime64[D]")
    except ValueError:
        pass
    for i, v in enumerate(values):
        try:
            np.datetime64(v, "D")
        except ValueError:
            try:
                np.datetime64(v, "s")
            except ValueError:
                raise InputError(
                    f"unparsable date {v!r} in column {column!r} at row {first_row + i} "
                    f"(expected YYYY-MM-DD; use --date-format for other forms)"
                ) from None
    raise InputError(f"unparsable date in column {column!r} near row {first_row}")


def _parse_dates_format(
    values: list[str], fmt: str, first_row: int, column: str, cache: dict[str, int]
) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    epoch = datetime(1970, 1, 1).toordinal()
    for i, v in enumerate(values):
        day = cache.get(v)
        if day is None:
            try:
                day = datetime.strptime(v.strip(), fmt).toordinal() - epoch
            except ValueError:
                raise InputError(
                    f"unparsable date {v!r} in column {column!r} at row {first_row + i} "
                    f"(expected format {fmt!r})"
                ) from None
            cache[v] = day
        out[i] = day
    return out.astype("datetime64[D]")


def _parse_amounts(values: list[str], first_row: int, column: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except ValueError:
        arr = None
    if arr is None or not np.all(np.isfinite(arr)):
        for i, v in enumerate(values):
            try:
                ok = math.isfinite(float(v))
            except ValueError:
                ok = False
            if not ok:
                raise InputError(
                    f"invalid amount {v!r} in column {column!r} at row {first_row + i}"
                )
    assert arr is not None
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        i = int(neg[0])
        raise InputError(
            f"negative amount {values[i]!r} in column {column!r} at row {first_row + i}"
        )
    return arr


def read_transactions(
    path: str | Path,
    customer_column: str,
    date_column: str,
    amount_column: str,
    date_format: str | None = None,
    progress: bool = False,
) -> Transactions:
    """Read a CSV transaction log; raise InputError with a one-line message on bad input.

    Row numbers in messages count data rows from 1 (the header is not a row).
    """
    path = Path(path)
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path} is empty") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{path} is not a readable CSV file: {exc}") from None
        header = [h.strip() for h in header]
        cols = []
        for name in (customer_column, date_column, amount_column):
            if name not in header:
                raise InputError(
                    f"column {name!r} not found in {path} (columns: {', '.join(header)})"
                )
            cols.append(header.index(name))
        ci, di, ai = cols
        need = max(cols) + 1

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", unit_scale=True, desc="reading", leave=False)

        mapping: dict[str, int] = {}
        code_chunks: list[np.ndarray] = []
        day_chunks: list[np.ndarray] = []
        amt_chunks: list[np.ndarray] = []
        cache: dict[str, int] = {}
        row0 = 1
        rows_iter: Iterable[list[str]] = reader
        while True:
            try:
                rows = list(itertools.islice(rows_iter, _CHUNK))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise InputError(f"malformed CSV in {path} after row {row0 - 1}: {exc}") from None
            if not rows:
                break
            rows = [r for r in rows if r]  # csv yields [] for blank lines
            short = [i for i, r in enumerate(rows) if len(r) < need]
            if short:
                raise InputError(f"row {row0 + short[0]} of {path} has too few fields")
            cust = [r[ci] for r in rows]
            dates = [r[di] for r in rows]
            amts = [r[ai] for r in rows]
            setdef = mapping.setdefault
            code_chunks.append(
                np.fromiter((setdef(c, len(mapping)) for c in cust), np.int64, len(cust))
            )
            if date_format is None:
                day_chunks.append(_parse_dates_iso(dates, row0, date_column))
            else:
                day_chunks.append(_parse_dates_format(dates, date_format, row0, date_column, cache))
            amt_chunks.append(_parse_amounts(amts, row0, amount_column))
            row0 += len(rows)
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
    if not code_chunks:
        raise InputError(f"{path} has a header but no transactions")
    ids = np.array(list(mapping), dtype=object)
    return Transactions(
        customer_codes=np.concatenate(code_chunks),
        customer_ids=ids,
        days=np.concatenate(day_chunks),
        amounts=np.concatenate(amt_chunks),
    )
