"""Fast reading of transaction CSV files (csv module + vectorised numpy conversion)."""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

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


class _NeedSlowPath(Exception):
    """The fast reader met something only the csv module handles (or an error to locate)."""


_BLOCK_BYTES = 8 << 20


def _gather(buf: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Return the byte fields buf[start:end] as a fixed-width bytes array."""
    length = end - start
    width = max(int(length.max(initial=0)), 1)
    out = np.zeros((start.size, width), dtype=np.uint8)
    for j in range(width):
        m = length > j
        out[m, j] = buf[start[m] + j]
    return out.view(f"S{width}").ravel()


def _factorize_bytes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes, unique ids in order of first appearance) for a bytes array."""
    words = -(-ids.dtype.itemsize // 8)
    packed = ids.astype(f"S{8 * words}").view(np.uint64).reshape(ids.size, words)
    if words == 1:
        _, first, inverse = np.unique(packed[:, 0], return_index=True, return_inverse=True)
    else:
        order = np.lexsort(packed.T[::-1])
        sp = packed[order]
        new = np.r_[True, np.any(sp[1:] != sp[:-1], axis=1)]
        group = np.cumsum(new) - 1
        inverse = np.empty(ids.size, dtype=np.int64)
        inverse[order] = group
        first = np.full(int(group[-1]) + 1, ids.size, dtype=np.int64)
        np.minimum.at(first, group, order)
    rank_order = np.argsort(first, kind="stable")
    rank = np.empty_like(rank_order)
    rank[rank_order] = np.arange(rank_order.size)
    uniq = ids[first[rank_order]]
    try:
        names = uniq.astype("U")
    except UnicodeDecodeError:
        names = np.char.decode(uniq, "utf-8")
    return rank[inverse.ravel()], names


def _parse_block(
    data: bytes, cols: tuple[int, int, int], ncols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buf = np.frombuffer(data, dtype=np.uint8)
    if np.any(buf == 13):  # CRLF line ends
        buf = buf[buf != 13]
    nl = np.flatnonzero(buf == 10)
    starts = np.r_[0, nl[:-1] + 1]
    if np.any(nl == starts):
        raise _NeedSlowPath  # blank lines
    commas = np.flatnonzero(buf == 44)
    per_line = np.bincount(np.searchsorted(nl, commas), minlength=nl.size)
    if np.any(per_line != ncols - 1):
        raise _NeedSlowPath  # ragged rows: let the csv reader report them
    cm = commas.reshape(nl.size, ncols - 1) if ncols > 1 else np.empty((nl.size, 0), np.int64)
    fields = []
    for j in cols:
        begin = starts if j == 0 else cm[:, j - 1] + 1
        stop = nl if j == ncols - 1 else cm[:, j]
        fields.append(_gather(buf, begin, stop))
    return fields[0], fields[1], fields[2]


def _read_fast(
    path: Path,
    customer_column: str,
    date_column: str,
    amount_column: str,
    date_format: str | None,
    progress: bool,
) -> Transactions:
    """Read simple CSV files (no quotes) with vectorised numpy parsing."""
    with open(path, "rb") as fh:
        header_line = fh.readline()
        if not header_line.strip() or b'"' in header_line:
            raise _NeedSlowPath
        try:
            header = [h.strip() for h in header_line.decode("utf-8-sig").rstrip("\r\n").split(",")]
        except UnicodeDecodeError:
            raise _NeedSlowPath from None
        if any(c not in header for c in (customer_column, date_column, amount_column)):
            raise _NeedSlowPath
        cols = (
            header.index(customer_column),
            header.index(date_column),
            header.index(amount_column),
        )
        bar = None
        if progress:
            from tqdm import tqdm

            total = path.stat().st_size
            bar = tqdm(total=total, unit="B", unit_scale=True, desc="reading", leave=False)
        ids, dates, amounts = [], [], []
        carry = b""
        while True:
            block = fh.read(_BLOCK_BYTES)
            if bar is not None:
                bar.update(len(block))
            data = carry + block
            if not block:
                if not data.strip():
                    break
                data += b"\n"
                carry = b""
            else:
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                data, carry = data[: cut + 1], data[cut + 1 :]
            if b'"' in data:
                raise _NeedSlowPath
            c, d, a = _parse_block(data, cols, len(header))
            ids.append(c)
            dates.append(d)
            amounts.append(a)
            if not block:
                break
        if bar is not None:
            bar.close()
    if not ids:
        raise _NeedSlowPath  # header only: the slow path words the error
    date_s = np.concatenate(dates)
    try:
        if date_format is None:
            try:
                days = date_s.astype("datetime64[D]")
            except ValueError:
                days = date_s.astype("datetime64[s]").astype("datetime64[D]")
        else:
            uniq, inv = np.unique(date_s, return_inverse=True)
            epoch = datetime(1970, 1, 1).toordinal()
            parsed = np.array(
                [
                    datetime.strptime(u.decode().strip(), date_format).toordinal() - epoch
                    for u in uniq
                ],
                dtype=np.int64,
            )
            days = parsed[inv.ravel()].astype("datetime64[D]")
        amt = np.concatenate(amounts).astype(np.float64)
    except (ValueError, UnicodeDecodeError):
        raise _NeedSlowPath from None
    if np.isnat(days).any() or not np.all(np.isfinite(amt)) or np.any(amt < 0):
        raise _NeedSlowPath
    codes, names = _factorize_bytes(np.concatenate(ids))
    return Transactions(customer_codes=codes, customer_ids=names, days=days, amounts=amt)


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
        try:
            return _read_fast(
                path, customer_column, date_column, amount_column, date_format, progress
            )
        except _NeedSlowPath:
            pass
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return _read_open(
                fh, path, customer_column, date_column, amount_column, date_format, progress
            )
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_open(
    fh: TextIO,
    path: Path,
    customer_column: str,
    date_column: str,
    amount_column: str,
    date_format: str | None,
    progress: bool,
) -> Transactions:
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
            raise InputError(f"column {name!r} not found in {path} (columns: {', '.join(header)})")
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
