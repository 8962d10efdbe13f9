"""Summaries from transaction logs: the counting and time-unit rules."""

from __future__ import annotations

import numpy as np
import pytest

from kundenwert.clv import UNIT_DAYS, summarize


def _log():
    customer = ["a", "a", "a", "a", "b", "b", "c", "a"]
    dates = [
        "2024-01-01",
        "2024-01-01",  # same day: one purchase, amounts summed
        "2024-01-08",
        "2024-01-31",
        "2024-01-10",
        "2024-01-20",
        "2024-03-01",  # first purchase after the calibration end
        "2024-02-15",  # holdout purchase of a
    ]
    amounts = [10.0, 5.0, 0.0, 30.0, 7.0, 9.0, 1.0, 4.0]
    return customer, dates, amounts


def test_same_day_zero_value_and_holdout():
    s = summarize(*_log(), time_unit="day", calibration_end="2024-01-31")
    ids = list(s.customer_ids)
    assert ids == ["a", "b"]
    a, b = ids.index("a"), ids.index("b")
    assert s.x[a] == 2  # Jan 8 (zero value) and Jan 31; Jan 1 twice is the first purchase
    assert s.t_x[a] == 30 and s.T[a] == 30
    assert s.monetary_value[a] == 30.0  # the zero-value purchase is not in the spend model
    assert s.n_spend[a] == 1
    assert s.n_zero_value_purchases == 1
    assert s.x_holdout[a] == 1 and s.x_holdout[b] == 0
    assert s.x[b] == 1 and s.t_x[b] == 10 and s.T[b] == 21
    assert s.monetary_value[b] == 9.0
    assert s.n_customers_after_calibration == 1
    assert s.holdout_length == 30  # to the last transaction day, 2024-03-01


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_units_convert_after_counting_days(unit):
    s_day = summarize(*_log(), time_unit="day", calibration_end="2024-01-31")
    s = summarize(*_log(), time_unit=unit, calibration_end="2024-01-31")
    np.testing.assert_array_equal(s.x, s_day.x)
    np.testing.assert_allclose(s.t_x * UNIT_DAYS[unit], s_day.t_x)
    np.testing.assert_allclose(s.T * UNIT_DAYS[unit], s_day.T)
    assert UNIT_DAYS["month"] == pytest.approx(30.4375)


def test_default_calibration_end_is_last_day():
    s = summarize(*_log())
    assert str(s.calibration_end) == "2024-03-01"
    assert s.n_customers == 3 and s.x_holdout.sum() == 0


def test_rejects_bad_input():
    customer, dates, amounts = _log()
    with pytest.raises(ValueError, match="before all"):
        summarize(customer, dates, amounts, calibration_end="2023-12-31")
    with pytest.raises(ValueError, match="non-negative"):
        summarize(customer, dates, [-1.0, *amounts[1:]])
    with pytest.raises(ValueError, match="no transactions"):
        summarize([], np.array([], dtype="datetime64[D]"), [])
    with pytest.raises(ValueError, match="time unit"):
        summarize(customer, dates, amounts, time_unit="fortnight")


def test_fast_and_csv_readers_agree(tmp_path):
    """Plain files take the vectorised reader; quoted ones the csv module. Same result."""
    from kundenwert.clv.io import read_transactions

    rows = [("c1", "2024-01-01", "10.5"), ("c2", "2024-01-03", "0"), ("c1", "2024-02-01", "3")]
    plain = tmp_path / "plain.csv"
    plain.write_text("id,when,value\r\n" + "".join(f"{a},{b},{c}\r\n" for a, b, c in rows))
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('id,when,value\n"c1",2024-01-01,10.5\nc2,2024-01-03,0\n"c1",2024-02-01,3')
    a = read_transactions(plain, "id", "when", "value")
    b = read_transactions(quoted, "id", "when", "value")
    for t in (a, b):
        assert list(t.customer_ids) == ["c1", "c2"]
        assert list(t.customer_codes) == [0, 1, 0]
        assert list(t.days.astype(str)) == ["2024-01-01", "2024-01-03", "2024-02-01"]
        assert list(t.amounts) == [10.5, 0.0, 3.0]


def test_reader_long_ids_and_timestamps(tmp_path):
    from kundenwert.clv.io import read_transactions

    path = tmp_path / "tx.csv"
    path.write_text(
        "customer,date,amount\n"
        "a-very-long-customer-identifier-1,2024-01-05 13:45:00,1\n"
        "b,2024-01-06 00:00:00,2\n"
        "a-very-long-customer-identifier-1,2024-01-07 23:59:59,3\n"
    )
    t = read_transactions(path, "customer", "date", "amount")
    assert list(t.customer_ids) == ["a-very-long-customer-identifier-1", "b"]
    assert list(t.customer_codes) == [0, 1, 0]
    assert list(t.days.astype(str)) == ["2024-01-05", "2024-01-06", "2024-01-07"]
