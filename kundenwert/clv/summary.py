"""Customer summaries (frequency, recency, age, spend) from a transaction log.

Rules, in this order:

1. All transactions of one customer on one calendar day are one purchase; their amounts are
   summed. Counting happens on days, never on coarser periods: summarising by week would merge
   purchases and change the counts.
2. Only then are day differences converted into the time unit: day = 1 day, week = 7 days,
   month = 365.25 / 12 = 30.4375 days (the mean Gregorian month).
3. x is the number of distinct purchase days after the first, up to and including the
   calibration end; t_x the time from the first to the last of them; T the time from the first
   purchase to the calibration end.
4. The spend model sees only repeat purchases of positive value: a zero-value purchase still
   counts in x, but not in the mean value; the number of such purchase days is reported.
5. Customers whose first purchase is after the calibration end are left out (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["UNIT_DAYS", "Summary", "factorize", "summarize"]

UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}


@dataclass(frozen=True)
class Summary:
    """Per-customer calibration summary; times are in `time_unit`."""

    customer_ids: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray
    n_spend: np.ndarray
    x_holdout: np.ndarray
    t_x_days: np.ndarray
    T_days: np.ndarray
    first_purchase: np.ndarray
    time_unit: str
    calibration_end: np.datetime64
    observation_end: np.datetime64
    n_zero_value_purchases: int
    n_customers_after_calibration: int

    @property
    def n_customers(self) -> int:
        """Return the number of customers in the calibration period."""
        return int(self.x.size)

    @property
    def holdout_length(self) -> float:
        """Return the length of the holdout period in the time unit."""
        days = (self.observation_end - self.calibration_end).astype("timedelta64[D]").astype(int)
        return float(days) / UNIT_DAYS[self.time_unit]


def factorize(values: np.ndarray | list) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes, uniques) with uniques in order of first appearance."""
    arr = np.asarray(values)
    uniq, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse.ravel()], uniq[order]


def _to_days(dates: np.ndarray) -> np.ndarray:
    arr = np.asarray(dates)
    if np.issubdtype(arr.dtype, np.datetime64):
        # A view, not a copy, when the dates are already whole days.
        return arr.astype("datetime64[D]", copy=False).view(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    return np.asarray(arr, dtype="datetime64[D]").astype(np.int64)


def summarize(
    customer: np.ndarray | list,
    dates: np.ndarray | list,
    amounts: np.ndarray | list,
    *,
    time_unit: str = "week",
    calibration_end: str | np.datetime64 | None = None,
    observation_end: str | np.datetime64 | None = None,
    customer_codes: tuple[np.ndarray, np.ndarray] | None = None,
) -> Summary:
    """Summarise a transaction log per customer.

    dates may be datetime64 values, ISO strings or integer day numbers (days since 1970-01-01).
    calibration_end defaults to the last transaction day; observation_end (end of the holdout)
    defaults to the last transaction day. customer_codes may pass a precomputed factorisation
    (codes, unique ids) of `customer`.
    """
    if time_unit not in UNIT_DAYS:
        raise ValueError(f"time unit must be one of {', '.join(UNIT_DAYS)}")
    unit = UNIT_DAYS[time_unit]
    days = _to_days(dates)
    amt = np.asarray(amounts, dtype=float)
    if days.size == 0:
        raise ValueError("no transactions")
    if amt.shape != days.shape:
        raise ValueError("dates and amounts differ in length")
    if not np.all(np.isfinite(amt)) or np.any(amt < 0):
        raise ValueError("amounts must be finite and non-negative")
    codes, ids = customer_codes if customer_codes is not None else factorize(customer)
    codes = np.asarray(codes, dtype=np.int64)
    n_all = ids.size

    cal = (
        int(days.max())
        if calibration_end is None
        else int(_to_days(np.array([calibration_end]))[0])
    )
    obs = (
        int(days.max())
        if observation_end is None
        else int(_to_days(np.array([observation_end]))[0])
    )
    if cal < int(days.min()):
        raise ValueError("calibration end is before all transactions")
    obs = max(obs, cal)

    # One purchase per customer and day: sort by a combined (customer, day) key and sum the
    # amounts within runs. A single int64 key needs far less memory than lexsort on two arrays.
    dmin = int(days.min())
    span = int(days.max()) - dmin + 1
    key = codes * span + (days - dmin)
    order = np.argsort(key)
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    pamt = np.add.reduceat(amt[order], starts)
    del order
    key = key[starts]
    pc, pd = np.divmod(key, span)
    pd += dmin
    del key
    first_day = np.full(n_all, np.iinfo(np.int64).max)
    is_first = np.r_[True, pc[1:] != pc[:-1]]
    first_day[pc[is_first]] = pd[is_first]

    in_cal = pd <= cal
    if in_cal.all():  # no holdout period: avoid copying the purchase arrays
        cc, cd, camt = pc, pd, pamt
    else:
        cc, cd, camt = pc[in_cal], pd[in_cal], pamt[in_cal]
    n_days = np.bincount(cc, minlength=n_all)
    keep = n_days > 0  # customers who bought by the calibration end
    is_last = np.r_[cc[1:] != cc[:-1], True]
    last_day = np.zeros(n_all, dtype=np.int64)
    last_day[cc[is_last]] = cd[is_last]
    repeat = np.r_[False, cc[1:] == cc[:-1]]
    spend = repeat & (camt > 0)
    n_spend = np.bincount(cc[spend], minlength=n_all)
    sum_spend = np.bincount(cc[spend], weights=camt[spend], minlength=n_all)
    hold = (pd > cal) & (pd <= obs)
    x_hold = np.bincount(pc[hold], minlength=n_all)

    fd = first_day[keep]
    t_x_days = last_day[keep] - fd
    T_days = cal - fd
    ns = n_spend[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        mv = np.where(ns > 0, sum_spend[keep] / np.maximum(ns, 1), 0.0)
    return Summary(
        customer_ids=ids if keep.all() else ids[keep],
        x=(n_days[keep] - 1).astype(float),
        t_x=t_x_days / unit,
        T=T_days / unit,
        monetary_value=mv,
        n_spend=ns.astype(float),
        x_holdout=x_hold[keep].astype(float),
        t_x_days=t_x_days,
        T_days=T_days,
        first_purchase=fd.astype("datetime64[D]"),
        time_unit=time_unit,
        calibration_end=np.datetime64(cal, "D"),
        observation_end=np.datetime64(obs, "D"),
        n_zero_value_purchases=int(np.count_nonzero(camt == 0)),
        n_customers_after_calibration=int(n_all - np.count_nonzero(keep)),
    )
